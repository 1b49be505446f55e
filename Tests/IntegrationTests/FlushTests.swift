// flush as a synchronization point (Sources/Cape/Flush.swift): a flag-and-flush pipeline of 4
// threads x 60 rows is exact on one host and across hosts, with two threads per rank too under
// the uffd tracker; under CAPE_TRACKER=mprotect a rank that runs two of the region's threads stops
// by name, since its flushes could miss a sibling's writes. (Not in Tests/programs: that suite
// also runs the mprotect tracker with two threads per rank.)
import Foundation
import Testing

@Suite("flush", .serialized)
struct FlushTests {
    static let source = Harness.packageRoot.appendingPathComponent("Tests/flush/pipeline.c").path

    func build(in dir: URL) throws -> String {
        let exe = dir.appendingPathComponent("pipeline").path
        try Harness.compile(source: Self.source, output: exe)
        return exe
    }

    @Test("a flag-and-flush pipeline is exact, three runs per shape (mprotect: one thread per rank)",
          arguments: [CapeConfiguration(ranks: 1, threadsPerRank: 1),
                      CapeConfiguration(ranks: 2, threadsPerRank: 1),
                      CapeConfiguration(ranks: 3, threadsPerRank: 1),
                      CapeConfiguration(ranks: 4, threadsPerRank: 1),
                      CapeConfiguration(ranks: 2, threadsPerRank: 2),
                      CapeConfiguration(ranks: 4, threadsPerRank: 1, tracker: "mprotect"),
                      CapeConfiguration(ranks: 4, hosts: 2, threadsPerRank: 1),
                      CapeConfiguration(ranks: 3, hosts: 3, threadsPerRank: 1)])
    func pipeline(_ configuration: CapeConfiguration) throws {
        let lib = try #require(Harness.libcapePath(), Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-flush")
        defer { Harness.removeDirectory(dir) }
        let exe = try build(in: dir)
        let reference = try Harness.runWithLibgomp(exe, threads: 4)
        try #require(reference.succeeded, Comment(rawValue: reference.stderrText))
        for run in 1...3 {
            let r = try Harness.runWithCape(exe, library: lib, configuration: configuration)
            #expect(r.exitCode == 0, "[\(configuration)] run \(run): \(r.statusDescription)\n\(Harness.clip(r.stderrText))")
            #expect(r.stdoutText == reference.stdoutText, """
                [\(configuration)] run \(run): \(Harness.firstDifference(expected: reference.stdoutText, got: r.stdoutText))
                """)
        }
    }

    @Test("with CAPE_TRACKER=mprotect a flush on a rank that runs two of the region's threads stops the job by name")
    func twoThreadsPerRank() throws {
        let lib = try #require(Harness.libcapePath(), Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-flush")
        defer { Harness.removeDirectory(dir) }
        let exe = try build(in: dir)
        let r = try Harness.runWithCape(exe, library: lib, configuration: CapeConfiguration(ranks: 2, threadsPerRank: 2, tracker: "mprotect"), timeout: 60)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(r.stderrText.contains("flush is exact with CAPE_TRACKER=mprotect only with one thread per rank"), Comment(rawValue: Harness.clip(r.stderrText)))
        #expect(!r.stdoutText.contains("checksum"), "the program finished: \(r.stdoutText)")
    }
}
