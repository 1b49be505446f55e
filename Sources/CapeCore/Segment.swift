// Segments: what one rank contributes to an exchange. The proxy concatenates segments; only the
// program side reads them. Layout (little-endian, 128-byte header, then the payload):
//   0 magic u32 | 4 rank u32 | 8 total bytes u64 (header + payload)
//  16 kind u32 | 20 flags u32 | 24 seq u64 | 32 fn u64 | 40 data u64 | 48 sp u64 | 56 brk u64
//  64 tracked ranges u64 | 72 tracked bytes u64 | 80 run count u64 | 88 hash u64 | 96 log bytes u64
// 104 diff bytes u64 | 112 stdout bytes u64 | 120 stderr bytes u64
// Log bytes: what the rank appended to the section log since the last sync point; their sum tells a
// rank away from the home host whether the log holds anything it has not read.
// The payload is the diff's runs, then what the rank's threads printed to stdout and stderr in the
// region (rank 0 prints it, in rank order, so output appears once and in program order).
// The fingerprint (kind .. tracked bytes) travels with the join's exchange instead of a collective of
// its own at region start: divergence is still caught before any foreign byte is applied, and a
// region costs one exchange instead of two.

public enum SegmentKind: UInt32, Sendable {
    case region = 1
    case verify = 2
    case exit = 3
    case barrier = 4
    /// A rank that hosts no thread of the region's team, taking part in the team's exchanges.
    case idle = 5
    case startup = 6

    public var name: String {
        switch self {
        case .region: "the end of a parallel region"
        case .verify: "a memory verification"
        case .exit: "program exit"
        case .barrier: "a barrier"
        case .idle: "a region where it hosts no thread"
        case .startup: "start-up"
        }
    }
}

public struct Fingerprint: Equatable, Sendable {
    public var kind: UInt32
    public var seq: UInt64
    public var fn: UInt64
    public var data: UInt64
    public var sp: UInt64
    public var brk: UInt64
    public var trackedRanges: UInt64
    public var trackedBytes: UInt64

    public init(kind: UInt32, seq: UInt64, fn: UInt64 = 0, data: UInt64 = 0, sp: UInt64 = 0, brk: UInt64 = 0,
                trackedRanges: UInt64 = 0, trackedBytes: UInt64 = 0) {
        self.kind = kind; self.seq = seq; self.fn = fn; self.data = data; self.sp = sp; self.brk = brk
        self.trackedRanges = trackedRanges; self.trackedBytes = trackedBytes
    }

    /// The fields that differ from `other`, named for a message.
    public func differences(from other: Fingerprint) -> [String] {
        var d: [String] = []
        if kind != other.kind { d.append("what they are doing") }
        if seq != other.seq { d.append("region number (\(seq) vs \(other.seq))") }
        if fn != other.fn { d.append("outlined function") }
        if data != other.data { d.append("shared-data pointer") }
        if sp != other.sp { d.append("stack pointer (the environment may differ between ranks)") }
        if brk != other.brk { d.append("program break (heap size)") }
        if trackedRanges != other.trackedRanges || trackedBytes != other.trackedBytes { d.append("memory mappings") }
        return d
    }
}

public enum Segment {
    public static let magic: UInt32 = 0x4341_5045
    public static let headerBytes = 128

    public static func writeHeader(_ p: UnsafeMutableRawPointer, rank: Int, totalBytes: Int, fingerprint f: Fingerprint,
                                   runCount: Int = 0, hash: UInt64 = 0, logBytes: Int = 0,
                                   diffBytes: Int = 0, outBytes: Int = 0, errBytes: Int = 0) {
        p.storeBytes(of: magic, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: UInt32(rank), toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: UInt64(totalBytes), toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: f.kind, toByteOffset: 16, as: UInt32.self)
        p.storeBytes(of: UInt32(0), toByteOffset: 20, as: UInt32.self)
        p.storeBytes(of: f.seq, toByteOffset: 24, as: UInt64.self)
        p.storeBytes(of: f.fn, toByteOffset: 32, as: UInt64.self)
        p.storeBytes(of: f.data, toByteOffset: 40, as: UInt64.self)
        p.storeBytes(of: f.sp, toByteOffset: 48, as: UInt64.self)
        p.storeBytes(of: f.brk, toByteOffset: 56, as: UInt64.self)
        p.storeBytes(of: f.trackedRanges, toByteOffset: 64, as: UInt64.self)
        p.storeBytes(of: f.trackedBytes, toByteOffset: 72, as: UInt64.self)
        p.storeBytes(of: UInt64(runCount), toByteOffset: 80, as: UInt64.self)
        p.storeBytes(of: hash, toByteOffset: 88, as: UInt64.self)
        p.storeBytes(of: UInt64(logBytes), toByteOffset: 96, as: UInt64.self)
        p.storeBytes(of: UInt64(diffBytes), toByteOffset: 104, as: UInt64.self)
        p.storeBytes(of: UInt64(outBytes), toByteOffset: 112, as: UInt64.self)
        p.storeBytes(of: UInt64(errBytes), toByteOffset: 120, as: UInt64.self)
    }

    /// A segment found in an exchange buffer.
    public struct View {
        public let base: UnsafeRawPointer
        public var rank: Int { Int(base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
        public var totalBytes: Int { Int(base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        public var runCount: Int { Int(base.loadUnaligned(fromByteOffset: 80, as: UInt64.self)) }
        public var hash: UInt64 { base.loadUnaligned(fromByteOffset: 88, as: UInt64.self) }
        public var logBytes: Int { Int(base.loadUnaligned(fromByteOffset: 96, as: UInt64.self)) }
        public var payload: UnsafeRawPointer { base + Segment.headerBytes }
        public var payloadBytes: Int { totalBytes - Segment.headerBytes }
        /// The diff's runs, at the start of the payload.
        public var diffBytes: Int { Int(base.loadUnaligned(fromByteOffset: 104, as: UInt64.self)) }
        public var outBytes: Int { Int(base.loadUnaligned(fromByteOffset: 112, as: UInt64.self)) }
        public var errBytes: Int { Int(base.loadUnaligned(fromByteOffset: 120, as: UInt64.self)) }
        public var output: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: payload + diffBytes, count: outBytes) }
        public var errors: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: payload + diffBytes + outBytes, count: errBytes) }
        /// Bytes after the output: data of a construct (copyprivate) that one rank hands to all.
        public var extraBytes: Int { payloadBytes - diffBytes - outBytes - errBytes }
        public var extra: UnsafeRawPointer { payload + diffBytes + outBytes + errBytes }
        public var fingerprint: Fingerprint {
            Fingerprint(kind: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self),
                        seq: base.loadUnaligned(fromByteOffset: 24, as: UInt64.self),
                        fn: base.loadUnaligned(fromByteOffset: 32, as: UInt64.self),
                        data: base.loadUnaligned(fromByteOffset: 40, as: UInt64.self),
                        sp: base.loadUnaligned(fromByteOffset: 48, as: UInt64.self),
                        brk: base.loadUnaligned(fromByteOffset: 56, as: UInt64.self),
                        trackedRanges: base.loadUnaligned(fromByteOffset: 64, as: UInt64.self),
                        trackedBytes: base.loadUnaligned(fromByteOffset: 72, as: UInt64.self))
        }
    }

    public enum ParseError: Error, Equatable {
        case badMagic(offset: Int)
        case badLength(offset: Int)
        case wrongCount(found: Int, expected: Int)
    }

    /// Splits the buffers of an exchange into one segment per rank, indexed by rank. Each buffer
    /// holds whole segments: all of them (through the proxies), or one (the exchange on one host
    /// leaves the other ranks' segments where they posted them). Offsets in errors count from the
    /// first buffer's start as if the buffers were one.
    public static func parse(_ buffers: [(UnsafeRawPointer, Int)], ranks: Int) throws(ParseError) -> [View] {
        var out = [View?](repeating: nil, count: ranks)
        var found = 0
        var before = 0
        for (buffer, bytes) in buffers {
            var off = 0
            while off < bytes {
                let p = buffer + off
                guard bytes - off >= headerBytes, p.loadUnaligned(as: UInt32.self) == magic else { throw .badMagic(offset: before + off) }
                let v = View(base: p)
                guard v.totalBytes >= headerBytes, v.totalBytes <= bytes - off, v.rank < ranks, out[v.rank] == nil,
                      v.diffBytes + v.outBytes + v.errBytes <= v.payloadBytes else {
                    throw .badLength(offset: before + off)
                }
                out[v.rank] = v
                found += 1
                off += v.totalBytes
            }
            before += bytes
        }
        guard found == ranks else { throw .wrongCount(found: found, expected: ranks) }
        return out.map { $0! }
    }
}
