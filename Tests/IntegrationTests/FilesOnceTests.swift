// Files written by sequential code are written once (Sources/CCapeShim/files.c): the private
// directory of a rank other than 0 cannot be taken over by a directory made beforehand under a name
// a rank could have had, and no directory is left behind by a job that was killed.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("files written once", .serialized)
struct FilesOnceTests {
    let library = Harness.libcapePath()
    func compile(_ name: String, in dir: URL) throws -> String {
        try Harness.compileFailureProgram(name, into: dir)
    }

    /// A fresh directory outside /tmp (under /var/tmp, else the package's .build): the first test
    /// hides /tmp behind a tmpfs, and the program and its output file must stay visible.
    func makeDirectoryOutsideTmp() throws -> URL {
        var isDir: ObjCBool = false
        let base = FileManager.default.fileExists(atPath: "/var/tmp", isDirectory: &isDir) && isDir.boolValue
            ? "/var/tmp" : Harness.packageRoot.appendingPathComponent(".build").path
        var template = Array((base + "/cape-files-once.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) != nil }) else {
            throw HarnessError("mkdtemp failed in \(base): errno \(errno)")
        }
        return URL(fileURLWithPath: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, isDirectory: true)
    }

    /// Lines of a text file; [] when it does not exist.
    func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// The cape-files.* directories in `dir`, with the pid their owner record names (0 without one).
    func privateDirectories(in dir: URL) -> [(name: String, owner: pid_t)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix("cape-files.") }.sorted().map { name in
            let record = (try? String(contentsOfFile: dir.appendingPathComponent(name + "/owner").path, encoding: .utf8)) ?? ""
            return (name, pid_t(record.split(separator: " ").first ?? "") ?? 0)
        }
    }

    /// The processes of a job: ranks running `exe` and their proxies, told from other jobs' by the
    /// TMPDIR in their environment.
    func jobProcesses(exe: String, proxy: String, tmpdir: String) -> (ranks: [pid_t], proxies: [pid_t]) {
        var ranks: [pid_t] = [], proxies: [pid_t] = []
        let marker = Array("TMPDIR=\(tmpdir)".utf8)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe"),
                  target == exe || target == proxy,
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  environ.split(separator: 0).contains(where: { Array($0) == marker })
            else { continue }
            if target == exe { ranks.append(pid) } else { proxies.append(pid) }
        }
        return (ranks.sorted(), proxies.sorted())
    }

    /// Each run hides /tmp behind a fresh tmpfs in a mount namespace of its own (as root, or with an
    /// unprivileged user namespace, like scripts/sim-ssh), makes there the old-style names
    /// /tmp/cape-files-<pid>-rank<r> for the next 2000 pids and ranks 1 to 3, and runs the job. Before
    /// the private directories, a rank whose name was taken wrote the real file: the line appeared
    /// once per rank. The directories are made in a /tmp of the run's own so that concurrent jobs of
    /// an older libcape on this machine are not disturbed by them, and they go with the namespace.
    @Test("a file appended to in sequential code holds the line once, with old-style directory names already present",
          arguments: [2, 3])
    func oldNamesPresent(ranks: Int) throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try makeDirectoryOutsideTmp()
        defer { Harness.removeDirectory(dir) }
        let exe = try compile("append_once", in: dir)
        let output = dir.appendingPathComponent("appended.txt").path
        let script = dir.appendingPathComponent("run.sh")
        // One mkdir for all the names: a process per name would use up the very pids prepared.
        try """
            #!/bin/bash
            set -e
            lib=$1 ranks=$2 exe=$3 output=$4 root=$5
            # The package (libcape, the proxy, the working directory) may itself live under /tmp:
            # it is kept visible in the fresh /tmp at the same path.
            keep=""
            if [[ "$root" == /tmp/* ]]; then
                keep="$(dirname "$0")/package"; mkdir -p "$keep"
                mount --bind "$root" "$keep"
            fi
            mount -t tmpfs -o mode=1777 tmpfs /tmp || { echo "cannot mount a fresh /tmp" >&2; exit 97; }
            if [[ -n "$keep" ]]; then
                mkdir -p "$root"
                mount --bind "$keep" "$root"
            fi
            last=$(cat /proc/sys/kernel/ns_last_pid) max=$(cat /proc/sys/kernel/pid_max)
            names=()
            for ((i = 1; i <= 2000; i++)); do
                p=$((last + i))
                if ((p >= max)); then p=$((300 + p - max)); fi
                for r in 1 2 3; do names+=("/tmp/cape-files-$p-rank$r"); done
                prepared="$prepared $p"
            done
            mkdir -m 700 "${names[@]}"
            echo "prepared$prepared"
            LD_PRELOAD=$lib exec mpiexec -n "$ranks" "$exe" "$output"

            """.write(to: script, atomically: true, encoding: .utf8)
        var unshare = ["--mount", "--propagation", "private"]
        if getuid() != 0 { unshare = ["--user", "--map-root-user"] + unshare }
        // libcape is preloaded into mpiexec and the ranks only, not into unshare and bash.
        var env = Harness.capeEnvironment(library: lib, threadsPerRank: 1)
        env.removeValue(forKey: "LD_PRELOAD")
        let r = try Harness.run(Harness.findExecutable("unshare") ?? "/usr/bin/unshare",
                                unshare + ["--", "/bin/bash", script.path, lib, String(ranks), exe, output, Harness.packageRoot.path],
                                environment: env, timeout: 90)
        let report = "\(r.statusDescription)\nstdout:\n\(Harness.clip(r.stdoutText))\nstderr:\n\(Harness.clip(r.stderrText))"
        try #require(r.exitCode != 97, Comment(rawValue: "no private /tmp for the test (needs root or user namespaces): " + report))
        #expect(r.succeeded, Comment(rawValue: report))
        let got = lines(output)
        #expect(got == ["appended once"], "expected the line once at -n \(ranks), the file holds \(got.count) lines: \(got)")

        // The test means something only if the ranks had pids whose old-style names were taken.
        let out = r.stdoutText.split(separator: "\n")
        let prepared = Set((out.first { $0.hasPrefix("prepared ") } ?? "").split(separator: " ").dropFirst().compactMap { Int($0) })
        let rankPids = out.compactMap { line -> Int? in
            let f = line.split(separator: " ")
            return f.count == 4 && f[0] == "thread" && f[1] != "0" && f[2] == "pid" ? Int(f[3]) : nil
        }
        #expect(rankPids.count == ranks - 1, Comment(rawValue: report))
        #expect(rankPids.allSatisfy { prepared.contains($0) },
                "ranks \(rankPids) started outside the \(prepared.count) pids prepared: the old names did not apply")
    }

    /// No private directory, no run: writing the real files instead would write them twice.
    @Test("a rank that cannot make its private directory stops the job with a message")
    func noPrivateDirectory() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-fo-test")
        defer { Harness.removeDirectory(dir) }
        let exe = try compile("append_once", in: dir)
        let notADirectory = dir.appendingPathComponent("file")
        try Data().write(to: notADirectory)
        let output = dir.appendingPathComponent("appended.txt").path
        let r = try Harness.runWithCape(exe, arguments: [output], library: lib,
                                        configuration: CapeConfiguration(ranks: 2, threadsPerRank: 1),
                                        extraEnvironment: ["TMPDIR": notADirectory.path], timeout: 60)
        #expect(!r.timedOut && r.exitCode != 0, "\(r.statusDescription)")
        #expect(r.stderrText.contains("cape: rank 1 cannot make a private directory in \(notADirectory.path)"),
                Comment(rawValue: Harness.clip(r.stderrText)))
        #expect(lines(output).count <= 1, "\(lines(output))")
    }

    /// A job of Tests/failures/long_run at -n `ranks` with the private TMPDIR `tmpdir`, once its
    /// ranks other than 0 have made their directories and written their owner records (or 20 s
    /// have passed): the job, its directories then, and its rank and proxy processes.
    struct LongRun {
        var job: SpawnedProcess
        var made: [(name: String, owner: pid_t)]
        var ranks: [pid_t]
        var proxies: [pid_t]
    }

    func startLongRun(ranks: Int, library lib: String, in dir: URL, tmpdir: URL) throws -> LongRun {
        try FileManager.default.createDirectory(at: tmpdir, withIntermediateDirectories: false)
        let longRun = try compile("long_run", in: dir)
        let proxy = URL(fileURLWithPath: lib).deletingLastPathComponent().appendingPathComponent("cape-proxy")
            .resolvingSymlinksInPath().path
        let (launcher, prefix) = Harness.mpiexecCommand()
        let env = Harness.capeEnvironment(library: lib, threadsPerRank: 1, verify: false, extra: ["TMPDIR": tmpdir.path])
        let job = try Harness.spawn(launcher, prefix + ["-n", String(ranks), longRun], environment: env)
        let deadline = Date().addingTimeInterval(20)
        var made = privateDirectories(in: tmpdir)
        while (made.count < ranks - 1 || made.contains { $0.owner == 0 }) && Date() < deadline && !job.hasExited() {
            Thread.sleep(forTimeInterval: 0.1)
            made = privateDirectories(in: tmpdir)
        }
        let procs = jobProcesses(exe: longRun, proxy: proxy, tmpdir: tmpdir.path)
        return LongRun(job: job, made: made, ranks: procs.ranks, proxies: procs.proxies)
    }

    /// SIGKILL of every process of a job (ranks and proxies; the proxies first, all stopped before,
    /// so no proxy sees its rank die) lets nothing of libcape run: the next job's start removes the
    /// directories. A private TMPDIR keeps other jobs out of the picture.
    @Test("after a job is killed whole, the next job removes its private directories")
    func killedJobLeavesNothing() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-fo-test")
        defer { Harness.removeDirectory(dir) }
        let tmpdir = dir.appendingPathComponent("tmp")
        let appendOnce = try compile("append_once", in: dir)
        // Ranks 1 and 2 have made their directories and written their owner records.
        let run = try startLongRun(ranks: 3, library: lib, in: dir, tmpdir: tmpdir)
        let job = run.job, made = run.made
        for pid in run.ranks + run.proxies { kill(pid, SIGSTOP) }
        for pid in run.proxies + run.ranks { kill(pid, SIGKILL) }
        let killed = job.finish()
        try #require(made.count == 2 && !made.contains { $0.owner == 0 },
                     "the job's ranks did not make their directories: \(made), \(killed.statusDescription)\n\(Harness.clip(killed.stderrText))")
        #expect(run.ranks.count == 3 && run.proxies.count == 3, "ranks \(run.ranks), proxies \(run.proxies)")
        #expect(Set(made.map { $0.owner }).isSubset(of: Set(run.ranks)), "owners \(made) are not the ranks \(run.ranks)")
        let left = privateDirectories(in: tmpdir)
        try #require(left.count == 2, "the killed job's directories should still be there: \(left)")

        // The next job: its rank 1 removes them, and its own directory is gone when it ends.
        let output = dir.appendingPathComponent("appended.txt").path
        let r = try Harness.runWithCape(appendOnce, arguments: [output], library: lib,
                                        configuration: CapeConfiguration(ranks: 2, threadsPerRank: 1),
                                        extraEnvironment: ["TMPDIR": tmpdir.path], timeout: 60)
        #expect(r.succeeded, "\(r.statusDescription): \(Harness.clip(r.stderrText))")
        #expect(lines(output) == ["appended once"])
        let after = privateDirectories(in: tmpdir)
        #expect(after.isEmpty, "left behind: \(after) (the killed ranks were \(run.ranks))")
    }

    /// A rank killed alone: its proxy lives on long enough to see it die and removes the directory
    /// that the rank named in the channel, with no other job needed.
    @Test("the proxy of a rank killed alone removes the rank's private directory")
    func killedRankLeavesNothing() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-fo-test")
        defer { Harness.removeDirectory(dir) }
        let tmpdir = dir.appendingPathComponent("tmp")
        let run = try startLongRun(ranks: 2, library: lib, in: dir, tmpdir: tmpdir)
        let job = run.job, made = run.made
        if made.count == 1 { kill(made[0].owner, SIGKILL) }
        let killedAt = Date()
        while !job.hasExited() && Date().timeIntervalSince(killedAt) < 30 { Thread.sleep(forTimeInterval: 0.1) }
        let r = job.finish()
        try #require(made.count == 1 && run.ranks.contains(made[0].owner),
                     "rank 1 did not make its directory: \(made), ranks \(run.ranks), \(r.statusDescription)")
        #expect(r.stderrText.contains("cape: the program of rank 1 ended without finishing"), Comment(rawValue: Harness.clip(r.stderrText)))
        let after = privateDirectories(in: tmpdir)
        #expect(after.isEmpty, "left behind: \(after)")
    }
}
