// The exchange of a sync point when every rank runs on this one host: the segments travel through
// the memory the ranks already share (include/cape_shared.h, "exchange") instead of through the
// proxies. Handing a segment to the proxy and its answer back costs two wake-ups per rank; with
// more processes than cores (two ranks and two proxies on two cores) each is a context switch,
// and an empty barrier's exchange took about 21 us here against 1-3 us for MPI's own 8-byte
// allreduce. Here a rank copies its segment into its slot, counts its arrival, waits for the
// others' and reads theirs in their slots.
//
// A segment larger than its slot is posted as "does not fit": every rank sees every size, so all
// of them then take the proxies' path together, their own segment still in the channel.
//
// Encoding the diff straight into the slot instead of copying the segment there was tried: the
// copy (46-59 us of a 630 us barrier of the ADI bench at n = 24, 480 KB) left the rank's profile,
// but the barrier did not get faster (15 alternating runs: median 0.333 s against 0.325 s), and
// encoding into the shared slot took 67-74 ms in 2 of 4 profiled runs against 32-41 ms.
import CCapeShim
import CCapeSys
import Glibc

enum HostExchange {
    /// Every rank maps the shared memory and the job is on one host (set after start-up).
    nonisolated(unsafe) private(set) static var usable = false
    /// Exchanges done, the same on every rank: the next one's number is `done + 1`.
    nonisolated(unsafe) private static var done: UInt64 = 0
    /// Checks of the arrivals before sleeping: a spin only helps where the peer has a core.
    nonisolated(unsafe) private static var spins: Int32 = 0

    /// After the shared memory is mapped by every rank (the start-up exchange has shown it).
    static func setUp() {
        guard Runtime.size > 1, SharedState.hosts == 1, Runtime.size <= Int(CAPE_XCHG_RANKS),
              SharedState.base != nil, Runtime.settings.exchange == .auto else { return }
        // Ranks and their threads against the cores: where some wait for a core, a spinning
        // waiter takes it from the rank it waits for. Where each has one, a spin of about 200 us
        // outlasts the usual lag between ranks; a futex sleep and wake-up instead added some 40 us
        // to each of NAS SP's 88,000 barriers (class S: 5.7-8.1 s against 3.1-3.7 s with the
        // longer spin). Longer is not better for every job: in the ADI bench at n = 24 (about
        // 630 us a barrier) 4% of the waits outlasted 200 us and made half of all the waiting, and
        // a 2 ms spin cut the average wait from 54 to 41 us, but where other jobs share the cores
        // (tests in parallel) a 2 ms spin takes a core from the rank it waits for, which this
        // count of the job's own threads cannot see. A pause takes 14 ns here and ten times that
        // on other x86 cores: the spin is counted in pauses measured once.
        spins = Runtime.moreThreadsThanCores ? 50 : Int32(clamping: 200_000 / max(1, pauseNanoseconds()))
        usable = true
    }

    /// The fastest of five short timings, so that a preemption does not shorten the spin.
    private static func pauseNanoseconds() -> Int {
        let n = 2_000
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = wtime()
            for _ in 0..<n { cape_cpu_relax() }
            best = min(best, wtime() - t0)
        }
        return Int(best * 1e9) / n
    }

    /// Exchanges the segment of `ownBytes` at `buffer` (the channel's data area) with every other
    /// rank's: returns where each segment is, this rank's first, or nil when one is too large for its
    /// slot (on every rank alike: use the proxies). The others' segments are read where they were
    /// posted, not copied (BT class S spent about a tenth of its time in memmove): a slot is written
    /// again two exchanges later (the parity alternates), and its rank gets there only once this
    /// rank has posted to the next exchange, after it is done with this one's segments.
    static func exchange(_ buffer: UnsafeMutableRawPointer, ownBytes: Int) -> [(UnsafeRawPointer, Int)]? {
        let base = SharedState.base!
        done += 1
        let seq = done
        let me = UInt32(Runtime.rank)
        let fits = ownBytes <= Int(CAPE_XCHG_SLOT_BYTES)
        if fits { memcpy(cape_xchg_slot(base, me, seq), buffer, ownBytes) }
        cape_xchg_post(base, me, seq, fits ? UInt64(ownBytes) : .max)
        while cape_xchg_wait(base, seq, UInt32(Runtime.size), spins, 200) != 0 {
            // A rank that died ends the job through its proxy and mpiexec; this one's proxy is
            // looked at here, as a call to it would.
            Runtime.channel?.checkProxy()
        }
        // The same sizes on every rank, this one's included, so every rank takes the same path (a
        // rank that overlooked its own "does not fit" waited here for peers gone to their proxies).
        var segments: [(UnsafeRawPointer, Int)] = [(UnsafeRawPointer(buffer), ownBytes)]
        segments.reserveCapacity(Runtime.size)
        for r in 0..<UInt32(Runtime.size) {
            let n = cape_xchg_size(base, r, seq)
            if n == .max { return nil }
            if r != me { segments.append((UnsafeRawPointer(cape_xchg_slot(base, r, seq)!), Int(n))) }
        }
        return segments
    }
}
