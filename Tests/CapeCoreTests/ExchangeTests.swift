import Foundation
import Testing
@testable import CapeCore

@Suite("recursive-doubling schedule")
struct ExchangeTests {
    /// Plays every rank's steps against each other and returns what each rank ends with.
    func simulate(_ p: Int) -> [[Int]] {
        var buffers = (0..<p).map { [$0] }
        let plans = (0..<p).map { ExchangePlan.steps(rank: $0, size: p) }
        var pc = [Int](repeating: 0, count: p)
        var progress = true
        while progress {
            progress = false
            for r in 0..<p where pc[r] < plans[r].count {
                switch plans[r][pc[r]] {
                case .send(let to):
                    // A send completes with the matching receive of `to`.
                    guard pc[to] < plans[to].count else { continue }
                    switch plans[to][pc[to]] {
                    case .append(let from) where from == r:
                        buffers[to] += buffers[r]; pc[to] += 1; pc[r] += 1; progress = true
                    case .replace(let from) where from == r:
                        buffers[to] = buffers[r]; pc[to] += 1; pc[r] += 1; progress = true
                    default: continue
                    }
                case .swap(let with):
                    guard pc[with] < plans[with].count, plans[with][pc[with]] == .swap(with: r), r < with else { continue }
                    let mine = buffers[r], theirs = buffers[with]
                    buffers[r] = mine + theirs; buffers[with] = theirs + mine
                    pc[r] += 1; pc[with] += 1; progress = true
                default: continue
                }
            }
        }
        #expect(pc == plans.map(\.count), "the schedule deadlocks for p=\(p)")
        return buffers
    }

    @Test("every rank ends with every segment exactly once", arguments: Array(1...17))
    func complete(_ p: Int) {
        for (r, b) in simulate(p).enumerated() {
            #expect(b.sorted() == Array(0..<p), "rank \(r) of \(p) ends with \(b)")
        }
    }

    @Test("a power of two takes log2 p steps, each a swap")
    func powerOfTwo() {
        #expect(ExchangePlan.steps(rank: 5, size: 8) == [.swap(with: 4), .swap(with: 7), .swap(with: 1)])
        #expect(ExchangePlan.steps(rank: 0, size: 1) == [])
    }

    @Test("extra ranks fold in before and get the result after")
    func extras() {
        #expect(ExchangePlan.steps(rank: 2, size: 3) == [.send(to: 0), .replace(from: 0)])
        #expect(ExchangePlan.steps(rank: 0, size: 3) == [.append(from: 2), .swap(with: 1), .send(to: 2)])
        #expect(ExchangePlan.steps(rank: 1, size: 3) == [.swap(with: 0)])
    }
}

@Suite("team layout")
struct TeamLayoutTests {
    @Test("without a request every rank hosts its capacity")
    func capacities() {
        let t = TeamLayout.make(capacities: [2, 1, 3], requested: 0)
        #expect(t.counts == [2, 1, 3] && t.bases == [0, 2, 3] && t.size == 6)
    }

    @Test("a requested team spreads evenly in rank order; a small team leaves ranks idle")
    func requested() {
        #expect(TeamLayout.make(capacities: [1, 1], requested: 4).counts == [2, 2])
        #expect(TeamLayout.make(capacities: [1, 1, 1], requested: 4).counts == [2, 1, 1])
        let small = TeamLayout.make(capacities: [1, 1, 1, 1], requested: 2)
        #expect(small.counts == [1, 1, 0, 0] && small.bases == [0, 1, 2, 2])
    }
}

@Suite("settings")
struct SettingsTests {
    @Test("defaults when nothing is set")
    func defaults() throws {
        let s = try Settings.parse([:])
        #expect(s.threadsPerRank == nil && !s.verify && s.trace == 0 && s.stdinMode == .replicate)
    }

    @Test("values are parsed")
    func values() throws {
        let s = try Settings.parse(["CAPE_THREADS_PER_RANK": "2", "CAPE_VERIFY": "1", "CAPE_STDIN": "rank0", "CAPE_TRACE": "2"])
        #expect(s.threadsPerRank == 2 && s.verify && s.stdinMode == .rank0 && s.trace == 2)
    }

    @Test("bad values are refused by name")
    func refused() {
        #expect(throws: Settings.Problem.invalid(name: "CAPE_THREADS_PER_RANK", value: "0", expected: "an integer from 1 to 64")) {
            try Settings.parse(["CAPE_THREADS_PER_RANK": "0"])
        }
        #expect(throws: Settings.Problem.self) { try Settings.parse(["CAPE_STDIN": "sometimes"]) }
    }

    @Test("the tracker and the profile path")
    func trackerAndProfile() throws {
        #expect(try Settings.parse([:]).tracker == .auto)
        #expect(try Settings.parse(["CAPE_TRACKER": "mprotect"]).tracker == .mprotect)
        #expect(try Settings.parse(["CAPE_TRACKER": "uffd", "CAPE_PROFILE": "/tmp/p.csv"]).profilePath == "/tmp/p.csv")
        #expect(throws: Settings.Problem.invalid(name: "CAPE_TRACKER", value: "soft-dirty", expected: "auto, uffd or mprotect")) {
            try Settings.parse(["CAPE_TRACKER": "soft-dirty"])
        }
    }

    @Test("the exchange's path")
    func exchangePath() throws {
        #expect(try Settings.parse([:]).exchange == .auto)
        #expect(try Settings.parse(["CAPE_EXCHANGE": "proxy"]).exchange == .proxy)
        #expect(throws: Settings.Problem.invalid(name: "CAPE_EXCHANGE", value: "shm", expected: "auto or proxy")) {
            try Settings.parse(["CAPE_EXCHANGE": "shm"])
        }
    }

    @Test("how many sync points guess the hot pages")
    func hotPages() throws {
        #expect(try Settings.parse([:]).hotPages == 8)
        #expect(try Settings.parse(["CAPE_HOT_PAGES": "0"]).hotPages == 0)
        #expect(throws: Settings.Problem.invalid(name: "CAPE_HOT_PAGES", value: "17", expected: "an integer from 0 to 16")) {
            try Settings.parse(["CAPE_HOT_PAGES": "17"])
        }
    }

    @Test("the README documents every setting of the table")
    func readme() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for e in Settings.table { #expect(text.contains("| `\(e.name)` |"), "README lacks \(e.name)") }
    }

    @Test("every setting the parser reads is in the documented table")
    func table() {
        let names = Set(Settings.table.map(\.name))
        for n in ["CAPE_THREADS_PER_RANK", "CAPE_VERIFY", "CAPE_TRACE", "CAPE_STDIN", "CAPE_CHANNEL_GB", "CAPE_TWIN_GB", "CAPE_PROXY",
                  "CAPE_RACES", "CAPE_TRACKER", "CAPE_PROFILE", "CAPE_ATOMICS", "CAPE_EXCHANGE", "CAPE_HOT_PAGES"] {
            #expect(names.contains(n))
        }
    }
}

@Suite("segments")
struct SegmentTests {
    @Test("segments written by several ranks parse back by rank, whatever their order")
    func parse() throws {
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        let f = Fingerprint(kind: 1, seq: 9, fn: 0x1234)
        Segment.writeHeader(buf, rank: 1, totalBytes: 128 + 16, fingerprint: f, diffBytes: 16)
        Segment.writeHeader(buf + 144, rank: 0, totalBytes: 128, fingerprint: f)
        let v = try Segment.parse([(UnsafeRawPointer(buf), 272)], ranks: 2)
        #expect(v[0].rank == 0 && v[1].rank == 1 && v[1].diffBytes == 16 && v[1].fingerprint == f)
        #expect(throws: Segment.ParseError.wrongCount(found: 2, expected: 3)) {
            try Segment.parse([(UnsafeRawPointer(buf), 272)], ranks: 3)
        }
        #expect(throws: Segment.ParseError.self) { try Segment.parse([(UnsafeRawPointer(buf), 200)], ranks: 2) }
    }

    @Test("segments left in separate buffers parse back by rank; a rank twice or a short buffer is refused")
    func parseBuffers() throws {
        let a = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        let b = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        let c = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        let f = Fingerprint(kind: 2, seq: 3, fn: 0x99)
        Segment.writeHeader(a, rank: 2, totalBytes: 128 + 8, fingerprint: f, diffBytes: 8)
        Segment.writeHeader(b, rank: 0, totalBytes: 128, fingerprint: f)
        Segment.writeHeader(c, rank: 1, totalBytes: 128 + 24, fingerprint: f, outBytes: 24)
        let v = try Segment.parse([(UnsafeRawPointer(a), 136), (UnsafeRawPointer(b), 128), (UnsafeRawPointer(c), 152)], ranks: 3)
        #expect(v.map(\.rank) == [0, 1, 2])
        #expect(v[0].base == UnsafeRawPointer(b) && v[1].base == UnsafeRawPointer(c) && v[2].base == UnsafeRawPointer(a))
        #expect(v[2].diffBytes == 8 && v[1].outBytes == 24)
        #expect(throws: Segment.ParseError.badLength(offset: 136)) {
            try Segment.parse([(UnsafeRawPointer(a), 136), (UnsafeRawPointer(a), 136)], ranks: 3)
        }
        #expect(throws: Segment.ParseError.badLength(offset: 136)) {
            try Segment.parse([(UnsafeRawPointer(a), 136), (UnsafeRawPointer(c), 140)], ranks: 3)
        }
    }

    @Test("fingerprint differences are named")
    func differences() {
        let a = Fingerprint(kind: 1, seq: 3, fn: 1, sp: 100)
        let b = Fingerprint(kind: 1, seq: 3, fn: 2, sp: 108)
        #expect(a.differences(from: b).count == 2)
    }
}
