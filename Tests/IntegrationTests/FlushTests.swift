// flush as a synchronization point (Sources/Cape/Flush.swift): a flag-and-flush pipeline of 4
// threads x 60 rows (Tests/flush/pipeline.c) and the pipelined sweep of NAS LU
// (Tests/flush/lu_sweep.c) are exact on one host and across hosts, with one thread per rank; a
// flush on a rank that runs two of the region's threads stops by name, under either tracker.
// (Not in Tests/programs: that suite also runs two threads per rank.)
import Foundation
import Testing

@Suite("flush", .serialized)
struct FlushTests {
    func build(_ program: String = "pipeline", in dir: URL) throws -> String {
        let exe = dir.appendingPathComponent(program).path
        try Harness.compile(source: Harness.packageRoot.appendingPathComponent("Tests/flush/\(program).c").path, output: exe)
        return exe
    }

    /// pipeline.c asks for 4 threads: shapes with one of them per rank. lu_sweep.c runs a team of
    /// the job's size.
    static let shapes: [(String, CapeConfiguration)] = [
        ("pipeline", CapeConfiguration(ranks: 1, threadsPerRank: 1)),
        ("pipeline", CapeConfiguration(ranks: 4, threadsPerRank: 1)),
        ("pipeline", CapeConfiguration(ranks: 4, threadsPerRank: 1, tracker: "mprotect")),
        ("pipeline", CapeConfiguration(ranks: 4, hosts: 2, threadsPerRank: 1)),
        ("lu_sweep", CapeConfiguration(ranks: 1, threadsPerRank: 2)),
        ("lu_sweep", CapeConfiguration(ranks: 2, threadsPerRank: 1)),
        ("lu_sweep", CapeConfiguration(ranks: 3, threadsPerRank: 1)),
        ("lu_sweep", CapeConfiguration(ranks: 4, threadsPerRank: 1)),
        ("lu_sweep", CapeConfiguration(ranks: 4, threadsPerRank: 1, tracker: "mprotect")),
        ("lu_sweep", CapeConfiguration(ranks: 2, hosts: 2, threadsPerRank: 1)),
        ("lu_sweep", CapeConfiguration(ranks: 3, hosts: 3, threadsPerRank: 1)),
    ]

    @Test("flag-and-flush pipelines are exact with one of the region's threads per rank, three runs per shape",
          arguments: shapes)
    func pipeline(_ program: String, _ configuration: CapeConfiguration) throws {
        let lib = try #require(Harness.libcapePath(), Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-flush")
        defer { Harness.removeDirectory(dir) }
        let exe = try build(program, in: dir)
        let reference = try Harness.runWithLibgomp(exe, threads: program == "pipeline" ? 4 : configuration.ranks * configuration.threadsPerRank)
        try #require(reference.succeeded, Comment(rawValue: reference.stderrText))
        for run in 1...3 {
            let r = try Harness.runWithCape(exe, library: lib, configuration: configuration)
            #expect(r.exitCode == 0, "[\(program) \(configuration)] run \(run): \(r.statusDescription)\n\(Harness.clip(r.stderrText))")
            #expect(r.stdoutText == reference.stdoutText, """
                [\(program) \(configuration)] run \(run): \(Harness.firstDifference(expected: reference.stdoutText, got: r.stdoutText))
                """)
        }
    }

    @Test("a flush on a rank that runs two of the region's threads stops the job by name, under either tracker",
          arguments: ["uffd", "mprotect"])
    func twoThreadsPerRank(tracker: String) throws {
        let lib = try #require(Harness.libcapePath(), Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-flush")
        defer { Harness.removeDirectory(dir) }
        let exe = try build("lu_sweep", in: dir)
        let r = try Harness.runWithCape(exe, library: lib, configuration: CapeConfiguration(ranks: 2, threadsPerRank: 2, tracker: tracker), timeout: 60)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(r.stderrText.contains("flush is exact only with one of the region's threads per rank"), Comment(rawValue: Harness.clip(r.stderrText)))
        #expect(!r.stdoutText.contains("checksum"), "the program finished: \(r.stdoutText)")
    }
}
