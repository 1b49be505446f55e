// The region heap's part of a sync point (allocation itself: Sources/CCapeShim/regionheap.c).
// A rank's segment carries, after its diff and output, tagged records: the ranges its threads
// committed in the region heap (the others commit them too before applying the diff, which holds
// their contents), the frees its threads deferred (every rank applies all of them after the diff,
// in rank order), and a copyprivate blob at barriers.
import CCapeShim
import CapeCore
import Glibc

enum RegionHeap {
    static let windowBytes = 4 << 30
    static let tagCopy: UInt64 = 1
    static let tagFrees: UInt64 = 2
    static let tagCommits: UInt64 = 3
    nonisolated(unsafe) static var enabled = false
    private nonisolated(unsafe) static var takenCommits: [(UInt, UInt)] = []

    /// At start, on every rank alike: a PROT_NONE reservation whose header area is read-write, and
    /// TeamBlocks' area right after it (one tracked range for both).
    static func setUp(ranks: Int, rank: Int) {
        var window = windowBytes
        while ranks * Runtime.maxLocalThreads * window > 32 << 40 && window > 64 << 20 { window /= 2 }
        let bytes = cape_rheap_bytes(Int32(ranks), Int32(Runtime.maxLocalThreads), window, TeamBlocks.areaBytes)
        guard let p = mmap(nil, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), p != MAP_FAILED else {
            fatal("cannot reserve \(bytes >> 30) GiB of address space for memory allocated inside regions (check ulimit -v)")
        }
        if cape_rheap_init(p, Int32(ranks), Int32(Runtime.maxLocalThreads), window, TeamBlocks.areaBytes, Int32(rank)) != 0 {
            fatal("cannot prepare the region heap: \(errnoText())")
        }
        enabled = true
    }

    /// The ranges committed since the last sync point, sorted (taken once per sync point).
    static func takeCommits() -> [(UInt, UInt)] {
        guard enabled else { return [] }
        var pairs: UnsafePointer<UInt64>?
        let n = Int(cape_rheap_take_commits(&pairs))
        if n == 0 && takenCommits.isEmpty { return [] } // the usual region: nothing to build
        takenCommits = (0..<n).map { (UInt(pairs![2 * $0]), UInt(pairs![2 * $0 + 1])) }.sorted { $0.0 < $1.0 }
        return takenCommits
    }

    /// Appends the records of this rank (frees, the commits taken by the last takeCommits) at `out`.
    static func writeRecords(_ out: UnsafeMutableRawPointer, room: Int) -> Int {
        guard enabled else { return 0 }
        var ptrs: UnsafePointer<UInt64>?
        let nf = Int(cape_rheap_take_frees(&ptrs))
        var off = 0
        func record(_ tag: UInt64, _ words: Int, _ fill: (UnsafeMutablePointer<UInt64>) -> Void) {
            if words == 0 { return }
            let bytes = 16 + words * 8
            if off + bytes > room { fatal("the region's heap records do not fit the channel (raise CAPE_CHANNEL_GB)") }
            (out + off).storeBytes(of: tag, as: UInt64.self)
            (out + off + 8).storeBytes(of: UInt64(words * 8), as: UInt64.self)
            fill((out + off + 16).assumingMemoryBound(to: UInt64.self))
            off += bytes
        }
        record(tagFrees, nf) { w in for i in 0..<nf { w[i] = ptrs![i] } }
        record(tagCommits, takenCommits.count * 2) { w in
            for (i, c) in takenCommits.enumerated() { w[2 * i] = UInt64(c.0); w[2 * i + 1] = UInt64(c.1) }
        }
        takenCommits = []
        return off
    }

    /// The records of a segment's extra bytes.
    static func records(_ s: Segment.View) -> [(tag: UInt64, body: UnsafeRawPointer, bytes: Int)] {
        var out: [(UInt64, UnsafeRawPointer, Int)] = []
        var off = 0
        let n = s.extraBytes
        while off + 16 <= n {
            let tag = s.extra.loadUnaligned(fromByteOffset: off, as: UInt64.self)
            let bytes = Int(s.extra.loadUnaligned(fromByteOffset: off + 8, as: UInt64.self))
            guard off + 16 + bytes <= n else { fatal("a segment's records are malformed; please report this") }
            out.append((tag, s.extra + off + 16, bytes))
            off += 16 + bytes
        }
        return out
    }

    /// Before the others' diffs are applied: commit what they committed.
    static func beforeApply(_ segments: [Segment.View]) {
        for s in segments where s.rank != Runtime.rank {
            for r in records(s) where r.tag == tagCommits {
                for i in 0..<(r.bytes / 16) {
                    let a = UInt(r.body.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
                    let b = UInt(r.body.loadUnaligned(fromByteOffset: 16 * i + 8, as: UInt64.self))
                    if cape_rheap_commit(a, b) != 0 { fatal("cannot commit region-heap memory at 0x\(String(a, radix: 16)): \(errnoText())") }
                }
            }
        }
    }

    private nonisolated(unsafe) static var held: [UInt] = []

    /// After the diffs: every deferred free of every rank, in rank order. At a barrier they are kept
    /// for the region's end: the barrier may run on a worker thread, and glibc's free() on a thread
    /// that never used glibc's heap sets up that thread's arena (a new mapping, on one rank only).
    static func afterApply(_ segments: [Segment.View], regionEnd: Bool) {
        for s in segments {
            for r in records(s) where r.tag == tagFrees {
                for i in 0..<(r.bytes / 8) { held.append(UInt(r.body.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
            }
        }
        if regionEnd { flushHeld() }
    }

    static func flushHeld() {
        for p in held { free(UnsafeMutableRawPointer(bitPattern: p)) }
        held = []
    }
}
