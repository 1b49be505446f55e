// The local threads of a rank: a pool of workers on runtime-owned stacks that run their share of
// each region; the master runs its own share on its region stack.
import CCapeShim
import CCapeSys
import Glibc

final class Pool: @unchecked Sendable {
    static let shared = Pool()

    private(set) var workers = 0
    private let generation = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private let remaining = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private var fn: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    private var data: UnsafeMutableRawPointer?
    private var base = 0
    private var teamSize = 1
    private(set) var local = 0
    private var preset: cape_ws_preset_t?

    private init() {
        generation.initialize(to: 0)
        remaining.initialize(to: 0)
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
            cape_store_release_u32(remaining, UInt32(local - 1))
            cape_store_release_u32(generation, cape_load_acquire_u32(generation) &+ 1)
            cape_futex_wake_private(generation, Int32.max)
        }
    }

    /// Waits until every worker share of the current region has returned.
    func join() {
        guard local > 1 else { return }
        var spins = 0
        while true {
            let r = cape_load_acquire_u32(remaining)
            if r == 0 { break }
            if spins < 4000 { spins += 1; cape_cpu_relax(); continue }
            _ = cape_futex_wait_private(remaining, r, -1)
        }
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
                                         top_thread_num: 0, top_team_size: 1, nest: nil, nest_thread_num: 0)

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
            var spins = 0
            while true {
                let g = cape_load_acquire_u32(generation)
                if g != seen { seen = g; break }
                if spins < 2000 { spins += 1; cape_cpu_relax(); continue }
                _ = cape_futex_wait_private(generation, g, -1)
            }
            guard index < local else { continue }
            enterShare(index)
            cape_call_clean(fn!, data)
            leaveShare()
            if cape_fetch_add_u32(remaining, UInt32.max) == 1 { cape_futex_wake_private(remaining, 1) }
        }
    }
}

private func workerMain(_ arg: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let a = Int(bitPattern: arg)
    Pool.shared.workerLoop(a & 0xFFFF, generation: UInt32(truncatingIfNeeded: a >> 16))
}
