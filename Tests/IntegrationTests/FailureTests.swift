// The failure paths: unsupported constructs, diverged ranks, races, a missing proxy, a killed rank,
// and the ABI list. Each expects a clear `cape:` message and a non-zero exit, never a hang.
import Foundation
import Testing

@Suite("failures end the job with a message", .serialized)
struct FailureTests {
    let library = Harness.libcapePath()
    func compile(_ name: String, in dir: URL) throws -> String {
        try Harness.compileFailureProgram(name, into: dir)
    }

    func runCape(_ exe: String, ranks: Int = 2, args: [String] = [], extra: [String: String?] = [:]) throws -> ProcessResult {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        return try Harness.runWithCape(exe, arguments: args, library: lib, configuration: CapeConfiguration(ranks: ranks, threadsPerRank: 1),
                                       extraEnvironment: extra, timeout: 60)
    }

    /// Runs a program of Tests/failures at -n 2 and expects a non-zero exit with `message` on stderr.
    func expectFailure(_ program: String, message: String, args: (URL) -> [String] = { _ in [] },
                       extra: [String: String?] = [:]) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let r = try runCape(try compile(program, in: dir), args: args(dir), extra: extra)
        #expect(!r.timedOut && r.exitCode != 0, "\(program): \(r.statusDescription)")
        #expect(r.stderrText.contains(message), "\(program) stderr: \(Harness.clip(r.stderrText))")
    }

    @Test("an entry point that is not implemented stops the program by name")
    func unsupported() throws {
        try expectFailure("unsupported_doacross", message: "cape: GOMP_loop_doacross_static_start is not supported yet")
    }

    @Test("a detached task whose event is never fulfilled stops the job by name at the barrier instead of hanging")
    func detachUnfulfilled() throws {
        try expectFailure("detach_unfulfilled", message: "cape: a barrier (or the end of a region) waits for a detached task whose event is not fulfilled")
    }

    @Test("an active nested region with OMP_THREAD_LIMIT set stops by name")
    func nestedThreadLimit() throws {
        try expectFailure("nested_thread_limit", message: "cape: a nested parallel region with OMP_THREAD_LIMIT set is not supported yet",
                          extra: ["OMP_THREAD_LIMIT": "8"])
    }

    @Test("ranks that take different paths are stopped before memory is merged")
    func divergence() throws {
        try expectFailure("diverge", message: "cape: the ranks diverged", args: { [$0.appendingPathComponent("marker").path] })
    }

    @Test("with CAPE_RACES=error, two ranks writing different values to one variable stop the job, naming it")
    func raceError() throws {
        try expectFailure("race", message: "wrote different values to `shared_value`", extra: ["CAPE_RACES": "error"])
    }

    @Test("by default a race is warned about once for its place over three regions, naming it, and the highest thread's value is kept")
    func raceWarning() throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let r = try runCape(try compile("race", in: dir), ranks: 3)
        #expect(!r.timedOut && r.exitCode == 0, "race: \(r.statusDescription)")
        let warnings = r.stderrText.components(separatedBy: "cape: warning:").count - 1
        #expect(warnings == 1, "expected one warning, stderr: \(Harness.clip(r.stderrText))")
        #expect(r.stderrText.contains("wrote different values to `shared_value`"), "stderr: \(Harness.clip(r.stderrText))")
        // Thread 2 (rank 2, the highest) wrote 3.
        #expect(r.stdoutText == "3\n", "stdout: \(r.stdoutText)")
    }

    @Test("a missing proxy is named with what to do")
    func missingProxy() throws {
        try expectFailure("race", message: "cape: cape-proxy not found at /nonexistent/cape-proxy",
                          extra: ["CAPE_PROXY": "/nonexistent/cape-proxy"])
    }

    @Test("the tracker is userfaultfd on Linux >= 6.7 unless CAPE_TRACKER says otherwise")
    func trackerChoice() throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent("prog").path
        try Harness.compile(source: Harness.programsDirectory.appendingPathComponent("01_parallel_for_int.c").path, output: exe)
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let hasUffd = parts.count == 2 && (parts[0], parts[1]) >= (6, 7)
        let auto = try runCape(exe, extra: ["CAPE_TRACE": "2"])
        #expect(auto.exitCode == 0, "\(auto.statusDescription): \(Harness.clip(auto.stderrText))")
        #expect(auto.stderrText.contains(hasUffd ? "tracking writes with userfaultfd" : "tracking writes with mprotect"),
                "Linux \(release): \(Harness.clip(auto.stderrText))")
        let forced = try runCape(exe, extra: ["CAPE_TRACE": "2", "CAPE_TRACKER": "mprotect"])
        #expect(forced.exitCode == 0 && forced.stderrText.contains("tracking writes with mprotect"), Comment(rawValue: Harness.clip(forced.stderrText)))
        let uffd = try runCape(exe, extra: ["CAPE_TRACKER": "uffd"])
        if hasUffd {
            #expect(uffd.exitCode == 0, Comment(rawValue: Harness.clip(uffd.stderrText)))
        } else {
            #expect(uffd.exitCode != 0 && uffd.stderrText.contains("cape: CAPE_TRACKER=uffd, but"), Comment(rawValue: Harness.clip(uffd.stderrText)))
        }
    }

    @Test("CAPE_PROFILE writes a per-region profile that cape-profile prints and charts")
    func profile() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let tool = URL(fileURLWithPath: lib).deletingLastPathComponent().appendingPathComponent("cape-profile").path
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent("heat").path
        try Harness.compile(source: Harness.programsDirectory.appendingPathComponent("03_many_regions_heat.c").path, output: exe)
        let csv = dir.appendingPathComponent("profile.csv").path
        let r = try runCape(exe, extra: ["CAPE_PROFILE": csv])
        #expect(r.exitCode == 0, Comment(rawValue: Harness.clip(r.stderrText)))
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("main._omp_fn.") }
        #expect(rows.count == 3, Comment(rawValue: text))
        // Every region of the program ran 166 or 167 times, wrote pages and sent bytes.
        for row in rows {
            let f = row.split(separator: ",", omittingEmptySubsequences: false)
            #expect(f.count == 13 && f[1].hasPrefix("03_many_regions_heat.c:"), Comment(rawValue: String(row)))
            #expect(f.count == 13 && (Int(f[2]) ?? 0) >= 166 && (Int(f[10]) ?? 0) > 0 && (Int(f[12]) ?? 0) > 0, Comment(rawValue: String(row)))
        }
        let svg = dir.appendingPathComponent("chart.svg").path
        let p = try Harness.run(tool, [csv, "--svg", svg], environment: Harness.environment([:]))
        #expect(p.exitCode == 0 && p.stdoutText.contains("main._omp_fn.0") && p.stdoutText.contains("join %"), Comment(rawValue: p.stdoutText + p.stderrText))
        let chart = (try? String(contentsOfFile: svg, encoding: .utf8)) ?? ""
        #expect(chart.hasPrefix("<svg") && chart.components(separatedBy: "<rect x=").count - 1 >= 9, Comment(rawValue: Harness.clip(chart)))
        let bad = try Harness.run(tool, [exe], environment: Harness.environment([:]))
        #expect(bad.exitCode != 0 && bad.stderrText.contains("cape: "), Comment(rawValue: bad.stderrText))
    }

    @Test("a bad setting is refused by name, in one line for the job, at once", arguments: [2, 3])
    func badSetting(ranks: Int) throws {
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try compile("race", in: dir)
        let started = Date()
        let r = try runCape(exe, ranks: ranks, extra: ["CAPE_THREADS_PER_RANK": "zero"])
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        let lines = r.stderrText.split(separator: "\n").filter { $0.hasPrefix("cape: ") }
        #expect(lines.count == 1 && lines[0].contains("CAPE_THREADS_PER_RANK=zero is not valid"), Comment(rawValue: Harness.clip(r.stderrText)))
        // The other ranks used to print the same line after a 5 s wait for rank 0 to end the job.
        #expect(Date().timeIntervalSince(started) < 4, "the refusal took \(Date().timeIntervalSince(started)) s")
    }

    @Test("killing one rank ends the whole job within 10 seconds")
    func killedRank() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory()
        defer { Harness.removeDirectory(dir) }
        let exe = try compile("long_run", in: dir)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.findExecutable("mpiexec") ?? "/usr/bin/mpiexec")
        p.arguments = ["-n", "2", exe]
        p.environment = Harness.capeEnvironment(library: lib, threadsPerRank: 1, verify: false, extra: [:])
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Wait for the job to be running regions.
        _ = out.fileHandleForReading.availableData
        Thread.sleep(forTimeInterval: 2)
        let ranks = try pids(of: exe)
        #expect(ranks.count == 2, "expected 2 rank processes, found \(ranks)")
        guard let victim = ranks.last else { p.terminate(); return }
        let killedAt = Date()
        kill(victim, SIGKILL)
        while p.isRunning && Date().timeIntervalSince(killedAt) < 30 { Thread.sleep(forTimeInterval: 0.1) }
        let took = Date().timeIntervalSince(killedAt)
        if p.isRunning { p.terminate() }
        #expect(took < 10, "the job ran on for \(took) s after a rank was killed")
        #expect(try pids(of: exe).isEmpty, "rank processes were left behind")
    }

    private func pids(of exe: String) throws -> [pid_t] {
        var found: [pid_t] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = pid_t(entry) else { continue }
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe"), target == exe {
                found.append(pid)
            }
        }
        return found.sorted()
    }

    @Test("libcape.so defines every GOMP_ and omp_ symbol that libgomp.so.1 exports")
    func abi() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        func symbols(_ path: String) throws -> Set<String> {
            let r = try Harness.run("/usr/bin/nm", ["-D", "--defined-only", path], environment: ProcessInfo.processInfo.environment)
            return Set(r.stdoutText.split(separator: "\n").compactMap { line -> String? in
                guard let name = line.split(separator: " ").last else { return nil }
                let s = String(name.split(separator: "@").first ?? name)
                return (s.hasPrefix("GOMP_") || s.hasPrefix("omp_")) && !s.contains(".") ? s : nil
            })
        }
        let gomp = try symbols("/usr/lib/x86_64-linux-gnu/libgomp.so.1")
        #expect(gomp.count > 300)
        let missing = gomp.subtracting(try symbols(lib)).sorted()
        #expect(missing.isEmpty, "libcape.so lacks: \(missing.joined(separator: " "))")
    }
}
