// The recursive-doubling schedule of an exchange (DESIGN §2.4): ceil(log2 p) steps with partner
// rank XOR 2^k among the largest power of two p2 <= p; ranks >= p2 fold their segment into
// rank - p2 first and receive the complete result from it at the end. Buffers only grow by
// concatenation, so every rank ends with every segment: lg p·α + ((p-1)/p)·N·β, the bandwidth optimum.

public enum ExchangeStep: Equatable, Sendable {
    /// Send the whole buffer.
    case send(to: Int)
    /// Receive a buffer and append it.
    case append(from: Int)
    /// Send the whole buffer and append the partner's (one MPI_Sendrecv).
    case swap(with: Int)
    /// Receive a buffer that replaces ours (it already contains our segment).
    case replace(from: Int)
}

public enum ExchangePlan {
    public static func largestPowerOfTwo(atMost n: Int) -> Int {
        precondition(n >= 1, "ExchangePlan: rank count must be positive")
        var p = 1
        while p * 2 <= n { p *= 2 }
        return p
    }

    public static func steps(rank: Int, size: Int) -> [ExchangeStep] {
        precondition(rank >= 0 && rank < size, "ExchangePlan.steps: rank \(rank) outside 0..<\(size)")
        let p2 = largestPowerOfTwo(atMost: size)
        if rank >= p2 { return [.send(to: rank - p2), .replace(from: rank - p2)] }
        var out: [ExchangeStep] = []
        let hasExtra = rank + p2 < size
        if hasExtra { out.append(.append(from: rank + p2)) }
        var bit = 1
        while bit < p2 {
            out.append(.swap(with: rank ^ bit))
            bit <<= 1
        }
        if hasExtra { out.append(.send(to: rank + p2)) }
        return out
    }
}

// How a team of threads spreads over the ranks: rank r hosts counts[r] threads with global ids
// bases[r] ..< bases[r] + counts[r].
public struct TeamLayout: Equatable, Sendable {
    public let counts: [Int]
    public let bases: [Int]
    public var size: Int { counts.reduce(0, +) }

    public init(counts: [Int]) {
        self.counts = counts
        var b: [Int] = []
        var s = 0
        for c in counts { b.append(s); s += c }
        bases = b
    }

    /// Each rank's own capacity when no team size is requested; otherwise `requested` threads
    /// spread as evenly as possible in rank order (a team smaller than the rank count leaves the
    /// last ranks idle).
    public static func make(capacities: [Int], requested: Int) -> TeamLayout {
        let total = capacities.reduce(0, +)
        if requested <= 0 || requested == total { return TeamLayout(counts: capacities) }
        let p = capacities.count
        return TeamLayout(counts: (0..<p).map { requested / p + ($0 < requested % p ? 1 : 0) })
    }
}
