// Mutual exclusion for a team spread over ranks: `critical` (named or not), GOMP_atomic_start/end
// (gcc's fallback for atomics and for combining several reductions) and the OpenMP locks.
//
// Lock state never lives in the program's memory (a lock word there would be a write like any
// other, and two ranks taking the lock would conflict). It lives in a table keyed by the lock's
// address, the same on every rank: in the memory the ranks of a host share while a region runs,
// and in a table of the rank's own for sequential code, where every rank runs alone.
//
// What the holder writes must be visible to the next holder before it enters, as on shared memory:
// the protected code is a section (see Sections.swift), whose writes travel through the section
// log. Page tracking tells sections apart per process, so one local thread of a rank is inside a
// section at a time (a rank-local mutex, taken before the team-wide lock); a section inside a
// section publishes what the outer one wrote so far at every inner acquire and release.
import CCapeShim
import CCapeSys
import Glibc

enum LockTable {
    static let entries = 4096
    static let entryWords = 2 // key (u64), then lock word (u32) and nest count (u32)
    static let bytes = entries * entryWords * 8
    nonisolated(unsafe) static var shared: UnsafeMutablePointer<UInt64>?
    nonisolated(unsafe) static var local: UnsafeMutablePointer<UInt64>?

    static let unnamedCritical: UInt = 1
    static let atomicBlock: UInt = 2
    static let atomicInstruction: UInt = 3

    /// The table that serves the calling thread: the team-wide one inside a region.
    static func table() -> UnsafeMutablePointer<UInt64> {
        Region.running ? shared! : local!
    }

    /// The entry of the lock at `key`, created unlocked on first use.
    static func entry(_ key: UInt) -> (word: UnsafeMutablePointer<UInt32>, count: UnsafeMutablePointer<UInt32>) {
        if Region.tracking && !SectionLog.active {
            // Ranks on several hosts share no memory for lock words and the section log.
            fatal("critical sections, locks and atomics inside a region are not supported yet when the ranks run on several hosts (run the ranks on one host)")
        }
        let t = table()
        var h = UInt64(key) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        var i = Int(h % UInt64(entries))
        for _ in 0..<entries {
            let k = t + i * entryWords
            var current = cape_load_acquire_u64(k)
            if current == 0 && cape_cas_u64(k, &current, UInt64(key)) != 0 { current = UInt64(key) }
            if current == UInt64(key) {
                let w = UnsafeMutableRawPointer(k + 1).assumingMemoryBound(to: UInt32.self)
                return (w, w + 1)
            }
            i = (i + 1) % entries
        }
        fatal("more than \(entries) distinct locks and named critical sections are in use (destroy unused locks)")
    }

    /// Identity of the calling task, unique over all ranks, never 0 (0 is "free"): the thread, and
    /// the nesting level of its implicit task (a nest lock belongs to a task: a serialized region's
    /// task does not own what the code around it holds).
    static func me() -> UInt32 {
        let t = cape_self()!.pointee
        let local = UInt32(truncatingIfNeeded: Int(t.local_index) + 1) & 0xff
        let level = UInt32(truncatingIfNeeded: t.level) & 0xff
        return 0x8000_0000 | UInt32(truncatingIfNeeded: Runtime.rank & 0x7fff) << 16 | local << 8 | level
    }

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

    /// Waits until `word` looks free, holding nothing: the rank's section mutex is held only while
    /// protected code runs, never while waiting for a team-wide lock (whose holder may be a local
    /// thread that needs the mutex to release it).
    private static func waitFree(_ word: UnsafeMutablePointer<UInt32>) {
        var spins = 0
        while true {
            let v = cape_load_acquire_u32(word)
            if v == 0 { return }
            if spins < 200 { spins += 1; cape_cpu_relax(); continue }
            _ = cape_futex_wait(word, v, 5)
        }
    }

    /// Enters a section: the team-wide lock `word` (nil: the caller already holds its turn, as for
    /// ordered blocks) and the rank's section mutex, then catches up with the log.
    static func acquire(_ word: UnsafeMutablePointer<UInt32>?) {
        let me = LockTable.me()
        guard tracked else {
            if let word { LockTable.lock(word, me) }
            return
        }
        if nested {
            SectionLog.leave()
            if let word { LockTable.lock(word, me) }
            depth += 1
            SectionLog.enter()
            return
        }
        let id = localId()
        while true {
            if let word { waitFree(word) }
            LockTable.lock(owner, id)
            if word == nil || LockTable.tryLock(word!, me) { break }
            LockTable.unlock(owner)
        }
        depth = 1
        SectionLog.enter()
    }

    /// Like acquire, but gives up at once when `word` is taken.
    static func tryAcquire(_ word: UnsafeMutablePointer<UInt32>) -> Bool {
        let me = LockTable.me()
        guard tracked else { return LockTable.tryLock(word, me) }
        if nested {
            guard LockTable.tryLock(word, me) else { return false }
            SectionLog.leave()
            depth += 1
            SectionLog.enter()
            return true
        }
        if cape_load_acquire_u32(word) != 0 { return false }
        LockTable.lock(owner, localId())
        guard LockTable.tryLock(word, me) else {
            LockTable.unlock(owner)
            return false
        }
        depth = 1
        SectionLog.enter()
        return true
    }

    /// Leaves a section: its writes go to the log before `word` is released.
    static func release(_ word: UnsafeMutablePointer<UInt32>?) {
        guard tracked, nested else {
            if let word { LockTable.unlock(word) }
            return
        }
        SectionLog.leave()
        if let word { LockTable.unlock(word) }
        depth -= 1
        if depth > 0 {
            SectionLog.enter()
        } else {
            LockTable.unlock(owner)
        }
    }

    /// A thread that holds a lock may meet a barrier: the barrier needs its siblings, which may need
    /// the section mutex. Its section so far is published and the mutex left for the barrier.
    static func suspend() -> Int {
        guard tracked, nested else { return 0 }
        SectionLog.leave()
        let d = depth
        depth = 0
        LockTable.unlock(owner)
        return d
    }

    static func resume(_ d: Int) {
        guard d > 0 else { return }
        LockTable.lock(owner, localId())
        depth = d
        SectionLog.enter()
    }
}

@inline(__always) private func enter() { cape_self()!.pointee.rt_depth += 1 }
@inline(__always) private func leave() { cape_self()!.pointee.rt_depth -= 1 }

// ---- critical and atomic blocks ----

@_cdecl("GOMP_critical_start") public func GOMP_critical_start() {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.entry(LockTable.unnamedCritical).word)
}

@_cdecl("GOMP_critical_end") public func GOMP_critical_end() {
    enter(); defer { leave() }
    Exclusion.release(LockTable.entry(LockTable.unnamedCritical).word)
}

/// `pptr` is the program's `.gomp_critical_user_<name>` variable: its address names the section.
@_cdecl("GOMP_critical_name_start") public func GOMP_critical_name_start(_ pptr: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.entry(UInt(bitPattern: pptr)).word)
}

@_cdecl("GOMP_critical_name_end") public func GOMP_critical_name_end(_ pptr: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.release(LockTable.entry(UInt(bitPattern: pptr)).word)
}

@_cdecl("GOMP_atomic_start") public func GOMP_atomic_start() {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.entry(LockTable.atomicBlock).word)
}

@_cdecl("GOMP_atomic_end") public func GOMP_atomic_end() {
    enter(); defer { leave() }
    Exclusion.release(LockTable.entry(LockTable.atomicBlock).word)
}

// ---- inline atomic instructions (Sources/CCapeShim/atomics.c), called from the SIGTRAP handler ----

@_cdecl("cape_swift_atomic_begin") func capeSwiftAtomicBegin() -> Int32 {
    guard Region.tracking else { return 0 }
    Exclusion.acquire(LockTable.entry(LockTable.atomicInstruction).word)
    return 1
}

@_cdecl("cape_swift_atomic_end") func capeSwiftAtomicEnd() {
    cape_self()!.pointee.rt_depth += 1
    Exclusion.release(LockTable.entry(LockTable.atomicInstruction).word)
    cape_self()!.pointee.rt_depth -= 1
}

// ---- OpenMP locks ----

private func key(_ lock: UnsafeMutableRawPointer?) -> UInt {
    guard let lock else { fatal("an omp lock routine was called with a null lock (initialize the lock first)") }
    return UInt(bitPattern: lock)
}

@_cdecl("omp_init_lock") public func omp_init_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    let e = LockTable.entry(key(lock))
    cape_store_release_u32(e.word, 0)
    cape_store_release_u32(e.count, 0)
}

@_cdecl("omp_destroy_lock") public func omp_destroy_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }

@_cdecl("omp_set_lock") public func omp_set_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.acquire(LockTable.entry(key(lock)).word)
}

@_cdecl("omp_unset_lock") public func omp_unset_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    Exclusion.release(LockTable.entry(key(lock)).word)
}

@_cdecl("omp_test_lock") public func omp_test_lock(_ lock: UnsafeMutableRawPointer?) -> Int32 {
    enter(); defer { leave() }
    return Exclusion.tryAcquire(LockTable.entry(key(lock)).word) ? 1 : 0
}

@_cdecl("omp_init_nest_lock") public func omp_init_nest_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }
@_cdecl("omp_destroy_nest_lock") public func omp_destroy_nest_lock(_ lock: UnsafeMutableRawPointer?) { omp_init_lock(lock) }

@_cdecl("omp_set_nest_lock") public func omp_set_nest_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    let e = LockTable.entry(key(lock))
    if cape_load_acquire_u32(e.word) == LockTable.me() {
        e.count.pointee += 1
        return
    }
    Exclusion.acquire(e.word)
    e.count.pointee = 1
}

@_cdecl("omp_unset_nest_lock") public func omp_unset_nest_lock(_ lock: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    let e = LockTable.entry(key(lock))
    guard cape_load_acquire_u32(e.word) == LockTable.me() else { return }
    e.count.pointee -= 1
    if e.count.pointee == 0 { Exclusion.release(e.word) }
}

@_cdecl("omp_test_nest_lock") public func omp_test_nest_lock(_ lock: UnsafeMutableRawPointer?) -> Int32 {
    enter(); defer { leave() }
    let e = LockTable.entry(key(lock))
    if cape_load_acquire_u32(e.word) == LockTable.me() {
        e.count.pointee += 1
        return Int32(e.count.pointee)
    }
    guard Exclusion.tryAcquire(e.word) else { return 0 }
    e.count.pointee = 1
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
