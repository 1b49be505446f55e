// cape-proxy: the only MPI process of a rank. Spawned by libcape with the launcher's environment,
// it maps the program's channel and moves bytes between ranks when asked: recursive-doubling
// exchanges and broadcasts. It sleeps on a futex while the program computes, so it never takes
// a core from it (MPICH's blocking calls busy-poll: MPI is called only when there is work).
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

// Die with the program: a killed rank must not leave its proxy behind.
cape_die_with_parent()
if getppid() != appPid { exit(1) }

guard let base = cape_map_channel(fd, size) else { fail("cape-proxy cannot map the channel (\(String(cString: strerror(errno))))") }
cape_channel_populate(base, min(size, UInt64(CAPE_CHANNEL_CONTROL) + UInt64(CAPE_CHANNEL_KEEP)))
let control = base.assumingMemoryBound(to: cape_channel_t.self)
let data = base + Int(CAPE_CHANNEL_CONTROL)
let capacity = Int(size) - Int(CAPE_CHANNEL_CONTROL)

var rank: Int32 = 0
var worldSize: Int32 = 1
let world = cape_mpi_comm_world()
let byte = cape_mpi_byte()
let chunk = 1 << 30

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

func sendAll(_ p: UnsafeRawPointer, _ n: Int, to peer: Int32) {
    var off = 0
    repeat {
        let c = min(chunk, n - off)
        MPI_Send(p + off, Int32(c), byte, peer, 1, world)
        off += c
    } while off < n
}

func recvAll(_ p: UnsafeMutableRawPointer, _ n: Int, from peer: Int32) {
    var off = 0
    repeat {
        let c = min(chunk, n - off)
        MPI_Recv(p + off, Int32(c), byte, peer, 1, world, cape_mpi_status_ignore())
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
    MPI_Probe(peer, MPI_ANY_TAG, world, &status)
    var theirs = 0
    if status.MPI_TAG == 2 {
        var count: Int32 = 0
        MPI_Get_count(&status, byte, &count)
        theirs = Int(count)
        checkRoom(len + theirs)
        MPI_Recv(data + len, count, byte, peer, 2, world, cape_mpi_status_ignore())
    } else {
        var l: UInt64 = 0
        MPI_Recv(&l, 1, cape_mpi_uint64(), peer, 3, world, cape_mpi_status_ignore())
        theirs = Int(l)
        checkRoom(len + theirs)
        recvAll(data + len, theirs, from: peer)
    }
    MPI_Waitall(Int32(requests.count), &requests, cape_mpi_statuses_ignore())
    return theirs
}

func exchange(_ ownLen: Int) -> Int {
    var len = ownLen
    for step in ExchangePlan.steps(rank: Int(rank), size: Int(worldSize)) {
        switch step {
        case .send(let to):
            var l = UInt64(len)
            MPI_Send(&l, 1, cape_mpi_uint64(), Int32(to), 0, world)
            sendAll(data, len, to: Int32(to))
        case .append(let from):
            var l: UInt64 = 0
            MPI_Recv(&l, 1, cape_mpi_uint64(), Int32(from), 0, world, cape_mpi_status_ignore())
            checkRoom(len + Int(l))
            recvAll(data + len, Int(l), from: Int32(from))
            len += Int(l)
        case .replace(let from):
            var l: UInt64 = 0
            MPI_Recv(&l, 1, cape_mpi_uint64(), Int32(from), 0, world, cape_mpi_status_ignore())
            checkRoom(Int(l))
            recvAll(data, Int(l), from: Int32(from))
            len = Int(l)
        case .swap(let with):
            len += swap(len, with: Int32(with))
        }
    }
    return len
}

var lastRequest: UInt32 = 0
var initialized = false

while true {
    let req = withUnsafeMutablePointer(to: &control.pointee.request) { w -> UInt32 in
        while true {
            let v = cape_load_acquire_u32(w)
            if v != lastRequest { return v }
            if cape_futex_wait(w, v, 1000) != 0, getppid() != appPid { exit(1) }
        }
    }
    lastRequest = req
    let op = control.pointee.op
    switch op {
    case UInt32(CAPE_OP_HELLO.rawValue):
        if !initialized {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SINGLE), &provided)
            MPI_Comm_rank(world, &rank)
            MPI_Comm_size(world, &worldSize)
            initialized = true
        }
        var mine = (control.pointee.arg0, control.pointee.arg1)
        MPI_Allgather(&mine, 2, cape_mpi_uint64(), data, 2, cape_mpi_uint64(), world)
        respond(outLen: Int(worldSize) * 16, UInt64(rank), UInt64(worldSize))
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
        if initialized { MPI_Finalize() }
        respond(outLen: 0)
        exit(0)
    case UInt32(CAPE_OP_ABORT.rawValue):
        MPI_Abort(world, Int32(truncatingIfNeeded: control.pointee.arg0))
        exit(1)
    default:
        respond(status: 1, outLen: 0, message: "unknown request \(op)")
    }
}
