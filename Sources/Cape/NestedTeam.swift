// Nested parallel regions where nesting is enabled (max-active-levels-var above the active level):
// a real inner team, made of threads of the encountering thread's rank.
//
// The outermost region stays the one spread over the ranks. An inner team's threads write the
// rank's memory like any other thread of the rank, so what they write joins the rank's diff at the
// outer team's next sync point. Everything the inner team's own constructs share is in this
// process and needs no exchange: its barrier, the counters of its dynamic and guided loops and
// sections, its ordered turn, which thread runs a single block, the copyprivate data. Mutual
// exclusion (critical, atomic, locks) stays team-wide: on one machine it binds every thread of the
// program, whatever team it is in.
//
// Inner threads come from a pool of their own, at local indices counted down from the top
// (Runtime.maxLocalThreads - 1, ...), while the outer team's workers count up from 1.
import CCapeShim
import CCapeSys
import Glibc

final class NestedTeam: @unchecked Sendable {
    let size: Int
    let level: Int32
    let activeLevel: Int32
    let top: (num: Int32, size: Int32)
    /// What omp_get_ancestor_thread_num and omp_get_team_size give for levels 0..<level.
    let ancestors: [(num: Int32, size: Int32)]
    /// The ICVs each implicit task of the team starts with.
    let icvs: TaskICVs
    private let fn: OutlinedFn
    private let data: UnsafeMutableRawPointer?
    private let preset: cape_ws_preset_t?

    private let gate = ThreadBarrier()
    /// Members other than the master still running.
    private let running = Countdown()
    /// The team's sync points so far; written only by the last arrival of a barrier.
    private(set) var epoch: UInt64 = 0
    /// copyprivate: the executing thread's data block, for the barrier that follows.
    var copy: UnsafeMutableRawPointer?

    /// Counters of worksharing constructs: two banks of `slots` slots of two words (the counter and
    /// the ordered turn), used in alternate epochs as the outer team's (Worksharing.swift).
    static let slots = 64
    private let counters = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * NestedTeam.slots * 2)

    init(size: Int, parent: cape_thread_t, icvs: TaskICVs, fn: OutlinedFn, data: UnsafeMutableRawPointer?, preset: cape_ws_preset_t?) {
        self.size = size
        level = parent.level + 1
        activeLevel = parent.active_level + 1
        top = (parent.top_thread_num, parent.top_team_size)
        ancestors = (0..<level).map { (omp_get_ancestor_thread_num($0), omp_get_team_size($0)) }
        self.icvs = icvs
        self.fn = fn
        self.data = data
        self.preset = preset
        running.start(size - 1)
        counters.initialize(repeating: 0, count: 2 * NestedTeam.slots * 2)
    }

    deinit {
        gate.deallocate(); running.deallocate(); counters.deallocate()
    }

    /// The team the calling thread is in at its current level, if that level is such a team's.
    static func current() -> NestedTeam? {
        let t = cape_self()!.pointee
        guard let p = t.nest else { return nil }
        let team = Unmanaged<NestedTeam>.fromOpaque(p).takeUnretainedValue()
        return team.level == t.level ? team : nil
    }

    /// Threads of nested teams running on this rank besides their masters (a flush under the
    /// mprotect tracker needs to know that a rank runs several threads).
    private static let extraThreads: UnsafeMutablePointer<UInt32> = { let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 1); p.initialize(to: 0); return p }()
    static var running: Int { Int(cape_load_acquire_u32(extraThreads)) }

    /// Runs the region with `size` threads: the caller is thread 0, pool threads the others.
    static func run(_ fn: OutlinedFn, _ data: UnsafeMutableRawPointer?, size: Int, preset: cape_ws_preset_t?) {
        let t = cape_self()!
        let saved = t.pointee
        let list = OMPEnvironment.shared.numThreads
        var icvs = ICV.current()
        let level = Int(saved.level) + 1
        if level < list.count { icvs.nthreads = list[level] }
        let team = NestedTeam(size: size, parent: saved, icvs: icvs, fn: fn, data: data, preset: preset)
        _ = cape_fetch_add_u32(extraThreads, UInt32(size - 1))
        defer { _ = cape_fetch_add_u32(extraThreads, 0 &- UInt32(size - 1)) }
        let members = NestedPool.take(size - 1)
        for (k, index) in members.enumerated() { NestedPool.start(index, team: team, member: k + 1) }
        team.enter(member: 0, localIndex: Int(saved.local_index))
        t.pointee.rt_depth = saved.rt_depth - 1
        cape_call_clean(fn, data)
        t.pointee.rt_depth = saved.rt_depth
        cape_tasks_settle_barrier()
        team.join()
        t.pointee = saved
    }

    /// Sets up the calling thread as member `member` of the team.
    fileprivate func enter(member: Int, localIndex: Int) {
        let t = cape_self()!
        t.pointee.thread_num = Int32(member)
        t.pointee.team_size = Int32(size)
        t.pointee.level = level
        t.pointee.active_level = activeLevel
        t.pointee.local_index = Int32(localIndex)
        t.pointee.top_thread_num = top.num
        t.pointee.top_team_size = top.size
        t.pointee.nest = Unmanaged.passUnretained(self).toOpaque()
        t.pointee.nest_thread_num = Int32(member)
        ICV.enterNested(member == 0 ? nil : icvs)
        // The team's epochs start from 0: forget a construct count left by an earlier team.
        Work.frame().pointee.epoch = .max
        Work.enterShare(preset)
    }

    /// A pool thread's share of the region.
    fileprivate func runMember(_ member: Int, localIndex: Int) {
        let t = cape_self()!
        enter(member: member, localIndex: localIndex)
        t.pointee.rt_depth = 0
        cape_call_clean(fn, data)
        t.pointee.rt_depth = 1
        cape_tasks_settle_barrier()
        t.pointee = Pool.idleState
    }

    fileprivate func memberDone() { running.done() }

    /// The region's end: the master waits for the other members (their implicit barrier).
    private func join() { running.wait() }

    /// The team's barrier. The last arrival starts the next epoch and clears the counter bank the
    /// epoch after it uses (no thread can be in that one yet, nor still in the one before).
    func barrier() {
        gate.arrive(count: size) {
            epoch &+= 1
            let bank = Int((epoch + 1) % 2)
            (counters + bank * NestedTeam.slots * 2).update(repeating: 0, count: NestedTeam.slots * 2)
        }
    }

    /// The counter of the k-th worksharing construct of the current epoch, as an address.
    func counter(_ k: Int) -> UInt64 {
        if k >= NestedTeam.slots {
            fatal("more than \(NestedTeam.slots) worksharing constructs of a nested team ran between two barriers (add a barrier, or remove a nowait)")
        }
        return UInt64(UInt(bitPattern: counters + (Int(epoch % 2) * NestedTeam.slots + k) * 2))
    }
}

/// The counters of a nested team's constructs: words of this process, at the addresses
/// NestedTeam.counter gives (the outer team's go through SharedState).
enum LocalCounter {
    private static func word(_ a: UInt64) -> UnsafeMutablePointer<UInt64> { UnsafeMutablePointer(bitPattern: UInt(a))! }

    static func fetchAdd(_ a: UInt64, _ v: UInt64) -> UInt64 { cape_fetch_add_u64(word(a), v) }

    /// libgomp's guided step: a share of what is left, at least the chunk.
    static func guided(_ a: UInt64, n: UInt64, teamSize: UInt64, chunk: UInt64) -> (lo: UInt64, hi: UInt64)? {
        let w = word(a)
        var cur = cape_load_acquire_u64(w)
        while true {
            if cur >= n { return nil }
            let left = n - cur
            let part = max((left + teamSize - 1) / teamSize, chunk)
            let hi = part <= left ? cur + part : n
            if cape_cas_u64(w, &cur, hi) != 0 { return (cur, hi) }
        }
    }

    static func wait(_ a: UInt64, for value: UInt64) {
        let w = word(a)
        var spins = 0
        while cape_load_acquire_u64(w) != value {
            if spins < 2000 { spins += 1; cape_cpu_relax(); continue }
            sched_yield()
        }
    }

    static func store(_ a: UInt64, _ value: UInt64) { cape_store_release_u64(word(a), value) }
}

/// The threads of nested teams. Each waits on its mailbox for a team and a member number.
enum NestedPool {
    private struct Mailbox { var seq: UInt32 = 0; var team: UnsafeMutableRawPointer?; var member = 0 }
    nonisolated(unsafe) private static let boxes: UnsafeMutablePointer<Mailbox> = {
        let p = UnsafeMutablePointer<Mailbox>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: Mailbox(), count: Runtime.maxLocalThreads + 1)
        return p
    }()
    /// Threads started so far; their local indices are maxLocalThreads - 1 down to maxLocalThreads - threads.
    nonisolated(unsafe) private(set) static var threads = 0
    nonisolated(unsafe) private static var idle: [Int] = []
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// Local indices of `n` idle pool threads, starting threads as needed.
    static func take(_ n: Int) -> [Int] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var out: [Int] = []
        while out.count < n {
            if let i = idle.popLast() { out.append(i); continue }
            let index = Runtime.maxLocalThreads - 1 - threads
            if index <= Pool.shared.workers {
                fatal("a rank cannot host more than \(Runtime.maxLocalThreads) threads, nested teams included (lower num_threads of the nested regions)")
            }
            let rc = cape_thread_spawn(nestedWorkerMain, UnsafeMutableRawPointer(bitPattern: index), Runtime.stack(index), Runtime.stackBytes)
            if rc != 0 { fatal("cannot start a thread for a nested team: \(String(cString: strerror(rc)))") }
            threads += 1
            out.append(index)
        }
        return out
    }

    static func start(_ index: Int, team: NestedTeam, member: Int) {
        let b = boxes + index
        b.pointee.team = Unmanaged.passUnretained(team).toOpaque()
        b.pointee.member = member
        withUnsafeMutablePointer(to: &b.pointee.seq) {
            cape_store_release_u32($0, cape_load_acquire_u32($0) &+ 1)
            cape_futex_wake_private($0, 1)
        }
    }

    private static func giveBack(_ index: Int) {
        pthread_mutex_lock(lock)
        idle.append(index)
        pthread_mutex_unlock(lock)
    }

    fileprivate static func loop(_ index: Int) -> Never {
        cape_self()!.pointee.rt_depth = 1
        let b = boxes + index
        var seen: UInt32 = 0
        while true {
            seen = withUnsafeMutablePointer(to: &b.pointee.seq) { awaitChange($0, from: seen) }
            let team = Unmanaged<NestedTeam>.fromOpaque(b.pointee.team!).takeUnretainedValue()
            team.runMember(b.pointee.member, localIndex: index)
            giveBack(index)
            team.memberDone()
        }
    }
}

private func nestedWorkerMain(_ arg: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    NestedPool.loop(Int(bitPattern: arg))
}
