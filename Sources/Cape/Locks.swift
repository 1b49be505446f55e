// Mutual exclusion for a team spread over ranks: `critical` (named or not), GOMP_atomic_start/end
// (gcc's fallback for atomics and for combining several reductions) and the OpenMP locks.
//
// Lock state never lives in the program's memory (a lock word there would be a write like any
// other, and two ranks taking the lock would conflict). It lives in a table keyed by the lock's
// address, the same on every rank: inside a region in what the ranks share (SharedState: the home
// host's memory, reached through the proxies from other hosts), and in a table of the rank's own
// for sequential code, where every rank runs alone.
//
// What the holder writes must be visible to the next holder before it enters, as on shared memory:
// the protected code is a section (see Sections.swift), whose writes travel through the section
// log. Page tracking tells sections apart per process, so one local thread of a rank is inside a
// section at a time (a rank-local mutex, taken before the team-wide lock); a section inside a
// section publishes what the outer one wrote so far at every inner acquire and release.
import CCapeShim
import CCapeSys
import Glibc

/// The team-wide locks, by key. On rank 0's host (and for sequential code) they are words of a
/// table in memory, taken with compare-and-swap and waited for on a futex; elsewhere every
/// operation is a request to rank 0's proxy, and waiting is a loop of attempts with back-off.
enum LockTable {
    static let unnamedCritical: UInt = 1
    static let atomicBlock: UInt = 2
    static let atomicInstruction: UInt = 3
    /// The pool counters of the memory allocators (APIMore.swift).
    static let allocatorPool: UInt = 4

    /// Sequential code's table.
    nonisolated(unsafe) static let local: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: Int(CAPE_LOCKS_BYTES), alignment: 8)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Int(CAPE_LOCKS_BYTES))
        return p
    }()

    /// The word of `key` when the table serving the calling thread is in this process's memory;
    /// nil when it is at rank 0's host and this rank is elsewhere.
    private static func word(_ key: UInt) -> UnsafeMutablePointer<UInt32>? {
        let table: UnsafeMutableRawPointer
        if Region.running {
            guard SharedState.home else { return nil }
            table = SharedState.base! + Int(CAPE_LOCKS_OFFSET)
        } else {
            table = local
        }
        guard let w = cape_shared_lock_word(table, UInt64(key)) else {
            fatalEverywhere("more than \(CAPE_LOCK_ENTRIES) distinct locks and named critical sections are in use (destroy unused locks)")
        }
        return w
    }

    /// Identity of the calling task, unique over all ranks, never 0 (0 is "free"): the thread, and
    /// the nesting level of its implicit task (a nest lock belongs to a task: a serialized region's
    /// task does not own what the code around it holds).
    /// The owner of a lock: a task of a thread of a rank (a nest lock belongs to the task that set
    /// it, so an undeferred task of its holder does not own it). Rank (15 bits), local thread (8),
    /// nesting level (4) and depth of nested tasks on the thread (4).
    static func me() -> UInt32 {
        let t = cape_self()!.pointee
        let local = UInt32(truncatingIfNeeded: Int(t.local_index) + 1) & 0xff
        let level = UInt32(truncatingIfNeeded: t.level) & 0xf
        let task = UInt32(truncatingIfNeeded: cape_task_depth()) & 0xf
        return 0x8000_0000 | UInt32(truncatingIfNeeded: Runtime.rank & 0x7fff) << 16 | local << 8 | task << 4 | level
    }

    static func tryLock(_ key: UInt, _ me: UInt32) -> Bool {
        if let w = word(key) { return cape_cas_u32(w, 0, me) != 0 }
        return SharedState.perform(CAPE_SH_LOCK_TRY, UInt64(key), UInt64(me)).0 == 1
    }

    /// tryLock for a section about to start: from another host, the same round trip brings the
    /// section log's new entries.
    static func tryEnter(_ key: UInt, _ me: UInt32) -> Bool {
        if word(key) != nil || !SectionLog.active { return tryLock(key, me) }
        let r = SharedState.perform(CAPE_SH_LOCK_ENTER, UInt64(key), UInt64(me), Sync.epoch, UInt64(SectionLog.copyMark()))
        guard r.0 & 1 != 0 else { return false }
        SectionLog.copied(upTo: Int(r.1), complete: r.0 & 2 != 0)
        return true
    }

    /// Whether waiting for a lock costs a message per look (the lock is on another host).
    static var remote: Bool { Region.running && !SharedState.home }

    static func lock(_ key: UInt, _ me: UInt32) {
        guard let w = word(key) else {
            var backoff = SharedState.Backoff()
            while !tryLock(key, me) { backoff.pause() }
            return
        }
        Word.lock(w, me)
    }

    static func unlock(_ key: UInt) {
        if let w = word(key) { Word.unlock(w); return }
        _ = SharedState.perform(CAPE_SH_LOCK_RELEASE, UInt64(key))
    }

    /// The holder of `key` (0: free) and its nest count.
    static func state(_ key: UInt) -> (holder: UInt32, count: UInt32) {
        if let w = word(key) { return (cape_load_acquire_u32(w), cape_load_acquire_u32(w + 1)) }
        let r = SharedState.perform(CAPE_SH_LOCK_GET, UInt64(key))
        return (UInt32(truncatingIfNeeded: r.0), UInt32(truncatingIfNeeded: r.1))
    }

    static func setCount(_ key: UInt, _ count: UInt32) {
        if let w = word(key) { cape_store_release_u32(w + 1, count); return }
        _ = SharedState.perform(CAPE_SH_LOCK_SET_COUNT, UInt64(key), UInt64(count))
    }

    /// omp_init_lock and omp_destroy_lock: free, with a nest count of 0.
    static func reset(_ key: UInt) {
        if let w = word(key) {
            cape_store_release_u32(w, 0)
            cape_store_release_u32(w + 1, 0)
            return
        }
        _ = SharedState.perform(CAPE_SH_LOCK_RESET, UInt64(key))
    }

    /// Waits until `key` looks free, holding nothing (where the table is in memory; from another
    /// host a look costs as much as an attempt, so callers attempt instead).
    static func waitFree(_ key: UInt) {
        guard let w = word(key) else { return }
        var spins = 0
        while true {
            let v = cape_load_acquire_u32(w)
            if v == 0 { return }
            if spins < 200 { spins += 1; cape_cpu_relax(); continue }
            _ = cape_futex_wait(w, v, 5)
        }
    }
}

/// A lock word in memory (the rank's section mutex, and lock-table words on the home host).
enum Word {
    static func tryLock(_ w: UnsafeMutablePointer<UInt32>, _ me: UInt32) -> Bool {
        cape_cas_u32(w, 0, me) != 0
    }

    static func lock(_ w: UnsafeMutablePointer<UInt32>, _ me: UInt32) {
        var spins = 0
        while true {
            let v = cape_load_acquire_u32(w)
            if v == 0 && tryLock(w, me) { return }
            if spins < 200 { spins += 1; cape_cpu_relax(); continue }
            _ = cape_futex_wait(w, v == 0 ? 1 : v, 5)
        }
    }

    static func unlock(_ w: UnsafeMutablePointer<UInt32>) {
        cape_store_release_u32(w, 0)
        cape_futex_wake(w)
    }
}

enum Exclusion {
    private static let owner: UnsafeMutablePointer<UInt32> = { let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 1); p.initialize(to: 0); return p }()
    private nonisolated(unsafe) static var depth = 0

    private static var tracked: Bool { SectionLog.active && Region.tracking }
    private static func localId() -> UInt32 { UInt32(Int(cape_self()!.pointee.local_index) + 2) }
    private static var nested: Bool { cape_load_acquire_u32(owner) == localId() }

    /// Enters a section: the team-wide lock `key` (nil: the caller already holds its turn, as for
    /// ordered blocks) and the rank's section mutex, then catches up with the log.
    /// The rank's section mutex is held only while protected code runs, never while waiting for a
    /// team-wide lock (whose holder may be a local thread that needs the mutex to release it).
    static func acquire(_ key: UInt?) {
        let me = LockTable.me()
        guard tracked else {
            if let key { LockTable.lock(key, me) }
            return
        }
        if nested {
            SectionLog.leave()
            if let key { LockTable.lock(key, me) }
            depth += 1
            SectionLog.enter()
            return
        }
        let id = localId()
        var backoff = SharedState.Backoff()
        while true {
            // From another host a look costs as much as an attempt: attempt, and back off.
            if let key, !LockTable.remote { LockTable.waitFree(key) }
            Word.lock(owner, id)
            if key == nil || LockTable.tryEnter(key!, me) { break }
            Word.unlock(owner)
            if LockTable.remote { backoff.pause() }
        }
        depth = 1
        Flush.suspendImplicit()
        SectionLog.enter()
    }

    /// The calling thread runs protected code (it holds the rank's section mutex).
    static var holdsSection: Bool { tracked && nested }

    /// Runs `body` holding the rank's section mutex (a flush outside any section).
    static func withRankMutex(_ body: () -> Void) {
        Word.lock(owner, localId())
        body()
        Word.unlock(owner)
    }

    /// Like acquire, but gives up at once when `key` is taken.
    static func tryAcquire(_ key: UInt) -> Bool {
        let me = LockTable.me()
        guard tracked else { return LockTable.tryLock(key, me) }
        if nested {
            guard LockTable.tryLock(key, me) else { return false }
            SectionLog.leave()
            depth += 1
            SectionLog.enter()
            return true
        }
        Word.lock(owner, localId())
        guard LockTable.tryEnter(key, me) else {
            Word.unlock(owner)
            return false
        }
        depth = 1
        Flush.suspendImplicit()
        SectionLog.enter()
        return true
    }

    /// Leaves a section: its writes go to the log before `key` is released.
    static func release(_ key: UInt?) {
        guard tracked, nested else {
            if let key { LockTable.unlock(key) }
            return
        }
        SectionLog.leave(releasing: key)
        depth -= 1
        if depth > 0 {
            SectionLog.enter()
        } else {
            Flush.resumeImplicit()
            Word.unlock(owner)
        }
    }

    /// A thread that holds a lock may meet a barrier: the barrier needs its siblings, which may need
    /// the section mutex. Its section so far is published and the mutex left for the barrier.
    static func suspend() -> Int {
        guard tracked, nested else { return 0 }
        SectionLog.leave()
        let d = depth
        depth = 0
        Flush.resumeImplicit()
        Word.unlock(owner)
        return d
    }

    static func resume(_ d: Int) {
        guard d > 0 else { return }
        Word.lock(owner, localId())
        depth = d
        Flush.suspendImplicit()
        SectionLog.enter()
    }
}

@inline(__always) private func enter() { cape_self()!.pointee.rt_depth += 1 }
@inline(__always) private func leave() { cape_self()!.pointee.rt_depth -= 1 }

// ---- critical and atomic blocks ----

@_cdecl("GOMP_critical_start") public func GOMP_critical_start() {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.unnamedCritical)
}

@_cdecl("GOMP_critical_end") public func GOMP_critical_end() {
    enter(); defer { leave() }
    Exclusion.release(LockTable.unnamedCritical)
}

/// `pptr` is the program's `.gomp_critical_user_<name>` variable: its address names the section.
@_cdecl("GOMP_critical_name_start") public func GOMP_critical_name_start(_ pptr: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.acquire(UInt(bitPattern: pptr))
}

@_cdecl("GOMP_critical_name_end") public func GOMP_critical_name_end(_ pptr: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.release(UInt(bitPattern: pptr))
}

@_cdecl("GOMP_atomic_start") public func GOMP_atomic_start() {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.atomicBlock)
}

@_cdecl("GOMP_atomic_end") public func GOMP_atomic_end() {
    enter(); defer { leave() }
    Exclusion.release(LockTable.atomicBlock)
}

// ---- inline atomic instructions (Sources/CCapeShim/atomics.c), called from the SIGTRAP handler ----

@_cdecl("cape_swift_atomic_begin") func capeSwiftAtomicBegin() -> Int32 {
    guard Region.tracking else { return 0 }
    Exclusion.acquire(LockTable.atomicInstruction)
    return 1
}

@_cdecl("cape_swift_atomic_end") func capeSwiftAtomicEnd() {
    cape_self()!.pointee.rt_depth += 1
    Exclusion.release(LockTable.atomicInstruction)
    cape_self()!.pointee.rt_depth -= 1
}

// ---- OpenMP locks ----

private func key(_ lock: UnsafeMutableRawPointer?) -> UInt {
    guard let lock else { fatalEverywhere("an omp lock routine was called with a null lock (initialize the lock first)") }
    return UInt(bitPattern: lock)
}

@_cdecl("omp_init_lock") public func omp_init_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    LockTable.reset(key(lock))
}

@_cdecl("omp_destroy_lock") public func omp_destroy_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }

@_cdecl("omp_set_lock") public func omp_set_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.acquire(key(lock))
}

@_cdecl("omp_unset_lock") public func omp_unset_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.release(key(lock))
}

@_cdecl("omp_test_lock") public func omp_test_lock(_ lock: UnsafeMutableRawPointer?) -> Int32 {
    enter(); defer { leave() }
    return Exclusion.tryAcquire(key(lock)) ? 1 : 0
}

@_cdecl("omp_init_nest_lock") public func omp_init_nest_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }
@_cdecl("omp_destroy_nest_lock") public func omp_destroy_nest_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }

@_cdecl("omp_set_nest_lock") public func omp_set_nest_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    let k = key(lock)
    let s = LockTable.state(k)
    if s.holder == LockTable.me() {
        LockTable.setCount(k, s.count + 1)
        return
    }
    Exclusion.acquire(k)
    LockTable.setCount(k, 1)
}

@_cdecl("omp_unset_nest_lock") public func omp_unset_nest_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    let k = key(lock)
    let s = LockTable.state(k)
    guard s.holder == LockTable.me() else { return }
    LockTable.setCount(k, s.count - 1)
    if s.count == 1 { Exclusion.release(k) }
}

@_cdecl("omp_test_nest_lock") public func omp_test_nest_lock(_ lock: UnsafeMutableRawPointer?) -> Int32 {
    enter(); defer { leave() }
    let k = key(lock)
    let s = LockTable.state(k)
    if s.holder == LockTable.me() {
        LockTable.setCount(k, s.count + 1)
        return Int32(s.count + 1)
    }
    guard Exclusion.tryAcquire(k) else { return 0 }
    LockTable.setCount(k, 1)
    return 1
}

// Fortran entry points: the lock is passed by reference, as in C.
@_cdecl("omp_init_lock_") public func omp_init_lock_(_ l: UnsafeMutableRawPointer?) { omp_init_lock(l) }
@_cdecl("omp_destroy_lock_") public func omp_destroy_lock_(_ l: UnsafeMutableRawPointer?) { omp_destroy_lock(l) }
@_cdecl("omp_set_lock_") public func omp_set_lock_(_ l: UnsafeMutableRawPointer?) { omp_set_lock(l) }
@_cdecl("omp_unset_lock_") public func omp_unset_lock_(_ l: UnsafeMutableRawPointer?) { omp_unset_lock(l) }
@_cdecl("omp_test_lock_") public func omp_test_lock_(_ l: UnsafeMutableRawPointer?) -> Int32 { omp_test_lock(l) }
@_cdecl("omp_init_nest_lock_") public func omp_init_nest_lock_(_ l: UnsafeMutableRawPointer?) { omp_init_nest_lock(l) }
@_cdecl("omp_destroy_nest_lock_") public func omp_destroy_nest_lock_(_ l: UnsafeMutableRawPointer?) { omp_destroy_nest_lock(l) }
@_cdecl("omp_set_nest_lock_") public func omp_set_nest_lock_(_ l: UnsafeMutableRawPointer?) { omp_set_nest_lock(l) }
@_cdecl("omp_unset_nest_lock_") public func omp_unset_nest_lock_(_ l: UnsafeMutableRawPointer?) { omp_unset_nest_lock(l) }
@_cdecl("omp_test_nest_lock_") public func omp_test_nest_lock_(_ l: UnsafeMutableRawPointer?) -> Int32 { omp_test_nest_lock(l) }
