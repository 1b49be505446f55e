// Every CAPE_* setting, with its default and meaning, in one table. Parsed once at start; the
// README's table is written from this one.

public struct Settings: Sendable, Equatable {
    public var threadsPerRank: Int?      // nil: the rank's share of the node's cores
    public var verify = false
    public var trace = 0
    public var stdinMode = StdinMode.replicate
    public var channelGiB = 64
    public var twinGiB = 64
    public var proxyPath: String?
    public var races = RaceMode.warn
    public var tracker = TrackerMode.auto
    public var profilePath: String?
    public var atomics = AtomicsMode.local
    public var exchange = ExchangeMode.auto
    public var hotPages = 8

    public enum StdinMode: String, Sendable { case replicate, rank0 }
    public enum RaceMode: String, Sendable { case warn, error }
    public enum TrackerMode: String, Sendable { case auto, uffd, mprotect }
    public enum AtomicsMode: String, Sendable { case local, trap, serial }
    public enum ExchangeMode: String, Sendable { case auto, proxy }

    public struct Entry: Sendable {
        public let name: String
        public let defaultValue: String
        public let meaning: String
    }

    public static let table: [Entry] = [
        Entry(name: "CAPE_THREADS_PER_RANK", defaultValue: "cores / ranks on the node (at least 1)",
              meaning: "local threads each rank runs; the team is the sum over ranks"),
        Entry(name: "CAPE_VERIFY", defaultValue: "0",
              meaning: "1: after every region, hash all tracked memory and stop if ranks differ"),
        Entry(name: "CAPE_TRACE", defaultValue: "0",
              meaning: "1: one line per region on stderr; 2: also fork details; 3: also the tracked memory"),
        Entry(name: "CAPE_STDIN", defaultValue: "replicate",
              meaning: "replicate: rank 0 reads stdin to its end at start and every rank gets a copy; rank0: leave stdin alone"),
        Entry(name: "CAPE_CHANNEL_GB", defaultValue: "64",
              meaning: "address space (GiB) of the exchange buffer shared with the proxy; only what is used is committed"),
        Entry(name: "CAPE_TWIN_GB", defaultValue: "64",
              meaning: "address space (GiB) for the copies of pages written in one region"),
        Entry(name: "CAPE_PROXY", defaultValue: "cape-proxy beside libcape.so",
              meaning: "path of the cape-proxy executable"),
        Entry(name: "CAPE_RACES", defaultValue: "warn",
              meaning: "warn: ranks writing different values to one byte in a region (a data race) get the highest thread's value and one warning per region; error: stop the job instead"),
        Entry(name: "CAPE_TRACKER", defaultValue: "auto",
              meaning: "how written pages are found: uffd (userfaultfd asynchronous write protection and PAGEMAP_SCAN, Linux >= 6.7), mprotect (write protection and a fault handler, any kernel), auto: uffd where the kernel has it"),
        Entry(name: "CAPE_ATOMICS", defaultValue: "local",
              meaning: "local: atomic updates whose result is not read (lock add, sub, inc, dec, and, or, xor; compare-exchange loops of one operation, of min or of max) run on the rank's memory and are merged at the next sync point, reached by a jump where the instruction is rewritten; trap: the same, but every atomic instruction traps (for measuring); serial: every atomic instruction runs team-wide, one at a time"),
        Entry(name: "CAPE_EXCHANGE", defaultValue: "auto",
              meaning: "auto: when every rank runs on one host, the sync points' data travels through memory the ranks share (segments up to 4 MiB), else through the proxies and MPI; proxy: always through the proxies (for measuring)"),
        Entry(name: "CAPE_HOT_PAGES", defaultValue: "8",
              meaning: "uffd tracker: how many past sync points' written pages are kept to guess which pages the next one will find written; those are left writable (no write fault) and compared with their copy; 0: protect every page at every sync point (for measuring)"),
        Entry(name: "CAPE_PROFILE", defaultValue: "(unset)",
              meaning: "a path: rank 0 writes a per-region profile there at exit (time computing, tracking, encoding, exchanging and applying, bytes, dirty pages); `cape-profile` prints it and draws its chart"),
    ]

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case invalid(name: String, value: String, expected: String)
        public var description: String {
            switch self {
            case let .invalid(name, value, expected): "\(name)=\(value) is not valid (expected \(expected))"
            }
        }
    }

    public init() {}

    public static func parse(_ env: [String: String]) throws(Problem) -> Settings {
        var s = Settings()
        func int(_ name: String, min: Int, max: Int) throws(Problem) -> Int? {
            guard let v = env[name], !v.isEmpty else { return nil }
            guard let i = Int(v), i >= min, i <= max else {
                throw .invalid(name: name, value: v, expected: "an integer from \(min) to \(max)")
            }
            return i
        }
        s.threadsPerRank = try int("CAPE_THREADS_PER_RANK", min: 1, max: 64)
        if let v = try int("CAPE_VERIFY", min: 0, max: 1) { s.verify = v == 1 }
        if let v = try int("CAPE_TRACE", min: 0, max: 3) { s.trace = v }
        if let v = env["CAPE_STDIN"], !v.isEmpty {
            guard let m = StdinMode(rawValue: v) else { throw .invalid(name: "CAPE_STDIN", value: v, expected: "replicate or rank0") }
            s.stdinMode = m
        }
        if let v = try int("CAPE_CHANNEL_GB", min: 1, max: 1 << 16) { s.channelGiB = v }
        if let v = try int("CAPE_TWIN_GB", min: 1, max: 1 << 16) { s.twinGiB = v }
        if let v = env["CAPE_PROXY"], !v.isEmpty { s.proxyPath = v }
        if let v = env["CAPE_RACES"], !v.isEmpty {
            guard let m = RaceMode(rawValue: v) else { throw .invalid(name: "CAPE_RACES", value: v, expected: "warn or error") }
            s.races = m
        }
        if let v = env["CAPE_TRACKER"], !v.isEmpty {
            guard let m = TrackerMode(rawValue: v) else { throw .invalid(name: "CAPE_TRACKER", value: v, expected: "auto, uffd or mprotect") }
            s.tracker = m
        }
        if let v = env["CAPE_PROFILE"], !v.isEmpty { s.profilePath = v }
        if let v = env["CAPE_ATOMICS"], !v.isEmpty {
            guard let m = AtomicsMode(rawValue: v) else { throw .invalid(name: "CAPE_ATOMICS", value: v, expected: "local, trap or serial") }
            s.atomics = m
        }
        if let v = env["CAPE_EXCHANGE"], !v.isEmpty {
            guard let m = ExchangeMode(rawValue: v) else { throw .invalid(name: "CAPE_EXCHANGE", value: v, expected: "auto or proxy") }
            s.exchange = m
        }
        if let v = try int("CAPE_HOT_PAGES", min: 0, max: 16) { s.hotPages = v }
        return s
    }
}

/// FNV-1a over 64-bit words, for CAPE_VERIFY.
public enum MemoryHash {
    public static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) public static func add(_ h: UInt64, words p: UnsafeRawPointer, count: Int) -> UInt64 {
        var h = h
        let w = p.assumingMemoryBound(to: UInt64.self)
        for i in 0..<count { h = (h ^ w[i]) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
