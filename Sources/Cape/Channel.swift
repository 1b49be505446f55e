// The program's side of the channel to cape-proxy (contract: include/cape_channel.h).
import CCapeShim
import CCapeSys
import Glibc

final class Channel {
    let fd: Int32
    let base: UnsafeMutableRawPointer
    let control: UnsafeMutablePointer<cape_channel_t>
    let data: UnsafeMutableRawPointer
    let capacity: Int
    let bytes: UInt64
    private(set) var proxyPid: pid_t = 0
    private var committedHighWater = 0
    private var proxyGone = false

    init(gib: Int) {
        bytes = UInt64(gib) << 30
        let created = cape_memfd_create("cape-channel", bytes)
        if created < 0 { fatal("cannot create the proxy channel: \(errnoText()) (check that memfd_create is allowed)") }
        // Kept out of the program's descriptor numbers; inherited by the proxy only.
        fd = fcntl(created, F_DUPFD, 1024)
        close(created)
        if fd < 0 { fatal("cannot place the proxy channel's descriptor: \(errnoText())") }
        guard let p = cape_map_channel(fd, bytes) else {
            fatal("cannot map the proxy channel of \(gib) GiB: \(errnoText()) (lower CAPE_CHANNEL_GB or check ulimit -v)")
        }
        base = p
        control = p.assumingMemoryBound(to: cape_channel_t.self)
        data = p + Int(CAPE_CHANNEL_CONTROL)
        capacity = Int(bytes) - Int(CAPE_CHANNEL_CONTROL)
        control.pointee.magic = CAPE_CHANNEL_MAGIC
        control.pointee.version = 1
        control.pointee.capacity = UInt64(capacity)
        cape_tracker_exclude(UInt(bitPattern: p), UInt(bitPattern: p) + UInt(bytes))
        // What a small exchange uses is committed at start; the rest of what trim keeps on its first
        // use (a fault per page then: a few ms per 10 MB exchanged, once).
        cape_channel_populate(p, UInt64(CAPE_CHANNEL_CONTROL) + UInt64(min(Int(CAPE_CHANNEL_PREFAULT), capacity)))
    }

    /// Starts cape-proxy with the launcher's environment, our channel and our pid.
    func spawnProxy(path: String, launcherEnv: [String]) {
        if access(path, X_OK) != 0 {
            fatalEverywhere("cape-proxy not found at \(path) (build it with `swift build -c release`, keep it beside libcape.so, or set CAPE_PROXY)")
        }
        var env: [String] = []
        var i = 0
        while let e = environ[i] {
            let s = String(cString: e)
            i += 1
            if s.hasPrefix("LD_PRELOAD=") {
                // The proxy must not load libcape: keep any other preloads.
                let rest = s.dropFirst("LD_PRELOAD=".count).split(whereSeparator: { $0 == ":" || $0 == " " })
                    .filter { !$0.hasSuffix("libcape.so") }
                if !rest.isEmpty { env.append("LD_PRELOAD=" + rest.joined(separator: ":")) }
                continue
            }
            env.append(s)
        }
        env += launcherEnv
        env.append("CAPE_CHANNEL_FD=\(fd)")
        env.append("CAPE_CHANNEL_BYTES=\(bytes)")
        env.append("CAPE_APP_PID=\(getpid())")
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, nil, nil, argv, envp)
        for p in argv { free(p) }
        for p in envp { free(p) }
        if rc != 0 { fatal("cannot start cape-proxy at \(path): \(String(cString: strerror(rc)))") }
        proxyPid = pid
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    struct Answer {
        var outLen: Int
        var result0: UInt64
        var result1: UInt64
    }

    /// One request, answered when the proxy is done. Checks once a second that the proxy lives:
    /// a dead proxy ends the program with a message instead of a hang. Spins
    /// `Runtime.proxyWaitSpins` pauses before it sleeps.
    func call(_ op: cape_op, arg0: UInt64 = 0, arg1: UInt64 = 0, arg2: UInt64 = 0, len: Int = 0) -> Answer {
        control.pointee.op = op.rawValue
        control.pointee.arg0 = arg0
        control.pointee.arg1 = arg1
        control.pointee.arg2 = arg2
        control.pointee.len = UInt64(len)
        let before = withUnsafeMutablePointer(to: &control.pointee.response) { cape_load_acquire_u32($0) }
        withUnsafeMutablePointer(to: &control.pointee.main_seq) { cape_store_release_u32($0, cape_load_acquire_u32($0) &+ 1) }
        ringDoorbell()
        withUnsafeMutablePointer(to: &control.pointee.response) { w in
            var spins = 0
            let limit = Runtime.proxyWaitSpins
            while cape_load_acquire_u32(w) == before {
                if spins < limit { spins += 1; cape_cpu_relax(); continue }
                if cape_futex_wait(w, before, 1000) != 0 { checkProxy() }
            }
        }
        if control.pointee.status != 0 {
            let msg = withUnsafeBytes(of: &control.pointee.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            fatal("the MPI proxy failed: \(msg)")
        }
        return Answer(outLen: Int(control.pointee.out_len), result0: control.pointee.result0, result1: control.pointee.result1)
    }

    /// Asks the proxy to abort the whole job, without waiting for it (cape_die's hook). False when
    /// the proxy is gone.
    /// `quiet`: the job ends with the program's own status (exit() inside a region), without MPI's
    /// report of the abort.
    func postAbort(code: Int32 = 1, quiet: Bool = false) -> Bool {
        if proxyGone || proxyPid == 0 { return false }
        control.pointee.op = CAPE_OP_ABORT.rawValue
        control.pointee.arg0 = UInt64(UInt32(bitPattern: code))
        control.pointee.arg1 = quiet ? 1 : 0
        withUnsafeMutablePointer(to: &control.pointee.main_seq) { cape_store_release_u32($0, cape_load_acquire_u32($0) &+ 1) }
        ringDoorbell()
        return true
    }

    private func ringDoorbell() {
        withUnsafeMutablePointer(to: &control.pointee.request) { w in
            _ = cape_fetch_add_u32(w, 1)
            cape_futex_wake(w)
        }
    }

    /// A shared-state operation of a rank away from rank 0's host (include/cape_shared.h): the
    /// calling thread's slot carries it to the proxy, which answers once rank 0's proxy has. A
    /// log append's entry must be at the start of the data area.
    func shared(_ op: cape_shared_op, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64) {
        let index = slotIndex()
        settle(index)
        post(index, op, a, b, c, d)
        return take(index)
    }

    /// Starts an operation whose answer the calling thread collects later (`collect`): a chunk
    /// claimed ahead while the thread computes the one it holds. Any other operation of the thread
    /// first waits for it and keeps its answer.
    func prefetch(_ op: cape_shared_op, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        let index = slotIndex()
        settle(index)
        post(index, op, a, b, c, d)
        inFlight[index] = true
    }

    /// The answer of the calling thread's `prefetch`.
    func collect() -> (UInt64, UInt64) {
        let index = slotIndex()
        settle(index)
        guard let r = kept[index] else { preconditionFailure("Channel.collect: no operation was started") }
        kept[index] = nil
        return r
    }

    // Per slot, so per local thread: touched only by the slot's own thread (not Swift arrays, whose
    // element writes from several threads would be simultaneous accesses to one property).
    private let inFlight: UnsafeMutablePointer<Bool> = {
        let p = UnsafeMutablePointer<Bool>.allocate(capacity: Int(CAPE_CHANNEL_SLOTS))
        p.initialize(repeating: false, count: Int(CAPE_CHANNEL_SLOTS))
        return p
    }()
    private let kept: UnsafeMutablePointer<(UInt64, UInt64)?> = {
        let p = UnsafeMutablePointer<(UInt64, UInt64)?>.allocate(capacity: Int(CAPE_CHANNEL_SLOTS))
        p.initialize(repeating: nil, count: Int(CAPE_CHANNEL_SLOTS))
        return p
    }()

    private func slotIndex() -> Int {
        let index = Int(cape_self()!.pointee.local_index) + 1
        precondition(index >= 0 && index < Int(CAPE_CHANNEL_SLOTS), "Channel.shared: no slot for local thread \(index - 1)")
        return index
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<cape_slot_t> {
        withUnsafeMutablePointer(to: &control.pointee.slots) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: cape_slot_t.self) + index
        }
    }

    /// Waits for the thread's started operation, if any, and keeps its answer.
    private func settle(_ index: Int) {
        guard inFlight[index] else { return }
        inFlight[index] = false
        kept[index] = take(index)
    }

    private func post(_ index: Int, _ op: cape_shared_op, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        let s = slot(index)
        s.pointee.op = op.rawValue
        s.pointee.arg = (a, b, c, d)
        withUnsafeMutablePointer(to: &s.pointee.state) { cape_store_release_u32($0, UInt32(CAPE_SLOT_POSTED.rawValue)) }
        ringDoorbell()
    }

    private func take(_ index: Int) -> (UInt64, UInt64) {
        let s = slot(index)
        withUnsafeMutablePointer(to: &s.pointee.state) { w in
            var spins = 0
            let limit = Runtime.proxyWaitSpins
            while true {
                let v = cape_load_acquire_u32(w)
                if v == UInt32(CAPE_SLOT_DONE.rawValue) { break }
                if spins < limit { spins += 1; cape_cpu_relax(); continue }
                if cape_futex_wait(w, v, 1000) != 0 { checkProxy() }
            }
        }
        let r = s.pointee.result
        withUnsafeMutablePointer(to: &s.pointee.state) { cape_store_release_u32($0, UInt32(CAPE_SLOT_FREE.rawValue)) }
        return (r.0, r.1)
    }

    func checkProxy() {
        var status: Int32 = 0
        let r = waitpid(proxyPid, &status, WNOHANG)
        if r == proxyPid {
            proxyGone = true
            let how = (status & 0x7f) == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            fatal("the MPI proxy of rank \(Runtime.rank) \(how) (see the messages above; the job stops)")
        }
    }

    /// Waits for the proxy to exit after FINALIZE.
    func reapProxy() {
        var status: Int32 = 0
        while waitpid(proxyPid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Returns committed channel memory to the kernel after an unusually large exchange.
    func trim(used: Int) {
        let keep = Int(CAPE_CHANNEL_KEEP)
        if used > keep { cape_channel_release(fd, UInt64(CAPE_CHANNEL_CONTROL) + UInt64(keep), UInt64(used - keep)) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
