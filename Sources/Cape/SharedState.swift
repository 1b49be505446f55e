// What the ranks share: chunk counters, ordered turns, lock words and the section log. One
// contract (include/cape_shared.h) with two implementations behind this one interface:
//  - on rank 0's host, the ranks map one memory and operate on it directly (an atomic instruction
//    per chunk claim, futexes for waiting), as libgomp does on one machine;
//  - on any other host, each operation is a request that the rank's proxy carries to rank 0's
//    proxy, which performs it on the home memory with the same C functions (Sources/CCapeSys/shared.c).
// So ranks of the home host never pay for a message, and only what crosses hosts goes through MPI.
// Waiting is a loop of attempts: futex sleeps at home, sleeps with back-off elsewhere (a waiting
// remote thread costs one round trip per attempt and holds nothing at home).
import CCapeShim
import CCapeSys
import Glibc

enum SharedState {
    /// The region, at the same address on every rank. On the home host it is the memory the ranks
    /// share; elsewhere it is the rank's own, where only the log's copy is used.
    nonisolated(unsafe) static var base: UnsafeMutableRawPointer?
    /// This rank runs on rank 0's host: operations act on `base` directly.
    nonisolated(unsafe) static var home = true
    /// Hosts the job spans.
    nonisolated(unsafe) static var hosts = 1

    static func word(_ offset: UInt64) -> UnsafeMutablePointer<UInt64> {
        (base! + Int(offset)).assumingMemoryBound(to: UInt64.self)
    }

    /// One operation, performed where the state lives. `entry`: a log append's entry (remote: it
    /// must be at the start of the channel's data area).
    static func perform(_ op: cape_shared_op, _ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0,
                        entry: UnsafeRawPointer? = nil) -> (UInt64, UInt64) {
        if home {
            var q = cape_shared_request_t(op: op.rawValue, slot: 0, a: a, b: b, c: c, d: d)
            var r = cape_shared_answer_t()
            if cape_shared_execute(base, &q, &r, entry) != 0 { failed(op) }
            return (r.r0, r.r1)
        }
        let r = Runtime.channel!.shared(op, a, b, c, d)
        if op.rawValue >= CAPE_SH_LOCK_TRY.rawValue && op.rawValue <= CAPE_SH_LOCK_RESET.rawValue && r.0 == .max { failed(op) }
        return r
    }

    /// Away from rank 0's host: starts `op` and returns at once; `collect` gives its answer.
    static func prefetch(_ op: cape_shared_op, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        Runtime.channel!.prefetch(op, a, b, c, d)
    }

    static func collect() -> (UInt64, UInt64) { Runtime.channel!.collect() }

    private static func failed(_ op: cape_shared_op) -> Never {
        fatalEverywhere("more than \(CAPE_LOCK_ENTRIES) distinct locks and named critical sections are in use (destroy unused locks)")
    }

    /// Sleeps between two attempts of a remote wait: 20 us, doubling to 500 us (an attempt is a
    /// round trip of about 100-300 us here, so longer sleeps would mostly add latency).
    struct Backoff {
        private var micros: UInt32 = 20
        mutating func pause() {
            usleep(micros)
            micros = min(micros * 2, 500)
        }
    }

    // ---- counters and ordered turns ----

    static func fetchAdd(_ offset: UInt64, _ delta: UInt64) -> UInt64 {
        if home { return cape_fetch_add_u64(word(offset), delta) }
        return perform(CAPE_SH_FETCH_ADD, offset, delta).0
    }

    /// A guided schedule's next claim from the counter at `offset`: nil when none is left.
    static func guided(_ offset: UInt64, n: UInt64, teamSize: UInt64, chunk: UInt64) -> (lo: UInt64, hi: UInt64)? {
        let r = perform(CAPE_SH_GUIDED, offset, n, teamSize, chunk)
        return r.0 == .max ? nil : (r.0, r.1)
    }

    /// Waits until the u64 at `offset` holds `value`.
    static func wait(_ offset: UInt64, for value: UInt64) {
        if home {
            let w = word(offset)
            var spins = 0
            while true {
                let v = cape_load_acquire_u64(w)
                if v == value { return }
                if spins < 1000 { spins += 1; cape_cpu_relax(); continue }
                _ = cape_futex_wait(UnsafeMutableRawPointer(w).assumingMemoryBound(to: UInt32.self), UInt32(truncatingIfNeeded: v), 10)
            }
        }
        var backoff = Backoff()
        while perform(CAPE_SH_LOAD, offset).0 != value { backoff.pause() }
    }

    /// Stores `value` at `offset` and wakes the home host's waiters.
    static func store(_ offset: UInt64, _ value: UInt64) {
        _ = perform(CAPE_SH_STORE, offset, value)
    }

    /// Rank 0, when no rank can use them: zeroes `bytes` at `offset`.
    static func clear(_ offset: UInt64, bytes: Int) {
        memset(base! + Int(offset), 0, bytes)
    }
}
