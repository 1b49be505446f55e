// Barriers inside a region. The local threads of a rank meet first; the last one to arrive makes
// the rank's memory agree with the other ranks' (the same encode-exchange-apply step as at the end
// of a region, see Region.midSync) while the others wait; then all go on. A barrier is also where
// `single copyprivate` hands the executing thread's values to the whole team.
import CCapeShim
import CCapeSys
import Glibc

enum Sync {
    /// Sync points passed so far (barriers and region ends of teams larger than one); the same on
    /// every rank. Written only while every local thread waits in a barrier or after the join.
    nonisolated(unsafe) static var epoch: UInt64 = 0
    /// Local threads of the current region on this rank.
    nonisolated(unsafe) static var localThreads = 1

    private static let gate = ThreadBarrier()

    /// copyprivate: what the executing thread of a single construct publishes for the barrier.
    /// Its data block (on its stack) lists pointers to the variables to copy: private ones on its
    /// stack, threadprivate ones in its block of the executable's TLS. Both ranges travel, and a
    /// rank that gets them points the block's pointers at its copies.
    struct CopyPrivate {
        var data: UInt
        var stackLow: UInt, stackHigh: UInt
        var tlsLow: UInt, tlsHigh: UInt
        var stackBytes: Int { Int(stackHigh - stackLow) }
        var tlsBytes: Int { Int(tlsHigh - tlsLow) }
        /// Bytes of its record after the tag and length words: five addresses, then both ranges.
        var recordBytes: Int { 40 + stackBytes + tlsBytes }
    }

    /// What the executing thread of this rank published, and what the others get back.
    nonisolated(unsafe) static var published: CopyPrivate?
    nonisolated(unsafe) static var copyResult: UnsafeMutableRawPointer?
    nonisolated(unsafe) static var relocated: UnsafeMutableRawPointer?

    /// Advances to the next epoch; rank 0 cleans the counter bank that the epoch after uses.
    static func advance() {
        epoch &+= 1
        Counters.prepare(epoch: epoch)
        SectionLog.prepare(epoch: epoch)
    }

    /// The barrier of the calling thread's team. `copy` is the data pointer of a copyprivate
    /// executor (GOMP_single_copy_end).
    static func barrier(copy: UnsafeMutableRawPointer? = nil) {
        let t = cape_self()!
        cape_tasks_settle_barrier()
        guard t.pointee.team_size > 1 else { return }
        if let nest = NestedTeam.current() {
            if let copy { nest.copy = copy }
            nest.barrier()
            return
        }
        guard t.pointee.level == 1 else { return }
        if let copy {
            let idx = Int(t.pointee.local_index)
            let top = UInt(bitPattern: Runtime.stack(idx) + Runtime.stackBytes)
            let sp = cape_stack_pointer()
            let data = UInt(bitPattern: copy)
            // Old ABI: the master's share runs on the program's own stack.
            let onOwnStack = sp < top && sp >= top - UInt(Runtime.stackBytes)
            var block: UnsafeMutableRawPointer?
            var size = 0
            var image: UnsafeRawPointer?
            var filesz = 0
            let tls = cape_exe_tls(&block, &size, &image, &filesz) != 0 ? UInt(bitPattern: block) : 0
            published = CopyPrivate(data: data, stackLow: sp, stackHigh: onOwnStack ? top : Region.entrySP,
                                    tlsLow: tls, tlsHigh: tls == 0 ? 0 : tls + UInt(size))
        }
        let held = Exclusion.suspend()
        defer { Exclusion.resume(held) }
        // The others wait for the last one's sync point: through the proxies that is one or more
        // hand-offs to them and MPI's latency, and spinning long would take a core they need.
        let throughProxies = Runtime.size > 1 && !HostExchange.usable
        gate.arrive(count: localThreads, spins: throughProxies ? Runtime.proxyWaitSpins : 2000) {
            t.pointee.rt_depth += 1
            Region.midSync()
            t.pointee.rt_depth -= 1
        }
    }

    /// Where the copyprivate data of the calling thread's team is, after its barrier.
    static var copyData: UnsafeMutableRawPointer? { NestedTeam.current()?.copy ?? copyResult }

    /// After a barrier's exchange: where the copyprivate data is for this rank's threads.
    /// `blob` is the executor's published stack bytes when it ran on another rank.
    static func receiveCopy(local: Bool, blob: UnsafeRawPointer?, bytes: Int) {
        if let r = relocated { free(r); relocated = nil }
        copyResult = nil
        if local, let p = published {
            copyResult = UnsafeMutableRawPointer(bitPattern: p.data)
        } else if let blob {
            // blob: data, stack low and high, TLS low and high, then the stack bytes and the TLS
            // bytes. Copy them, and point every word of the stack copy that points into either range
            // at the copy: the copyprivate block is a list of pointers to the executor's variables.
            // Translating other words too is harmless: the copy is read only by the other threads'
            // copy-out code.
            let word = { (i: Int) in UInt(blob.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            let p = CopyPrivate(data: word(0), stackLow: word(1), stackHigh: word(2), tlsLow: word(3), tlsHigh: word(4))
            guard p.stackHigh >= p.stackLow, p.tlsHigh >= p.tlsLow, p.recordBytes == bytes,
                  p.data >= p.stackLow, p.data < p.stackHigh else {
                fatal("the copyprivate data of a single construct is malformed; please report this")
            }
            let n = p.stackBytes, m = p.tlsBytes
            var raw: UnsafeMutableRawPointer?
            if posix_memalign(&raw, 64, n + m + 128) != 0 { fatal("out of memory for copyprivate data") }
            let copy = raw! + Int(p.stackLow % 64)
            memcpy(copy, blob + 40, n)
            let tlsCopy = raw! + ((Int(p.stackLow % 64) + n + 63) & ~63) + Int(p.tlsLow % 64)
            if m > 0 { memcpy(tlsCopy, blob + 40 + n, m) }
            var a = (p.stackLow + 7) & ~7
            while a + 8 <= p.stackHigh {
                let off = Int(a - p.stackLow)
                let v = UInt(copy.loadUnaligned(fromByteOffset: off, as: UInt64.self))
                if v >= p.stackLow && v < p.stackHigh {
                    copy.storeBytes(of: UInt64(UInt(bitPattern: copy) + (v - p.stackLow)), toByteOffset: off, as: UInt64.self)
                } else if m > 0 && v >= p.tlsLow && v < p.tlsHigh {
                    copy.storeBytes(of: UInt64(UInt(bitPattern: tlsCopy) + (v - p.tlsLow)), toByteOffset: off, as: UInt64.self)
                }
                a += 8
            }
            relocated = raw
            copyResult = copy + Int(p.data - p.stackLow)
        }
        published = nil
    }
}
