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
    /// Rank != 0: where sequential output goes.
    nonisolated(unsafe) static var devNull: Int32 = -1

    static let stackBytes = 8 << 20
    static let maxLocalThreads = 64
    nonisolated(unsafe) static var stacks: UnsafeMutableRawPointer?

    static var distributed: Bool { channel != nil && size > 1 }

    /// The job has more threads than its hosts have cores (each host taken to have as many as
    /// this one): a thread that spins waits for a core that the thread it waits for needs.
    static var moreThreadsThanCores: Bool {
        capacities.reduce(0, +) > max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) * SharedState.hosts
    }

    /// This host's ranks' threads and their proxies outnumber its cores (set at HELLO). While a
    /// sync point goes through the proxies, a thread that spins waiting for it then takes a core
    /// that a proxy needs: waits for the proxies spin briefly and sleep (`proxyWaitSpins`).
    nonisolated(unsafe) static var crowdedWithProxies = false

    /// How many pauses a thread spins waiting for its proxy, or for a sync point that goes through
    /// the proxies, before it sleeps on a futex. On 2 simulated hosts (2 threads a rank, so 3 of the
    /// job's processes' threads for 2 cores a host) an empty barrier took 178-188 us with 2,000 and
    /// 59-71 us with 100.
    static var proxyWaitSpins: Int { crowdedWithProxies ? 100 : 2000 }

    /// Stack `slot` (0: the master's region stack, 1...: worker threads).
    static func stack(_ slot: Int) -> UnsafeMutableRawPointer { stacks! + slot * stackBytes }
}

/// Stops the job for a condition of this rank (`cape: msg`, once, and the job ends).
@inline(never) func fatal(_ msg: String) -> Never {
    cape_die(msg)
}

/// Stops the job for a condition that every rank reaches (a setting, an unsupported construct,
/// what an exchange showed to all): the job's one line comes from rank 0.
@inline(never) func fatalEverywhere(_ msg: String) -> Never {
    cape_die_everywhere(msg)
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
    do { Runtime.settings = try Settings.parse(env) } catch { fatalEverywhere("\(error) (see the README's table of CAPE_ variables)") }
    let launch = cape_launch_info()!.pointee

    // Reserved once, in the same order and sizes on every rank: identical address spaces.
    Runtime.stacks = cape_reserve((Runtime.maxLocalThreads + 1) * Runtime.stackBytes, "thread stacks")
    let twinBytes = Runtime.settings.twinGiB << 30
    let twins = cape_reserve(twinBytes, "page twins")!
    let scratchBytes = 4 << 30
    let scratch = cape_reserve(scratchBytes, "tracking state")!
    if cape_tracker_init(twins, twinBytes, scratch, scratchBytes) != 0 { fatal("cannot install the SIGSEGV handler: \(errnoText())") }
    cape_crash_install(Runtime.settings.trace > 0 ? 1 : 0)
    cape_set_die_hook { asRuntime { Profile.write() } }
    if Runtime.settings.tracker != .mprotect {
        let shadow = cape_reserve(twinBytes, "the shadow copy")!
        if cape_tracker_use_uffd(shadow, twinBytes) != 0 && Runtime.settings.tracker == .uffd {
            fatalEverywhere("CAPE_TRACKER=uffd, but \(String(cString: cape_tracker_error())) (use CAPE_TRACKER=mprotect or auto)")
        }
        cape_tracker_set_hot_history(UInt32(Runtime.settings.hotPages))
        cape_tracker_set_check_rearm(Runtime.settings.verify ? 1 : 0)
    }
    trace(2, cape_tracker_backend() == Int32(CAPE_TRACKER_UFFD.rawValue) ? "tracking writes with userfaultfd"
        : "tracking writes with mprotect" + (Runtime.settings.tracker == .auto ? " (\(String(cString: cape_tracker_error())))" : ""))
    let masterTop = Runtime.stack(0) + Runtime.stackBytes
    cape_set_master_stack(masterTop)
    let sharedBytes = Int(CAPE_SHARED_BYTES)
    let sharedRegion = cape_reserve(sharedBytes, "what the ranks share")!

    let localRanks = launcherValue(launch, "MPI_LOCALNRANKS").flatMap { Int($0) }
        ?? launcherValue(launch, "SLURM_NTASKS_PER_NODE").flatMap { Int($0) } ?? 1
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    let mine = Runtime.settings.threadsPerRank ?? max(1, cores / max(1, localRanks))

    // Before the abort hook: every rank refuses the same program, rank 0 alone says so (cape_die_everywhere).
    refuseForeignRuntimes()
    if launch.is_rank != 0 {
        // From here a failure of this rank must end the whole job, even before the proxy runs (the
        // other ranks would wait for this one in MPI_Init).
        cape_set_abort_hook { code, quiet in
            if Runtime.size == 1 && Runtime.started { return -1 }
            return Runtime.channel?.postAbort(code: code, quiet: quiet != 0) == true ? 1 : 0
        }
    }
    if launch.is_rank != 0 {
        let channel = Channel(gib: Runtime.settings.channelGiB)
        Runtime.channel = channel
        channel.spawnProxy(path: proxyPath(launch), launcherEnv: launcherEnv(launch))
        let a = channel.call(CAPE_OP_HELLO, arg0: UInt64(mine), arg1: hostIdentity())
        Runtime.rank = Int(a.result0)
        Runtime.size = Int(a.result1)
        Runtime.capacities = (0..<Runtime.size).map { Int(channel.data.load(fromByteOffset: $0 * 16, as: UInt64.self)) }
        let hosts = (0..<Runtime.size).map { channel.data.load(fromByteOffset: $0 * 16 + 8, as: UInt64.self) }
        SharedState.hosts = Set(hosts).count
        SharedState.home = hosts[Runtime.rank] == hosts[0]
        let here = (0..<Runtime.size).filter { hosts[$0] == hosts[Runtime.rank] }
        Runtime.crowdedWithProxies = here.reduce(0) { $0 + Runtime.capacities[$1] } + here.count > cores
        // Across hosts the proxy leaves without MPI_Finalize (see cape-proxy), so hydra must not see
        // the PMI connection close before this process ends: it keeps a reference to it till exit.
        if launch.launcher_fd >= 0 && SharedState.hosts == 1 { close(launch.launcher_fd) }
    } else {
        Runtime.capacities = [mine]
    }
    SharedState.base = sharedRegion
    if Runtime.size > 1 { shareState(sharedRegion, bytes: sharedBytes) }
    if Runtime.size > 1 { RegionHeap.setUp(ranks: Runtime.size, rank: Runtime.rank) }
    TeamBlocks.setUp()
    ThreadPrivate.setUp()
    if Runtime.distributed && Runtime.rank != 0, let channel = Runtime.channel {
        // The directory's path goes into the channel: the proxy removes it if this process dies first.
        withUnsafeMutableBytes(of: &channel.control.pointee.files_dir) { b in
            cape_files_redirect(Int32(Runtime.rank), b.baseAddress!.assumingMemoryBound(to: CChar.self), b.count)
        }
    }
    _ = LockTable.local // allocated now, from the runtime arena
    SectionLog.active = Runtime.size > 1
    if let v = env["OMP_SCHEDULE"] { RunSchedule.parse(v) }
    if let v = env["OMP_CANCELLATION"], v.lowercased() == "true" {
        fatalEverywhere("cancellation (OMP_CANCELLATION=true) is not supported yet (unset OMP_CANCELLATION)")
    }
    _ = Work.frames // allocated now, from the runtime arena
    if Runtime.distributed {
        cape_atomics_rewrite(Runtime.settings.atomics == .local ? 1 : 0)
        let n = cape_atomics_install()
        if n < 0 { fatalEverywhere("cannot prepare the program's atomic instructions: \(String(cString: cape_atomics_error()))") }
        AtomicUpdates.setUp(local: Runtime.settings.atomics != .serial)
        Flush.setUp()
        let local = Runtime.settings.atomics != .serial ? cape_atomics_local_sites() : 0
        trace(1, "\(n) atomic instructions in the program: \(local) update locally (\(cape_atomics_jump_sites()) by a jump, the others by a trap), \(n - Int(local)) run team-wide")
        if Runtime.settings.trace >= 2 && Runtime.rank == 0 {
            cape_atomics_report { addr, op, width, jump, mnemonic in
                let what = ["serial", "add", "sub", "inc", "dec", "and", "or", "xor", "fence", "mul", "add", "sub", "mul", "div", "logged",
                            "max", "min", "umax", "umin", "max", "min", "max", "min"][Int(op)]
                let floating = (op >= 10 && op <= 13) || op >= 19 ? (width == 4 ? ", float" : ", double") : ""
                let verdict = op == 0 ? "team-wide" : op == 8 ? "fence" : "local \(what), \(width) bytes\(floating), \(jump != 0 ? "jump" : "trap")"
                cape_write_err("cape[0]: atomic at 0x\(String(addr, radix: 16)) (\(symbol(addr))): \(verdict) [\(String(cString: mnemonic!))]\n")
            }
        }
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
    JobClock.enable()
    Profile.on = Runtime.settings.profilePath != nil && Runtime.distributed
    trace(1, "rank \(Runtime.rank) of \(Runtime.size) on \(SharedState.hosts) host\(SharedState.hosts == 1 ? "" : "s")"
        + (SharedState.home ? "" : " (away from rank 0's host)") + ", \(mine) local threads, team of \(Runtime.defaultTeam)")
}

/// A program that libcape cannot drive stops here, by name (Sources/CCapeShim/foreign.c).
private func refuseForeignRuntimes() {
    var name: UnsafePointer<CChar>?
    switch cape_foreign_runtime(&name) {
    case Int32(CAPE_FOREIGN_LLVM_OPENMP):
        fatalEverywhere("the program uses LLVM's OpenMP runtime (\(String(cString: name!)): the __kmpc_* ABI of clang, icx and aocc), "
            + "which libcape does not replace, so every rank would run the whole program alone (build it with gcc -fopenmp)")
    case Int32(CAPE_FOREIGN_MPI):
        fatalEverywhere("the program is an MPI program itself (it loads \(String(cString: name!))): under libcape the ranks' MPI "
            + "belongs to libcape, and the program would run alone in an MPI world of one (run hybrid MPI+OpenMP programs without libcape)")
    default:
        return
    }
}

/// Names the machine: ranks with the same identity can share memory.
private func hostIdentity() -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: [UInt8]) { for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, 255)
    mix(name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
    let fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buf, 64)
        close(fd)
        if n > 0 { mix(Array(buf.prefix(n))) }
    }
    return h
}

/// What the ranks share (SharedState): the ranks of rank 0's host map one memory, which rank 0
/// creates, names to the others and removes the name of once every rank has it mapped; a rank on
/// another host maps memory of its own (its copy of the section log), which its proxy maps too.
/// When the job spans hosts, rank 0's proxy serves the others' requests on the home memory.
private func shareState(_ at: UnsafeMutableRawPointer, bytes: Int) {
    let channel = Runtime.channel!
    var name = ""
    var fd: Int32 = -1
    if Runtime.rank == 0 {
        var r: UInt64 = 0
        arc4random_buf(&r, 8)
        name = "/cape-\(getpid())-\(String(r, radix: 16))"
        fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 || ftruncate(fd, off_t(bytes)) != 0 {
            fatal("cannot create the shared loop counters and locks in /dev/shm\(name): \(errnoText()) (check that /dev/shm is writable)")
        }
        channel.data.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        _ = name.withCString { strcpy(channel.data.assumingMemoryBound(to: CChar.self), $0) }
    }
    _ = channel.call(CAPE_OP_BCAST, arg0: 0, len: 64)
    if Runtime.rank != 0 {
        if SharedState.home {
            name = String(cString: channel.data.assumingMemoryBound(to: CChar.self))
            fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)
            if fd < 0 { fatal("cannot open the shared loop counters and locks in /dev/shm\(name): \(errnoText()) (check that /dev/shm is writable)") }
        } else {
            fd = cape_memfd_create("cape-shared", UInt64(bytes))
            if fd < 0 { fatal("cannot create memory for the shared state: \(errnoText())") }
        }
    }
    if mmap(at, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0) == MAP_FAILED {
        fatal("cannot map the shared loop counters and locks: \(errnoText())")
    }
    // From here the job prints one line when several ranks stop at once (cape_die).
    cape_set_stop_word((at + Int(CAPE_STOP_WORD_OFFSET)).assumingMemoryBound(to: UInt32.self), SharedState.home ? 1 : 0)
    withUnsafeMutablePointer(to: &channel.control.pointee.end_report) { cape_set_end_report($0, Int32(Runtime.rank)) }
    if SharedState.hosts > 1 {
        _ = channel.call(CAPE_OP_SHARE, arg0: UInt64(fd), arg1: UInt64(bytes), arg2: Runtime.rank == 0 ? 1 : 0)
    }
    close(fd)
    Region.synchronize(kind: .startup, fn: 0, data: 0, sp: 0, applyDiffs: false)
    if Runtime.rank == 0 { shm_unlink(name) }
    HostExchange.setUp()
}

private func launcherValue(_ launch: cape_launch_t, _ name: String) -> String? {
    for kv in launcherEnv(launch) where kv.hasPrefix(name + "=") { return String(kv.dropFirst(name.count + 1)) }
    return nil
}

/// The launcher's variables for the proxy; PMI_FD names the descriptor where it now is.
private func launcherEnv(_ launch: cape_launch_t) -> [String] {
    guard let e = launch.env else { return [] }
    return String(cString: e).split(separator: "\u{1f}").map { kv in
        kv.hasPrefix("PMI_FD=") && launch.launcher_fd >= 0 ? "PMI_FD=\(launch.launcher_fd)" : String(kv)
    }
}

private func proxyPath(_ launch: cape_launch_t) -> String {
    if let p = Runtime.settings.proxyPath { return p }
    let lib = String(cString: launch.self_path)
    let dir = lib.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return (dir.isEmpty ? "." : dir) + "/cape-proxy"
}

/// Sequential code runs on every rank; only rank 0's output may reach the terminal. Other ranks
/// point fds 1 and 2 at /dev/null outside regions; inside regions at capture files whose content
/// travels to rank 0 with the region's diff, so output appears once and in program order.
private func setUpOutput() {
    guard Runtime.rank != 0 else { return }
    let realErr = fcntl(2, F_DUPFD_CLOEXEC, 900)
    Output.realOut = fcntl(1, F_DUPFD_CLOEXEC, 900)
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    Runtime.devNull = fcntl(null, F_DUPFD_CLOEXEC, 900) // not 3: the program's descriptors must match rank 0's
    close(null)
    Output.capture = (capture("cape-stdout"), capture("cape-stderr"))
    if realErr < 0 || Runtime.devNull < 0 { fatal("cannot redirect the output of rank \(Runtime.rank): \(errnoText())") }
    cape_set_err_fd(realErr)
    dup2(Runtime.devNull, 1)
    dup2(Runtime.devNull, 2)
}

private func capture(_ name: String) -> Int32 {
    let fd = cape_memfd_create(name, 0)
    let high = fcntl(fd, F_DUPFD_CLOEXEC, 900)
    close(fd)
    if high < 0 { fatal("cannot capture the output of rank \(Runtime.rank): \(errnoText())") }
    return high
}

enum Output {
    nonisolated(unsafe) static var capture: (out: Int32, err: Int32) = (-1, -1)
    /// fd 1 as the rank started (ranks other than 0), for exit() inside a region.
    nonisolated(unsafe) static var realOut: Int32 = -1

    /// Region start on a rank other than 0: drop its sequential output, then capture. Rank 0 sends
    /// what the program printed so far on its way: should a thread of another rank call exit()
    /// in the region, the job ends without rank 0 getting to its own exit.
    static func beginRegion() {
        if Runtime.rank == 0 { fflush(stdout); return }
        guard capture.out >= 0 else { return }
        cape_stdio_flush()
        dup2(capture.out, 1)
        dup2(capture.err, 2)
    }

    /// Region end on a rank other than 0: moves what its threads printed into `buffer`.
    /// Returns the byte counts of stdout and stderr.
    static func endRegion(into buffer: UnsafeMutableRawPointer, room: Int) -> (out: Int, err: Int) {
        guard Runtime.rank != 0, capture.out >= 0 else { return (0, 0) }
        cape_stdio_flush()
        dup2(Runtime.devNull, 1)
        dup2(Runtime.devNull, 2)
        let o = take(capture.out, into: buffer, room: room)
        let e = take(capture.err, into: buffer + o, room: room - o)
        return (o, e)
    }

    /// exit() inside a region on a rank other than 0: what its threads printed since the last sync
    /// point goes straight to the launcher (rank 0 flushed everything before it at that point).
    /// Each rank's output reaches the terminal through its own pipe to the launcher, which keeps no
    /// order between ranks: the pause lets it forward rank 0's output first (a residual risk under
    /// heavy load; going through rank 0's proxy would remove it).
    static func forwardCaptured() {
        cape_stdio_flush()
        guard Runtime.rank != 0, capture.out >= 0 else { return }
        usleep(300_000)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        for (from, to) in [(capture.out, realOut), (capture.err, cape_err_fd())] where to >= 0 {
            var off: off_t = 0
            while case let n = pread(from, buffer, 65536, off), n > 0 {
                writeAll(to, buffer, n)
                off += off_t(n)
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) {
        var off = 0
        while off < n {
            let w = write(fd, p + off, n - off)
            if w <= 0 { break }
            off += w
        }
    }

    /// A barrier on a rank other than 0: moves what its threads printed so far into `buffer`, and
    /// goes on capturing.
    static func take(into buffer: UnsafeMutableRawPointer, room: Int) -> (out: Int, err: Int) {
        guard Runtime.rank != 0, capture.out >= 0 else { return (0, 0) }
        cape_stdio_flush()
        let o = take(capture.out, into: buffer, room: room)
        let e = take(capture.err, into: buffer + o, room: room - o)
        return (o, e)
    }

    private static func take(_ fd: Int32, into buffer: UnsafeMutableRawPointer, room: Int) -> Int {
        let n = Int(lseek(fd, 0, SEEK_CUR))
        guard n > 0 else { return 0 }
        if n > room { fatal("a region printed more than the channel holds (raise CAPE_CHANNEL_GB)") }
        var off = 0
        while off < n {
            let r = pread(fd, buffer + off, n - off, off_t(off))
            if r <= 0 { break }
            off += r
        }
        _ = ftruncate(fd, 0)
        lseek(fd, 0, SEEK_SET)
        return off
    }

    /// Rank 0 prints what the other ranks' threads printed in the region, in rank order, and sends
    /// it on its way with its own (see beginRegion).
    static func print(_ segments: [Segment.View]) {
        guard Runtime.rank == 0 else { return }
        defer { fflush(stdout) }
        for s in segments where s.rank != 0 && (s.outBytes > 0 || s.errBytes > 0) {
            if s.outBytes > 0 { fwrite(s.output.baseAddress, 1, s.outBytes, stdout) }
            if s.errBytes > 0 {
                fflush(stdout)
                writeAll(2, s.errors.baseAddress!, s.errBytes)
            }
        }
    }
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

@_cdecl("cape_swift_shared_word")
func capeSwiftSharedWord() -> UInt64 {
    cape_self()!.pointee.rt_depth += 1
    defer { cape_self()!.pointee.rt_depth -= 1 }
    var word: UInt64 = 0
    guard let channel = Runtime.channel else { return 0 }
    if Runtime.rank == 0 { arc4random_buf(&word, 8) }
    channel.data.storeBytes(of: word, as: UInt64.self)
    _ = channel.call(CAPE_OP_BCAST, arg0: 0, len: 8)
    return channel.data.load(as: UInt64.self)
}

@_cdecl("cape_swift_at_exit")
func capeSwiftAtExit(_ status: Int32) {
    guard Runtime.started, !Runtime.finished else { return }
    Runtime.finished = true
    guard let channel = Runtime.channel else { return }
    if Runtime.size > 1 && Region.running && Runtime.distributed {
        // exit() inside a region (a task, a section, one iteration): the other ranks are in the
        // region and never get here. What this rank printed in it goes out first.
        Output.forwardCaptured()
        cape_exit_everywhere(status)
    }
    if Runtime.size > 1 {
        // Every rank must end here: a rank still in a region means the ranks diverged.
        Region.synchronize(kind: .exit, fn: 0, data: 0, sp: 0, applyDiffs: false)
    }
    Profile.on = false
    Profile.write()
    cape_stdio_flush()
    cape_files_cleanup()
    _ = channel.call(CAPE_OP_FINALIZE)
    channel.reapProxy()
}
