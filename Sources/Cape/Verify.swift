// CAPE_VERIFY: after every region all ranks must hold the same memory. Every rank hashes each
// tracked range and the ranks exchange the hashes; when they differ, the ranks narrow the
// difference down together (hashes of ever smaller blocks of the first range that differs, then
// the bytes of one page) and rank 0 names it for the job: the variable (symbol table or DWARF)
// or the kind of memory, the address, and the bytes each rank holds there.
import CCapeShim
import CapeCore
import Glibc

extension Region {
    static func verify(fn: UInt, info: cape_tracker_info_t, stackHash: UInt64) {
        let channel = Runtime.channel!
        var count: UInt32 = 0
        let ranges = cape_tracker_ranges(&count)!
        let out = (channel.data + Segment.headerBytes).assumingMemoryBound(to: UInt64.self)
        var total = MemoryHash.seed
        for i in 0..<Int(count) {
            let r = ranges[i]
            let h = r.kind == CAPE_RANGE_STACK.rawValue ? stackHash
                : MemoryHash.add(MemoryHash.seed, words: UnsafeRawPointer(bitPattern: r.clip_start)!, count: Int(r.clip_end - r.clip_start) / 8)
            out[i] = h
            total = (total ^ h) &* 0x0000_0100_0000_01B3
        }
        let segments = synchronize(kind: .verify, fn: fn, data: 0, sp: 0, info: info, payloadBytes: Int(count) * 8, hash: total, applyDiffs: false)
        guard segments.contains(where: { $0.hash != total }) else { return }
        asRuntime {
            // Every rank has every rank's hashes, so every rank picks the same range.
            let head = "CAPE_VERIFY: the memory of the ranks differs after region #\(seq) (\(symbol(fn)))"
            guard let i = differing(segments, count: Int(count), as: UInt64.self).first else { fatalEverywhere(head) }
            let r = ranges[i]
            if r.kind == CAPE_RANGE_STACK.rawValue {
                fatalEverywhere(head + ": in words of the main stack that the region changed, 0x\(String(r.clip_start, radix: 16))-0x\(String(r.clip_end, radix: 16))")
            }
            fatalEverywhere(head + ": " + locate(start: UInt(r.clip_start), end: UInt(r.clip_end), kind: r.kind, fn: fn, info: info))
        }
    }

    /// The indices of the `count` values of type `T` in the segments' payloads where not every rank
    /// holds the same (every rank has every segment, so every rank finds the same ones).
    private static func differing<T: FixedWidthInteger>(_ segments: [Segment.View], count: Int, as: T.Type) -> [Int] {
        (0..<count).filter { i in
            let first = segments[0].payload.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return segments.contains { $0.payload.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) != first }
        }
    }

    /// Narrows a difference in [start, end) down to its first differing byte; every rank takes part.
    private static func locate(start: UInt, end: UInt, kind: UInt32, fn: UInt, info: cape_tracker_info_t) -> String {
        let channel = Runtime.channel!
        let page: UInt = 4096
        let room = UInt(channel.capacity - Segment.headerBytes)
        let whole = "in \(kindName(kind)) 0x\(String(start, radix: 16))-0x\(String(end, radix: 16))"
        var lo = start, hi = end
        while hi - lo > page {
            // Blocks of whole pages, as many as the channel carries hashes of.
            let pages = (hi - lo + page - 1) / page
            let perBlock = max(1, (pages * 8 + room - 1) / room)
            let blockBytes = max(page, perBlock * page)
            let blocks = Int((hi - lo + blockBytes - 1) / blockBytes)
            let out = (channel.data + Segment.headerBytes).assumingMemoryBound(to: UInt64.self)
            for b in 0..<blocks {
                let a = lo + UInt(b) * blockBytes, e = min(hi, a + blockBytes)
                out[b] = MemoryHash.add(MemoryHash.seed, words: UnsafeRawPointer(bitPattern: a)!, count: Int(e - a) / 8)
            }
            let segments = synchronize(kind: .verify, fn: fn, data: 0, sp: 0, info: info, payloadBytes: blocks * 8, applyDiffs: false)
            guard let b = differing(segments, count: blocks, as: UInt64.self).first else { return whole }
            lo += UInt(b) * blockBytes
            hi = min(hi, lo + blockBytes)
        }
        // One page or less: the bytes themselves.
        let n = Int(hi - lo)
        memcpy(channel.data + Segment.headerBytes, UnsafeRawPointer(bitPattern: lo)!, n)
        let segments = synchronize(kind: .verify, fn: fn, data: 0, sp: 0, info: info, payloadBytes: n, applyDiffs: false)
        let bytes = segments.map { s in (rank: s.rank, bytes: [UInt8](UnsafeRawBufferPointer(start: s.payload, count: n))) }
        let offsets = differing(segments, count: n, as: UInt8.self)
        guard let first = offsets.first, let last = offsets.last else { return whole }
        let shown = min(last + 1, first + 16)
        let address = lo + UInt(first)
        var named = describe(address: address)
        if !named.hasPrefix("`") {
            let hex = "0x\(String(address, radix: 16))"
            switch kind {
            case CAPE_RANGE_HEAP.rawValue: named = "heap memory at \(hex) (an allocation; no variable is there)"
            case CAPE_RANGE_ANON.rawValue: named = "mapped memory at \(hex) (a large allocation or an mmap; no variable is there)"
            default: named = "\(kindName(kind)) at \(hex)"
            }
        }
        let span = last - first + 1
        let what = bytes.sorted { $0.rank < $1.rank }.map { r in
            "rank \(r.rank) has " + r.bytes[first..<shown].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
        }
        return "\(named) differs in \(span == 1 ? "1 byte" : "\(span) bytes from there on"): " + what.joined(separator: "; ")
            + (shown <= last ? " ..." : "")
            + " (values that come from each rank's own clock, pid, host or random source make ranks differ; see the README)"
    }
}
