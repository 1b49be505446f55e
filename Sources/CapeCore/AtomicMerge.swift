// Combining the atomic updates that ranks performed locally (see Sources/CCapeShim/atomics.c):
// each rank reports, per address, its operator class and folded operand; every rank replays the
// reports in rank order on the value the address had before, so all ranks compute the same value,
// the one a serial order of the updates gives (exact for integers: addition modulo 2^width, and,
// or, xor). An address that a rank updated with several operator classes, or that a team-wide
// atomic (a capture, a compare-exchange) also wrote, cannot be merged this way: that is reported.

public struct AtomicRecord: Equatable, Sendable {
    public enum Op: UInt8, Sendable { case add = 1, and = 5, or = 6, xor = 7 }
    public var address: UInt64
    public var width: Int
    /// nil: only a team-wide atomic wrote the address.
    public var op: Op?
    public var operand: UInt64
    /// The value before the rank's first update.
    public var before: UInt64
    /// The rank used several operator classes on the address.
    public var severalClasses = false
    /// A team-wide atomic wrote the address too.
    public var touchedSerially = false

    public init(address: UInt64, width: Int, op: Op?, operand: UInt64, before: UInt64,
                severalClasses: Bool = false, touchedSerially: Bool = false) {
        self.address = address; self.width = width; self.op = op; self.operand = operand; self.before = before
        self.severalClasses = severalClasses; self.touchedSerially = touchedSerially
    }

    /// Bytes one record takes in a segment (the C layout of cape_atomic_record_t): address,
    /// operand, before (u64 each), then width, op, mixed bits (u8 each) and padding.
    public static let bytes = 32

    public static func parse(_ p: UnsafeRawPointer, bytes: Int) -> [AtomicRecord] {
        var out: [AtomicRecord] = []
        var off = 0
        while off + Self.bytes <= bytes {
            let mixed = p.load(fromByteOffset: off + 26, as: UInt8.self)
            out.append(AtomicRecord(address: p.loadUnaligned(fromByteOffset: off, as: UInt64.self),
                                    width: Int(p.load(fromByteOffset: off + 24, as: UInt8.self)),
                                    op: Op(rawValue: p.load(fromByteOffset: off + 25, as: UInt8.self)),
                                    operand: p.loadUnaligned(fromByteOffset: off + 8, as: UInt64.self),
                                    before: p.loadUnaligned(fromByteOffset: off + 16, as: UInt64.self),
                                    severalClasses: mixed & 1 != 0, touchedSerially: mixed & 2 != 0))
            off += Self.bytes
        }
        return out
    }
}

public enum AtomicMerge {
    public struct Result: Equatable, Sendable {
        public var address: UInt64
        public var width: Int
        public var value: UInt64
    }

    public enum Failure: Error, Equatable {
        /// `rank` updated the address with several operator classes (+ and &, ...).
        case severalClasses(address: UInt64, rank: Int)
        /// Local updates and a team-wide atomic (capture, compare, exchange) wrote the address.
        case serialAndLocal(address: UInt64)
        /// Ranks updated the address with different widths.
        case widths(address: UInt64)
    }

    static func mask(_ width: Int) -> UInt64 { width >= 8 ? ~0 : (1 << UInt64(8 * width)) - 1 }

    static func apply(_ op: AtomicRecord.Op, _ value: UInt64, _ operand: UInt64, width: Int) -> UInt64 {
        switch op {
        case .add: return (value &+ operand) & mask(width)
        case .and: return value & operand
        case .or: return value | operand
        case .xor: return value ^ operand
        }
    }

    /// The final value of every address that some rank updated locally, from the ranks' records
    /// (index = rank) in rank order. The value before comes from the lowest rank that updated the
    /// address, so every rank starts from the same one. Sorted by address.
    public static func merge(_ perRank: [[AtomicRecord]]) throws(Failure) -> [Result] {
        var state: [UInt64: Result] = [:]
        var serial: Set<UInt64> = []
        for (rank, records) in perRank.enumerated() {
            for r in records {
                if r.severalClasses { throw .severalClasses(address: r.address, rank: rank) }
                if r.touchedSerially { serial.insert(r.address) }
                guard let op = r.op else { continue }
                if var s = state[r.address] {
                    if s.width != r.width { throw .widths(address: r.address) }
                    s.value = apply(op, s.value, r.operand, width: r.width)
                    state[r.address] = s
                } else {
                    state[r.address] = Result(address: r.address, width: r.width,
                                              value: apply(op, r.before & mask(r.width), r.operand, width: r.width))
                }
            }
        }
        if let a = serial.filter({ state[$0] != nil }).min() { throw .serialAndLocal(address: a) }
        return state.keys.sorted().map { state[$0]! }
    }
}
