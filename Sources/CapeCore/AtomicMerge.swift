// Combining the atomic updates that ranks performed locally (see Sources/CCapeShim/atomics.c):
// each rank reports, per address, its operator class and folded operand; every rank replays the
// reports in rank order on the value the address had before, so all ranks compute the same value,
// the one a serial order of the updates gives (exact for integers: addition and multiplication
// modulo 2^width, and, or, xor, min and max). Floating-point updates do not fold (a sum of deltas rounds
// differently from the updates one at a time): each rank reports every one, in the order it ran
// them, and the merge applies rank 0's in order, then rank 1's, and so on. An address that a rank updated with several operator classes, or that a team-wide
// atomic (a capture, a compare-exchange) also wrote, cannot be merged this way: that is reported.

public struct AtomicRecord: Equatable, Sendable {
    public enum Op: UInt8, Sendable {
        case add = 1, and = 5, or = 6, xor = 7, mul = 9, logged = 14
        /// min and max, signed or unsigned at the record's width (`atomic compare` forms)
        case smax = 15, smin = 16, umax = 17, umin = 18
    }
    /// One floating-point update of a `logged` record (float or double by the record's width).
    public struct Step: Equatable, Sendable {
        public enum Op: UInt8, Sendable {
            case add = 10, sub = 11, mul = 12, div = 13
            /// maxss/maxsd and minss/minsd with the variable first: x > e ? x : e, x < e ? x : e
            case max = 19, min = 20
            /// the same with e first (gcc's AVX form): e > x ? e : x, e < x ? e : x
            case maxEFirst = 21, minEFirst = 22
        }
        public var op: Op
        public var operand: UInt64
        public init(_ op: Op, _ operand: UInt64) { self.op = op; self.operand = operand }
    }
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
    /// The floating-point updates of a `logged` record, in the order the rank performed them.
    public var steps: [Step] = []

    public init(address: UInt64, width: Int, op: Op?, operand: UInt64, before: UInt64,
                severalClasses: Bool = false, touchedSerially: Bool = false, steps: [Step] = []) {
        self.address = address; self.width = width; self.op = op; self.operand = operand; self.before = before
        self.severalClasses = severalClasses; self.touchedSerially = touchedSerially; self.steps = steps
    }

    /// Bytes one log entry takes (cape_atomic_log_t): operand (u64), record index (u32), op (u8), padding.
    public static let logBytes = 16

    /// Appends a rank's log entries to the steps of the records they name (`records` as parsed
    /// from the same segment); a malformed entry marks its record as of several classes.
    public static func parseLog(_ p: UnsafeRawPointer, bytes: Int, into records: inout [AtomicRecord]) {
        var off = 0
        while off + logBytes <= bytes {
            let index = Int(p.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self))
            if index < records.count {
                if let op = Step.Op(rawValue: p.load(fromByteOffset: off + 12, as: UInt8.self)), records[index].op == .logged {
                    records[index].steps.append(Step(op, p.loadUnaligned(fromByteOffset: off, as: UInt64.self)))
                } else {
                    records[index].severalClasses = true
                }
            }
            off += logBytes
        }
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
        case .mul: return (value &* operand) & mask(width)
        case .logged: return value
        case .smax: return signed(value, width) >= signed(operand, width) ? value : operand
        case .smin: return signed(value, width) <= signed(operand, width) ? value : operand
        case .umax: return max(value, operand)
        case .umin: return min(value, operand)
        }
    }

    /// A value of `width` bytes (masked to it) as a signed number.
    static func signed(_ v: UInt64, _ width: Int) -> Int64 {
        let shift = UInt64(64 - 8 * width)
        return Int64(bitPattern: v << shift) >> shift
    }

    /// The record's floating-point updates applied one at a time, in float or double arithmetic.
    static func replay(_ steps: [AtomicRecord.Step], on value: UInt64, width: Int) -> UInt64 {
        if width == 4 {
            let x = steps.reduce(Float(bitPattern: UInt32(truncatingIfNeeded: value))) {
                apply($1.op, $0, Float(bitPattern: UInt32(truncatingIfNeeded: $1.operand)))
            }
            return UInt64(x.bitPattern)
        }
        return steps.reduce(Double(bitPattern: value)) { apply($1.op, $0, Double(bitPattern: $1.operand)) }.bitPattern
    }

    /// One floating-point update of x by e; max and min as maxsd and minsd compute them (the
    /// second operand when the comparison is false: NaN, equal zeros).
    static func apply<T: BinaryFloatingPoint>(_ op: AtomicRecord.Step.Op, _ x: T, _ e: T) -> T {
        switch op {
        case .add: return x + e
        case .sub: return x - e
        case .mul: return x * e
        case .div: return x / e
        case .max: return x > e ? x : e
        case .min: return x < e ? x : e
        case .maxEFirst: return e > x ? e : x
        case .minEFirst: return e < x ? e : x
        }
    }

    /// The final value of every address that some rank updated locally, from the ranks' records
    /// (index = rank) in rank order. The value before comes from the lowest rank that updated the
    /// address, so every rank starts from the same one. Sorted by address.
    public static func merge(_ perRank: [[AtomicRecord]]) throws(Failure) -> [Result] {
        var state: [UInt64: Result] = [:]
        var serial: Set<UInt64> = []
        // Folded operands of different classes from different ranks still combine in rank order
        // (a + then &), but a floating-point log and an integer fold of one address do not.
        var classes: [UInt64: AtomicRecord.Op] = [:]
        for (rank, records) in perRank.enumerated() {
            for r in records {
                if r.severalClasses { throw .severalClasses(address: r.address, rank: rank) }
                if r.touchedSerially { serial.insert(r.address) }
                guard let op = r.op else { continue }
                if op == .logged && r.width != 4 && r.width != 8 { throw .widths(address: r.address) }
                var s = state[r.address] ?? Result(address: r.address, width: r.width, value: r.before & mask(r.width))
                if s.width != r.width { throw .widths(address: r.address) }
                if let c = classes[r.address], (c == .logged) != (op == .logged) { throw .severalClasses(address: r.address, rank: rank) }
                classes[r.address] = op
                s.value = op == .logged ? replay(r.steps, on: s.value, width: r.width) : apply(op, s.value, r.operand, width: r.width)
                state[r.address] = s
            }
        }
        if let a = serial.filter({ state[$0] != nil }).min() { throw .serialAndLocal(address: a) }
        return state.keys.sorted().map { state[$0]! }
    }
}
