// The atomic construct's local path: updates whose result nobody reads run on the rank's own
// memory at local speed (Sources/CCapeShim/atomics.c records them); at each sync point the ranks'
// records travel in their segments and every rank replays them in rank order (CapeCore's
// AtomicMerge), instead of serializing each update team-wide through a lock and the section log.
// Those bytes are taken out of the ranks' diffs, so they never count as a race.
import CCapeShim
import CapeCore
import Glibc

enum AtomicUpdates {
    /// Segment record tags (RegionHeap's are 1-3, ThreadPrivate's 4): the records, and the log of
    /// floating-point updates, which refers to them by index.
    static let tag: UInt64 = 5
    static let logTag: UInt64 = 6

    /// At start: the record table, in runtime memory; CAPE_ATOMICS=serial turns the path off.
    static func setUp(local: Bool) {
        let bytes = 8 << 20
        if cape_atomics_records_init(cape_reserve(bytes, "atomic update records"), bytes) != 0 {
            fatal("cannot prepare the table of atomic updates")
        }
        // Reserved, not committed: a page is used when the log first reaches it.
        let logBytes = 256 << 20
        if cape_atomics_log_init(cape_reserve(logBytes, "the log of floating-point atomic updates"), logBytes) != 0 {
            fatal("cannot prepare the log of atomic updates")
        }
        cape_atomics_local(local ? 1 : 0)
    }

    /// At a sync point, with every local thread there: this rank's records after `out`, as a
    /// segment record (RegionHeap.records reads them back); the table starts anew.
    static func writeRecord(_ out: UnsafeMutableRawPointer, room: Int) -> Int {
        var count: UInt32 = 0
        let records = cape_atomics_records(&count)!
        guard count > 0 else { return 0 }
        let body = Int(count) * AtomicRecord.bytes
        if 16 + body > room { fatal("the atomic updates of a region do not fit the channel (raise CAPE_CHANNEL_GB)") }
        out.storeBytes(of: tag, as: UInt64.self)
        out.storeBytes(of: UInt64(body), toByteOffset: 8, as: UInt64.self)
        memcpy(out + 16, records, body)
        var logCount: UInt32 = 0
        let log = cape_atomics_log(&logCount)!
        var used = 16 + body
        if logCount > 0 {
            let logBody = Int(logCount) * AtomicRecord.logBytes
            if used + 16 + logBody > room { fatal("the atomic updates of a region do not fit the channel (raise CAPE_CHANNEL_GB)") }
            (out + used).storeBytes(of: logTag, as: UInt64.self)
            (out + used).storeBytes(of: UInt64(logBody), toByteOffset: 8, as: UInt64.self)
            memcpy(out + used + 16, log, logBody)
            used += 16 + logBody
        }
        cape_atomics_records_reset()
        return used
    }

    /// The merged value of every address the ranks updated locally since the last sync point; the
    /// bytes are unmarked in every segment's diff.
    static func merge(_ segments: [Segment.View]) -> [AtomicMerge.Result] {
        var perRank: [[AtomicRecord]] = []
        for s in segments {
            var mine: [AtomicRecord] = []
            let records = RegionHeap.records(s)
            for r in records where r.tag == tag { mine += AtomicRecord.parse(r.body, bytes: r.bytes) }
            for r in records where r.tag == logTag { AtomicRecord.parseLog(r.body, bytes: r.bytes, into: &mine) }
            perRank.append(mine)
        }
        guard perRank.contains(where: { !$0.isEmpty }) else { return [] }
        // Only the program's tracked memory is the ranks' to share: an update of memory private to
        // a thread (its stack, a runtime stack) keeps its rank's own result.
        var count: UInt32 = 0
        let tracked = cape_tracker_ranges(&count)!
        func shared(_ a: UInt64) -> Bool {
            var lo = 0, hi = Int(count)
            while lo < hi {
                let mid = (lo + hi) / 2
                if UInt64(tracked[mid].clip_end) <= a { lo = mid + 1 } else { hi = mid }
            }
            return lo < Int(count) && UInt64(tracked[lo].clip_start) <= a
        }
        perRank = perRank.map { $0.filter { shared($0.address) } }
        let merged: [AtomicMerge.Result]
        do { merged = try AtomicMerge.merge(perRank) } catch {
            switch error {
            case let .severalClasses(a, rank):
                fatalEverywhere("rank \(rank) updated \(Region.describe(address: UInt(a))) atomically with different operators "
                    + "(+ or -, *, &, |, ^, floating point) between two synchronization points, which is not supported yet (set CAPE_ATOMICS=serial)")
            case let .serialAndLocal(a):
                fatalEverywhere("\(Region.describe(address: UInt(a))) was updated atomically both by updates and by a capture, compare or "
                    + "exchange form between two synchronization points, which is not supported yet (set CAPE_ATOMICS=serial)")
            case let .widths(a):
                fatalEverywhere("ranks updated \(Region.describe(address: UInt(a))) atomically with different widths; please report this")
            }
        }
        let ranges = merged.map { (address: UInt($0.address), length: $0.width) }
        for s in segments { Diff.unmark(UnsafeMutableRawPointer(mutating: s.payload), bytes: s.diffBytes, ranges: ranges) }
        return merged
    }

    /// The bytes this rank has updated locally so far in the epoch, sorted: a section's entry must
    /// not carry them (a sibling thread may update them while the section runs, and other ranks
    /// would adopt this rank's partial value and take it for the value before their own updates).
    static func localRanges() -> [(address: UInt, length: Int)] {
        var count: UInt32 = 0
        _ = cape_atomics_records(&count)
        guard count > 0 else { return [] }
        let copy = UnsafeMutablePointer<cape_atomic_record_t>.allocate(capacity: Int(count) + 64)
        defer { copy.deallocate() }
        let n = Int(cape_atomics_copy_records(copy, count + 64))
        return (0..<n).filter { copy[$0].op != 0 }.map { (address: UInt(copy[$0].address), length: Int(copy[$0].width)) }
            .sorted { $0.address < $1.address }
    }

    /// Writes the merged values, after the diffs are applied.
    static func install(_ merged: [AtomicMerge.Result], uffd: Bool) {
        for m in merged {
            let a = UInt(m.address)
            if uffd { cape_tracker_before_write(a & ~4095, (a + UInt(m.width) + 4095) & ~4095) }
            let p = UnsafeMutableRawPointer(bitPattern: a)!
            switch m.width {
            case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: m.value), as: UInt8.self)
            case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: m.value), as: UInt16.self)
            case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: m.value), as: UInt32.self)
            default: p.storeBytes(of: m.value, as: UInt64.self)
            }
            // The merged value is what every rank holds: the shadow gets it too, as for an applied diff.
            if uffd { cape_tracker_applied(a, a + UInt(m.width)) }
        }
    }
}

@_cdecl("cape_swift_atomic_local") func capeSwiftAtomicLocal() -> Int32 {
    Region.tracking ? 1 : 0
}
