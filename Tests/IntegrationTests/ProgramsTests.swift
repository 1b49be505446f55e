// Runs every C OpenMP program of Tests/programs under libcape and compares its stdout with a plain
// libgomp run, and its exit status with the one in `<name>.status` (0 without). Each program is
// compiled once with `gcc -O2 -g -fopenmp`, run under libgomp with OMP_NUM_THREADS=2 for the
// reference output, then run with `mpiexec -n N` and libcape preloaded
// (CAPE_VERIFY=1) in several rank / threads-per-rank configurations, some on simulated hosts; a run
// must also print no "cape: warning" (no race is reported for these correct programs).
import Foundation
import Testing

/// Tests/programs/*.c, sorted, by base name (e.g. "01_parallel_for_int").
let capePrograms: [String] = Harness.programNames()

/// The configurations every program is run in: the default tracker (userfaultfd where the kernel
/// has it) at every shape, the portable mprotect tracker at two, and simulated hosts (scripts/sim-ssh),
/// where ranks of different hosts share no /dev/shm, System V IPC or host name, as on a cluster.
/// On one host the sync points' data goes through shared memory, except at 2 x 2 with mprotect,
/// which sends it through the proxies as several hosts do.
let capeConfigurations: [CapeConfiguration] = [
    CapeConfiguration(ranks: 1, threadsPerRank: 1),
    CapeConfiguration(ranks: 2, threadsPerRank: 1),
    CapeConfiguration(ranks: 3, threadsPerRank: 1),
    CapeConfiguration(ranks: 4, threadsPerRank: 1),
    CapeConfiguration(ranks: 2, threadsPerRank: 2),
    CapeConfiguration(ranks: 3, threadsPerRank: 1, tracker: "mprotect"),
    CapeConfiguration(ranks: 2, threadsPerRank: 2, tracker: "mprotect", exchange: "proxy"),
    CapeConfiguration(ranks: 2, hosts: 2, threadsPerRank: 1),
    CapeConfiguration(ranks: 3, hosts: 3, threadsPerRank: 1),
    CapeConfiguration(ranks: 4, hosts: 2, threadsPerRank: 1),
    CapeConfiguration(ranks: 2, hosts: 2, threadsPerRank: 2),
]

@Suite("OpenMP programs under libcape", .serialized)
struct ProgramsTests {
    @Test("the program directory holds the test programs")
    func programsExist() {
        let minimum = ProcessInfo.processInfo.environment["CAPE_TEST_PROGRAMS"] == nil ? 18 : 1
        #expect(capePrograms.count >= minimum,
                "expected at least 18 programs in \(Harness.programsDirectory.path), found \(capePrograms.count)")
    }

    @Test("libcape.so and mpiexec are available")
    func prerequisites() {
        #expect(Harness.libcapePath() != nil, Comment(rawValue: Harness.libcapeNotFoundMessage))
        #expect(Harness.findExecutable("mpiexec") != nil, "mpiexec not found on PATH")
        #expect(Harness.findExecutable("gcc") != nil, "gcc not found on PATH")
    }

    @Test("program output under libcape equals libgomp output", arguments: capePrograms)
    func program(_ name: String) throws {
        guard let library = Harness.libcapePath() else {
            Issue.record(Comment(rawValue: "\(name): " + Harness.libcapeNotFoundMessage))
            return
        }
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-\(name)")
        defer { Harness.removeDirectory(dir) }

        let exe: String
        do {
            exe = try Harness.compileProgram(name, into: dir)
        } catch {
            Issue.record("\(name): \(error)")
            return
        }
        let stdin = Harness.stdinPath(of: name)

        // Reference: plain libgomp, two threads.
        let programEnvironment = Harness.environmentFile(of: name)
        let reference = try Harness.runWithLibgomp(exe, threads: 2, stdin: stdin, extraEnvironment: programEnvironment)
        let status = Harness.expectedStatus(of: name)
        guard !reference.timedOut, reference.exitCode == status else {
            Issue.record("""
                \(name): reference run under libgomp (OMP_NUM_THREADS=2) failed: \(reference.statusDescription), expected exit \(status)
                stdout:
                \(Harness.clip(reference.stdoutText))
                stderr:
                \(Harness.clip(reference.stderrText))
                """)
            return
        }

        for configuration in capeConfigurations {
            let result = try Harness.runWithCape(exe, library: library, configuration: configuration, stdin: stdin,
                                                 extraEnvironment: programEnvironment.mapValues { Optional($0) })
            if result.timedOut {
                Issue.record("""
                    \(name) [\(configuration)]: timed out after \(Int(Harness.defaultTimeout)) s; process group killed
                    stdout so far:
                    \(Harness.clip(result.stdoutText))
                    stderr:
                    \(Harness.clip(result.stderrText))
                    """)
                continue
            }
            #expect(result.exitCode == status, """
                \(name) [\(configuration)]: \(result.statusDescription), expected exit \(status)
                stdout:
                \(Harness.clip(result.stdoutText))
                stderr:
                \(Harness.clip(result.stderrText))
                """)
            // Compare as a Bool so a mismatch reports the texts below rather than raw byte arrays.
            let sameOutput = result.stdout == reference.stdout
            #expect(sameOutput, """
                \(name) [\(configuration)]: stdout differs from the libgomp reference
                \(Harness.firstDifference(expected: reference.stdoutText, got: result.stdoutText))
                --- expected (libgomp, OMP_NUM_THREADS=2):
                \(Harness.clip(reference.stdoutText))
                --- got:
                \(Harness.clip(result.stdoutText))
                --- stderr:
                \(Harness.clip(result.stderrText))
                """)
            // These programs are correct: a race report (or any other warning) is a libcape fault.
            #expect(!result.stderrText.contains("cape: warning"), """
                \(name) [\(configuration)]: libcape printed a warning for a correct program
                --- stderr:
                \(Harness.clip(result.stderrText))
                """)
        }
    }
}
