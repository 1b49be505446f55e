// What the proxy does when an MPI call fails (the handler set on MPI_COMM_WORLD at HELLO).
import CCapeSys
import CMPI
import Glibc

/// An MPI call failed (cape_mpi_set_error_handler): on several hosts, what a peer's death looks like
/// here (UCX reports "Endpoint timeout" as soon as a dead proxy's connection closes). MPI's own
/// handler printed its error stack and aborted the job at once, before the rank that lost its
/// proxy could name that death: the job's only report did not say what happened. That rank sees
/// its proxy gone within about a second and ends the job itself, so this one waits 3 s first;
/// should the job still run (the peer is computing, or a host is gone), it reports the failure:
/// through the program when it waits for an answer (its report flushes its output), or itself.
@_cdecl("cape_proxy_mpi_failed")
func mpiFailed(_ code: Int32) {
    var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var len: Int32 = 0
    MPI_Error_string(code, &text, &len)
    // "Other MPI error, error stack:" then one line per layer; the last names the cause.
    let lines = String(cString: text).split(separator: "\n").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    let kind = lines.first.map { $0.hasSuffix(", error stack:") ? $0.dropLast(", error stack:".count) : $0 }
    let what = [kind, lines.count > 1 ? lines.last : nil].compactMap { $0 }.joined(separator: ": ")
    let msg = "an MPI call of rank \(rank) failed: \(what.isEmpty ? "error \(code)" : what) (a rank or its proxy on another host may have ended, or the network between the hosts failed; the job stops)"
    for _ in 0..<30 {
        usleep(100_000)
        if getppid() != programPid { exit(1) }
    }
    if handling {
        respond(status: 1, outLen: 0, message: msg)
        // The program reports it and asks for the abort; anything else gets the same answer.
        while true {
            let bell = withUnsafeMutablePointer(to: &control.pointee.request) { cape_load_acquire_u32($0) }
            let main = withUnsafeMutablePointer(to: &control.pointee.main_seq) { cape_load_acquire_u32($0) }
            if main != lastMain {
                lastMain = main
                if control.pointee.op == UInt32(CAPE_OP_ABORT.rawValue) { abortJob() }
                respond(status: 1, outLen: 0, message: msg)
            }
            if withUnsafeMutablePointer(to: &control.pointee.request, { cape_futex_wait_us($0, bell, 1_000_000) }) != 0, getppid() != programPid {
                exit(1)
            }
        }
    }
    FileHandleErr.write("cape: \(msg)\n")
    // MPI's report of the abort would repeat the failure without its cause.
    abortJob(code: 1, quiet: true)
}

/// Ends the whole job through MPI (CAPE_OP_ABORT): by default with the code and quietness the
/// program asked for.
func abortJob(code: Int32 = Int32(truncatingIfNeeded: control.pointee.arg0), quiet: Bool = control.pointee.arg1 != 0) -> Never {
    if quiet {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, 2) }
    }
    MPI_Abort(world, code)
    exit(1)
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
