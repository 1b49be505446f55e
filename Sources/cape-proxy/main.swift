// cape-proxy: the only MPI process of a rank. Spawned by libcape with the launcher's environment,
// it maps the program's channel and moves bytes between ranks when asked: recursive-doubling
// exchanges and broadcasts. It sleeps on a futex while the program computes, so it never takes
// a core from it (MPICH's blocking calls busy-poll: MPI is called only when there is work).
//
// When the ranks span several hosts it also carries what the ranks share (include/cape_shared.h)
// across them: the proxy of a rank away from rank 0's host forwards its threads' requests to rank
// 0's proxy, which performs them on the home host's memory. That proxy must answer while its own
// program computes, and nothing but MPI reaches it: MPI_Fetch_and_op on a window whose owner
// sleeps completes only when the owner next calls MPI (measured: 1.5 ms per operation), and
// MPICH's blocking calls spin. So it polls with back-off: 50 us after a request, doubling with
// every empty poll to one per 4 ms (a burst of lock operations, each waiting for the last, keeps
// it near 50 us; a 20 ms hot window tried first cost rank 0 up to a tenth of a core during a
// dynamic loop). A poll (a futex timeout and one MPI_Iprobe, which runs UCX's TCP progress) costs
// about 17-20 us of CPU on this VM: at one per millisecond the proxies used 1.7% of a core while a
// region computed on 2 simulated hosts (bench part `hosts`), at one per 2 ms 1.4-1.9%, at 4 ms
// 0.6%. But a 4 ms period made a dynamic loop's chunk claims (one per 4 ms) wait (1.13x libgomp
// against 1.06x at 1 ms): while requests come regularly the period stops at a quarter of their
// usual gap. Chunk claims, one per chunk, are claimed a
// chunk ahead by the asking rank (dynamic schedules), so the latency hides behind the chunk being
// computed.
import CCapeSys
import CMPI
import CapeCore
import Glibc

@inline(never) func fail(_ msg: String) -> Never {
    FileHandleErr.write("cape: \(msg)\n")
    exit(1)
}

enum FileHandleErr {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { b in _ = Glibc.write(2, b.baseAddress, b.count) }
    }
}

if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print("""
    usage: cape-proxy   (started by libcape.so, not by hand)

    The MPI side of one rank of a libcape job. libcape.so spawns it beside the program with the
    environment variables CAPE_CHANNEL_FD, CAPE_CHANNEL_BYTES and CAPE_APP_PID and the launcher's
    PMI variables; it initializes MPI and serves the program's exchange requests until the program
    finalizes.
    """)
    exit(0)
}

guard let fdText = getenv("CAPE_CHANNEL_FD").map({ String(cString: $0) }), let fd = Int32(fdText),
      let sizeText = getenv("CAPE_CHANNEL_BYTES").map({ String(cString: $0) }), let size = UInt64(sizeText),
      let pidText = getenv("CAPE_APP_PID").map({ String(cString: $0) }), let appPid = pid_t(pidText)
else {
    fail("cape-proxy is started by libcape.so, not by hand (run your program with LD_PRELOAD=libcape.so mpiexec ...)")
}

/// The program's pid, for code outside this file (a guard's binding is not a global).
let programPid = appPid

// Die with the program: a killed rank must not leave its proxy behind.
cape_die_with_parent()
if getppid() != appPid { exit(1) }

guard let base = cape_map_channel(fd, size) else { fail("cape-proxy cannot map the channel (\(String(cString: strerror(errno))))") }
cape_channel_populate(base, min(size, UInt64(CAPE_CHANNEL_CONTROL) + UInt64(CAPE_CHANNEL_PREFAULT)))
let control = base.assumingMemoryBound(to: cape_channel_t.self)
// If the program dies first, the parent-death handler also removes the program's private directory
// for the files of sequential code (written into the channel once the program has made it). When
// the whole job is killed this process dies too; the next start of a rank removes the directory.
cape_files_watch(control, appPid)
let data = base + Int(CAPE_CHANNEL_CONTROL)
let capacity = Int(size) - Int(CAPE_CHANNEL_CONTROL)

var rank: Int32 = 0
var worldSize: Int32 = 1
let world = cape_mpi_comm_world()
let byte = cape_mpi_byte()
let chunk = 1 << 30
/// Shared-state traffic has a communicator of its own: the exchange's probes match any tag.
var service = cape_mpi_comm_world()
/// The ranks span several hosts (set by CAPE_OP_SHARE).
var multiHost = false
/// This is rank 0's proxy in a job on several hosts: it serves the other hosts' requests.
var serving = false
/// The rank's shared-state region, mapped from the program's descriptor.
var shared: UnsafeMutableRawPointer?

func respond(status: Int32 = 0, outLen: Int, _ r0: UInt64 = 0, _ r1: UInt64 = 0, message: String? = nil) {
    control.pointee.status = status
    control.pointee.out_len = UInt64(outLen)
    control.pointee.result0 = r0
    control.pointee.result1 = r1
    if let message {
        withUnsafeMutableBytes(of: &control.pointee.message) { m in
            let bytes = Array(message.utf8.prefix(m.count - 1))
            m.copyBytes(from: bytes)
            m[bytes.count] = 0
        }
    }
    withUnsafeMutablePointer(to: &control.pointee.response) { w in
        cape_store_release_u32(w, cape_load_acquire_u32(w) &+ 1)
        cape_futex_wake(w)
    }
}

// Point-to-point calls of the exchange. Rank 0's proxy of a job on several hosts must go on
// serving while it waits for a peer (the peer may itself wait for a chunk or a lock from it), so
// there they are nonblocking calls completed in a loop that serves. Where this host runs more of
// the job's threads than it has cores (`crowded`), a proxy waiting for a peer must not spin: MPICH's
// blocking calls would take the core the peer needs to get there (at -n 4 on 2 cores the proxies
// used about half a core each while the ranks computed). There they are nonblocking calls polled
// with sleeps. Elsewhere MPI's own blocking calls, which spin on a core that is free.

/// More threads of the job on this host than cores (set at HELLO).
var crowded = false

/// Polls until `done` holds, yielding the core: a few yields, then sleeps from 5 us growing to
/// 200 us (a peer that is not running cannot answer sooner, and one that is answers within the
/// first sleeps).
func politely(_ done: () -> Bool) {
    var tries = 0
    var micros: UInt32 = 5
    while !done() {
        tries += 1
        if tries < 8 { sched_yield(); continue }
        usleep(micros)
        micros = min(micros * 2, 200)
    }
}

func complete(_ requests: inout [MPI_Request]) {
    guard serving else {
        if crowded {
            politely {
                var done: Int32 = 0
                MPI_Testall(Int32(requests.count), &requests, &done, cape_mpi_statuses_ignore())
                return done != 0
            }
            return
        }
        MPI_Waitall(Int32(requests.count), &requests, cape_mpi_statuses_ignore())
        return
    }
    var done: Int32 = 0
    while true {
        MPI_Testall(Int32(requests.count), &requests, &done, cape_mpi_statuses_ignore())
        if done != 0 { return }
        _ = serveIncoming()
    }
}

func send(_ p: UnsafeRawPointer, _ n: Int, _ type: MPI_Datatype, to peer: Int32, tag: Int32) {
    guard serving || crowded else { MPI_Send(p, Int32(n), type, peer, tag, world); return }
    var r = [MPI_Request(0)]
    MPI_Isend(p, Int32(n), type, peer, tag, world, &r[0])
    complete(&r)
}

func recv(_ p: UnsafeMutableRawPointer, _ n: Int, _ type: MPI_Datatype, from peer: Int32, tag: Int32) {
    guard serving || crowded else { MPI_Recv(p, Int32(n), type, peer, tag, world, cape_mpi_status_ignore()); return }
    var r = [MPI_Request(0)]
    MPI_Irecv(p, Int32(n), type, peer, tag, world, &r[0])
    complete(&r)
}

func probe(_ peer: Int32, _ status: inout MPI_Status) {
    guard serving else {
        if crowded {
            politely {
                var found: Int32 = 0
                MPI_Iprobe(peer, MPI_ANY_TAG, world, &found, &status)
                return found != 0
            }
            return
        }
        MPI_Probe(peer, MPI_ANY_TAG, world, &status)
        return
    }
    var found: Int32 = 0
    while true {
        MPI_Iprobe(peer, MPI_ANY_TAG, world, &found, &status)
        if found != 0 { return }
        _ = serveIncoming()
    }
}

func sendAll(_ p: UnsafeRawPointer, _ n: Int, to peer: Int32) {
    var off = 0
    repeat {
        let c = min(chunk, n - off)
        send(p + off, c, byte, to: peer, tag: 1)
        off += c
    } while off < n
}

func recvAll(_ p: UnsafeMutableRawPointer, _ n: Int, from peer: Int32) {
    var off = 0
    repeat {
        let c = min(chunk, n - off)
        recv(p + off, c, byte, from: peer, tag: 1)
        off += c
    } while off < n
}


func checkRoom(_ need: Int) {
    if need > capacity {
        fail("an exchange needs \(need >> 20) MiB, more than the channel's \(capacity >> 30) GiB (raise CAPE_CHANNEL_GB)")
    }
}

/// The length announcement must outlive MPI_Isend's call.
let announced = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

/// Sends data[0..<len] to the peer and appends what it sends; returns the length received. A payload
/// up to one chunk travels as one message whose size the receiver probes (one message each way, the
/// common case); a larger one is announced with its length (tag 3) and follows in chunks.
func swap(_ len: Int, with peer: Int32) -> Int {
    var requests: [MPI_Request] = []
    func isend(_ p: UnsafeRawPointer, _ n: Int, _ type: MPI_Datatype, tag: Int32) {
        var r = MPI_Request(0)
        MPI_Isend(p, Int32(n), type, peer, tag, world, &r)
        requests.append(r)
    }
    if len <= chunk {
        isend(data, len, byte, tag: 2)
    } else {
        announced.pointee = UInt64(len)
        isend(announced, 1, cape_mpi_uint64(), tag: 3)
        var off = 0
        while off < len { isend(data + off, min(chunk, len - off), byte, tag: 1); off += chunk }
    }
    var status = MPI_Status()
    probe(peer, &status)
    var theirs = 0
    if status.MPI_TAG == 2 {
        var count: Int32 = 0
        MPI_Get_count(&status, byte, &count)
        theirs = Int(count)
        checkRoom(len + theirs)
        recv(data + len, Int(count), byte, from: peer, tag: 2)
    } else {
        var l: UInt64 = 0
        recv(&l, 1, cape_mpi_uint64(), from: peer, tag: 3)
        theirs = Int(l)
        checkRoom(len + theirs)
        recvAll(data + len, theirs, from: peer)
    }
    complete(&requests)
    return theirs
}

func exchange(_ ownLen: Int) -> Int {
    var len = ownLen
    for step in ExchangePlan.steps(rank: Int(rank), size: Int(worldSize)) {
        switch step {
        case .send(let to):
            var l = UInt64(len)
            send(&l, 1, cape_mpi_uint64(), to: Int32(to), tag: 0)
            sendAll(data, len, to: Int32(to))
        case .append(let from):
            var l: UInt64 = 0
            recv(&l, 1, cape_mpi_uint64(), from: Int32(from), tag: 0)
            checkRoom(len + Int(l))
            recvAll(data + len, Int(l), from: Int32(from))
            len += Int(l)
        case .replace(let from):
            var l: UInt64 = 0
            recv(&l, 1, cape_mpi_uint64(), from: Int32(from), tag: 0)
            checkRoom(Int(l))
            recvAll(data, Int(l), from: Int32(from))
            len = Int(l)
        case .swap(let with):
            len += swap(len, with: Int32(with))
        }
    }
    return len
}

// ---- what the ranks share, across hosts (contract: include/cape_shared.h) ----

let tagRequest: Int32 = 1, tagEntry: Int32 = 2, tagAnswer: Int32 = 100, tagRegionBytes: Int32 = 300
let requestBytes = MemoryLayout<cape_shared_request_t>.size
/// Rank 0's proxy: where a log entry from another host lands before it is appended.
var entryBuffer: UnsafeMutableRawPointer?

/// Rank 0's proxy: performs every request that has arrived from other hosts. Returns whether
/// there was one.
func serveIncoming() -> Bool {
    var any = false
    while true {
        var found: Int32 = 0
        var status = MPI_Status()
        MPI_Iprobe(cape_mpi_any_source(), tagRequest, service, &found, &status)
        if found == 0 { return any }
        any = true
        let from = status.MPI_SOURCE
        var q = cape_shared_request_t()
        MPI_Recv(&q, Int32(requestBytes), byte, from, tagRequest, service, cape_mpi_status_ignore())
        var entry: UnsafeRawPointer?
        if cape_shared_carries_entry(q.op) != 0 {
            if entryBuffer == nil { entryBuffer = UnsafeMutableRawPointer.allocate(byteCount: Int(CAPE_LOG_BANK_BYTES), alignment: 64) }
            let n = min(Int(q.b), Int(CAPE_LOG_BANK_BYTES))
            MPI_Recv(entryBuffer, Int32(n), byte, from, tagEntry, service, cape_mpi_status_ignore())
            entry = UnsafeRawPointer(entryBuffer)
            if Int(q.b) > n { q.b = UInt64(CAPE_LOG_BANK_BYTES) + 8 } // cannot fit: the append reports a full bank
        }
        var a = cape_shared_answer_t()
        _ = cape_shared_execute(shared, &q, &a, entry)
        MPI_Send(&a, Int32(MemoryLayout<cape_shared_answer_t>.size), byte, from, tagAnswer + Int32(q.slot), service)
        var offset: UInt64 = 0, length: UInt64 = 0
        if cape_shared_answer_bytes(&q, &a, &offset, &length) != 0 {
            MPI_Send(shared! + Int(offset), Int32(length), byte, from, tagRegionBytes + Int32(q.slot), service)
        }
    }
}

/// A slot's request on its way to rank 0's proxy.
struct Pending {
    var request = cape_shared_request_t()
    var answer = MPI_Request(0)
}
var pending: [Int: Pending] = [:]
let answers = UnsafeMutablePointer<cape_shared_answer_t>.allocate(capacity: Int(CAPE_CHANNEL_SLOTS))

func slot(_ i: Int) -> UnsafeMutablePointer<cape_slot_t> {
    withUnsafeMutablePointer(to: &control.pointee.slots) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: cape_slot_t.self) + i }
}

/// A rank away from the home host: sends its threads' new requests on to rank 0's proxy.
func forwardSlots() -> Bool {
    var any = false
    for i in 0..<Int(CAPE_CHANNEL_SLOTS) {
        let s = slot(i)
        let state = withUnsafeMutablePointer(to: &s.pointee.state) { cape_load_acquire_u32($0) }
        guard state == UInt32(CAPE_SLOT_POSTED.rawValue) else { continue }
        s.pointee.state = UInt32(CAPE_SLOT_BUSY.rawValue)
        any = true
        var p = Pending()
        p.request = cape_shared_request_t(op: s.pointee.op, slot: UInt32(i), a: s.pointee.arg.0, b: s.pointee.arg.1,
                                          c: s.pointee.arg.2, d: s.pointee.arg.3)
        MPI_Irecv(answers + i, Int32(MemoryLayout<cape_shared_answer_t>.size), byte, 0, tagAnswer + Int32(i), service, &p.answer)
        MPI_Send(&p.request, Int32(requestBytes), byte, 0, tagRequest, service)
        if cape_shared_carries_entry(p.request.op) != 0 {
            MPI_Send(data, Int32(p.request.b), byte, 0, tagEntry, service)
        }
        pending[i] = p
    }
    return any
}

/// A rank away from the home host: hands the answers that have arrived to the waiting threads.
func finishSlots() -> Bool {
    var any = false
    for (i, var p) in pending {
        var done: Int32 = 0
        MPI_Test(&p.answer, &done, cape_mpi_status_ignore())
        guard done != 0 else { pending[i] = p; continue }
        any = true
        pending[i] = nil
        var a = answers[i]
        var offset: UInt64 = 0, length: UInt64 = 0
        if cape_shared_answer_bytes(&p.request, &a, &offset, &length) != 0 {
            // Log entries, or the clock ring, land in this rank's copy of the region at their offsets at home.
            MPI_Recv(shared! + Int(offset), Int32(length), byte, 0, tagRegionBytes + Int32(i), service, cape_mpi_status_ignore())
        }
        let s = slot(i)
        s.pointee.result = (a.r0, a.r1)
        withUnsafeMutablePointer(to: &s.pointee.state) { w in
            cape_store_release_u32(w, UInt32(CAPE_SLOT_DONE.rawValue))
            cape_futex_wake(w)
        }
    }
    return any
}

func share(fd: Int32, bytes: Int, serves: Bool) {
    let path = "/proc/\(appPid)/fd/\(fd)"
    let f = open(path, O_RDWR | O_CLOEXEC)
    if f < 0 { respond(status: 1, outLen: 0, message: "cannot open the shared state at \(path): \(String(cString: strerror(errno)))"); return }
    let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, f, 0)
    close(f)
    if p == MAP_FAILED { respond(status: 1, outLen: 0, message: "cannot map the shared state: \(String(cString: strerror(errno)))"); return }
    shared = p
    multiHost = true
    serving = serves
    MPI_Comm_dup(world, &service)
    respond(outLen: 0)
}

var lastMain: UInt32 = 0
/// The program waits for the answer to a request being handled.
var handling = false
var initialized = false
/// Rank 0's proxy of a job on several hosts: the current poll period (50 us after a request,
/// doubling to 4 ms). Elsewhere: how soon to look for an answer on its way.
var pollMicros = 4000
var waitMicros = 20
/// Rank 0's proxy: when the last request came, and the mean gap between requests (microseconds).
var lastRequest = 0.0
var meanGap = 1e6

/// The longest poll period now: a quarter of the usual gap while requests come regularly (a
/// dynamic loop's chunk claims, claimed ahead, then never wait for a poll), at least 50 us, 4 ms
/// once they stop. A request that waits for its answer (a flush's append, a lock) pays half a
/// period on average: with a floor of 200 us, NAS LU class S on two simulated hosts spent about
/// 0.6 ms in each flush of the away rank.
func pollCap() -> Int {
    let idle = (now() - lastRequest) * 1e6
    if idle > 4 * meanGap || idle > 50_000 { return 4000 }
    return Int(min(4000, max(50, meanGap / 4)))
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
// Polls every 50 us while requests come; it does not wait for the futex timer's default slack.
cape_set_timer_slack(5_000)

while true {
    let bell = withUnsafeMutablePointer(to: &control.pointee.request) { cape_load_acquire_u32($0) }
    var worked = false
    let main = withUnsafeMutablePointer(to: &control.pointee.main_seq) { cape_load_acquire_u32($0) }
    if main != lastMain {
        lastMain = main
        worked = true
        handling = true
        handle(control.pointee.op)
        handling = false
    }
    if multiHost {
        if serving {
            if serveIncoming() {
                worked = true
                pollMicros = 50
                let t = now()
                meanGap = 0.75 * meanGap + 0.25 * min(1e6, (t - lastRequest) * 1e6)
                lastRequest = t
            }
        } else {
            if forwardSlots() { worked = true; waitMicros = 20 }
            if !pending.isEmpty && finishSlots() { worked = true }
        }
    }
    if worked { continue }
    var timeout = 1_000_000
    if !pending.isEmpty {
        // An answer is on its way from rank 0's host: look again soon, less often while it lasts
        // (up to 50 us: a round trip between the simulated hosts takes 20-80 us).
        timeout = waitMicros
        waitMicros = min(50, waitMicros * 2)
    } else if serving {
        timeout = pollMicros
        pollMicros = min(pollCap(), pollMicros * 2)
    }
    if withUnsafeMutablePointer(to: &control.pointee.request, { cape_futex_wait_us($0, bell, timeout) }) != 0, getppid() != appPid {
        exit(1) // the parent-death signal has been missed (it is sent when the spawning thread ends)
    }
}

/// After the last MPI_Barrier a proxy may not leave at once: a peer may still be sending it its
/// last barrier message over TCP, and a closed connection then aborts that peer (ranks exited 1 or
/// were killed after correct output in about one run in a hundred on simulated hosts). The PMI
/// barrier of hydra's PMI-1 wire protocol (on PMI_FD, which needs no MPI progress) completes only
/// when every proxy has left its MPI_Barrier. Without PMI_FD (other launchers) a short pause.
func pmiBarrier() {
    guard let text = getenv("PMI_FD").map({ String(cString: $0) }), let fd = Int32(text) else {
        usleep(200_000)
        return
    }
    func ask(_ request: String, _ answer: String) -> Bool {
        guard request.withCString({ write(fd, $0, strlen($0)) }) == request.utf8.count else { return false }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 256 {
            if read(fd, &byte, 1) != 1 { return false }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self).hasPrefix(answer)
    }
    // Then PMI's own finalize, as MPI_Finalize would end: hydra then expects the connection to close.
    if !ask("cmd=barrier_in\n", "cmd=barrier_out") || !ask("cmd=finalize\n", "cmd=finalize_ack") { usleep(200_000) }
}

func handle(_ op: UInt32) {
    switch op {
    case UInt32(CAPE_OP_HELLO.rawValue):
        if !initialized {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SINGLE), &provided)
            _ = cape_mpi_set_error_handler()
            MPI_Comm_rank(world, &rank)
            MPI_Comm_size(world, &worldSize)
            cape_name_rank(rank)
            initialized = true
        }
        var mine = (control.pointee.arg0, control.pointee.arg1)
        MPI_Allgather(&mine, 2, cape_mpi_uint64(), data, 2, cape_mpi_uint64(), world)
        // (capacity, host) per rank: the threads this host runs, against its cores.
        let entries = data.assumingMemoryBound(to: UInt64.self)
        var threadsHere: UInt64 = 0
        for r in 0..<Int(worldSize) where entries[2 * r + 1] == mine.1 { threadsHere += entries[2 * r] }
        crowded = threadsHere > UInt64(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        respond(outLen: Int(worldSize) * 16, UInt64(rank), UInt64(worldSize))
    case UInt32(CAPE_OP_SHARE.rawValue):
        share(fd: Int32(control.pointee.arg0), bytes: Int(control.pointee.arg1), serves: control.pointee.arg2 != 0)
    case UInt32(CAPE_OP_EXCHANGE.rawValue):
        let n = exchange(Int(control.pointee.len))
        respond(outLen: n)
    case UInt32(CAPE_OP_BCAST.rawValue):
        var l = control.pointee.len
        let root = Int32(control.pointee.arg0)
        MPI_Bcast(&l, 1, cape_mpi_uint64(), root, world)
        checkRoom(Int(l))
        var off = 0
        while off < Int(l) {
            let c = min(chunk, Int(l) - off)
            MPI_Bcast(data + off, Int32(c), byte, root, world)
            off += c
        }
        respond(outLen: Int(l))
    case UInt32(CAPE_OP_FINALIZE.rawValue):
        if initialized && multiHost {
            // Across hosts MPICH's MPI_Finalize can hang: UCX closes its TCP endpoints with a flush
            // that needs the peer's progress, while a peer that finished first sits in the PMI
            // barrier and makes none (a plain MPI program with MPI_Finalize hung in 10 of 15 runs on
            // 3 simulated hosts here). After a barrier nothing is in flight: leave without it.
            MPI_Barrier(world)
            pmiBarrier()
            respond(outLen: 0)
            _exit(0)
        }
        if initialized { MPI_Finalize() }
        respond(outLen: 0)
        exit(0)
    case UInt32(CAPE_OP_ABORT.rawValue):
        // Quiet: the program's own exit status, where MPI's report of an abort would be the only output.
        abortJob()
    default:
        respond(status: 1, outLen: 0, message: "unknown request \(op)")
    }
}
