// What makes a run trustworthy: CAPE_VERIFY names what differs, programs libcape cannot drive are
// refused at start, the program's own crashes keep their signal, and a stop prints one line for
// the job after the program's output (however many ranks stop at once), with the profile still written.
import Foundation
import Testing

@Suite("trust: verify, refusals, crashes and stops", .serialized)
struct TrustTests {
    let library = Harness.libcapePath()
    func source(_ name: String) -> String { Harness.failureSource(name) }

    func runCape(_ exe: String, ranks: Int = 2, hosts: Int = 1, args: [String] = [], verify: Bool = false,
                 extra: [String: String?] = [:]) throws -> ProcessResult {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        return try Harness.runWithCape(exe, arguments: args, library: lib,
                                       configuration: CapeConfiguration(ranks: ranks, hosts: hosts, threadsPerRank: 1),
                                       verify: verify, extraEnvironment: extra, timeout: 60)
    }

    /// The `cape:` lines of a run's stderr.
    func capeLines(_ r: ProcessResult) -> [Substring] {
        r.stderrText.split(separator: "\n").filter { $0.hasPrefix("cape: ") }
    }

    /// Runs Tests/failures/`program`.c under CAPE_VERIFY=1, expects the job stopped with one
    /// `cape:` line for the job, and returns that line.
    func verifyStop(_ program: String, ranks: Int = 2, hosts: Int = 1) throws -> String {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try Harness.compileFailureProgram(program, into: dir)
        let r = try runCape(exe, ranks: ranks, hosts: hosts, verify: true)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        let lines = capeLines(r)
        #expect(lines.count == 1, "expected one cape: line for the job: \(Harness.clip(r.stderrText))")
        return lines.first.map(String.init) ?? ""
    }

    @Test("CAPE_VERIFY names a global that differs between ranks, with each rank's bytes, in one line",
          arguments: [(2, 1), (3, 1), (2, 2)])
    func verifyNamesGlobal(ranks: Int, hosts: Int) throws {
        let line = try verifyStop("verify_global", ranks: ranks, hosts: hosts)
        #expect(line.contains("CAPE_VERIFY") && line.contains("`rank_pid`") && line.contains("region #1"), Comment(rawValue: line))
        for k in 0..<ranks { #expect(line.contains("rank \(k) has "), Comment(rawValue: line)) }
    }

    @Test("CAPE_VERIFY says a difference in an allocation is heap memory, not a variable")
    func verifyNamesHeap() throws {
        let line = try verifyStop("verify_heap")
        #expect(line.contains("heap memory at 0x") && line.contains("differs in 1 byte"), Comment(rawValue: line))
        #expect(line.contains("rank 0 has ") && line.contains("rank 1 has "), Comment(rawValue: line))
    }

    @Test("CAPE_VERIFY stops the job when the ranks differ in the unchanged bytes of a stack word a region changed")
    func verifyNamesStackWord() throws {
        let line = try verifyStop("verify_stack_word")
        #expect(line.contains("CAPE_VERIFY") && line.contains("main stack") && line.contains("region #1"), Comment(rawValue: line))
    }

    @Test("main's uninitialized locals hold the same bytes on every rank", arguments: [2, 3])
    func mainLeftovers(ranks: Int) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try Harness.compileFailureProgram("main_leftovers", into: dir)
        let r = try runCape(exe, ranks: ranks)
        #expect(!r.timedOut && r.exitCode == 0, "\(r.statusDescription): \(Harness.clip(r.stderrText))")
        for place in ["main", "callee"] {
            let lines = r.stdoutText.split(separator: "\n").filter { $0.hasPrefix(place + " ") }
            #expect(lines.count == ranks, Comment(rawValue: r.stdoutText))
            let words = Set(lines.map { $0.split(separator: ":", maxSplits: 1).last ?? "" })
            #expect(words.count == 1, "the ranks see different bytes in \(place)'s frame:\n\(r.stdoutText)")
        }
    }

    /// Builds Tests/failures/`program`.c with `compiler -O2 -fopenmp`, runs it at -n 2 and expects
    /// it refused before it runs (it would print 4950), with one `cape:` line holding `message`.
    func expectRefused(_ program: String, compiler: String, message: [String]) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent(program).path
        let c = try Harness.run(compiler, ["-O2", "-fopenmp", source(program), "-o", exe], environment: Harness.environment([:]), timeout: 300)
        try #require(c.succeeded, Comment(rawValue: c.stderrText))
        let r = try runCape(exe)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(!r.stdoutText.contains("4950"), "the program ran: \(r.stdoutText)")
        let lines = capeLines(r)
        #expect(lines.count == 1 && message.allSatisfy { lines[0].contains($0) }, Comment(rawValue: Harness.clip(r.stderrText)))
    }

    @Test("a clang -fopenmp program (LLVM's OpenMP runtime) is refused at start, by name")
    func clangRefused() throws {
        let clang = try #require(["/usr/bin/clang", "/usr/bin/clang-14"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                 "Debian's clang is missing (scripts/deps installs clang and libomp-dev)")
        try expectRefused("clang_openmp", compiler: clang, message: ["LLVM's OpenMP runtime", "gcc -fopenmp"])
    }

    @Test("an MPI+OpenMP program (mpicc -fopenmp) is refused at start, by name")
    func hybridRefused() throws {
        let mpicc = try #require(Harness.findExecutable("mpicc"), "mpicc is missing (scripts/deps installs libmpich-dev)")
        try expectRefused("mpi_hybrid", compiler: mpicc, message: ["MPI program itself"])
    }

    /// Runs Tests/failures/crash.c with `args`, one thread a rank, without verify.
    func runCrash(_ args: [String], mpiexec extra: [String] = [], ranks: Int, hosts: Int = 1) throws -> ProcessResult {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try Harness.compileFailureProgram("crash", into: dir)
        let (launcher, prefix) = Harness.mpiexecCommand()
        return try Harness.run(launcher, prefix + extra + Harness.mpiexecArguments(ranks: ranks, hosts: hosts) + [exe] + args,
                               environment: Harness.capeEnvironment(library: lib, threadsPerRank: 1, verify: false), timeout: 60)
    }

    @Test("the program's own abort, failed assert and bad pointer keep their signal, in one cape: line for the job, with no Swift crash report",
          arguments: [("abort", SIGABRT), ("assert", SIGABRT), ("segv", SIGSEGV)])
    func programCrash(how: String, signal: Int32) throws {
        // Every rank fails at the same place. hydra ends with SIGKILL the ranks it has not seen end
        // yet, and its exit status is the OR of all the ranks' (6 | 9 = 15): on a loaded machine the
        // job's status is often not the signal, with or without libcape. What libcape decides is how
        // each rank ends: -print-all-exitcodes lists them, and each must be the signal, hydra's
        // SIGKILL or none (a rank whose status hydra did not collect), the signal at least once.
        let r = try runCrash([how], mpiexec: ["-print-all-exitcodes"], ranks: 3)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        let listed = r.stdoutText.split(separator: "\n").first { $0.contains("Exit codes:") }
        let codes = listed.map { $0.split(separator: " ").last!.split(separator: ",").compactMap { Int32($0) } } ?? []
        #expect(codes.count == 3 && codes.allSatisfy { [signal, SIGKILL, 0].contains($0) } && codes.contains(signal),
                "exit codes \(codes): \(Harness.clip(r.stdoutText))")
        let lines = capeLines(r)
        #expect(lines.count == 1 && lines[0].contains("ended without finishing") && lines[0].contains("signal \(signal)"),
                Comment(rawValue: Harness.clip(r.stderrText)))
        for report in ["Program crashed", "Backtracing", "Thread 0", "Registers:", "internal error"] {
            #expect(!r.stderrText.contains(report), "\(report): \(Harness.clip(r.stderrText))")
        }
    }

    @Test("the program's own crash on another host ends the job in one cape: line that names the rank and its signal",
          arguments: [("abort", SIGABRT), ("segv", SIGSEGV)])
    func programCrashAway(how: String, signal: Int32) throws {
        // Rank 1 alone, on the second host, fails. hydra itself then ends with status 255 and its
        // proxy's "assert (!closed)" lines, as it does for a plain MPI program whose rank dies of a
        // signal on another host: the status is not libcape's to keep, the line is.
        let r = try runCrash([how, Harness.simulatedHostNames(2)[1]], ranks: 2, hosts: 2)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        // The sum after both regions, which only a job that went on prints (hydra's banner of the
        // failure goes to stdout too).
        #expect(!r.stdoutText.contains("999000"), "the job went on after rank 1 failed: \(Harness.clip(r.stdoutText))")
        let lines = capeLines(r)
        #expect(lines.count == 1 && lines[0].contains("rank 1 ended without finishing") && lines[0].contains("signal \(signal)"),
                Comment(rawValue: Harness.clip(r.stderrText)))
    }

    @Test("ranks that stop on their own at the same moment print one cape: line for the job",
          arguments: [(2, 1), (4, 1), (2, 2), (4, 2)])
    func everyRankStopsOnce(ranks: Int, hosts: Int) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try Harness.compileFailureProgram("heap_window", into: dir)
        let r = try runCape(exe, ranks: ranks, hosts: hosts)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(r.stdoutText == "banner of the program\n", "stdout: \(r.stdoutText)")
        let lines = capeLines(r)
        #expect(lines.count == 1 && lines[0].contains("allocated more than its region-heap window"),
                Comment(rawValue: Harness.clip(r.stderrText)))
    }

    @Test("a stop prints one cape: line for the job, after the program's output, and writes the profile",
          arguments: [(2, 1), (3, 1), (2, 2)])
    func stopOnce(ranks: Int, hosts: Int) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try Harness.compileFailureProgram("unsupported_doacross", into: dir)
        let profile = dir.appendingPathComponent("profile.csv").path
        let r = try runCape(exe, ranks: ranks, hosts: hosts, extra: ["CAPE_PROFILE": profile])
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(r.stdoutText == "banner of the program\n", "stdout: \(r.stdoutText)")
        let lines = capeLines(r)
        #expect(lines.count == 1 && lines[0].contains("GOMP_loop_doacross_static_start is not supported yet"),
                Comment(rawValue: Harness.clip(r.stderrText)))
        #expect(!r.stderrText.contains("cape: cape:"), Comment(rawValue: Harness.clip(r.stderrText)))
        let text = (try? String(contentsOfFile: profile, encoding: .utf8)) ?? ""
        #expect(text.contains("main._omp_fn.0"), "the profile: \(text)")
    }
}
