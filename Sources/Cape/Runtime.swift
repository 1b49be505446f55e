// Start-up and process-wide state of a rank: settings, reserved memory, the proxy, the team's
// shape, and the plumbing that makes sequential output appear once and stdin reach every rank.
import CCapeShim
import CCapeSys
import CapeCore
import Glibc

enum Runtime {
    nonisolated(unsafe) static var settings = Settings()
    nonisolated(unsafe) static var rank = 0
    nonisolated(unsafe) static var size = 1
    /// Local threads each rank can host, indexed by rank.
    nonisolated(unsafe) static var capacities: [Int] = [1]
    nonisolated(unsafe) static var channel: Channel?
    /// nthreads-var: the team size a region gets when it asks for none.
    nonisolated(unsafe) static var defaultTeam = 1
    nonisolated(unsafe) static var started = false
    nonisolated(unsafe) static var finished = false
    /// Rank != 0: the real stdout/stderr while sequential output goes to /dev/null.
    nonisolated(unsafe) static var realOut: Int32 = 1
    nonisolated(unsafe) static var realErr: Int32 = 2
    nonisolated(unsafe) static var devNull: Int32 = -1

    static let stackBytes = 8 << 20
    static let maxLocalThreads = 64
    nonisolated(unsafe) static var stacks: UnsafeMutableRawPointer?

    static var distributed: Bool { channel != nil && size > 1 }

    /// Stack `slot` (0: the master's region stack, 1...: worker threads).
    static func stack(_ slot: Int) -> UnsafeMutableRawPointer { stacks! + slot * stackBytes }
}

@inline(never) func fatal(_ msg: String) -> Never {
    cape_die(msg)
}

func trace(_ level: Int, _ msg: @autoclosure () -> String) {
    if Runtime.settings.trace >= level { cape_write_err("cape[\(Runtime.rank)]: \(msg())\n") }
}

private func environment() -> [String: String] {
    var env: [String: String] = [:]
    var i = 0
    while let e = environ[i] {
        let s = String(cString: e)
        if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        i += 1
    }
    return env
}

@_cdecl("cape_swift_start")
func capeSwiftStart() {
    let env = environment()
    do { Runtime.settings = try Settings.parse(env) } catch { fatal("\(error) (see the README's table of CAPE_ variables)") }
    let launch = cape_launch_info()!.pointee

    // Reserved once, in the same order and sizes on every rank: identical address spaces.
    Runtime.stacks = cape_reserve((Runtime.maxLocalThreads + 1) * Runtime.stackBytes, "thread stacks")
    let twinBytes = Runtime.settings.twinGiB << 30
    let twins = cape_reserve(twinBytes, "page twins")!
    let scratchBytes = 4 << 30
    let scratch = cape_reserve(scratchBytes, "tracking state")!
    if cape_tracker_init(twins, twinBytes, scratch, scratchBytes) != 0 { fatal("cannot install the SIGSEGV handler: \(errnoText())") }
    let masterTop = Runtime.stack(0) + Runtime.stackBytes
    cape_set_master_stack(masterTop)

    let localRanks = launcherValue(launch, "MPI_LOCALNRANKS").flatMap { Int($0) }
        ?? launcherValue(launch, "SLURM_NTASKS_PER_NODE").flatMap { Int($0) } ?? 1
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    let mine = Runtime.settings.threadsPerRank ?? max(1, cores / max(1, localRanks))

    if launch.is_rank != 0 {
        let channel = Channel(gib: Runtime.settings.channelGiB)
        Runtime.channel = channel
        channel.spawnProxy(path: proxyPath(launch), launcherEnv: launcherEnv(launch))
        let a = channel.call(CAPE_OP_HELLO, arg0: UInt64(mine))
        Runtime.rank = Int(a.result0)
        Runtime.size = Int(a.result1)
        Runtime.capacities = (0..<Runtime.size).map { Int(channel.data.load(fromByteOffset: $0 * 8, as: UInt64.self)) }
    } else {
        Runtime.capacities = [mine]
    }
    Runtime.defaultTeam = Runtime.capacities.reduce(0, +)
    if let v = env["OMP_NUM_THREADS"], let first = v.split(separator: ",").first, let n = Int(first), n > 0 {
        Runtime.defaultTeam = n
    }
    cape_stdio_own_buffer()
    if Runtime.distributed {
        setUpOutput()
        if Runtime.settings.stdinMode == .replicate { replicateStdin() }
    }
    Runtime.started = true
    trace(1, "rank \(Runtime.rank) of \(Runtime.size), \(mine) local threads, team of \(Runtime.defaultTeam)")
}

private func launcherValue(_ launch: cape_launch_t, _ name: String) -> String? {
    for kv in launcherEnv(launch) where kv.hasPrefix(name + "=") { return String(kv.dropFirst(name.count + 1)) }
    return nil
}

private func launcherEnv(_ launch: cape_launch_t) -> [String] {
    guard let e = launch.env else { return [] }
    return String(cString: e).split(separator: "\u{1f}").map(String.init)
}

private func proxyPath(_ launch: cape_launch_t) -> String {
    if let p = Runtime.settings.proxyPath { return p }
    let lib = String(cString: launch.self_path)
    let dir = lib.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return (dir.isEmpty ? "." : dir) + "/cape-proxy"
}

/// Sequential code runs on every rank; only rank 0's output may reach the terminal. Other ranks
/// point fds 1 and 2 at /dev/null outside regions and at the real outputs inside them.
private func setUpOutput() {
    guard Runtime.rank != 0 else { return }
    Runtime.realOut = fcntl(1, F_DUPFD_CLOEXEC, 900)
    Runtime.realErr = fcntl(2, F_DUPFD_CLOEXEC, 900)
    Runtime.devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if Runtime.realOut < 0 || Runtime.realErr < 0 || Runtime.devNull < 0 { fatal("cannot redirect the output of rank \(Runtime.rank): \(errnoText())") }
    cape_set_err_fd(Runtime.realErr)
    dup2(Runtime.devNull, 1)
    dup2(Runtime.devNull, 2)
}

/// Called around every distributed region with the stdio buffers flushed.
func regionOutput(_ inside: Bool) {
    guard Runtime.rank != 0, Runtime.devNull >= 0 else { return }
    dup2(inside ? Runtime.realOut : Runtime.devNull, 1)
    dup2(inside ? Runtime.realErr : Runtime.devNull, 2)
}

/// The launcher gives stdin to rank 0 only. Rank 0 reads it to its end and every rank gets the same
/// bytes on fd 0 (a memfd), so the ranks read identical input.
private func replicateStdin() {
    let channel = Runtime.channel!
    var len = 0
    if Runtime.rank == 0 {
        while true {
            if len == channel.capacity { fatal("stdin is larger than the channel (raise CAPE_CHANNEL_GB)") }
            let n = read(0, channel.data + len, min(1 << 20, channel.capacity - len))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            len += n
        }
    }
    let a = channel.call(CAPE_OP_BCAST, arg0: 0, len: len)
    let fd = cape_memfd_create("cape-stdin", 0)
    if fd < 0 { fatal("cannot hold the replicated stdin: \(errnoText())") }
    var off = 0
    while off < a.outLen {
        let n = write(fd, channel.data + off, a.outLen - off)
        if n <= 0 { fatal("cannot hold the replicated stdin: \(errnoText())") }
        off += n
    }
    lseek(fd, 0, SEEK_SET)
    dup2(fd, 0)
    close(fd)
}

@_cdecl("cape_swift_at_exit")
func capeSwiftAtExit() {
    guard Runtime.started, !Runtime.finished else { return }
    Runtime.finished = true
    guard let channel = Runtime.channel else { return }
    if Runtime.size > 1 {
        // Every rank must end here: a rank still in a region means the ranks diverged.
        Region.synchronize(kind: .exit, fn: 0, data: 0, sp: 0, applyDiffs: false)
    }
    cape_stdio_flush()
    _ = channel.call(CAPE_OP_FINALIZE)
    channel.reapProxy()
}
