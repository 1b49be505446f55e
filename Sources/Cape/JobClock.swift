// The job's clock: in sequential code every rank reads rank 0's clock (why: Sources/CCapeShim/clock.c).
//
// Rank 0 reads its clock and publishes the reading in a ring of what the ranks share; the others
// take it by number (the n-th reading of sequential code is rank 0's n-th, since every rank runs
// the same sequential code). Rank 0 runs at most CAPE_CLOCK_RING readings ahead of the slowest
// rank. On rank 0's host a reading costs the rank a few loads and stores of shared memory. Away
// from it, a take is a round trip through the proxies that also brings back the whole ring: the
// readings rank 0 has published meanwhile are then taken from the rank's own copy, and only the
// next missing one costs a round trip again (which also tells rank 0 how far this rank has got).
import CCapeShim
import CCapeSys
import Glibc

enum JobClock {
    /// Readings taken by this rank's sequential code so far.
    nonisolated(unsafe) private static var taken: UInt64 = 0

    /// Called once at start, on the initial thread, when the job has several ranks.
    static func enable() {
        guard Runtime.distributed else { return }
        if Runtime.size > Int(CAPE_CLOCK_MAX_RANKS) {
            trace(1, "more than \(CAPE_CLOCK_MAX_RANKS) ranks: each rank reads its own clock")
            return
        }
        cape_clock_enable { clock, ts in JobClock.read(clock, ts!) }
    }

    /// One reading of sequential code: rank 0's value of clock `clock`.
    static func read(_ clock: Int32, _ ts: UnsafeMutablePointer<timespec>) -> Int32 {
        // Every rank reads its own clock first, so a clock that does not exist fails the same way
        // everywhere without taking a number.
        if cape_clock_raw(clock, ts) != 0 { return -1 }
        return asRuntime {
            let seq = taken
            taken += 1
            if Runtime.rank == 0 {
                var spins = 0
                while cape_shared_clock_publish(SharedState.base, seq, UInt64(clock), Int64(ts.pointee.tv_sec),
                                                Int64(ts.pointee.tv_nsec), UInt32(Runtime.size)) != 0 {
                    pause(&spins)
                }
                return 0
            }
            var sec: Int64 = 0, nsec: Int64 = 0
            if !SharedState.home && cape_shared_clock_copy(SharedState.base, seq, UInt64(clock), &sec, &nsec) != 0 {
                ts.pointee.tv_sec = Int(sec)
                ts.pointee.tv_nsec = Int(nsec)
                return 0
            }
            var spins = 0
            var backoff = SharedState.Backoff()
            while true {
                let r = SharedState.perform(CAPE_SH_CLOCK_TAKE, seq, UInt64(Runtime.rank), UInt64(clock))
                if r.0 == .max - 1 {
                    fatal("the ranks diverged: reading \(seq + 1) of the clock by sequential code was of clock \(clock) on rank \(Runtime.rank) and of another clock on rank 0 (make sequential code take the same path on every rank)")
                }
                if r.0 != .max {
                    ts.pointee.tv_sec = Int(r.0)
                    ts.pointee.tv_nsec = Int(r.1)
                    return 0
                }
                if SharedState.home { pause(&spins) } else { backoff.pause() }
            }
        }
    }

    /// Waiting on the home memory for a reading or a free ring entry: spin briefly, then yield the
    /// core, then sleep (the peer may need this very core to get there).
    private static func pause(_ spins: inout Int) {
        spins += 1
        if spins < 200 { cape_cpu_relax() } else if spins < 400 { sched_yield() } else { usleep(20) }
    }

    /// omp_get_wtime: the job's monotonic clock in sequential code, the thread's own in regions.
    static func wtime() -> Double {
        var ts = timespec()
        if cape_clock_sequential() != 0 { _ = read(CLOCK_MONOTONIC, &ts) } else { _ = cape_clock_raw(CLOCK_MONOTONIC, &ts) }
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
