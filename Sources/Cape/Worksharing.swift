// Worksharing constructs for a team spread over ranks: loops of every schedule, sections, single.
//
// Every thread of the team meets the same worksharing constructs in the same order (OpenMP requires
// it), so the k-th construct a thread starts since the last barrier is the same construct on every
// rank. That ordinal names the construct without any communication:
//  - static schedules and `single` are computed from the global thread number alone;
//  - dynamic and guided schedules and sections claim chunks from one team-wide counter per
//    construct (`Counters`, in what the ranks share), so load balances across ranks and hosts.
// Counters come in two banks used in alternate sync epochs (an epoch ends at each barrier and at
// each region end): rank 0 zeroes the bank of epoch e+1 at the start of epoch e, when every rank has
// left epoch e-1 and none can have entered epoch e+1. No counter is ever reset under a live claim.
import CCapeShim
import CCapeSys
import Glibc

/// GFS_* schedule kinds of the GOMP ABI.
enum ScheduleKind: Int {
    case runtime = 0, staticKind = 1, dynamic = 2, guided = 3, auto = 4
}

/// run-sched-var: what schedule(runtime) means. libgomp's default is dynamic with chunk 1.
enum RunSchedule {
    nonisolated(unsafe) static var kind: Int32 = 2
    nonisolated(unsafe) static var chunk: Int32 = 1
    static let monotonicFlag: Int32 = Int32(bitPattern: 0x8000_0000)

    /// OMP_SCHEDULE: [monotonic:|nonmonotonic:]static|dynamic|guided|auto[,chunk]
    static func parse(_ text: String) {
        var body = Substring(trimmed(text.lowercased()))
        var flag: Int32 = 0
        if let colon = body.firstIndex(of: ":") {
            let modifier = trimmed(body[..<colon])
            if modifier == "monotonic" { flag = monotonicFlag } else if modifier != "nonmonotonic" { return warn() }
            body = body[body.index(after: colon)...]
        }
        let parts = body.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map { trimmed($0) }
        let kinds = ["static": 1, "dynamic": 2, "guided": 3, "auto": 4]
        guard let first = parts.first, let k = kinds[first] else { return warn() }
        var c: Int32 = k == 1 ? 0 : 1
        if parts.count == 2 {
            guard let v = Int32(parts[1]), v > 0 else { return warn() }
            c = v
        }
        kind = Int32(k) | flag
        chunk = c
    }

    private static func trimmed<S: StringProtocol>(_ s: S) -> String {
        String(s.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    private static func warn() {
        if Runtime.rank == 0 { cape_write_err("cape: unknown value for environment variable OMP_SCHEDULE (ignored)\n") }
    }
}

@_cdecl("omp_set_schedule") public func omp_set_schedule(_ kind: Int32, _ chunk: Int32) {
    switch kind & ~RunSchedule.monotonicFlag {
    case 1: RunSchedule.chunk = chunk < 1 ? 0 : chunk
    case 2, 3: RunSchedule.chunk = chunk < 1 ? 1 : chunk
    case 4: break
    default: return
    }
    RunSchedule.kind = kind
}

@_cdecl("omp_get_schedule") public func omp_get_schedule(_ kind: UnsafeMutablePointer<Int32>, _ chunk: UnsafeMutablePointer<Int32>) {
    kind.pointee = RunSchedule.kind
    chunk.pointee = RunSchedule.chunk
}

@_cdecl("omp_set_schedule_") public func omp_set_schedule_(_ kind: UnsafePointer<Int32>, _ chunk: UnsafePointer<Int32>) {
    omp_set_schedule(kind.pointee, chunk.pointee)
}

@_cdecl("omp_set_schedule_8_") public func omp_set_schedule_8_(_ kind: UnsafePointer<Int32>, _ chunk: UnsafePointer<Int64>) {
    omp_set_schedule(kind.pointee, Int32(clamping: chunk.pointee))
}

@_cdecl("omp_get_schedule_") public func omp_get_schedule_(_ kind: UnsafeMutablePointer<Int32>, _ chunk: UnsafeMutablePointer<Int32>) {
    omp_get_schedule(kind, chunk)
}

@_cdecl("omp_get_schedule_8_") public func omp_get_schedule_8_(_ kind: UnsafeMutablePointer<Int32>, _ chunk: UnsafeMutablePointer<Int64>) {
    var c: Int32 = 0
    omp_get_schedule(kind, &c)
    chunk.pointee = Int64(c)
}

/// The team-wide chunk counters (see the top of this file), in what the ranks share
/// (SharedState): each slot is a cache line whose word 0 is the next iteration index to hand out
/// and word 1 the ordered token (the first iteration index whose chunk may run its ordered blocks).
/// On rank 0's host a claim is one atomic instruction, as in libgomp; a rank on another host asks
/// rank 0's proxy (one round trip per chunk).
enum Counters {
    static let slotsPerBank = Int(CAPE_COUNTER_SLOTS)

    /// Where slot `index` of `bank` is in the shared state.
    static func slot(bank: Int, index: Int) -> UInt64 {
        UInt64(CAPE_COUNTERS_OFFSET) + UInt64(bank * slotsPerBank + index) * UInt64(CAPE_COUNTER_SLOT_BYTES)
    }

    /// Slots of each bank that this rank's threads bound since the bank was last cleaned (a
    /// high-water mark, raised by the local threads at once).
    nonisolated(unsafe) private static var bound: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        p.initialize(repeating: UInt64(slotsPerBank), count: 2)   // unknown at start: all of them
        return p
    }()

    /// A thread of this rank bound slot `index` of `bank` to a construct.
    static func bind(bank: Int, index: Int) {
        var seen = cape_load_acquire_u64(bound + bank)
        while seen <= UInt64(index), cape_cas_u64(bound + bank, &seen, UInt64(index + 1)) == 0 {}
    }

    /// Rank 0, at the start of epoch `epoch`: the other bank is free and must be clean for epoch + 1.
    /// Only its slots that were bound are cleaned (all 512 were 32 KiB, some 3% of a small barrier):
    /// every thread of a team meets every worksharing construct, in the same order, and claims from
    /// it, so thread 0, which is always on rank 0, binds every slot that any rank's thread binds.
    /// Every local thread waits in the barrier meanwhile, so none binds.
    static func prepare(epoch: UInt64) {
        guard Runtime.rank == 0, SharedState.base != nil else { return }
        let bank = Int((epoch + 1) % 2)
        let n = Int(min(bound[bank], UInt64(slotsPerBank)))
        if n > 0 { SharedState.clear(slot(bank: bank, index: 0), bytes: n * Int(CAPE_COUNTER_SLOT_BYTES)) }
        bound[bank] = 0
    }
}

/// A loop's iteration space as iteration indices 0..<n; values are start + index * incr in
/// two's-complement arithmetic, which serves `long` and `unsigned long long` loops alike.
struct LoopSpace {
    var start: UInt64 = 0
    var end: UInt64 = 0 // canonical: start when the loop is empty
    var incr: UInt64 = 1
    var n: UInt64 = 0

    init() {}

    init(start: UInt64, end: UInt64, incr: UInt64, up: Bool, signed: Bool) {
        self.start = start
        self.incr = incr
        let empty: Bool
        if signed {
            let s = Int64(bitPattern: start), e = Int64(bitPattern: end)
            empty = up ? s >= e : s <= e
        } else {
            empty = up ? start >= end : start <= end
        }
        self.end = empty ? start : end
        if empty { n = 0; return }
        let dist = up ? end &- start : start &- end
        let step = up ? incr : 0 &- incr
        n = dist / step + (dist % step != 0 ? 1 : 0)
    }

    func value(_ index: UInt64) -> UInt64 { start &+ index &* incr }
}

/// One thread's state at one nesting level.
struct WorkFrame {
    var epoch: UInt64 = .max
    var ordinal = 0             // worksharing constructs started since the last sync point
    var active = false
    var space = LoopSpace()
    var kind = ScheduleKind.staticKind
    var chunk: UInt64 = 0
    var staticTrip: Int64 = 0   // static: chunks taken so far, -1 when done
    var local: UInt64 = 0       // the next index when no counter is used (team of one, fallback)
    var counter: UInt64?        // the construct's counter slot in the shared state
    var teamSize: UInt64 = 1
    var threadNum: UInt64 = 0
    var ordered = false
    var chunkLo: UInt64 = .max  // ordered: the chunk held, until it is passed on
    var chunkHi: UInt64 = 0
    var unbound = false         // the team-wide ordinal and counter are taken at the first claim
    var ahead = false           // away from rank 0's host: the next claim is on its way
    var nested = false          // a nested team's construct: the counter is a word of this process
}

enum Work {
    static let maxLevels = 8
    nonisolated(unsafe) static let frames: UnsafeMutablePointer<WorkFrame> = {
        let p = UnsafeMutablePointer<WorkFrame>.allocate(capacity: (Runtime.maxLocalThreads + 1) * maxLevels)
        p.initialize(repeating: WorkFrame(), count: (Runtime.maxLocalThreads + 1) * maxLevels)
        return p
    }()
    static func frame() -> UnsafeMutablePointer<WorkFrame> {
        let t = cape_self()!.pointee
        let level = Int(t.level)
        if level >= maxLevels { fatalEverywhere("worksharing constructs nested \(level) levels deep are not supported (at most \(maxLevels - 1))") }
        return frames + Int(max(0, t.local_index)) * maxLevels + level
    }

    /// Called by each thread as its share of a region starts: the combined construct's work share.
    static func enterShare(_ preset: cape_ws_preset_t?) {
        frame().pointee.active = false
        guard let p = preset else { return }
        switch p.kind {
        case 1: _ = startLoop(space: LoopSpace(start: UInt64(bitPattern: p.start), end: UInt64(bitPattern: p.end),
                                              incr: UInt64(bitPattern: p.incr), up: p.incr > 0, signed: true),
                              sched: Int(p.sched), chunk: UInt64(bitPattern: p.chunk), ordered: false)
        case 2: startSections(count: p.count)
        default: break
        }
    }

    /// Takes the next worksharing ordinal of the calling thread's team.
    private static func nextOrdinal(_ f: UnsafeMutablePointer<WorkFrame>) -> Int {
        let epoch = NestedTeam.current()?.epoch ?? Sync.epoch
        if f.pointee.epoch != epoch {
            f.pointee.epoch = epoch
            f.pointee.ordinal = 0
        }
        let k = f.pointee.ordinal
        f.pointee.ordinal += 1
        return k
    }

    // ---- loops ----

    /// Starts a worksharing loop. Returns the frame, ready for `next`.
    @discardableResult
    static func startLoop(space: LoopSpace, sched: Int, chunk: UInt64, ordered: Bool) -> UnsafeMutablePointer<WorkFrame> {
        let t = cape_self()!.pointee
        let f = frame()
        let teamSize = UInt64(max(1, t.team_size))
        var kind = ScheduleKind(rawValue: sched & 0x7fff_ffff) ?? .dynamic
        var c = chunk
        if kind == .runtime {
            kind = ScheduleKind(rawValue: Int(RunSchedule.kind & ~RunSchedule.monotonicFlag)) ?? .dynamic
            c = UInt64(max(0, RunSchedule.chunk))
        }
        if kind == .auto { kind = .staticKind; c = 0 }
        if kind != .staticKind && c == 0 { c = 1 }
        f.pointee.active = true
        f.pointee.space = space
        f.pointee.kind = kind
        f.pointee.chunk = c
        f.pointee.staticTrip = 0
        f.pointee.local = 0
        f.pointee.counter = nil
        f.pointee.teamSize = teamSize
        f.pointee.threadNum = UInt64(t.thread_num)
        f.pointee.ordered = ordered
        f.pointee.chunkLo = .max
        f.pointee.chunkHi = 0
        f.pointee.unbound = teamSize > 1
        f.pointee.ahead = false
        f.pointee.nested = false
        return f
    }

    /// Binds the calling thread's loop to its team-wide ordinal, at its first claim. Not at its
    /// start: a combined construct's loop is set up when the region starts, but gcc may put a
    /// barrier (for firstprivate copies) before its first claim, and a barrier starts a new epoch.
    private static func bind(_ f: UnsafeMutablePointer<WorkFrame>) {
        f.pointee.unbound = false
        let k = nextOrdinal(f)
        let kind = f.pointee.kind
        if f.pointee.ordered || kind != .staticKind {
            // The ordered token lives in the construct's counter slot.
            if let nest = NestedTeam.current() {
                f.pointee.counter = nest.counter(k)
                f.pointee.nested = true
            } else {
                f.pointee.counter = counter(k)
            }
        }
    }

    private static func counter(_ k: Int) -> UInt64 {
        if k >= Counters.slotsPerBank {
            fatalEverywhere("more than \(Counters.slotsPerBank) worksharing constructs ran between two barriers (add a barrier, or remove a nowait)")
        }
        let bank = Int(Sync.epoch % 2)
        Counters.bind(bank: bank, index: k)
        return Counters.slot(bank: bank, index: k)
    }

    /// The next chunk of the calling thread's loop, as iteration indices, or nil when it is done.
    static func claim(_ f: UnsafeMutablePointer<WorkFrame>) -> (lo: UInt64, hi: UInt64, clampEnd: Bool)? {
        if f.pointee.unbound { bind(f) }
        let w = f.pointee
        let n = w.space.n
        if w.teamSize <= 1 {
            if w.kind == .staticKind {
                if w.staticTrip != 0 { return nil }
                f.pointee.staticTrip = -1
                return n == 0 ? nil : (0, n, true)
            }
            let lo = w.local
            if lo >= n { return nil }
            let hi = lo + min(w.kind == .guided ? max(w.chunk, n - lo) : w.chunk, n - lo)
            f.pointee.local = hi
            return (lo, hi, true)
        }
        if w.ordered {
            passOrderedToken(f)
            guard let c = claimShared(f) else { return nil }
            f.pointee.chunkLo = c.lo
            f.pointee.chunkHi = c.hi
            return c
        }
        return claimShared(f)
    }

    private static func claimShared(_ f: UnsafeMutablePointer<WorkFrame>) -> (lo: UInt64, hi: UInt64, clampEnd: Bool)? {
        let w = f.pointee
        let n = w.space.n
        switch w.kind {
        case .dynamic:
            if let c = w.counter, w.nested {
                let lo = LocalCounter.fetchAdd(c, w.chunk)
                if lo >= n { return nil }
                return (lo, min(lo + w.chunk, n), true)
            }
            if let c = w.counter {
                let lo = SharedState.home || w.ordered ? SharedState.fetchAdd(c, w.chunk)
                    : claimAhead(f, CAPE_SH_FETCH_ADD, c, w.chunk, 0, 0, more: { $0 < n }).0
                if lo >= n { return nil }
                return (lo, min(lo + w.chunk, n), true)
            }
            return staticChunk(f, chunk: w.chunk, clamp: true)
        case .guided:
            // Not claimed ahead: a guided chunk is a share of what is left when it is claimed, so a
            // chunk taken early is a large one held back (on 2 hosts the triangular loop of bench/
            // ran 1.19x libgomp that way); and guided claims are few (about 2 log2 n) anyway.
            guard let c = w.counter else { return staticChunk(f, chunk: w.chunk, clamp: true) }
            let next = w.nested ? LocalCounter.guided(c, n: n, teamSize: w.teamSize, chunk: w.chunk)
                : SharedState.guided(c, n: n, teamSize: w.teamSize, chunk: w.chunk)
            guard let claim = next else { return nil }
            return (claim.lo, claim.hi, true)
        default:
            return staticChunk(f, chunk: w.chunk, clamp: false)
        }
    }

    /// Away from rank 0's host a claim is a round trip to its proxy: the thread claims its next chunk
    /// while it computes the one it got, so it waits only when a chunk is shorter than the trip.
    /// Which thread runs which chunk of a dynamic schedule is unspecified, and holding one chunk
    /// ahead moves at most one chunk per thread at the end of the loop. `more` says from
    /// an answer whether the counter may hold another chunk.
    private static func claimAhead(_ f: UnsafeMutablePointer<WorkFrame>, _ op: cape_shared_op, _ a: UInt64, _ b: UInt64,
                                   _ c: UInt64, _ d: UInt64, more: (UInt64) -> Bool) -> (UInt64, UInt64) {
        let r = f.pointee.ahead ? SharedState.collect() : SharedState.perform(op, a, b, c, d)
        f.pointee.ahead = more(r.0)
        if f.pointee.ahead { SharedState.prefetch(op, a, b, c, d) }
        return r
    }

    /// libgomp's static schedule: chunk 0 gives each thread one contiguous block; otherwise chunks
    /// go round robin.
    private static func staticChunk(_ f: UnsafeMutablePointer<WorkFrame>, chunk: UInt64, clamp: Bool) -> (lo: UInt64, hi: UInt64, clampEnd: Bool)? {
        let w = f.pointee
        if w.staticTrip == -1 { return nil }
        let n = w.space.n, nthr = w.teamSize, i = w.threadNum
        if chunk == 0 {
            if w.staticTrip > 0 { return nil }
            var q = n / nthr
            var t = n % nthr
            if i < t { t = 0; q += 1 }
            let s0 = q * i + t, e0 = s0 + q
            if s0 >= e0 { f.pointee.staticTrip = 1; return nil }
            f.pointee.staticTrip = e0 == n ? -1 : 1
            return (s0, e0, clamp)
        }
        let s0 = (UInt64(w.staticTrip) * nthr + i) * chunk
        if s0 >= n { return nil }
        let e0 = min(s0 + chunk, n)
        f.pointee.staticTrip = e0 == n ? -1 : w.staticTrip + 1
        return (s0, e0, clamp)
    }

    /// Converts a claimed chunk into the loop's start and end values.
    static func bounds(_ f: UnsafeMutablePointer<WorkFrame>, _ c: (lo: UInt64, hi: UInt64, clampEnd: Bool)) -> (UInt64, UInt64) {
        let s = f.pointee.space
        return (s.value(c.lo), c.clampEnd && c.hi == s.n ? s.end : s.value(c.hi))
    }

    /// Ends the calling thread's part in its current loop or sections construct.
    static func finish() {
        let f = frame()
        precondition(!f.pointee.ahead, "Work.finish: a chunk claimed ahead was never run")
        if f.pointee.active && f.pointee.unbound { bind(f) }
        if f.pointee.ordered && f.pointee.teamSize > 1 { passOrderedToken(f) }
        f.pointee.active = false
    }

    // ---- ordered ----

    /// The ordered token is word 1 of the loop's counter slot: in what the ranks share, or for a
    /// nested team's loop in this process.
    private static func awaitTurn(_ f: UnsafeMutablePointer<WorkFrame>, _ c: UInt64, _ lo: UInt64) {
        if f.pointee.nested { LocalCounter.wait(c + 8, for: lo) } else { SharedState.wait(c + 8, for: lo) }
    }

    private static func passOrderedToken(_ f: UnsafeMutablePointer<WorkFrame>) {
        let lo = f.pointee.chunkLo
        guard lo != .max, let c = f.pointee.counter else { return }
        awaitTurn(f, c, lo)
        if f.pointee.nested { LocalCounter.store(c + 8, f.pointee.chunkHi) } else { SharedState.store(c + 8, f.pointee.chunkHi) }
        f.pointee.chunkLo = .max
    }

    static func orderedStart() {
        let f = frame()
        guard f.pointee.ordered, f.pointee.teamSize > 1, let c = f.pointee.counter else { return }
        if f.pointee.chunkLo == .max { fatal("GOMP_ordered_start outside an ordered loop's iteration") }
        awaitTurn(f, c, f.pointee.chunkLo)
        // A nested team's threads share this rank's memory: its ordered blocks only take turns.
        if !f.pointee.nested { Exclusion.acquire(nil) }
    }

    static func orderedEnd() {
        let f = frame()
        guard f.pointee.ordered, f.pointee.teamSize > 1, f.pointee.counter != nil, !f.pointee.nested else { return }
        Exclusion.release(nil)
    }

    // ---- sections: a loop over 1...count handed out one section at a time ----

    static func startSections(count: UInt32) {
        startLoop(space: LoopSpace(start: 1, end: UInt64(count) + 1, incr: 1, up: true, signed: true),
                  sched: ScheduleKind.dynamic.rawValue, chunk: 1, ordered: false)
    }

    static func nextSection() -> UInt32 {
        let f = frame()
        guard f.pointee.active, let c = claim(f) else { return 0 }
        return UInt32(truncatingIfNeeded: f.pointee.space.value(c.lo))
    }

    // ---- single ----

    /// The k-th worksharing construct's single block goes to thread k mod team size: no
    /// communication, and consecutive single blocks spread over the team.
    static func singleExecutor() -> Bool {
        let t = cape_self()!.pointee
        guard t.team_size > 1 else { return true }
        let k = nextOrdinal(frame())
        return Int32(k % Int(t.team_size)) == t.thread_num
    }
}
