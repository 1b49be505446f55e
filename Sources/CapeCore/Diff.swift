// Diffs: the bytes a rank changed in a region, as word-granular runs with a byte mask.
//
// A run is a 16-byte header (address u64, words u32, reserved u32), `words` 8-byte words of data,
// then one mask byte per word (bit i set: byte i of the word changed), padded to 8 bytes.
// Why words with masks: numeric data changes in most bytes but not all, and byte-exact runs
// fragment into millions of headers (31% of the bytes of a matmul's C changed in 2 million runs).
// A run spans gaps of up to `gapWords` unchanged words, which cost less than a new header; their
// mask is zero, so they can never overwrite what another rank wrote there. Two ranks writing
// neighbouring bytes of one word carry disjoint masks: no conflict.

import CCapeCodec

public enum Diff {
    public static let runHeaderBytes = 16
    /// Unchanged words a run may span rather than start a new one (32 bytes).
    public static let gapWords = 4
    /// Longest run: keeps the mask of an open run in a fixed buffer.
    public static let maxRunWords = 4096

    @inline(__always) public static func runBytes(words: Int) -> Int {
        runHeaderBytes + words * 8 + ((words + 7) & ~7)
    }

    /// Mask of the bytes that differ in `x` (= new ^ old): bit i for byte i (CCapeCodec's, which
    /// the vector loops' scalar tails share).
    @inline(__always) public static func byteMask(_ x: UInt64) -> UInt8 { cape_codec_byte_mask(x) }

    /// Writes runs into an output buffer. Pages must be fed in increasing address order.
    public struct Encoder {
        public let out: UnsafeMutableRawPointer
        public let capacity: Int
        public private(set) var bytes = 0
        public private(set) var runs = 0
        public private(set) var overflow = false
        /// The address just after the last changed word encoded so far (0: none yet).
        public var changedEnd: UInt { lastChangedEnd }
        // open run
        private var runStart = 0          // byte offset of its header in `out`
        private var runAddr: UInt = 0
        private var runWords = 0
        private var lastChangedEnd: UInt = 0 // address just after the last changed word
        private var open = false
        private let mask: UnsafeMutablePointer<UInt8>

        /// `maskScratch` must hold `Diff.maxRunWords` bytes.
        public init(out: UnsafeMutableRawPointer, capacity: Int, maskScratch: UnsafeMutablePointer<UInt8>) {
            self.out = out
            self.capacity = capacity
            self.mask = maskScratch
        }

        /// Compares [lo, hi) of the current memory with its old content and appends the changes.
        /// `lo` and `hi` must be 8-byte aligned; `old` points at the old content of `lo`.
        public mutating func add(current: UnsafeRawPointer, old: UnsafeRawPointer, lo: UInt, hi: UInt) {
            add(current, UnsafeMutableRawPointer(mutating: old), lo: lo, hi: hi, refresh: false)
        }

        /// The same, and the old content becomes the current one (the changed words are written
        /// back as they are encoded): the uffd tracker's shadow is then up to date without a copy
        /// of the page at the next arming.
        public mutating func addRefreshing(current: UnsafeRawPointer, old: UnsafeMutableRawPointer, lo: UInt, hi: UInt) {
            add(current, old, lo: lo, hi: hi, refresh: true)
        }

        @inline(__always) private mutating func add(_ current: UnsafeRawPointer, _ old: UnsafeMutableRawPointer, lo: UInt, hi: UInt, refresh: Bool) {
            let n = Int(hi &- lo) / 8
            let cur = current.assumingMemoryBound(to: UInt64.self)
            let was = old.assumingMemoryBound(to: UInt64.self)
            // The worst case of this call: every word with its mask byte, a header (and mask padding)
            // for every run that can start here, and the gap words that extend an open run.
            let worstRuns = n / (Diff.gapWords + 1) + n / Diff.maxRunWords + 2
            if !overflow && bytes + (n + Diff.gapWords) * 9 + worstRuns * (Diff.runHeaderBytes + 8) <= capacity {
                addUnchecked(cur, was, lo: lo, n: n, refresh: refresh)
                return
            }
            var i = 0
            while i < n {
                let x = cur[i] ^ was[i]
                if x == 0 { i += 1; continue }
                let addr = lo &+ UInt(i * 8)
                if open && addr &- lastChangedEnd <= UInt(Diff.gapWords * 8) && runWords + Int((addr &- lastChangedEnd) / 8) < Diff.maxRunWords {
                    // Extend over the gap (mask 0) up to this word.
                    var a = lastChangedEnd
                    while a < addr {
                        append(word: UnsafeRawPointer(bitPattern: a)!.load(as: UInt64.self), mask: 0)
                        a &+= 8
                    }
                } else {
                    close()
                    begin(at: addr)
                }
                append(word: cur[i], mask: Diff.byteMask(x))
                if refresh { was[i] = cur[i] }
                lastChangedEnd = addr &+ 8
                i += 1
            }
        }

        /// The same encoding when the output is known to have room: unchanged words are skipped and
        /// stretches of changed words taken by the vector loops of CCapeCodec.
        @inline(__always) private mutating func addUnchecked(_ cur: UnsafePointer<UInt64>, _ was: UnsafeMutablePointer<UInt64>, lo: UInt, n: Int, refresh: Bool) {
            var i = 0
            while i < n {
                i = cape_codec_skip_equal(cur, was, i, n)
                if i >= n { break }
                let addr = lo &+ UInt(i &* 8)
                if open && addr &- lastChangedEnd <= UInt(Diff.gapWords * 8) && runWords &+ Int((addr &- lastChangedEnd) / 8) < Diff.maxRunWords {
                    var a = lastChangedEnd
                    while a < addr {
                        put(UnsafeRawPointer(bitPattern: a)!.load(as: UInt64.self), 0)
                        a &+= 8
                    }
                } else {
                    close()
                    start(at: addr)
                }
                while true {
                    if runWords == Diff.maxRunWords {
                        close()
                        start(at: lo &+ UInt(i &* 8))
                    }
                    let k = cape_codec_take_changed(cur, was, i, n, Diff.maxRunWords &- runWords,
                                                    (out + bytes).assumingMemoryBound(to: UInt64.self), mask + runWords, refresh ? 1 : 0)
                    runWords &+= k
                    bytes &+= k &* 8
                    i &+= k
                    // Stopped at an unchanged word, at the end, or because the run is full.
                    if i >= n || runWords < Diff.maxRunWords || cur[i] == was[i] { break }
                }
                lastChangedEnd = lo &+ UInt(i &* 8)
            }
        }

        @inline(__always) private mutating func start(at addr: UInt) {
            runStart = bytes
            runAddr = addr
            runWords = 0
            open = true
            bytes &+= Diff.runHeaderBytes
        }

        @inline(__always) private mutating func put(_ word: UInt64, _ m: UInt8) {
            out.storeBytes(of: word, toByteOffset: bytes, as: UInt64.self)
            mask[runWords] = m
            runWords &+= 1
            bytes &+= 8
        }

        @inline(__always) private mutating func begin(at addr: UInt) {
            guard !overflow else { return }
            if bytes + Diff.runBytes(words: 1) > capacity { overflow = true; return }
            runStart = bytes
            runAddr = addr
            runWords = 0
            open = true
            bytes += Diff.runHeaderBytes
        }

        @inline(__always) private mutating func append(word: UInt64, mask m: UInt8) {
            guard open, !overflow else { return }
            if runWords == Diff.maxRunWords {
                let next = runAddr &+ UInt(runWords * 8)
                close()
                begin(at: next)
                guard open else { return }
            }
            if bytes + 8 + ((runWords + 8) & ~7) + 8 > capacity { overflow = true; open = false; return }
            out.storeBytes(of: word, toByteOffset: bytes, as: UInt64.self)
            mask[runWords] = m
            runWords += 1
            bytes += 8
        }

        /// Closes the open run: writes its header and its mask.
        public mutating func close() {
            guard open, !overflow else { open = false; return }
            open = false
            if runWords == 0 { bytes = runStart; return }
            let maskBytes = (runWords + 7) & ~7
            let m = out + bytes
            m.copyMemory(from: mask, byteCount: runWords)
            if maskBytes > runWords { (m + runWords).initializeMemory(as: UInt8.self, repeating: 0, count: maskBytes - runWords) }
            bytes += maskBytes
            out.storeBytes(of: UInt64(runAddr), toByteOffset: runStart, as: UInt64.self)
            out.storeBytes(of: UInt32(runWords), toByteOffset: runStart + 8, as: UInt32.self)
            out.storeBytes(of: UInt32(0), toByteOffset: runStart + 12, as: UInt32.self)
            runs += 1
        }
    }

    /// One run inside a payload.
    public struct Run {
        public let address: UInt
        public let words: Int
        public let data: UnsafeRawPointer
        public let mask: UnsafePointer<UInt8>
        public var end: UInt { address &+ UInt(words * 8) }
    }

    /// Marks the bytes of `ranges` (address, length; sorted by address) as unchanged in every run
    /// of a payload, so that applying it leaves them alone and they never conflict: the values of
    /// atomic updates that were merged separately.
    public static func unmark(_ payload: UnsafeMutableRawPointer, bytes: Int, ranges: [(address: UInt, length: Int)]) {
        guard !ranges.isEmpty else { return }
        for run in Runs(UnsafeRawPointer(payload), bytes: bytes) {
            let mask = UnsafeMutablePointer(mutating: run.mask)
            // The first range that may end inside the run (ranges are few; a binary search would do).
            var i = 0
            while i < ranges.count && ranges[i].address + UInt(ranges[i].length) <= run.address { i += 1 }
            while i < ranges.count && ranges[i].address < run.end {
                let lo = max(ranges[i].address, run.address), hi = min(ranges[i].address + UInt(ranges[i].length), run.end)
                var a = lo
                while a < hi {
                    let w = Int((a - run.address) / 8)
                    mask[w] &= ~(UInt8(1) << UInt8((a - run.address) % 8))
                    a += 1
                }
                i += 1
            }
        }
    }

    /// The runs of a payload, in order.
    public struct Runs: Sequence, IteratorProtocol {
        private var p: UnsafeRawPointer
        private let end: UnsafeRawPointer
        public init(_ payload: UnsafeRawPointer, bytes: Int) { p = payload; end = payload + bytes }
        public mutating func next() -> Run? {
            guard end - p >= Diff.runHeaderBytes else { return nil }
            let addr = UInt(p.loadUnaligned(as: UInt64.self))
            let words = Int(p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let data = p + Diff.runHeaderBytes
            let mask = (data + words * 8).assumingMemoryBound(to: UInt8.self)
            p = data + words * 8 + ((words + 7) & ~7)
            return Run(address: addr, words: words, data: data, mask: mask)
        }
    }

    /// Writes the changed bytes of `run` to `target` (the run's address translated by the caller).
    /// A word with some bytes changed is blended (numeric data changes its low bytes and keeps its
    /// sign and exponent): its other bytes may be rewritten with what they hold, and so may a run's
    /// gap words (the vector loop takes four words at a time), since nothing else writes the target
    /// while diffs are applied.
    @inline(__always) public static func apply(_ run: Run, to target: UnsafeMutableRawPointer) {
        cape_codec_blend(target.assumingMemoryBound(to: UInt64.self), run.data.assumingMemoryBound(to: UInt64.self), run.mask, run.words)
    }

    /// Applies every run of a payload at its own address.
    public static func applyInPlace(_ payload: UnsafeRawPointer, bytes: Int) {
        for run in Runs(payload, bytes: bytes) {
            apply(run, to: UnsafeMutableRawPointer(bitPattern: run.address)!)
        }
    }

    /// A byte that two ranks both changed, to different values.
    public struct Conflict: Equatable, Sendable {
        public let address: UInt
        public let rankA: Int
        public let rankB: Int
        public init(address: UInt, rankA: Int, rankB: Int) { self.address = address; self.rankA = rankA; self.rankB = rankB }
    }

    /// Finds bytes changed by two segments to different values. `payloads[i]` is rank i's payload.
    /// Returns at most `limit` conflicts, lowest addresses first.
    public static func conflicts(_ payloads: [(UnsafeRawPointer, Int)], limit: Int = 8) -> [Conflict] {
        // Runs of one payload are sorted and disjoint: every pair of payloads is one merge of their
        // run lists, without copying or sorting the runs (which cost as much as applying a diff of
        // one byte per page). Each pair yields its lowest conflicts; the lowest of all are kept.
        var found: [Conflict] = []
        for a in 0..<payloads.count {
            for b in (a + 1)..<max(a + 1, payloads.count) {
                var pair: [Conflict] = []
                var xs = Runs(payloads[a].0, bytes: payloads[a].1), ys = Runs(payloads[b].0, bytes: payloads[b].1)
                var x = xs.next(), y = ys.next()
                while let rx = x, let ry = y, pair.count < limit {
                    if rx.end <= ry.address { x = xs.next(); continue }
                    if ry.end <= rx.address { y = ys.next(); continue }
                    compare(rx, a, ry, b, into: &pair, limit: limit)
                    if rx.end <= ry.end { x = xs.next() } else { y = ys.next() }
                }
                found += pair
            }
        }
        found.sort { $0.address < $1.address }
        return Array(found.prefix(limit))
    }

    private static func compare(_ x: Run, _ rx: Int, _ y: Run, _ ry: Int, into found: inout [Conflict], limit: Int) {
        let lo = max(x.address, y.address), hi = min(x.end, y.end)
        var a = lo
        while a < hi && found.count < limit {
            let ix = Int((a - x.address) / 8), iy = Int((a - y.address) / 8)
            let both = x.mask[ix] & y.mask[iy]
            if both != 0 {
                let vx = x.data.loadUnaligned(fromByteOffset: ix * 8, as: UInt64.self)
                let vy = y.data.loadUnaligned(fromByteOffset: iy * 8, as: UInt64.self)
                for b in 0..<8 where both & (UInt8(1) << UInt8(b)) != 0 {
                    if (vx >> UInt64(8 * b)) & 0xFF != (vy >> UInt64(8 * b)) & 0xFF {
                        found.append(Conflict(address: a + UInt(b), rankA: min(rx, ry), rankB: max(rx, ry)))
                        break
                    }
                }
            }
            a += 8
        }
    }
}
