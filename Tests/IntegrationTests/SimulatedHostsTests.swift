// Jobs spread over simulated hosts (scripts/sim-ssh): each host has its own host name, System V IPC
// and /dev/shm, so anything libcape shares through memory works only between ranks of one host, and
// the rest must go through MPI, as on a cluster. These tests check that the simulation really
// separates the hosts, that a program survives many runs across hosts, and that a rank or a proxy
// dying on another host still ends the whole job.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("simulated hosts", .serialized)
struct SimulatedHostsTests {
    let library = Harness.libcapePath()

    // MARK: The simulation itself

    @Test("each simulated host has its own host name and /dev/shm")
    func hostsAreSeparate() throws {
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-sep")
        defer { Harness.removeDirectory(dir) }
        let tag = UUID().uuidString.prefix(8).lowercased()
        // Were /dev/shm not replaced, the markers would land in this machine's own.
        defer {
            for rank in 0..<4 { unlink("/dev/shm/cape-sep-\(tag)-\(rank)") }
        }
        // Every rank must have made its marker before any rank looks, or a rank could miss a marker
        // of its own host and the test would pass or fail by timing. The wait is bounded so a rank
        // that never starts shows up as "timeout" instead of a hang.
        let script = dir.appendingPathComponent("probe.sh")
        try """
            #!/bin/sh
            dir=$1 tag=$2 size=$3 rank=$PMI_RANK
            : > "/dev/shm/cape-sep-$tag-$rank" || { echo "$rank $(hostname) cannot-create"; exit 1; }
            : > "$dir/created-$rank"
            tries=0
            while [ "$(ls "$dir" | grep -c '^created-')" -lt "$size" ]; do
                tries=$((tries + 1))
                if [ "$tries" -gt 300 ]; then echo "$rank $(hostname) timeout"; exit 3; fi
                sleep 0.1
            done
            seen=$(cd /dev/shm && ls -d "cape-sep-$tag-"* 2>/dev/null | sed "s/^cape-sep-$tag-//" | sort -n | tr '\\n' ' ')
            printf '%s %s sees %s\\n' "$rank" "$(hostname)" "$seen"

            """.write(to: script, atomically: true, encoding: .utf8)

        let (launcher, prefix) = Harness.mpiexecCommand()
        let r = try Harness.run(launcher, prefix + Harness.mpiexecArguments(ranks: 4, hosts: 2)
                                    + ["/bin/sh", script.path, dir.path, String(tag), "4"],
                                environment: Harness.environment(["LD_PRELOAD": nil]), timeout: 60)
        let report = "\(r.statusDescription)\nstdout:\n\(Harness.clip(r.stdoutText))\nstderr:\n\(Harness.clip(r.stderrText))"
        try #require(r.succeeded, Comment(rawValue: report))

        var hostOf: [Int: String] = [:]
        var seenBy: [Int: Set<Int>] = [:]
        for line in r.stdoutText.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 3, words[2] == "sees", let rank = Int(words[0]) else {
                Issue.record("unexpected line \"\(line)\"\n\(report)")
                continue
            }
            #expect(hostOf[rank] == nil, "rank \(rank) reported twice\n\(report)")
            hostOf[rank] = String(words[1])
            seenBy[rank] = Set(words.dropFirst(3).compactMap { Int($0) })
        }
        try #require(Set(hostOf.keys) == [0, 1, 2, 3], Comment(rawValue: report))

        let machine = ownHostName()
        #expect(hostOf[0] == "capeA" && hostOf[1] == "capeA", "ranks 0 and 1 should be on capeA\n\(report)")
        #expect(hostOf[2] == "capeB" && hostOf[3] == "capeB", "ranks 2 and 3 should be on capeB\n\(report)")
        #expect(hostOf[0] != hostOf[2], "the two hosts share a host name\n\(report)")
        for (rank, host) in hostOf.sorted(by: { $0.key < $1.key }) {
            #expect(host != machine, "rank \(rank) reports this machine's own host name \(machine)\n\(report)")
        }
        for rank in 0..<4 {
            let sameHost = Set(hostOf.filter { $0.value == hostOf[rank] }.keys)
            #expect(sameHost.count == 2, "rank \(rank) has \(sameHost.count) ranks on its host\n\(report)")
            #expect(seenBy[rank] == sameHost, "rank \(rank) sees the /dev/shm markers \(seenBy[rank].map { $0.sorted() } ?? []), expected those of its own host \(sameHost.sorted())\n\(report)")
        }
        let leaked = (0..<4).filter { access("/dev/shm/cape-sep-\(tag)-\($0)", F_OK) == 0 }
        #expect(leaked.isEmpty, "the markers of ranks \(leaked) are in this machine's own /dev/shm\n\(report)")
    }

    // MARK: A program across hosts

    @Test("a static program at 3 hosts x 1 rank exits 0 twenty times in a row")
    func repeatedRuns() throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-sim-repeat")
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent("15_collapse_matmul").path
        try Harness.compile(source: Harness.sourcePath(of: "15_collapse_matmul"), output: exe)
        let reference = try Harness.runWithLibgomp(exe, threads: 2)
        try #require(reference.succeeded, "libgomp reference (OMP_NUM_THREADS=2): \(reference.statusDescription)\n\(Harness.clip(reference.stderrText))")

        let configuration = CapeConfiguration(ranks: 3, hosts: 3, threadsPerRank: 1)
        let rounds = 20
        // A failure that comes back every time would otherwise cost twenty time limits; three
        // failures already show it is not a rare one.
        let enoughFailures = 3
        var failed: [String] = []
        var durations: [TimeInterval] = []
        for round in 1...rounds {
            let r = try Harness.runWithCape(exe, library: lib, configuration: configuration, timeout: 30)
            durations.append(r.duration)
            let sameOutput = r.stdout == reference.stdout
            if !r.succeeded || !sameOutput {
                var text = "run \(round): \(r.statusDescription)"
                if !r.timedOut { text += " after \(String(format: "%.2f", r.duration)) s" }
                // A run killed at its time limit has cut-off output; its status already says why.
                if !sameOutput && !r.timedOut {
                    text += "; stdout differs from libgomp's: "
                        + Harness.firstDifference(expected: reference.stdoutText, got: r.stdoutText)
                }
                text += "\n  stderr: " + Harness.clip(r.stderrText, limit: 1500)
                failed.append(text)
                if failed.count == enoughFailures { break }
            }
        }
        let slowest = durations.max() ?? 0
        let ran = durations.count
        #expect(failed.isEmpty, """
            [\(configuration)] \(failed.count) of \(ran) runs failed\
            \(ran < rounds ? " (stopped after \(enoughFailures) failures)" : ""); \
            slowest run \(String(format: "%.2f", slowest)) s, \
            mean \(String(format: "%.2f", durations.reduce(0, +) / Double(max(ran, 1)))) s
            \(failed.joined(separator: "\n"))
            """)
    }

    // MARK: Losing a process on another host

    enum Victim: CustomStringConvertible {
        case rank, proxy
        var description: String { self == .rank ? "rank 1" : "the cape-proxy of rank 1" }
    }

    @Test("killing a rank on another host ends the whole job within 10 seconds")
    func killedRankOnOtherHost() throws {
        try expectJobEnds(afterKilling: .rank)
    }

    @Test("killing the proxy of a rank on another host ends the whole job within 10 seconds")
    func killedProxyOnOtherHost() throws {
        try expectJobEnds(afterKilling: .proxy)
    }

    /// Runs long_run on 2 simulated hosts x 1 rank, kills `victim` (on the second host) once regions
    /// are running, and expects mpiexec to end within 10 s with a `cape:` message and no rank or
    /// proxy of the job still alive by then.
    func expectJobEnds(afterKilling victim: Victim) throws {
        let lib = try #require(library, Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-sim-kill")
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent("long_run").path
        try Harness.compile(source: Harness.failureSource("long_run"), output: exe)

        let (launcher, prefix) = Harness.mpiexecCommand()
        let job = try Harness.spawn(launcher, prefix + Harness.mpiexecArguments(ranks: 2, hosts: 2) + [exe],
                                    environment: Harness.capeEnvironment(library: lib, threadsPerRank: 1, verify: false))
        var result: ProcessResult?
        var watched: [pid_t: String] = [:]
        defer {
            // hydra starts every proxy and rank in a session of its own, so the process-group kill
            // of `finish` does not reach them: a job that failed to end is ended here, pid by pid,
            // checking the executable first so that a reused pid is left alone.
            for (pid, path) in watched where Self.executable(of: pid) == path { kill(pid, SIGKILL) }
            if result == nil { _ = job.finish() }
        }
        func stderrSoFar() -> String {
            Harness.clip((try? String(contentsOfFile: job.stderrPath, encoding: .utf8)) ?? "")
        }

        let startDeadline = Date().addingTimeInterval(30)
        while !job.stdoutSoFar.contains("started") && !job.hasExited() && Date() < startDeadline {
            usleep(50_000)
        }
        try #require(job.stdoutSoFar.contains("started"),
                     "the job did not start within 30 s (exited: \(job.hasExited()))\nstderr:\n\(stderrSoFar())")
        // "started" is printed before the first region; give both ranks time to be inside regions.
        Thread.sleep(forTimeInterval: 1)

        let ranks = Self.processes { $0 == exe }
        try #require(ranks.count == 2, "expected 2 rank processes, found \(ranks)\nstderr:\n\(stderrSoFar())")
        let proxies = Self.processes { $0.hasSuffix("/cape-proxy") }.filter { pid in
            Self.parent(of: pid).map { ranks.contains($0) } ?? false
        }
        for pid in ranks { watched[pid] = exe }
        for pid in proxies { if let path = Self.executable(of: pid) { watched[pid] = path } }

        let second = ranks.first { Self.environmentValue(of: $0, "PMI_RANK") == "1" } ?? ranks.max()!
        let first = ranks.first { $0 != second }!
        #expect(Self.utsNamespace(of: "\(second)") != Self.utsNamespace(of: "self"),
                "rank 1 (pid \(second)) runs in this machine's own UTS namespace, not on a simulated host")
        #expect(Self.utsNamespace(of: "\(second)") != Self.utsNamespace(of: "\(first)"),
                "ranks 0 and 1 share a UTS namespace: they are not on different simulated hosts")

        let target: pid_t
        switch victim {
        case .rank:
            target = second
        case .proxy:
            target = try #require(proxies.first { Self.parent(of: $0) == second },
                                  "no cape-proxy child of rank 1 (pid \(second)); proxies of the ranks: \(proxies)")
        }

        let killedAt = Date()
        kill(target, SIGKILL)
        while !job.hasExited() && Date().timeIntervalSince(killedAt) < 30 { usleep(50_000) }
        let took = Date().timeIntervalSince(killedAt)
        let ended = job.hasExited()
        // The whole job is given the same 10 s: processes still exiting when mpiexec returns may
        // finish within them, but not later.
        var left: [pid_t] = []
        repeat {
            left = watched.filter { Self.executable(of: $0.key) == $0.value }.keys.sorted()
            if left.isEmpty { break }
            usleep(50_000)
        } while Date().timeIntervalSince(killedAt) < 10
        let r = job.finish()
        result = r

        let tookText = String(format: "%.1f", took)
        #expect(ended && took < 10, "mpiexec ran on for \(tookText) s\(ended ? "" : " (then killed)") after \(victim) (pid \(target)) was killed\nstderr:\n\(Harness.clip(r.stderrText))")
        #expect(r.exitCode != 0, "mpiexec reported success after \(victim) was killed (\(r.statusDescription))")
        #expect(left.isEmpty, "left behind 10 s after \(victim) was killed: \(left.map { "\($0) \(watched[$0] ?? "")" })")
        #expect(r.stderrText.contains("cape:"), "no cape: message after \(victim) was killed (\(r.statusDescription)); stderr:\n\(Harness.clip(r.stderrText))")
    }

    // MARK: /proc

    static func executable(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// The live processes whose executable's path satisfies `matches`, sorted by pid.
    static func processes(where matches: (String) -> Bool) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { executable(of: $0).map(matches) ?? false }.sorted()
    }

    static func parent(of pid: pid_t) -> pid_t? {
        guard let status = readProcFile("/proc/\(pid)/status") else { return nil }
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("PPid:") {
            return pid_t(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A variable of the environment the process was started with.
    static func environmentValue(of pid: pid_t, _ name: String) -> String? {
        guard let data = readProcFile("/proc/\(pid)/environ") else { return nil }
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if text.hasPrefix(name + "=") { return String(text.dropFirst(name.count + 1)) }
        }
        return nil
    }

    /// The whole of a /proc file, read to its end: they report a size of 0.
    static func readProcFile(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// "uts:[4026531838]" for a pid or "self"; processes on one host share it.
    static func utsNamespace(of process: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process)/ns/uts")
    }

    func ownHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }
}
