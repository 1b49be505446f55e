// CAPE_PROFILE: where each region's time goes on rank 0, accumulated per region (outlined function)
// and written at exit in the format ProfileReport reads. Phases are disjoint wall-clock intervals
// of the master thread:
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
    nonisolated(unsafe) static var on = false
    nonisolated(unsafe) private static var regions: [UInt: ProfileRow] = [:]
    nonisolated(unsafe) private static var order: [UInt] = []
    nonisolated(unsafe) private static var current = ProfileRow()
    nonisolated(unsafe) private static var mark = 0.0

    @inline(__always) static func now() -> Double { on ? wtime() : 0 }

    /// The uffd tracker's own time since the last call (scans and copies inside other phases).
    private static func trackerSeconds() -> Double { Double(cape_tracker_take_ns()) * 1e-9 }

    /// `seconds` of a phase, less the tracker's work inside it, which goes to `track`.
    private static func split(_ seconds: Double) -> Double {
        let t = trackerSeconds()
        current.track += t
        return seconds - t
    }

    static func regionStart() {
        guard on else { return }
        current = ProfileRow(calls: 1)
    }

    /// The region's threads run from here; `tracking` of the time since t0 was choosing and arming
    /// the memory to track (the tracker's own count of it is the same work).
    static func forkDone(since t0: Double, tracking: Double) {
        guard on else { return }
        let t = wtime()
        _ = trackerSeconds()
        current.fork += (t - t0) - tracking
        current.track += tracking
        mark = t
    }

    /// The region's code has stopped (its end or a barrier): close the compute phase.
    static func computeDone() {
        guard on else { return }
        current.compute += split(wtime() - mark)
    }

    static func encoded(since t0: Double, dirty: Int, bytes: Int) {
        guard on else { return }
        current.encode += split(wtime() - t0)
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
        current.apply += split(wtime() - t0)
    }

    /// After a barrier: tracking starts again (since t0) and the code runs on.
    static func resumed(since t0: Double) {
        guard on else { return }
        let t = wtime()
        _ = trackerSeconds()
        current.barriers += 1
        current.track += t - t0
        mark = t
    }

    static func regionEnd(fn: UInt) {
        guard on else { return }
        current.track += trackerSeconds()
        if regions[fn] == nil { order.append(fn) }
        regions[fn, default: ProfileRow()].add(current)
    }

    /// Rank 0 writes the table at exit.
    static func write() {
        guard Runtime.rank == 0, let path = Runtime.settings.profilePath else { return }
        let tracker = cape_tracker_backend() == Int32(CAPE_TRACKER_UFFD.rawValue) ? "uffd" : "mprotect"
        let rows = order.map { fn -> ProfileRow in
            var r = regions[fn]!
            r.region = symbol(fn)
            r.source = cape_dwarf_source_line(fn).map { String(cString: $0) } ?? ""
            return r
        }
        let text = ProfileReport(title: "cape profile: \(Runtime.size) ranks, tracker \(tracker)", rows: rows).csv()
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
