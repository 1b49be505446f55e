// CAPE_PROFILE: where each region's time goes on rank 0, accumulated per region (outlined function)
// and written as CSV at exit. Phases are disjoint wall-clock intervals of the master thread:
//   fork      starting the region: choosing the memory to track, starting the local threads
//   compute   running the region's code, waiting for the local threads (section scans excluded)
//   track     the tracker's own work: arming, scanning for written pages, shadow or twin copies
//   encode    comparing written pages with their old content, into the channel
//   exchange  the proxy's exchange with the other ranks (includes waiting for slower ranks)
//   apply     applying the section log and the other ranks' diffs, printing their output
// With the mprotect tracker the write faults happen while the code runs: their cost is in compute.
import CCapeShim
import CapeCore
import Glibc

enum Profile {
    struct Entry {
        var calls = 0, syncs = 0
        var fork = 0.0, compute = 0.0, track = 0.0, encode = 0.0, exchange = 0.0, apply = 0.0
        var bytesSent = 0, bytesReceived = 0, dirtyPages = 0
    }

    nonisolated(unsafe) static var on = false
    nonisolated(unsafe) private static var entries: [UInt: Entry] = [:]
    nonisolated(unsafe) private static var order: [UInt] = []
    nonisolated(unsafe) private static var current = Entry()
    nonisolated(unsafe) private static var mark = 0.0

    @inline(__always) static func now() -> Double { on ? wtime() : 0 }

    /// Moves the tracker's own time since the last call into `track`; returns it.
    @discardableResult
    private static func takeTracker() -> Double {
        var ns: UInt64 = 0, copied: UInt64 = 0
        cape_tracker_take_stats(&ns, &copied)
        let t = Double(ns) * 1e-9
        current.track += t
        return t
    }

    static func regionStart() {
        guard on else { return }
        current = Entry()
        current.calls = 1
    }

    /// The region's threads run from here; `tracking` of the time since t0 was choosing and arming
    /// the memory to track.
    static func forkDone(since t0: Double, tracking: Double) {
        guard on else { return }
        let t = wtime()
        discardTracker()
        current.fork += (t - t0) - tracking
        current.track += tracking
        mark = t
    }

    private static func discardTracker() {
        var ns: UInt64 = 0, copied: UInt64 = 0
        cape_tracker_take_stats(&ns, &copied)
    }

    /// The region's code has stopped (its end or a barrier): close the compute phase.
    static func computeDone() {
        guard on else { return }
        current.compute += (wtime() - mark) - takeTracker()
    }

    static func encoded(since t0: Double, dirty: Int, bytes: Int) {
        guard on else { return }
        current.encode += (wtime() - t0) - takeTracker()
        current.dirtyPages += dirty
        current.bytesSent += bytes
    }

    static func exchanged(since t0: Double, received: Int) {
        guard on else { return }
        current.exchange += wtime() - t0
        current.bytesReceived += received
    }

    static func applied(since t0: Double) {
        guard on else { return }
        current.apply += (wtime() - t0) - takeTracker()
    }

    /// After a barrier: tracking starts again (since t0) and the code runs on.
    static func resumed(since t0: Double) {
        guard on else { return }
        let t = wtime()
        discardTracker()
        current.syncs += 1
        current.track += t - t0
        mark = t
    }

    static func regionEnd(fn: UInt) {
        guard on else { return }
        takeTracker()
        if entries[fn] == nil { order.append(fn); entries[fn] = Entry() }
        var e = entries[fn]!
        let c = current
        e.calls += c.calls; e.syncs += c.syncs
        e.fork += c.fork; e.compute += c.compute; e.track += c.track
        e.encode += c.encode; e.exchange += c.exchange; e.apply += c.apply
        e.bytesSent += c.bytesSent; e.bytesReceived += c.bytesReceived; e.dirtyPages += c.dirtyPages
        entries[fn] = e
    }

    static let header = "region,source,calls,barriers,fork_s,compute_s,track_s,encode_s,exchange_s,apply_s,bytes_sent,bytes_received,dirty_pages"

    /// Rank 0 writes the table at exit.
    static func write() {
        guard Runtime.rank == 0, !order.isEmpty, let path = Runtime.settings.profilePath else { return }
        var text = "# cape profile: \(Runtime.size) ranks, tracker \(cape_tracker_backend() == Int32(CAPE_TRACKER_UFFD.rawValue) ? "uffd" : "mprotect")\n"
        text += header + "\n"
        for fn in order {
            let e = entries[fn]!
            let source = cape_dwarf_source_line(fn).map { String(cString: $0) } ?? ""
            let f = { (v: Double) in String(format9: v) }
            text += [symbol(fn), source, "\(e.calls)", "\(e.syncs)", f(e.fork), f(e.compute), f(e.track), f(e.encode),
                     f(e.exchange), f(e.apply), "\(e.bytesSent)", "\(e.bytesReceived)", "\(e.dirtyPages)"].joined(separator: ",") + "\n"
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            cape_write_err("cape: cannot write the profile to \(path): \(String(cString: strerror(errno))) (check CAPE_PROFILE)\n")
            return
        }
        let ok = text.utf8CString.withUnsafeBufferPointer { b in Glibc.write(fd, b.baseAddress, b.count - 1) == b.count - 1 }
        close(fd)
        if !ok { cape_write_err("cape: writing the profile to \(path) failed (check the disk)\n") }
    }
}

extension String {
    init(format9 v: Double) {
        var buf = [CChar](repeating: 0, count: 32)
        _ = withVaList([v]) { vsnprintf(&buf, 32, "%.9f", $0) }
        self = String(cString: buf)
    }
}
