// The local threads of a rank: a pool of workers on runtime-owned stacks that run their share of
// each region; the master runs its own share on its region stack.
import CCapeShim
import CCapeSys
import Glibc

/// Waits among this process's threads until the word at `w` no longer holds `value`: a short spin
/// (the writer is usually about to), then the futex. Returns the value found.
@discardableResult
func awaitChange(_ w: UnsafeMutablePointer<UInt32>, from value: UInt32, spins: Int = 2000) -> UInt32 {
    var n = 0
    while true {
        let v = cape_load_acquire_u32(w)
        if v != value { return v }
        if n < spins { n += 1; cape_cpu_relax(); continue }
        _ = cape_futex_wait_private(w, value, -1)
    }
}

/// A barrier of threads of this process: the last of `count` arrivals runs `last` while the others
/// wait for it.
struct ThreadBarrier {
    private let arrived = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private let released = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)

    init() {
        arrived.initialize(to: 0)
        released.initialize(to: 0)
    }

    func deallocate() { arrived.deallocate(); released.deallocate() }

    func arrive(count: Int, spins: Int = 2000, last: () -> Void) {
        let gen = cape_load_acquire_u32(released)
        if cape_fetch_add_u32(arrived, 1) == UInt32(count - 1) {
            cape_store_release_u32(arrived, 0)
            last()
            cape_store_release_u32(released, gen &+ 1)
            cape_futex_wake_private(released, Int32.max)
        } else {
            awaitChange(released, from: gen, spins: spins)
        }
    }
}

/// Threads still running a share, which one thread waits for.
struct Countdown {
    private let word = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)

    init() { word.initialize(to: 0) }

    func deallocate() { word.deallocate() }

    func start(_ n: Int) { cape_store_release_u32(word, UInt32(n)) }

    func done() { if cape_fetch_add_u32(word, UInt32.max) == 1 { cape_futex_wake_private(word, 1) } }

    func wait(spins: Int = 2000) {
        var r = cape_load_acquire_u32(word)
        while r != 0 { r = awaitChange(word, from: r, spins: spins) }
    }
}

final class Pool: @unchecked Sendable {
    static let shared = Pool()

    private(set) var workers = 0
    private let generation = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private let remaining = Countdown()
    private var fn: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    private var data: UnsafeMutableRawPointer?
    private var base = 0
    private var teamSize = 1
    private(set) var local = 0
    private var preset: cape_ws_preset_t?

    private init() {
        generation.initialize(to: 0)
    }

    private func ensure(workers n: Int) {
        if n > Runtime.maxLocalThreads - 1 - NestedPool.threads {
            fatalEverywhere("a rank cannot host more than \(Runtime.maxLocalThreads) threads (lower num_threads or CAPE_THREADS_PER_RANK)")
        }
        while workers < n {
            let index = workers + 1
            // The worker starts from the generation current now: a region dispatched before it first
            // runs must not be missed.
            let arg = index | Int(cape_load_acquire_u32(generation)) << 16
            let rc = cape_thread_spawn(workerMain, UnsafeMutableRawPointer(bitPattern: arg), Runtime.stack(index), Runtime.stackBytes)
            if rc != 0 { fatal("cannot start local thread \(index): \(String(cString: strerror(rc)))") }
            workers += 1
        }
    }

    /// Starts `local` shares of fn(data): the workers run shares 1..<local, the caller runs share 0.
    func dispatch(fn: @escaping @convention(c) (UnsafeMutableRawPointer?) -> Void, data: UnsafeMutableRawPointer?,
                  base: Int, teamSize: Int, local: Int, preset: cape_ws_preset_t?) {
        ensure(workers: local - 1)
        self.preset = preset
        self.fn = fn
        self.data = data
        self.base = base
        self.teamSize = teamSize
        self.local = local
        if local > 1 {
            remaining.start(local - 1)
            cape_store_release_u32(generation, cape_load_acquire_u32(generation) &+ 1)
            cape_futex_wake_private(generation, Int32.max)
        }
    }

    /// Waits until every worker share of the current region has returned.
    func join() {
        guard local > 1 else { return }
        remaining.wait(spins: 4000)
    }

    /// Runs share `index` of the current region on the calling thread.
    func runShare(_ index: Int) {
        enterShare(index)
        cape_call_clean(fn!, data)
        leaveShare()
    }

    private var saved = cape_thread_t()
    /// A worker's state between regions.
    static let idleState = cape_thread_t(rt_depth: 1, thread_num: 0, team_size: 1, level: 0, active_level: 0, local_index: -1,
                                         top_thread_num: 0, top_team_size: 1, nest: nil, nest_thread_num: 0, flush_idle: 0, flush_end: 0)

    /// The old ABI runs the master's share in the caller: set up its thread state and return.
    func enterShare(_ index: Int) {
        let t = cape_self()!
        if index == 0 { saved = t.pointee }
        let outer = index == 0 ? saved : Pool.idleState
        t.pointee.thread_num = Int32(base + index)
        t.pointee.team_size = Int32(teamSize)
        t.pointee.level = outer.level + 1
        t.pointee.active_level = outer.active_level + (teamSize > 1 ? 1 : 0)
        t.pointee.local_index = Int32(index)
        if outer.level == 0 {
            t.pointee.top_thread_num = Int32(base + index)
            t.pointee.top_team_size = Int32(teamSize)
        }
        Work.enterShare(preset)
        t.pointee.rt_depth = index == 0 ? outer.rt_depth - 1 : 0
    }

    func leaveShare() {
        cape_tasks_settle_barrier()
        let t = cape_self()!
        if t.pointee.local_index == 0 {
            t.pointee = saved
        } else {
            t.pointee = Pool.idleState
        }
    }

    fileprivate func workerLoop(_ index: Int, generation first: UInt32) -> Never {
        cape_self()!.pointee.rt_depth = 1
        var seen = first
        while true {
            seen = awaitChange(generation, from: seen)
            guard index < local else { continue }
            enterShare(index)
            cape_call_clean(fn!, data)
            leaveShare()
            remaining.done()
        }
    }
}

private func workerMain(_ arg: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let a = Int(bitPattern: arg)
    Pool.shared.workerLoop(a & 0xFFFF, generation: UInt32(truncatingIfNeeded: a >> 16))
}
