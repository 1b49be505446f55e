// Parallel regions: fork the team over the ranks, track what each rank writes, and join by
// exchanging and applying the diffs so every rank leaves the region with identical memory.
import CCapeShim
import CCapeSys
import CapeCore
import Glibc

typealias OutlinedFn = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// The region this rank is running: what its sync points need to know of it.
private struct RunningRegion {
    /// The outlined function and its data block, as the program passed them.
    let fn: UInt
    let data: UInt
    /// The master's stack pointer at the region's entry: the main stack above it is tracked.
    let sp: UInt
    /// The tracked memory, as the last scan found it (a barrier's scan may change it).
    var info: cape_tracker_info_t
    /// The rank tracks this region's writes (a distributed region).
    let tracked: Bool
    /// When the region started (Profile.now()).
    let start: Double
    /// The team's threads on this rank.
    let local: Int
}

enum Region {
    nonisolated(unsafe) static var seq: UInt64 = 0
    private nonisolated(unsafe) static var current: RunningRegion?
    /// Sync points (barriers) passed in the current region.
    private nonisolated(unsafe) static var barriers: UInt64 = 0
    static var entrySP: UInt { current?.sp ?? 0 }
    /// A region with a team larger than one is running on this rank.
    static var running: Bool { current != nil }
    /// A distributed region is running and this rank tracks its writes.
    static var tracking: Bool { current.map { $0.tracked && $0.local > 0 } ?? false }
    private nonisolated(unsafe) static let maskScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)

    /// The team size of a region that asks for `numThreads` (0: no num_threads clause), at most
    /// thread-limit-var (OMP_THREAD_LIMIT), as libgomp gives it to an outermost region.
    static func layout(_ numThreads: UInt32) -> TeamLayout {
        var requested = numThreads == 0 ? Runtime.defaultTeam : Int(numThreads)
        // max-active-levels-var 0: not even the outermost region is active.
        if ICV.current().maxActiveLevels < 1 { requested = 1 }
        let limit = Int(clamping: OMPEnvironment.shared.threadLimit)
        return TeamLayout.make(capacities: Runtime.capacities, requested: max(1, min(requested, limit)))
    }

    /// The team size of a region inside a region: more than one thread only where nesting is
    /// enabled (max-active-levels-var above the active level) and the `if` clause, when there is
    /// one, holds (GOMP_PARALLEL_IF_FALSE is not a flag; gcc passes num_threads 1 for if(false)).
    static func nestedSize(_ numThreads: UInt32, _ flags: UInt32) -> Int {
        let t = cape_self()!.pointee
        let icv = ICV.current()
        guard icv.maxActiveLevels > t.active_level else { return 1 }
        let requested = numThreads == 0 ? icv.nthreads : Int(numThreads)
        guard requested > 1 else { return 1 }
        if OMPEnvironment.shared.threadLimit != UInt64(UInt32.max) {
            fatalEverywhere("a nested parallel region with OMP_THREAD_LIMIT set is not supported yet (the limit counts the threads "
                + "of every rank's nested teams; unset OMP_THREAD_LIMIT or disable nesting)")
        }
        return requested
    }

    /// A region inside a region, or a team of one: every rank runs it whole, as sequential code.
    static func serialized(_ fn: OutlinedFn, _ data: UnsafeMutableRawPointer?, preset: cape_ws_preset_t?) {
        let t = cape_self()!
        let saved = t.pointee
        t.pointee.thread_num = 0
        t.pointee.team_size = 1
        if t.pointee.level == 0 { t.pointee.top_thread_num = 0; t.pointee.top_team_size = 1 }
        t.pointee.level += 1
        Work.enterShare(preset)
        t.pointee.rt_depth -= 1
        cape_call_clean(fn, data)
        t.pointee.rt_depth += 1
        cape_tasks_settle_barrier()
        t.pointee = saved
    }

    /// Fork: the team's threads on this rank start; the master's share is left to the caller.
    static func begin(_ fn: OutlinedFn, _ data: UnsafeMutableRawPointer?, _ team: TeamLayout, entrySP: UInt, preset: cape_ws_preset_t?) {
        let p0 = Profile.now()
        Profile.regionStart()
        seq &+= 1
        barriers = 0
        let local = team.counts[Runtime.rank]
        let tracked = Runtime.distributed
        var info = cape_tracker_info_t()
        let start = Runtime.settings.trace > 0 ? wtime() : 0
        var tracking = 0.0
        if tracked {
            Output.beginRegion()
            let t0 = Profile.now()
            if cape_tracker_scan(entrySP, &info) != 0 { fatal("cannot select the memory to track: \(String(cString: cape_tracker_error())) (region #\(seq))") }
            // A rank without threads in this team writes nothing: it only takes part in the exchanges.
            if local > 0, cape_tracker_protect() != 0 { fatal("cannot write-protect the program's memory: \(String(cString: cape_tracker_error()))") }
            tracking = Profile.now() - t0
        }
        if Runtime.settings.trace >= 3 { traceRanges() }
        current = RunningRegion(fn: UInt(bitPattern: unsafeBitCast(fn, to: UnsafeRawPointer.self)), data: UInt(bitPattern: data), sp: entrySP,
                                info: info, tracked: tracked, start: start, local: local)
        Flush.epochStarts()
        Sync.localThreads = local
        if tracked && local > 0 && RegionHeap.enabled { cape_rheap_set_active(1) }
        ThreadPrivate.enter(base: team.bases[Runtime.rank], local: local,
                            fn: UInt(bitPattern: unsafeBitCast(fn, to: UnsafeRawPointer.self)), data: UInt(bitPattern: data))
        Pool.shared.dispatch(fn: fn, data: data, base: team.bases[Runtime.rank], teamSize: team.size, local: local, preset: preset)
        trace(2, "region #\(seq) forked: \(local) of \(team.size) threads")
        Profile.forkDone(since: p0, tracking: tracking)
    }

    /// Join: wait for the local threads, then make every rank's memory identical.
    static func end() {
        Pool.shared.join()
        Profile.computeDone()
        cape_rheap_set_active(0)
        ThreadPrivate.leave()
        guard let c = current else { return }
        defer { Profile.regionEnd(fn: c.fn) }
        defer { TeamBlocks.regionEnded() }
        guard c.tracked else {
            current = nil
            Sync.advance()
            return
        }
        if c.local == 0 {
            // Nothing ran here: stop capturing (the region printed nothing on this rank).
            _ = Output.endRegion(into: channel().data + Segment.headerBytes, room: channel().capacity - Segment.headerBytes)
            idle(c)
            return
        }
        let e0 = Profile.now()
        Flush.epochEnds()
        let (diff, runs, dirty) = encode()
        let body = channel().data + Segment.headerBytes
        let printed = Output.endRegion(into: body + diff, room: channel().capacity - Segment.headerBytes - diff)
        var payload = diff + printed.out + printed.err
        payload += RegionHeap.writeRecords(body + payload, room: channel().capacity - Segment.headerBytes - payload)
        payload += ThreadPrivate.writeRecord(body + payload, room: channel().capacity - Segment.headerBytes - payload)
        payload += AtomicUpdates.writeRecord(body + payload, room: channel().capacity - Segment.headerBytes - payload)
        Profile.encoded(since: e0, dirty: dirty, bytes: payload)
        if cape_tracker_unprotect() != 0 { fatal(String(cString: cape_tracker_error())) }
        let segments = synchronize(kind: .region, fn: c.fn, data: c.data, sp: c.sp, info: c.info, payloadBytes: payload, runs: runs,
                                   diffBytes: diff, outBytes: printed.out, errBytes: printed.err, applyDiffs: true)
        current = nil
        Sync.advance()
        ThreadPrivate.install(segments)
        finishRegion(c, segments, dirty: dirty, payload: payload)
    }

    /// A rank that hosts no thread of this team: it takes part in each of the team's exchanges,
    /// applying what the others wrote, until the region ends.
    private static func idle(_ c: RunningRegion) {
        while true {
            let segments = synchronize(kind: .idle, fn: c.fn, data: UInt(barriers), sp: c.sp, info: c.info, applyDiffs: true)
            let kinds = segments.map { $0.fingerprint.kind }.filter { $0 != SegmentKind.idle.rawValue }
            Sync.advance()
            if kinds.first == SegmentKind.region.rawValue {
                current = nil
                RegionHeap.flushHeld()
                ThreadPrivate.install(segments)
                finishRegion(c, segments, dirty: 0, payload: 0)
                return
            }
            barriers += 1
            Output.print(segments)
        }
    }

    private static func finishRegion(_ c: RunningRegion,
                                     _ segments: [Segment.View], dirty: Int, payload: Int) {
        Output.print(segments)
        cape_tracker_reset()
        if Runtime.settings.verify { verify(fn: c.fn, info: c.info, stackHash: writtenStackHash(segments)) }
        if Runtime.settings.trace > 0 {
            trace(1, "region #\(seq) \(symbol(c.fn)): \(dirty) dirty pages, \(payload) diff bytes, \(String(format6: (wtime() - c.start) * 1e6)) us")
        }
    }

    /// A barrier inside the region, run by the last local thread to arrive while the others wait:
    /// the same exchange as at the end of the region, then tracking starts again.
    static func midSync() {
        guard let c = current, c.tracked else {
            Sync.receiveCopy(local: true, blob: nil, bytes: 0)
            Sync.advance()
            return
        }
        Profile.computeDone()
        barriers += 1
        let e0 = Profile.now()
        Flush.epochEnds()
        let (diff, runs, dirty) = encode()
        let body = channel().data + Segment.headerBytes
        let printed = Output.take(into: body + diff, room: channel().capacity - Segment.headerBytes - diff)
        var payload = diff + printed.out + printed.err
        if let p = Sync.published {
            // copyprivate: the executor's data pointer, the live part of its stack and its TLS block.
            if payload + 16 + p.recordBytes > channel().capacity - Segment.headerBytes { fatal("copyprivate data does not fit the channel (raise CAPE_CHANNEL_GB)") }
            let out = body + payload
            out.storeBytes(of: RegionHeap.tagCopy, as: UInt64.self)
            out.storeBytes(of: UInt64(p.recordBytes), toByteOffset: 8, as: UInt64.self)
            for (i, w) in [p.data, p.stackLow, p.stackHigh, p.tlsLow, p.tlsHigh].enumerated() {
                out.storeBytes(of: UInt64(w), toByteOffset: 16 + 8 * i, as: UInt64.self)
            }
            memcpy(out + 56, UnsafeRawPointer(bitPattern: p.stackLow)!, p.stackBytes)
            if p.tlsBytes > 0 { memcpy(out + 56 + p.stackBytes, UnsafeRawPointer(bitPattern: p.tlsLow)!, p.tlsBytes) }
            payload += 16 + p.recordBytes
        }
        payload += RegionHeap.writeRecords(body + payload, room: channel().capacity - Segment.headerBytes - payload)
        payload += AtomicUpdates.writeRecord(body + payload, room: channel().capacity - Segment.headerBytes - payload)
        Profile.encoded(since: e0, dirty: dirty, bytes: payload)
        if cape_tracker_unprotect() != 0 { fatal(String(cString: cape_tracker_error())) }
        let segments = synchronize(kind: .barrier, fn: c.fn, data: UInt(barriers), sp: c.sp, info: c.info, payloadBytes: payload, runs: runs,
                                   diffBytes: diff, outBytes: printed.out, errBytes: printed.err, applyDiffs: true)
        Output.print(segments)
        var copied = false
        for s in segments {
            for r in RegionHeap.records(s) where r.tag == RegionHeap.tagCopy {
                Sync.receiveCopy(local: s.rank == Runtime.rank, blob: r.body, bytes: r.bytes)
                copied = true
            }
        }
        if !copied { Sync.receiveCopy(local: true, blob: nil, bytes: 0) }
        let r0 = Profile.now()
        cape_tracker_reset()
        var info = cape_tracker_info_t()
        if cape_tracker_scan(c.sp, &info) != 0 { fatal("cannot select the memory to track: \(String(cString: cape_tracker_error())) (region #\(seq))") }
        if cape_tracker_rearm() != 0 { fatal("cannot write-protect the program's memory: \(String(cString: cape_tracker_error()))") }
        current?.info = info
        Sync.advance()
        Flush.epochStarts()
        Profile.resumed(since: r0)
    }

    /// Encodes the pages written in this region into the channel, after the segment header.
    private nonisolated(unsafe) static let zeroPage: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        return p
    }()

    /// Encodes the pages written in this region into the channel, after the segment header, and the
    /// region-heap memory committed since the last sync point (untracked, new: against zeros).
    private static func encode() -> (bytes: Int, runs: Int, dirty: Int) {
        let channel = Runtime.channel!
        var pages: UnsafePointer<UInt>?
        var olds: UnsafePointer<UnsafePointer<UInt8>?>?
        let n = Int(cape_tracker_dirty_sorted(&pages, &olds))
        var enc = Diff.Encoder(out: channel.data + Segment.headerBytes, capacity: channel.capacity - Segment.headerBytes, maskScratch: maskScratch)
        var tracked = TrackedPages()
        let fresh = RegionHeap.takeCommits()
        var f = 0
        var freshPage: UInt = fresh.first?.0 ?? .max
        func emitFresh(below limit: UInt) {
            while f < fresh.count && freshPage < limit {
                enc.add(current: UnsafeRawPointer(bitPattern: freshPage)!, old: UnsafeRawPointer(zeroPage), lo: freshPage, hi: freshPage + 4096)
                freshPage += 4096
                if freshPage >= fresh[f].1 { f += 1; freshPage = f < fresh.count ? fresh[f].0 : .max }
            }
        }
        for i in 0..<n {
            let page = pages![i]
            emitFresh(below: page)
            // The uffd tracker guesses the next sync point's pages from this one's (track.c, "Hot pages").
            if tracked.add(&enc, page: page, old: UnsafeRawPointer(olds![i]!)) { cape_tracker_changed(page) }
        }
        emitFresh(below: .max)
        enc.close()
        if enc.overflow { fatal("the diff of region #\(seq) does not fit the channel (raise CAPE_CHANNEL_GB)") }
        return (enc.bytes, enc.runs, n)
    }

    /// Walks the tracked ranges beside pages fed in increasing address order, and encodes the bytes
    /// of each page that belong to the program (its range's clip) against their old content.
    struct TrackedPages {
        private let ranges: UnsafePointer<cape_range_t>
        private let count: Int
        private var r = 0

        init() {
            var c: UInt32 = 0
            ranges = cape_tracker_ranges(&c)!
            count = Int(c)
        }

        /// Returns whether the page's bytes differed from their old content.
        @discardableResult
        mutating func add(_ enc: inout Diff.Encoder, page: UInt, old: UnsafeRawPointer) -> Bool {
            while r < count && ranges[r].end <= page { r += 1 }
            guard r < count, ranges[r].start <= page else { return false }
            let lo = max(page, ranges[r].clip_start), hi = min(page + 4096, ranges[r].clip_end)
            guard lo < hi else { return false }
            if usesUffd {
                // The old content is the shadow: it takes the new content as the page is encoded,
                // the whole page (the scan protected all of it again; a later region's clip of the
                // stack may cover more of it).
                let shadow = UnsafeMutableRawPointer(mutating: old)
                enc.addRefreshing(current: UnsafeRawPointer(bitPattern: lo)!, old: shadow + Int(lo - page), lo: lo, hi: hi)
                if lo > page { memcpy(shadow, UnsafeRawPointer(bitPattern: page)!, Int(lo - page)) }
                if hi < page + 4096 { memcpy(shadow + Int(hi - page), UnsafeRawPointer(bitPattern: hi)!, Int(page + 4096 - hi)) }
            } else {
                enc.add(current: UnsafeRawPointer(bitPattern: lo)!, old: old + Int(lo - page), lo: lo, hi: hi)
            }
            return enc.changedEnd > lo
        }
    }

    /// One collective step: every rank contributes a segment (its fingerprint, maybe a diff), the
    /// proxies exchange them, and a rank whose fingerprint differs stops the job before anything
    /// is applied.
    @discardableResult
    static func synchronize(kind: SegmentKind, fn: UInt, data: UInt, sp: UInt, info: cape_tracker_info_t = cape_tracker_info_t(),
                            payloadBytes: Int = 0, runs: Int = 0, hash: UInt64 = 0,
                            diffBytes: Int = 0, outBytes: Int = 0, errBytes: Int = 0, applyDiffs: Bool) -> [Segment.View] {
        let channel = Runtime.channel!
        let f = Fingerprint(kind: kind.rawValue, seq: seq, fn: UInt64(fn), data: UInt64(data), sp: UInt64(sp), brk: info.brk,
                            trackedRanges: UInt64(info.nranges), trackedBytes: info.tracked_bytes)
        let total = Segment.headerBytes + payloadBytes
        Segment.writeHeader(channel.data, rank: Runtime.rank, totalBytes: total, fingerprint: f, runCount: runs, hash: hash,
                            logBytes: SectionLog.appended, diffBytes: diffBytes, outBytes: outBytes, errBytes: errBytes)
        let x0 = Profile.now()
        let buffers: [(UnsafeRawPointer, Int)]
        if HostExchange.usable, let b = HostExchange.exchange(channel.data, ownBytes: total) {
            buffers = b
        } else {
            buffers = [(UnsafeRawPointer(channel.data), channel.call(CAPE_OP_EXCHANGE, len: total).outLen)]
        }
        let received = buffers.reduce(0) { $0 + $1.1 }
        Profile.exchanged(since: x0, received: received - total)
        let a0 = Profile.now()
        defer { Profile.applied(since: a0) }
        let segments: [Segment.View]
        do {
            segments = try Segment.parse(buffers, ranks: Runtime.size)
        } catch {
            fatal("the exchange after region #\(seq) returned malformed data (\(error)); please report this")
        }
        for s in segments where s.fingerprint != f && s.fingerprint.kind != SegmentKind.idle.rawValue && kind != .idle {
            let theirs = s.fingerprint
            if Runtime.settings.trace > 0 { traceRanges() }
            let what = SegmentKind(rawValue: theirs.kind)?.name ?? "something unknown"
            fatalEverywhere("the ranks diverged at \(kind.name) #\(seq) (\(symbol(fn))): rank \(Runtime.rank) and rank \(s.rank) differ in "
                + f.differences(from: theirs).joined(separator: ", ") + "; rank \(s.rank) is at \(what) #\(theirs.seq)"
                + " (the program must take the same path on every rank: no control flow on time, pid, host name or rank)")
        }
        if applyDiffs {
            // Every rank has entered this exchange, so the section log is complete: its entries come
            // first, the ranks' own diffs (written later, or outside sections) after.
            RegionHeap.beforeApply(segments)
            SectionLog.catchUp(total: segments.reduce(0) { $0 + $1.logBytes })
            SectionLog.appended = 0
            let merged = AtomicUpdates.merge(segments)
            apply(segments, fn: fn, data: current?.data ?? 0, barrier: kind == .barrier)
            AtomicUpdates.install(merged, uffd: usesUffd)
            // An idle rank learns only from the others' segments whether this was the region's end.
            RegionHeap.afterApply(segments, regionEnd: kind != .barrier && kind != .idle)
        }
        channel.trim(used: buffers[0].1)
        return segments
    }

    /// Applies the other ranks' diffs. Bytes that several ranks changed to different values are a
    /// data race (atomics, reductions and protected code travel through the section log and never
    /// conflict): the highest thread's value wins, which is what applying every diff in rank order
    /// gives, and the race is reported once per place, or stops the job with CAPE_RACES=error.
    private static func apply(_ segments: [Segment.View], fn: UInt, data: UInt, barrier: Bool) {
        var raced = false
        if segments.count > 1 {
            let found = Diff.conflicts(segments.map { ($0.payload, $0.diffBytes) }, limit: 1)
            if let c = found.first {
                raced = true
                // Named (through DWARF or the symbol table) only when it is reported.
                func what() -> String {
                    "ranks \(c.rankA) and \(c.rankB) wrote different values to \(describe(address: c.address, fn: fn, data: data)) "
                        + "in region #\(seq) (\(symbol(fn))), a data race"
                }
                if Runtime.settings.races == .error {
                    fatalEverywhere(what() + " (CAPE_RACES=error; protect the writes with atomic, critical or a reduction)")
                }
                // Once per place for the job: a race in a time-step loop would print a line per step
                // (NAS CG's shared `k` printed 16 at class S).
                if Runtime.rank == 0, reportedRaces.insert(RacePlace(fn: fn, address: c.address)).inserted {
                    cape_write_err("cape: warning: \(what()); the value of the highest-numbered thread is kept, "
                        + "and later races there are not reported (set CAPE_RACES=error to stop instead)\n")
                }
            }
        }
        for s in segments where s.rank != Runtime.rank || raced {
            if usesUffd { applyTracked(s, barrier: barrier) } else { Diff.applyInPlace(s.payload, bytes: s.diffBytes) }
        }
    }

    /// The uffd tracker: a diff's pages are made writable in one call per span, the diff goes to
    /// memory and to the shadow alike, in one pass, and the spans are protected again (at a barrier,
    /// all but small ones), so that the next arming does not copy them (cape_tracker_after_write
    /// says why that is exact).
    private static func applyTracked(_ s: Segment.View, barrier: Bool) {
        forEachSpan(s) { cape_tracker_before_write($0, $1) }
        for run in Diff.Runs(s.payload, bytes: s.diffBytes) {
            cape_tracker_apply_run(run.address, run.data.assumingMemoryBound(to: UInt64.self), run.mask, run.words)
        }
        forEachSpan(s) { cape_tracker_after_write($0, $1, barrier ? 1 : 0) }
    }

    /// Where a race was found: the region's function and the first byte the ranks disagree on.
    private struct RacePlace: Hashable { let fn: UInt; let address: UInt }
    private nonisolated(unsafe) static var reportedRaces = Set<RacePlace>()

    /// The uffd tracker leaves memory write-protected outside regions (the mprotect tracker does not).
    private static let usesUffd = cape_tracker_backend() == Int32(CAPE_TRACKER_UFFD.rawValue)

    /// The page-aligned spans a diff touches, in order. Spans less than `spanGap` apart are one,
    /// with the pages between them, which the diff does not touch: protecting those again after
    /// dropping their protection is exact (they were protected, with their shadow equal to memory),
    /// and an ioctl costs more than walking a few more page-table entries.
    private static func forEachSpan(_ s: Segment.View, _ body: (UInt, UInt) -> Void) {
        let gap = spanGap
        var spanStart: UInt = 0, spanEnd: UInt = 0
        for run in Diff.Runs(s.payload, bytes: s.diffBytes) {
            let lo = run.address & ~4095, hi = (run.end + 4095) & ~4095
            if lo > spanEnd + gap || spanEnd == 0 {
                if spanEnd > spanStart { body(spanStart, spanEnd) }
                spanStart = lo
            }
            spanEnd = max(spanEnd, hi)
        }
        if spanEnd > spanStart { body(spanStart, spanEnd) }
    }

    private static let spanGap: UInt = 64 * 4096

    /// The main stack above the region's entry holds the frames of its callers, and their unwritten
    /// slots hold leftovers that differ by rank for good reasons (stack-protector canaries, values
    /// spilled before main, the environment). There, verification covers the words that some rank
    /// changed in the region, each whole.
    private static func writtenStackHash(_ segments: [Segment.View]) -> UInt64 {
        var count: UInt32 = 0
        let ranges = cape_tracker_ranges(&count)!
        guard let stack = (0..<Int(count)).first(where: { ranges[$0].kind == CAPE_RANGE_STACK.rawValue }).map({ ranges[$0] }) else { return 0 }
        var h = MemoryHash.seed
        for s in segments {
            for run in Diff.Runs(s.payload, bytes: s.diffBytes) where run.address >= stack.clip_start && run.address < stack.clip_end {
                // A word some rank changed is compared whole: a receiver keeps its own bytes where
                // the writer's were already the value it wrote, so ranks whose leftovers differ end
                // different in the unchanged bytes of a written word (main's frame once started on
                // rank-dependent words: Tests/failures/main_leftovers.c).
                for i in 0..<run.words where run.mask[i] != 0 {
                    let v = UnsafeRawPointer(bitPattern: run.address + UInt(8 * i))!.load(as: UInt64.self)
                    h = (h ^ v) &* 0x0000_0100_0000_01B3
                }
            }
        }
        return h
    }

    private static func traceRanges() {
        var count: UInt32 = 0
        let ranges = cape_tracker_ranges(&count)!
        for i in 0..<Int(count) {
            let r = ranges[i]
            trace(1, "tracked \(kindName(r.kind)) 0x\(String(r.clip_start, radix: 16))-0x\(String(r.clip_end, radix: 16))")
        }
    }

    static func kindName(_ k: UInt32) -> String {
        switch k {
        case CAPE_RANGE_HEAP.rawValue: "the heap"
        case CAPE_RANGE_STACK.rawValue: "the main stack"
        case CAPE_RANGE_ANON.rawValue: "anonymous memory"
        default: "program data"
        }
    }

    private static func channel() -> Channel { Runtime.channel! }

    static func describe(address a: UInt, fn: UInt = 0, data: UInt = 0) -> String {
        var off: UInt = 0
        if fn != 0 && data != 0 {
            var member: UInt = 0
            if let name = cape_dwarf_shared_name(fn, data, a, &member) {
                return "`\(String(cString: name))`" + (member > 0 ? "+\(member)" : "") + " (0x\(String(a, radix: 16)))"
            }
        }
        if let p = UnsafeRawPointer(bitPattern: a), let s = cape_symbol_name(p, &off) {
            return "`\(String(cString: s))`" + (off > 0 ? "+\(off)" : "") + " (0x\(String(a, radix: 16)))"
        }
        var count: UInt32 = 0
        let ranges = cape_tracker_ranges(&count)!
        for i in 0..<Int(count) where ranges[i].start <= a && a < ranges[i].end {
            return "\(kindName(ranges[i].kind)) at 0x\(String(a, radix: 16))"
        }
        return "0x\(String(a, radix: 16))"
    }
}

func symbol(_ fn: UInt) -> String {
    guard fn != 0, let p = UnsafeRawPointer(bitPattern: fn), let s = cape_symbol_name(p, nil) else {
        return fn == 0 ? "no function" : "0x\(String(fn, radix: 16))"
    }
    return String(cString: s)
}

/// The rank's own monotonic clock (the runtime's timings; the program's omp_get_wtime is JobClock's).
func wtime() -> Double {
    var ts = timespec()
    _ = cape_clock_raw(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

extension String {
    init(format6 v: Double) {
        let x = (v * 10).rounded() / 10
        self = "\(x)"
    }
}

// ---- entry points called by the C trampolines (Sources/CCapeShim/entry.c) ----

@_cdecl("cape_swift_parallel")
func capeSwiftParallel(_ fn: OutlinedFn, _ data: UnsafeMutableRawPointer?, _ numThreads: UInt32, _ flags: UInt32, _ entrySP: UInt,
                       _ presetPointer: UnsafePointer<cape_ws_preset_t>?) {
    if !Runtime.started { fatal("a parallel region ran before libcape started (a constructor of a library that runs before libcape?)") }
    let preset = presetPointer?.pointee
    if cape_self()!.pointee.level > 0 {
        let size = Region.nestedSize(numThreads, flags)
        if size > 1 { NestedTeam.run(fn, data, size: size, preset: preset) } else { Region.serialized(fn, data, preset: preset) }
        return
    }
    let team = Region.layout(numThreads)
    if team.size == 1 { Region.serialized(fn, data, preset: preset); return }
    Region.begin(fn, data, team, entrySP: entrySP, preset: preset)
    if team.counts[Runtime.rank] > 0 { Pool.shared.runShare(0) }
    Region.end()
}

@_cdecl("cape_swift_parallel_start")
func capeSwiftParallelStart(_ fn: OutlinedFn, _ data: UnsafeMutableRawPointer?, _ numThreads: UInt32, _ flags: UInt32, _ entrySP: UInt,
                            _ presetPointer: UnsafePointer<cape_ws_preset_t>?) {
    if !Runtime.started { fatal("a parallel region ran before libcape started") }
    let t = cape_self()!
    let preset = presetPointer?.pointee
    if t.pointee.level > 0 {
        // Nested: the caller runs fn itself; it is the only thread of its team.
        nestedOldABI.append(t.pointee)
        t.pointee.thread_num = 0
        t.pointee.team_size = 1
        t.pointee.level += 1
        Work.enterShare(preset)
        return
    }
    var team = Region.layout(numThreads)
    if team.counts[Runtime.rank] == 0 {
        // The caller will run the master's share whatever we do: give every rank at least one thread.
        team = TeamLayout.make(capacities: Runtime.capacities, requested: max(team.size, Runtime.size))
    }
    Region.begin(fn, data, team, entrySP: entrySP, preset: preset)
    Pool.shared.enterShare(0)
    t.pointee.rt_depth += 1 // the trampoline takes it back on return
}

nonisolated(unsafe) private var nestedOldABI: [cape_thread_t] = []

@_cdecl("cape_swift_parallel_end")
func capeSwiftParallelEnd() {
    let t = cape_self()!
    if let saved = nestedOldABI.popLast() {
        let depth = t.pointee.rt_depth
        t.pointee = saved
        t.pointee.rt_depth = depth
        return
    }
    let depth = t.pointee.rt_depth
    Pool.shared.leaveShare()
    t.pointee.rt_depth = depth
    Region.end()
}
