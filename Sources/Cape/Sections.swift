// Sections: code that one thread of the team runs at a time, in an order the runtime decides
// (ordered blocks in iteration order). What a section writes must be visible to the next thread
// that enters one, even on another rank, as on shared memory; and what it prints must come out in
// section order.
//
// The log: a team-wide append-only record in what the ranks share (SharedState): the memory of
// rank 0's host, which ranks of other hosts append to and read from through their proxies (a read
// copies the complete entries into the rank's own copy, at the same offsets). The thread
// leaving a section appends the section's writes (a diff of the pages written inside it, against
// their content at section start) and what it printed; the thread entering the next section first
// applies every entry it has not seen yet. Applying "adopts" the bytes: they are written to memory
// and to the page's twin, so they never count as the receiving rank's own change. The writer
// adopts its own section's bytes the same way once they are in the log. So section writes travel
// only through the log; at every sync point each rank applies the rest of the log before encoding
// its diff, and every rank ends with every section's writes, in section order.
//
// Like the loop counters, the log has two banks used in alternate epochs; rank 0 empties the bank
// of the next epoch at the start of each epoch.
import CCapeShim
import CCapeSys
import CapeCore
import Glibc

enum SectionLog {
    static let bankBytes = Int(CAPE_LOG_BANK_BYTES)
    /// Three banks: a rank reads the bank of epoch e while it passes the sync point that ends e,
    /// possibly after rank 0 is already in epoch e + 1; rank 0 empties the bank of e + 2 then.
    static let bankCount = Int(CAPE_LOG_BANKS)
    static let entryHeader = Int(CAPE_LOG_ENTRY_HEADER) // stamp (magic | epoch << 32), rank, diff, stdout and stderr bytes
    static let magic = UInt32(CAPE_LOG_MAGIC)
    /// Sections go through the log: a team spread over several ranks.
    nonisolated(unsafe) static var active = false
    private nonisolated(unsafe) static var epochSeen: UInt64 = .max
    private nonisolated(unsafe) static var applied = 0
    /// Away from the home host: how much of the bank this rank's copy holds.
    private nonisolated(unsafe) static var copied = 0
    /// Away from the home host: the copy is known complete up to `copied` (a lock was just taken
    /// together with the log), so the next catch-up needs no read.
    private nonisolated(unsafe) static var fresh = false
    /// What this rank appended since the last sync point (it travels in its segment header).
    nonisolated(unsafe) static var appended = 0
    private nonisolated(unsafe) static var outMark: off_t = 0
    private nonisolated(unsafe) static var errMark: off_t = 0
    private nonisolated(unsafe) static let maskScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)

    private static func tailOffset(_ bank: Int) -> UInt64 { UInt64(CAPE_LOG_TAILS_OFFSET) + UInt64(bank * 8) }
    private static func bankBase(_ bank: Int) -> UnsafeMutableRawPointer {
        SharedState.base! + Int(CAPE_LOG_BANKS_OFFSET) + bank * bankBytes
    }
    private static var stamp: UInt64 { UInt64(magic) | UInt64(truncatingIfNeeded: Sync.epoch) << 32 }

    /// Rank 0, at the start of epoch `epoch`: empties the bank that epoch + 1 uses, giving its
    /// memory back (no rank reads it: it held epoch - 2, which every rank has left).
    static func prepare(epoch: UInt64) {
        guard Runtime.rank == 0, SharedState.base != nil else { return }
        let bank = Int((epoch + 1) % UInt64(bankCount))
        let tail = SharedState.word(tailOffset(bank))
        release(bank, bytes: Int(min(cape_load_acquire_u64(tail), UInt64(bankBytes))))
        cape_store_release_u64(tail, 0)
    }

    /// Gives the memory of the first `bytes` of `bank` back (they read as zeros afterwards).
    private static func release(_ bank: Int, bytes: Int) {
        let n = (bytes + 4095) & ~4095
        if n > 1 << 20 { _ = madvise(bankBase(bank), n, MADV_REMOVE) }
    }

    /// Away from the home host: how far each bank of this rank's copy was filled.
    private nonisolated(unsafe) static var copyUsed = [Int](repeating: 0, count: Int(CAPE_LOG_BANKS))

    /// Applies the entries of the current epoch this rank has not applied yet; rank 0 prints what
    /// other ranks printed in their sections. `total`: at a sync point, the bytes every rank
    /// appended in the epoch (then nothing is in flight, and a rank away from the home host asks
    /// for the log only when it lacks some).
    /// Returns whether it applied an entry of another rank.
    @discardableResult
    static func catchUp(total: Int? = nil) -> Bool {
        guard active else { return false }
        var received = false
        let bank = Int(Sync.epoch % UInt64(bankCount))
        _ = copyMark()
        let base = bankBase(bank)
        let end: Int
        if SharedState.home {
            end = Int(cape_load_acquire_u64(SharedState.word(tailOffset(bank))))
        } else if let total, total <= applied {
            end = applied
        } else if fresh {
            fresh = false
            end = copied
        } else {
            // Entries still being written at home are fetched again until they are complete.
            var backoff = SharedState.Backoff()
            while true {
                let r = SharedState.perform(CAPE_SH_LOG_READ, UInt64(bank), UInt64(copied), stamp)
                copied = Int(r.0)
                copyUsed[bank] = max(copyUsed[bank], copied)
                if r.0 >= r.1 { break }
                backoff.pause()
            }
            end = copied
        }
        let stamp = self.stamp
        while applied < end {
            let e = base + applied
            // Reserved, maybe still being written by a section of another lock: wait for its stamp.
            var spins = 0
            while cape_load_acquire_u64(e.assumingMemoryBound(to: UInt64.self)) != stamp {
                spins += 1
                if spins > 1000 { sched_yield() } else { cape_cpu_relax() }
                if spins > 50_000_000 { fatal("an entry of the section log was never completed; please report this") }
            }
            let rank = Int(e.load(fromByteOffset: 8, as: UInt64.self))
            let diff = Int(e.load(fromByteOffset: 16, as: UInt64.self))
            let out = Int(e.load(fromByteOffset: 24, as: UInt64.self))
            let err = Int(e.load(fromByteOffset: 32, as: UInt64.self))
            let body = e + entryHeader
            trace(3, "log: entry at \(applied) from rank \(rank), \(diff) diff bytes")
            if rank != Runtime.rank {
                received = true
                adopt(UnsafeRawPointer(body), bytes: diff, own: false)
                if Runtime.rank == 0 {
                    if out > 0 { fwrite(body + diff, 1, out, stdout) }
                    if err > 0 {
                        fflush(stdout)
                        _ = write(2, body + diff + out, err)
                    }
                }
            }
            applied += (entryHeader + diff + out + err + 7) & ~7
        }
        return received
    }

    /// Away from the home host: how far this epoch's copy of the log reaches.
    static func copyMark() -> Int {
        if epochSeen != Sync.epoch {
            epochSeen = Sync.epoch; applied = 0; copied = 0; fresh = false
            if !SharedState.home {
                let bank = Int(Sync.epoch % UInt64(bankCount))
                release(bank, bytes: copyUsed[bank])
                copyUsed[bank] = 0
            }
        }
        return copied
    }

    /// Away from the home host: a lock was taken with the log's complete entries up to `end`.
    static func copied(upTo end: Int, complete: Bool) {
        copied = max(copied, end)
        let bank = Int(Sync.epoch % UInt64(bankCount))
        copyUsed[bank] = max(copyUsed[bank], copied)
        fresh = complete
    }

    /// Writes the runs' bytes to the twins, and to memory unless they come from this rank's own
    /// section (`own`): there memory may already hold a newer value that a sibling thread wrote
    /// after the section was encoded, and that value must stay a change of this rank.
    private static func adopt(_ payload: UnsafeRawPointer, bytes: Int, own: Bool) {
        var lastPage: UInt = .max
        var twin: UnsafeMutablePointer<UInt8>?
        var second: UnsafeMutablePointer<UInt8>?
        for run in Diff.Runs(payload, bytes: bytes) {
            for w in 0..<run.words {
                let m = run.mask[w]
                if m == 0 { continue }
                let a = run.address + UInt(w * 8)
                let page = a & ~4095
                if page != lastPage { lastPage = page; twin = cape_tracker_writable_twin(page, &second) }
                let dst = UnsafeMutablePointer<UInt8>(bitPattern: a)!
                for b in 0..<8 where m & (1 << UInt8(b)) != 0 {
                    let v = run.data.load(fromByteOffset: w * 8 + b, as: UInt8.self)
                    if !own { dst[b] = v }
                    twin?[Int(a - page) + b] = v
                    second?[Int(a - page) + b] = v
                }
            }
        }
    }

    /// The calling thread enters a section (it holds the section's token). `catchingUp: false`:
    /// the implicit section of an epoch's start (Flush), which needs no news yet.
    /// Returns whether catching up applied an entry of another rank.
    @discardableResult
    static func enter(catchingUp: Bool = true, afterEmpty: Bool = false) -> Bool {
        guard active, Region.tracking else { return false }
        let received = catchingUp && catchUp()
        if Runtime.rank != 0, Output.capture.out >= 0 {
            cape_stdio_flush()
            outMark = lseek(Output.capture.out, 0, SEEK_CUR)
            errMark = lseek(Output.capture.err, 0, SEEK_CUR)
        }
        if afterEmpty { cape_section_resume() } else { cape_section_begin() }
        return received
    }

    /// The calling thread leaves its section: its writes and output go to the log, and then the
    /// team-wide lock `releasing` is freed (from another host, both in one round trip). Sections of
    /// different locks may leave at once on several ranks: the entry is built in this rank's
    /// channel buffer (one section at a time per rank), then space is reserved in the log, the
    /// entry copied, and its stamp (magic and epoch) written last.
    /// Returns whether an entry was appended (a section that wrote and printed nothing appends none).
    @discardableResult
    /// `catchingUp`: a catch-up follows at once (a flush's): away from the home host the append
    /// also reads the log, and that catch-up needs no round trip of its own.
    static func leave(releasing key: UInt? = nil, catchingUp: Bool = false) -> Bool {
        guard active, Region.tracking else {
            if let key { LockTable.unlock(key) }
            return false
        }
        var pagesP: UnsafePointer<UInt>?
        var oldP: UnsafePointer<UnsafePointer<UInt8>?>?
        let n = Int(cape_section_end(&pagesP, &oldP))
        let channel = Runtime.channel!
        let e = channel.data
        let room = min(channel.capacity, bankBytes) - entryHeader
        var order = Array(0..<n)
        order.sort { pagesP![$0] < pagesP![$1] }
        var enc = Diff.Encoder(out: e + entryHeader, capacity: room, maskScratch: maskScratch)
        var tracked = Region.TrackedPages()
        var previous: UInt = .max
        for i in order {
            let page = pagesP![i]
            if page == previous || page == 0 { continue }
            previous = page
            tracked.add(&enc, page: page, old: UnsafeRawPointer(oldP![i]!))
        }
        enc.close()
        if enc.overflow { fatal(full) }
        let diff = enc.bytes
        Diff.unmark(e + entryHeader, bytes: diff, ranges: AtomicUpdates.localRanges())
        var out = 0, err = 0
        if Runtime.rank != 0, Output.capture.out >= 0 {
            cape_stdio_flush()
            out = moveOutput(Output.capture.out, from: outMark, into: e + entryHeader + diff, room: room - diff)
            err = moveOutput(Output.capture.err, from: errMark, into: e + entryHeader + diff + out, room: room - diff - out)
        }
        adopt(UnsafeRawPointer(e + entryHeader), bytes: diff, own: true)
        e.storeBytes(of: UInt64(Runtime.rank), toByteOffset: 8, as: UInt64.self)
        e.storeBytes(of: UInt64(diff), toByteOffset: 16, as: UInt64.self)
        e.storeBytes(of: UInt64(out), toByteOffset: 24, as: UInt64.self)
        e.storeBytes(of: UInt64(err), toByteOffset: 32, as: UInt64.self)
        let size = (entryHeader + diff + out + err + 7) & ~7
        if diff == 0 && out == 0 && err == 0 {
            if let key { LockTable.unlock(key) }
            return false
        }
        let bank = Int(Sync.epoch % UInt64(bankCount))
        let start: UInt64
        if let key, !SharedState.home {
            start = SharedState.perform(CAPE_SH_APPEND_RELEASE, UInt64(key), UInt64(size), Sync.epoch).0
        } else if catchingUp && !SharedState.home {
            // A flush: the catch-up that follows needs no round trip of its own when every entry
            // up to this one is complete (any later catch-up reads the log again).
            let from = copyMark()
            let r = SharedState.perform(CAPE_SH_APPEND_READ, UInt64(bank), UInt64(size), stamp, UInt64(from), entry: UnsafeRawPointer(e))
            start = r.1
            if start != .max { copied(upTo: Int(r.0), complete: r.0 >= start + UInt64(size)) }
        } else {
            start = SharedState.perform(CAPE_SH_LOG_APPEND, UInt64(bank), UInt64(size), stamp, entry: UnsafeRawPointer(e)).0
            if let key { LockTable.unlock(key) }
        }
        if start == .max { fatal(full) }
        appended += size
        if Runtime.settings.trace >= 3 {
            var desc = ""
            for run in Diff.Runs(UnsafeRawPointer(e + entryHeader), bytes: diff) { desc += " \(symbol(run.address))+\(run.words)w" }
            trace(3, "log: appended at \(start), \(n) pages, \(diff) diff bytes:\(desc)")
        }
        return true
    }

    private static let full = "the ordered, critical and flushed sections between two barriers wrote more than \(bankBytes >> 20) MiB, "
        + "or /dev/shm on rank 0's host is nearly full (add a barrier, keep such sections small, or enlarge /dev/shm)"

    /// Moves what was written to a capture file since `mark` into the log and cuts the file back.
    private static func moveOutput(_ fd: Int32, from mark: off_t, into buffer: UnsafeMutableRawPointer, room: Int) -> Int {
        let end = lseek(fd, 0, SEEK_CUR)
        let n = Int(end - mark)
        guard n > 0 else { return 0 }
        if n > room { fatal(full) }
        var off = 0
        while off < n {
            let r = pread(fd, buffer + off, n - off, mark + off_t(off))
            if r <= 0 { break }
            off += r
        }
        _ = ftruncate(fd, mark)
        lseek(fd, mark, SEEK_SET)
        return off
    }
}
