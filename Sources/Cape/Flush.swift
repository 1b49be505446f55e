// flush: a point where the thread publishes what it wrote and takes in what others published.
//
// The OpenMP memory model: a write becomes visible to another thread once the writer has flushed
// after it and the reader flushes after that. gcc emits `#pragma omp flush` and
// `__sync_synchronize` as a locked no-op on the stack (`lock or $0, (%rsp)`) or `mfence`; the
// start-up sweep (Sources/CCapeShim/atomics.c) patches each one, and its trap lands here.
//
// On one rank the threads share memory; across ranks a flush must carry writes. It reuses the
// section log: when the program has flush sites, every epoch of a distributed region (from region
// start or a barrier to the next sync point) keeps an implicit section open, so the tracker tells
// the writes made since the last flush apart from older ones. A flush ends that section, appending
// its writes to the log (nothing when there are none), applies the entries other ranks appended,
// and begins the next one. Real sections (critical, ordered, locks) suspend the implicit one while
// they run. At the sync point the implicit section is closed without an entry: its writes are in
// the rank's diff like any others.
//
// With several of the region's threads on a rank the tracker sees the rank's pages, not its
// threads, and a flush cannot be exact: a flush stops by name on a rank that runs two or more of
// the region's threads. NAS LU at -n 2 with 2 threads per rank gave wrong results in 4 runs of 6
// (and Tests/flush/lu_sweep.c in about 1 of 4) through two faults, both of siblings sharing the
// rank's memory:
//  - one thread's flush published a sibling's flag together with only part of the row it guards:
//    the scan walks the pages in address order while the sibling writes, so it took the flag's
//    page (written last, at a higher address) and not a row page it had passed before the sibling
//    wrote it;
//  - a sibling spinning on the flag between its own flushes saw it written by another thread's
//    catch-up before the row's bytes: the catch-up writes an entry in address order, not in the
//    order the other rank made its stores.
// Both need the siblings stopped while a flush scans, encodes and catches up. Stopping them with a
// signal fixed both (lu_sweep exact in 10 runs of 10, LU in 8 of 8) but deadlocked when a sibling
// stopped inside libcape held what the flush needed (an atomic update's record lock; stdout's lock
// or the runtime arena's could do the same): a sibling may only be stopped in the program's own
// code, and one blocked in libcape must be told apart from one about to return to the program.
// Until that is built, one thread per rank (CAPE_THREADS_PER_RANK=1). Sections (critical, ordered,
// locks) are not affected: what they guard is read under the same lock, after its catch-up.
//
// Under CAPE_TRACKER=uffd sections start from the shadow (cape_sections_publish_all), which holds
// what was last published; with CAPE_TRACKER=mprotect a page that a section wrote is writable until
// the next section protects it again.
import CCapeShim
import Glibc

enum Flush {
    /// The program has flush sites and runs distributed: epochs keep an implicit section.
    nonisolated(unsafe) static var enabled = false
    /// The implicit section is the tracker's current section. Changed only under the rank's
    /// section mutex, or by the thread that runs a sync point while the others wait.
    nonisolated(unsafe) private(set) static var open = false

    static func setUp() {
        enabled = Runtime.distributed && cape_atomics_fence_sites() > 0
        cape_sections_publish_all(enabled ? 1 : 0)
        if Runtime.moreThreadsThanCores { spinFlushes = 1 }
    }

    /// A distributed epoch starts (tracking armed, `Region.current` set, the epoch advanced).
    static func epochStarts() {
        open = false
        guard enabled, Region.tracking, SectionLog.active else { return }
        SectionLog.enter(catchingUp: false)
        open = true
    }

    /// The epoch's sync point, before the rank encodes its diff.
    static func epochEnds() {
        guard open else { return }
        var pages: UnsafePointer<UInt>?
        var old: UnsafePointer<UnsafePointer<UInt8>?>?
        _ = cape_section_end(&pages, &old)
        open = false
    }

    /// A real section is about to begin: the implicit one publishes what it has and stops.
    static func suspendImplicit() {
        guard open else { return }
        SectionLog.leave()
        open = false
    }

    /// A real section has ended: the implicit one begins again.
    static func resumeImplicit() {
        guard enabled, !open, Region.tracking, SectionLog.active else { return }
        SectionLog.enter()
        open = true
    }

    /// The flush of the calling thread (from the trap of a fence site).
    static func flush() {
        guard enabled, Region.tracking else { return }
        let threads = Sync.localThreads + NestedTeam.running
        if threads > 1 {
            fatal("a flush ran in a region with \(threads) of its threads on rank \(Runtime.rank); flush is exact "
                + "only with one of the region's threads per rank (give the job a rank for each of the region's threads, with CAPE_THREADS_PER_RANK=1)")
        }
        if Exclusion.holdsSection {
            // Inside a critical section or an ordered block: publish it so far, catch up, go on.
            SectionLog.leave()
            SectionLog.enter()
            return
        }
        let start = wtime()
        var news = false
        Exclusion.withRankMutex {
            guard open else { return }
            // After a flush with nothing to publish the next section needs no scan of its own.
            let appended = SectionLog.leave(catchingUp: true)
            let received = SectionLog.enter(afterEmpty: !appended)
            news = appended || received
        }
        pace(cape_self()!, news: news, start: start)
    }

    /// Flushes in a row that bring nothing, with (almost) nothing done between them, before the
    /// thread pauses: where every thread of the host has a core, a short spin keeps a hand-off
    /// prompt; where some wait for one, a spinner takes it from the thread it waits for.
    nonisolated(unsafe) static var spinFlushes: Int32 = 16
    /// The longest pause of a spinning flush, in microseconds: the most it adds to a hand-off.
    static let longestPause: UInt32 = 100
    /// Between two flushes of a spin there is a load, a compare and the trap of the fence site
    /// (a signal: 2-4 us); a flush that follows more than this many seconds is not spinning.
    static let spinGap = 10e-6

    /// `while (!flag) { #pragma omp flush(flag) }` is how programs wait for another thread (NAS
    /// LU's pipelined sweeps). Each flush costs a scan of what the thread wrote and, away from rank
    /// 0's host, a round trip to it for the log: spun without pause, a waiter on another host kept
    /// the proxies and the scans busy (LU class S: 11 s on two simulated hosts against 0.18 s on one
    /// host, most of it in tracking) and on a host with fewer cores than threads took the core of
    /// the thread it waited for. Flushes that bring nothing, in a row and with no work between
    /// them, pause after `spinFlushes` of them, for 1 us doubling up to `longestPause`; a flush that
    /// publishes or receives anything, or follows work, starts the count again.
    private static func pace(_ me: UnsafeMutablePointer<cape_thread_t>, news: Bool, start: Double) {
        let spinning = !news && start - me.pointee.flush_end < spinGap
        me.pointee.flush_idle = spinning ? me.pointee.flush_idle + 1 : 0
        let beyond = me.pointee.flush_idle - spinFlushes
        if beyond > 0 { usleep(min(UInt32(1) << UInt32(min(beyond - 1, 16)), longestPause)) }
        me.pointee.flush_end = wtime()
    }
}

@_cdecl("cape_swift_flush") func capeSwiftFlush() {
    Flush.flush()
}
