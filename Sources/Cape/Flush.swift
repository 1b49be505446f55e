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
// threads: a sibling's write made between the end of one implicit section and the start of the
// next must not be taken into the next one's starting content. With the uffd tracker sections then
// start from the shadow (cape_sections_publish_all), which holds what was last published. With
// CAPE_TRACKER=mprotect a page that a section wrote is writable until the next section protects
// it again, and a sibling's write in between is not seen: a flush on a rank that runs two or more
// of the region's threads stops by name there.
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
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        // More threads in the job than cores on its hosts (taken to have as many as this one).
        if Runtime.capacities.reduce(0, +) > cores * SharedState.hosts { spinFlushes = 1 }
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
        if threads > 1 && cape_tracker_backend() != Int32(CAPE_TRACKER_UFFD.rawValue) {
            fatal("a flush ran in a region with \(threads) of its threads on rank \(Runtime.rank); flush is exact "
                + "with CAPE_TRACKER=mprotect only with one thread per rank (use the uffd tracker, or CAPE_THREADS_PER_RANK=1)")
        }
        if Exclusion.holdsSection {
            // Inside a critical section or an ordered block: publish it so far, catch up, go on.
            SectionLog.leave()
            SectionLog.enter()
            return
        }
        let start = monotonicNanoseconds()
        var news = false
        Exclusion.withRankMutex {
            guard open else { return }
            // After a flush with nothing to publish the next section needs no scan of its own.
            let appended = SectionLog.leave()
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
    /// (a signal: 2-4 us); a flush that follows more than this many nanoseconds is not spinning.
    static let spinGap: UInt64 = 10_000

    /// `while (!flag) { #pragma omp flush(flag) }` is how programs wait for another thread (NAS
    /// LU's pipelined sweeps). Each flush costs a scan of what the thread wrote and, away from rank
    /// 0's host, a round trip to it for the log: spun without pause, a waiter on another host kept
    /// the proxies and the scans busy (LU class S: 11 s on two simulated hosts against 0.18 s on one
    /// host, most of it in tracking) and on a host with fewer cores than threads took the core of
    /// the thread it waited for. Flushes that bring nothing, in a row and with no work between
    /// them, pause after `spinFlushes` of them, for 1 us doubling up to `longestPause`; a flush that
    /// publishes or receives anything, or follows work, starts the count again.
    private static func pace(_ me: UnsafeMutablePointer<cape_thread_t>, news: Bool, start: UInt64) {
        let spinning = !news && start &- me.pointee.flush_end < spinGap
        me.pointee.flush_idle = spinning ? me.pointee.flush_idle + 1 : 0
        let beyond = me.pointee.flush_idle - spinFlushes
        if beyond > 0 { usleep(min(UInt32(1) << UInt32(min(beyond - 1, 16)), longestPause)) }
        me.pointee.flush_end = monotonicNanoseconds()
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        _ = cape_clock_raw(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

@_cdecl("cape_swift_flush") func capeSwiftFlush() {
    Flush.flush()
}
