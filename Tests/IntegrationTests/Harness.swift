// Shared helpers for the integration tests: locating the package, libcape.so, the test programs and
// tools; compiling a C OpenMP program; running a process with an environment, a stdin file, captured
// stdout/stderr and a timeout after which its whole process group is killed.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of one process run.
struct ProcessResult: Sendable {
    /// Exit code when the process exited normally, nil when it was killed by a signal.
    var exitCode: Int32?
    /// Terminating signal when the process was killed by a signal, nil otherwise.
    var signal: Int32?
    var stdout: Data
    var stderr: Data
    var timedOut: Bool
    var duration: TimeInterval

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    var succeeded: Bool { !timedOut && exitCode == 0 }

    /// "exit 0", "exit 3", "signal 9", "timed out after 120 s (killed)".
    var statusDescription: String {
        if timedOut { return "timed out after \(Int(duration.rounded())) s (process group killed)" }
        if let code = exitCode { return "exit \(code)" }
        if let sig = signal { return "killed by signal \(sig)" }
        return "unknown status"
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One way of running a program under libcape: `mpiexec -n ranks` with CAPE_THREADS_PER_RANK, on
/// this machine or spread evenly over `hosts` simulated hosts (scripts/sim-ssh).
struct CapeConfiguration: Sendable, CustomStringConvertible, Hashable {
    var ranks: Int
    /// Simulated hosts; 1 runs every rank on this machine with mpiexec's own launcher.
    var hosts: Int
    var threadsPerRank: Int
    /// CAPE_TRACKER, or nil for the default (auto).
    var tracker: String?
    /// CAPE_EXCHANGE, or nil for the default (auto: through shared memory on one host).
    var exchange: String?

    init(ranks: Int, hosts: Int = 1, threadsPerRank: Int, tracker: String? = nil, exchange: String? = nil) {
        // Uneven shapes would make the host a rank lands on depend on hydra's placement rules,
        // and the host names run out after Z.
        precondition(ranks >= 1 && hosts >= 1 && hosts <= 26 && ranks % hosts == 0,
                     "\(ranks) ranks cannot be spread evenly over \(hosts) hosts")
        self.ranks = ranks
        self.hosts = hosts
        self.threadsPerRank = threadsPerRank
        self.tracker = tracker
        self.exchange = exchange
    }

    var ranksPerHost: Int { ranks / hosts }

    var description: String {
        let shape = hosts > 1
            ? "\(hosts) hosts x \(ranksPerHost) rank\(ranksPerHost == 1 ? "" : "s")"
            : "mpiexec -n \(ranks)"
        return shape + ", CAPE_THREADS_PER_RANK=\(threadsPerRank)" + (tracker.map { ", CAPE_TRACKER=\($0)" } ?? "")
            + (exchange.map { ", CAPE_EXCHANGE=\($0)" } ?? "")
    }
}

enum Harness {
    /// Default time limit for one process run.
    static let defaultTimeout: TimeInterval = 120

    // MARK: Locations

    /// The package root: two directories above Tests/IntegrationTests/.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // Tests/IntegrationTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // package root
        .standardizedFileURL

    static var programsDirectory: URL {
        packageRoot.appendingPathComponent("Tests/programs", isDirectory: true)
    }

    /// Candidate locations of libcape.so, in order of preference.
    static var libcapeCandidates: [String] {
        var list: [String] = []
        if let env = ProcessInfo.processInfo.environment["CAPE_LIB"], !env.isEmpty { list.append(env) }
        list.append(packageRoot.appendingPathComponent(".build/release/libcape.so").path)
        list.append(packageRoot.appendingPathComponent(".build/debug/libcape.so").path)
        return list
    }

    /// libcape.so: $CAPE_LIB if set (it must then exist), else .build/release, else .build/debug.
    static func libcapePath() -> String? {
        if let env = ProcessInfo.processInfo.environment["CAPE_LIB"], !env.isEmpty {
            return FileManager.default.fileExists(atPath: env) ? absolutePath(env) : nil
        }
        for candidate in libcapeCandidates where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// A message explaining where libcape.so was looked for.
    static var libcapeNotFoundMessage: String {
        "libcape.so not found (looked at: \(libcapeCandidates.joined(separator: ", "))). "
            + "Build it with `swift build -c release --product cape` or set CAPE_LIB=/path/to/libcape.so."
    }

    /// Base names (without extension) of Tests/programs/*.c and *.cpp (C++), sorted.
    /// The programs' base names; CAPE_TEST_PROGRAMS (comma-separated name prefixes) picks some.
    static func programNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: programsDirectory.path)) ?? []
        let picked = (ProcessInfo.processInfo.environment["CAPE_TEST_PROGRAMS"] ?? "").split(separator: ",").map(String.init)
        return files.compactMap { f -> String? in
            if f.hasSuffix(".c") { return String(f.dropLast(2)) }
            if f.hasSuffix(".cpp") { return String(f.dropLast(4)) }
            return nil
        }.filter { name in picked.isEmpty || picked.contains { name.hasPrefix($0) } }.sorted()
    }

    static func sourcePath(of program: String) -> String {
        let c = programsDirectory.appendingPathComponent(program + ".c").path
        if FileManager.default.fileExists(atPath: c) { return c }
        return programsDirectory.appendingPathComponent(program + ".cpp").path
    }

    /// The companion `<program>.stdin` if it exists, else /dev/null.
    static func stdinPath(of program: String) -> String {
        let path = programsDirectory.appendingPathComponent(program + ".stdin").path
        return FileManager.default.fileExists(atPath: path) ? path : "/dev/null"
    }

    /// The variables of the companion `<program>.env` (one NAME=VALUE per line), set for the libgomp
    /// reference and the libcape runs alike: ICVs that only the environment sets.
    /// The exit status a program of Tests/programs ends with, under libgomp and libcape alike: the
    /// number in `<name>.status` (a program that calls exit() inside a region), else 0.
    static func expectedStatus(of program: String) -> Int32 {
        let path = programsDirectory.appendingPathComponent(program + ".status").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    static func environmentFile(of program: String) -> [String: String] {
        let path = programsDirectory.appendingPathComponent(program + ".env").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    /// The absolute path of an executable found on PATH (or the name itself if it contains a slash).
    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// scripts/sim-ssh, the ssh stand-in that gives each host of a job its own namespaces.
    static var simSshPath: String {
        packageRoot.appendingPathComponent("scripts/sim-ssh").path
    }

    /// The names of the simulated hosts of `count`: capeA, capeB, ...
    static func simulatedHostNames(_ count: Int) -> [String] {
        (0..<count).map { "cape" + String(UnicodeScalar(UInt8(65 + $0))) }
    }

    /// mpiexec's arguments up to the program: `-n ranks`, preceded for more than one host by the
    /// host list and the sim-ssh launcher.
    static func mpiexecArguments(ranks: Int, hosts: Int = 1) -> [String] {
        precondition(hosts >= 1 && ranks % hosts == 0, "\(ranks) ranks cannot be spread evenly over \(hosts) hosts")
        var args: [String] = []
        if hosts > 1 {
            let list = simulatedHostNames(hosts).map { "\($0):\(ranks / hosts)" }.joined(separator: ",")
            args += ["-hosts", list, "-launcher", "ssh", "-launcher-exec", simSshPath]
        }
        return args + ["-n", String(ranks)]
    }

    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(path).standardizedFileURL.path
    }

    // MARK: Temporary directories

    /// Creates a fresh private directory under $TMPDIR (or /tmp).
    static func makeTemporaryDirectory(prefix: String = "cape-test") throws -> URL {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> Bool in
            mkdtemp(buf.baseAddress!) != nil
        }
        guard made else { throw HarnessError("mkdtemp failed in \(base): errno \(errno)") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    static func removeDirectory(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    // MARK: Environments

    /// The environment of the test process, with changes applied (nil removes a variable).
    static func environment(_ changes: [String: String?]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in changes {
            if let value { env[key] = value } else { env.removeValue(forKey: key) }
        }
        return env
    }

    /// Environment for a plain libgomp run with `threads` OpenMP threads.
    static func libgompEnvironment(threads: Int) -> [String: String] {
        environment(["OMP_NUM_THREADS": String(threads), "LD_PRELOAD": nil])
    }

    /// Environment for a run under libcape: OMP_NUM_THREADS removed, LD_PRELOAD, CAPE_VERIFY=1 and
    /// CAPE_THREADS_PER_RANK set; `extra` applied last.
    static func capeEnvironment(library: String, threadsPerRank: Int, verify: Bool = true,
                                extra: [String: String?] = [:]) -> [String: String] {
        var changes: [String: String?] = [
            "OMP_NUM_THREADS": nil,
            "LD_PRELOAD": library,
            "CAPE_THREADS_PER_RANK": String(threadsPerRank),
        ]
        if verify { changes["CAPE_VERIFY"] = "1" }
        for (key, value) in extra { changes[key] = value }
        return environment(changes)
    }

    // MARK: Compiling and running programs

    /// Compiles `source` with `gcc -O2 -g -fopenmp source -o output -lm` (plus `extraFlags`); g++ for .cpp.
    /// Throws with gcc's output on failure.
    static func compile(source: String, output: String, extraFlags: [String] = []) throws {
        let compiler = source.hasSuffix(".cpp") ? "g++" : "gcc"
        guard let gcc = findExecutable(compiler) else { throw HarnessError("\(compiler) not found on PATH") }
        let args = ["-O2", "-g", "-fopenmp"] + extraFlags + [source, "-o", output, "-lm"]
        let result = try run(gcc, args, environment: environment([:]), timeout: 300)
        guard result.succeeded else {
            throw HarnessError("compiling \(source) failed (\(result.statusDescription)):\n"
                               + result.stdoutText + result.stderrText)
        }
    }

    /// Tests/failures: programs that must fail with a message, and those of the failure suites.
    static let failuresDirectory = packageRoot.appendingPathComponent("Tests/failures")

    /// The path of Tests/failures/<name>.c.
    static func failureSource(_ name: String) -> String { failuresDirectory.appendingPathComponent(name + ".c").path }

    /// Compiles Tests/failures/<name>.c into `directory`/<name>; returns the executable path.
    static func compileFailureProgram(_ name: String, into directory: URL) throws -> String {
        let exe = directory.appendingPathComponent(name).path
        try compile(source: failureSource(name), output: exe)
        return exe
    }

    /// Compiles Tests/programs/<program>.c into `directory`/<program>; returns the executable path.
    static func compileProgram(_ program: String, into directory: URL) throws -> String {
        let exe = directory.appendingPathComponent(program).path
        try compile(source: sourcePath(of: program), output: exe)
        return exe
    }

    /// Runs `executable` under libgomp with `threads` threads (no mpiexec).
    static func runWithLibgomp(_ executable: String, threads: Int, stdin: String = "/dev/null",
                               extraEnvironment: [String: String] = [:],
                               timeout: TimeInterval = defaultTimeout) throws -> ProcessResult {
        try run(executable, [], environment: libgompEnvironment(threads: threads).merging(extraEnvironment) { $1 },
                stdin: stdin, timeout: timeout)
    }

    /// Runs `mpiexec -n ranks executable arguments` with libcape preloaded, through sim-ssh when the
    /// configuration has more than one host.
    static func runWithCape(_ executable: String, arguments: [String] = [], library: String,
                            configuration: CapeConfiguration, stdin: String = "/dev/null",
                            verify: Bool = true, extraEnvironment: [String: String?] = [:],
                            timeout: TimeInterval = defaultTimeout) throws -> ProcessResult {
        let (launcher, prefix) = mpiexecCommand()
        var extra = extraEnvironment
        if let t = configuration.tracker, extra["CAPE_TRACKER"] == nil { extra["CAPE_TRACKER"] = t }
        if let x = configuration.exchange, extra["CAPE_EXCHANGE"] == nil { extra["CAPE_EXCHANGE"] = x }
        let env = capeEnvironment(library: library, threadsPerRank: configuration.threadsPerRank,
                                  verify: verify, extra: extra)
        let shape = mpiexecArguments(ranks: configuration.ranks, hosts: configuration.hosts)
        return try run(launcher, prefix + shape + [executable] + arguments,
                       environment: env, stdin: stdin, timeout: timeout)
    }

    /// mpiexec from PATH, or `/usr/bin/env mpiexec` as a fallback.
    static func mpiexecCommand() -> (String, [String]) {
        if let path = findExecutable("mpiexec") { return (path, []) }
        return ("/usr/bin/env", ["mpiexec"])
    }

    /// Runs a process in its own process group with the given environment, stdin from the file
    /// `stdin`, stdout and stderr captured through temporary files (so no pipe can fill up). When the
    /// time limit passes, the whole process group is killed with SIGKILL and `timedOut` is set. After a
    /// normal exit, any remaining member of the process group is killed too.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                    stdin: String = "/dev/null", timeout: TimeInterval = defaultTimeout) throws -> ProcessResult {
        let process = try spawn(executable, arguments, environment: environment, stdin: stdin)
        let deadline = process.start.addingTimeInterval(timeout)
        var timedOut = false
        while !process.hasExited() {
            if Date() >= deadline {
                timedOut = true
                break
            }
            usleep(10_000)
        }
        return process.finish(timedOut: timedOut)
    }

    /// Starts a process as `run` does, without waiting for it, so that a test can act on it while it
    /// runs. The caller must call `finish` on the result.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                      stdin: String = "/dev/null") throws -> SpawnedProcess {
        let dir = try makeTemporaryDirectory(prefix: "cape-run")
        let outPath = dir.appendingPathComponent("stdout").path
        let errPath = dir.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attr)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attr)
        }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Own process group (pgid = pid) so that a timeout can kill mpiexec and all the ranks;
        // default signal dispositions and an empty signal mask in the child.
        posix_spawnattr_setpgroup(&attr, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }

        let start = Date()
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        guard rc == 0 else {
            removeDirectory(dir)
            throw HarnessError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return SpawnedProcess(pid: pid, start: start, directory: dir, stdoutPath: outPath, stderrPath: errPath)
    }

    // MARK: Reporting

    /// Text shortened to at most `limit` characters, with a note on how much was cut.
    static func clip(_ text: String, limit: Int = 4000) -> String {
        if text.count <= limit { return text }
        let head = text.prefix(limit * 3 / 4)
        let tail = text.suffix(limit / 4)
        return String(head) + "\n[... \(text.count - limit) characters omitted ...]\n" + String(tail)
    }

    /// Describes the first line where two outputs differ.
    static func firstDifference(expected: String, got: String) -> String {
        func lines(_ text: String) -> [Substring] {
            var list = text.split(separator: "\n", omittingEmptySubsequences: false)
            if text.hasSuffix("\n") { list.removeLast() }
            return list
        }
        let e = lines(expected), g = lines(got)
        for i in 0..<max(e.count, g.count) {
            let el = i < e.count ? String(e[i]) : "<end of output>"
            let gl = i < g.count ? String(g[i]) : "<end of output>"
            if el != gl {
                return "first difference at line \(i + 1):\n  expected: \(clip(el, limit: 300))\n  got:      \(clip(gl, limit: 300))"
            }
        }
        if expected.hasSuffix("\n") != got.hasSuffix("\n") { return "outputs differ in the final newline" }
        return "outputs differ in bytes that are not visible line by line (encoding)"
    }
}

/// A process started by `Harness.spawn`, not yet reaped.
struct SpawnedProcess {
    let pid: pid_t
    let start: Date
    let directory: URL
    let stdoutPath: String
    let stderrPath: String

    /// Whether the process has exited. It is not reaped (WNOWAIT), so the process group id stays
    /// valid for `finish` to kill leftovers with.
    func hasExited() -> Bool {
        while true {
            var info = siginfo_t()
            let w = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if w == -1 && errno == EINTR { continue }
            if w == -1 { return true }                        // should not happen; finish reaps
            return info._sifields._sigchld.si_pid == pid
        }
    }

    /// What the process has written to stdout so far.
    var stdoutSoFar: String {
        String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data(), as: UTF8.self)
    }

    /// Kills the process group (the process too, if it still runs), reaps the process, reads its
    /// output and removes the capture files.
    func finish(timedOut: Bool = false) -> ProcessResult {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let duration = Date().timeIntervalSince(start)
        let termSignal = status & 0x7f
        let exitCode: Int32? = termSignal == 0 ? (status >> 8) & 0xff : nil
        let signal: Int32? = termSignal == 0 ? nil : termSignal
        let out = (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data()
        Harness.removeDirectory(directory)
        return ProcessResult(exitCode: exitCode, signal: signal, stdout: out, stderr: err,
                             timedOut: timedOut, duration: duration)
    }
}
