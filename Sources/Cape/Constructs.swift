// The GOMP entry points of worksharing and synchronization constructs (logic: Worksharing.swift,
// Barrier.swift). Every entry point marks the thread as running runtime code while it runs, so
// that anything the Swift runtime allocates comes from the runtime arena, never the program's heap.
import CCapeShim
import Glibc

@inline(__always) private func enter() { cape_self()!.pointee.rt_depth += 1 }
@inline(__always) private func leave() { cape_self()!.pointee.rt_depth -= 1 }

/// The `reductions` and `mem` arguments of the GOMP_*_start entry points of OpenMP 5: the
/// construct's task reductions (TaskReductions.swift), and the block the construct shares
/// (TeamBlocks.swift).
private func takeExtras(_ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) {
    guard reductions != nil || mem != nil else { return }
    enter(); defer { leave() }
    if let reductions {
        if cape_self()!.pointee.nest != nil {
            fatalEverywhere("task reductions on a worksharing construct of a nested team are not supported yet (disable nesting for this region)")
        }
        TaskReductions.worksharingStarts(UInt(bitPattern: reductions))
    }
    if let mem { TeamBlocks.provide(mem) }
}

// ---- loops with `long` induction variables ----

private func startLong(_ start: Int, _ end: Int, _ incr: Int, _ sched: Int, _ chunk: Int, ordered: Bool,
                       _ istart: UnsafeMutablePointer<Int>?, _ iend: UnsafeMutablePointer<Int>?) -> Bool {
    enter(); defer { leave() }
    let space = LoopSpace(start: UInt64(bitPattern: Int64(start)), end: UInt64(bitPattern: Int64(end)),
                          incr: UInt64(bitPattern: Int64(incr)), up: incr > 0, signed: true)
    Work.startLoop(space: space, sched: sched, chunk: UInt64(max(0, chunk)), ordered: ordered)
    guard let istart, let iend else { return true }
    return nextRaw(UnsafeMutableRawPointer(istart), UnsafeMutableRawPointer(iend))
}

private func nextRaw(_ istart: UnsafeMutableRawPointer, _ iend: UnsafeMutableRawPointer) -> Bool {
    let f = Work.frame()
    guard f.pointee.active, let c = Work.claim(f) else { return false }
    let (s, e) = Work.bounds(f, c)
    istart.storeBytes(of: s, as: UInt64.self)
    iend.storeBytes(of: e, as: UInt64.self)
    return true
}

private func nextLong(_ istart: UnsafeMutablePointer<Int>, _ iend: UnsafeMutablePointer<Int>) -> Bool {
    enter(); defer { leave() }
    return nextRaw(UnsafeMutableRawPointer(istart), UnsafeMutableRawPointer(iend))
}

private let S = ScheduleKind.staticKind.rawValue, D = ScheduleKind.dynamic.rawValue, G = ScheduleKind.guided.rawValue, R = ScheduleKind.runtime.rawValue

public typealias LP = UnsafeMutablePointer<Int>

@_cdecl("GOMP_loop_static_start") public func GOMP_loop_static_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, S, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_dynamic_start") public func GOMP_loop_dynamic_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, D, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_guided_start") public func GOMP_loop_guided_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, G, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_nonmonotonic_dynamic_start") public func GOMP_loop_nonmonotonic_dynamic_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, D, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_nonmonotonic_guided_start") public func GOMP_loop_nonmonotonic_guided_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, G, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_runtime_start") public func GOMP_loop_runtime_start(_ s: Int, _ e: Int, _ i: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_nonmonotonic_runtime_start") public func GOMP_loop_nonmonotonic_runtime_start(_ s: Int, _ e: Int, _ i: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_maybe_nonmonotonic_runtime_start") public func GOMP_loop_maybe_nonmonotonic_runtime_start(_ s: Int, _ e: Int, _ i: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_ordered_static_start") public func GOMP_loop_ordered_static_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, S, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ordered_dynamic_start") public func GOMP_loop_ordered_dynamic_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, D, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ordered_guided_start") public func GOMP_loop_ordered_guided_start(_ s: Int, _ e: Int, _ i: Int, _ c: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, G, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ordered_runtime_start") public func GOMP_loop_ordered_runtime_start(_ s: Int, _ e: Int, _ i: Int, _ a: LP, _ b: LP) -> Bool { startLong(s, e, i, R, 0, ordered: true, a, b) }

@_cdecl("GOMP_loop_start")
public func GOMP_loop_start(_ s: Int, _ e: Int, _ i: Int, _ sched: Int, _ c: Int, _ a: LP?, _ b: LP?,
                            _ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) -> Bool {
    takeExtras(reductions, mem)
    return startLong(s, e, i, sched & 0x7fff_ffff, c, ordered: false, a, b)
}

@_cdecl("GOMP_loop_ordered_start")
public func GOMP_loop_ordered_start(_ s: Int, _ e: Int, _ i: Int, _ sched: Int, _ c: Int, _ a: LP?, _ b: LP?,
                                    _ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) -> Bool {
    takeExtras(reductions, mem)
    return startLong(s, e, i, sched & 0x7fff_ffff, c, ordered: true, a, b)
}

@_cdecl("GOMP_loop_static_next") public func GOMP_loop_static_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_dynamic_next") public func GOMP_loop_dynamic_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_guided_next") public func GOMP_loop_guided_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_runtime_next") public func GOMP_loop_runtime_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_nonmonotonic_dynamic_next") public func GOMP_loop_nonmonotonic_dynamic_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_nonmonotonic_guided_next") public func GOMP_loop_nonmonotonic_guided_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_nonmonotonic_runtime_next") public func GOMP_loop_nonmonotonic_runtime_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_maybe_nonmonotonic_runtime_next") public func GOMP_loop_maybe_nonmonotonic_runtime_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_ordered_static_next") public func GOMP_loop_ordered_static_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_ordered_dynamic_next") public func GOMP_loop_ordered_dynamic_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_ordered_guided_next") public func GOMP_loop_ordered_guided_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }
@_cdecl("GOMP_loop_ordered_runtime_next") public func GOMP_loop_ordered_runtime_next(_ a: LP, _ b: LP) -> Bool { nextLong(a, b) }

// ---- loops with `unsigned long long` induction variables ----

public typealias UP = UnsafeMutablePointer<UInt64>

private func startULL(_ up: Bool, _ start: UInt64, _ end: UInt64, _ incr: UInt64, _ sched: Int, _ chunk: UInt64, ordered: Bool,
                      _ istart: UP?, _ iend: UP?) -> Bool {
    enter(); defer { leave() }
    let space = LoopSpace(start: start, end: end, incr: incr, up: up, signed: false)
    Work.startLoop(space: space, sched: sched, chunk: chunk, ordered: ordered)
    guard let istart, let iend else { return true }
    return nextRaw(UnsafeMutableRawPointer(istart), UnsafeMutableRawPointer(iend))
}

private func nextULL(_ istart: UP, _ iend: UP) -> Bool {
    enter(); defer { leave() }
    return nextRaw(UnsafeMutableRawPointer(istart), UnsafeMutableRawPointer(iend))
}

@_cdecl("GOMP_loop_ull_static_start") public func GOMP_loop_ull_static_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, S, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_dynamic_start") public func GOMP_loop_ull_dynamic_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, D, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_guided_start") public func GOMP_loop_ull_guided_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, G, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_dynamic_start") public func GOMP_loop_ull_nonmonotonic_dynamic_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, D, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_guided_start") public func GOMP_loop_ull_nonmonotonic_guided_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, G, c, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_runtime_start") public func GOMP_loop_ull_runtime_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_runtime_start") public func GOMP_loop_ull_nonmonotonic_runtime_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_maybe_nonmonotonic_runtime_start") public func GOMP_loop_ull_maybe_nonmonotonic_runtime_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, R, 0, ordered: false, a, b) }
@_cdecl("GOMP_loop_ull_ordered_static_start") public func GOMP_loop_ull_ordered_static_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, S, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ull_ordered_dynamic_start") public func GOMP_loop_ull_ordered_dynamic_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, D, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ull_ordered_guided_start") public func GOMP_loop_ull_ordered_guided_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ c: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, G, c, ordered: true, a, b) }
@_cdecl("GOMP_loop_ull_ordered_runtime_start") public func GOMP_loop_ull_ordered_runtime_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ a: UP, _ b: UP) -> Bool { startULL(u, s, e, i, R, 0, ordered: true, a, b) }

@_cdecl("GOMP_loop_ull_start")
public func GOMP_loop_ull_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ sched: Int, _ c: UInt64, _ a: UP?, _ b: UP?,
                                _ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) -> Bool {
    takeExtras(reductions, mem)
    return startULL(u, s, e, i, sched & 0x7fff_ffff, c, ordered: false, a, b)
}

@_cdecl("GOMP_loop_ull_ordered_start")
public func GOMP_loop_ull_ordered_start(_ u: Bool, _ s: UInt64, _ e: UInt64, _ i: UInt64, _ sched: Int, _ c: UInt64, _ a: UP?, _ b: UP?,
                                        _ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) -> Bool {
    takeExtras(reductions, mem)
    return startULL(u, s, e, i, sched & 0x7fff_ffff, c, ordered: true, a, b)
}

@_cdecl("GOMP_loop_ull_static_next") public func GOMP_loop_ull_static_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_dynamic_next") public func GOMP_loop_ull_dynamic_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_guided_next") public func GOMP_loop_ull_guided_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_runtime_next") public func GOMP_loop_ull_runtime_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_dynamic_next") public func GOMP_loop_ull_nonmonotonic_dynamic_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_guided_next") public func GOMP_loop_ull_nonmonotonic_guided_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_nonmonotonic_runtime_next") public func GOMP_loop_ull_nonmonotonic_runtime_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_maybe_nonmonotonic_runtime_next") public func GOMP_loop_ull_maybe_nonmonotonic_runtime_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_ordered_static_next") public func GOMP_loop_ull_ordered_static_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_ordered_dynamic_next") public func GOMP_loop_ull_ordered_dynamic_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_ordered_guided_next") public func GOMP_loop_ull_ordered_guided_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }
@_cdecl("GOMP_loop_ull_ordered_runtime_next") public func GOMP_loop_ull_ordered_runtime_next(_ a: UP, _ b: UP) -> Bool { nextULL(a, b) }

// ---- the end of a loop ----

@_cdecl("GOMP_loop_end") public func GOMP_loop_end() {
    enter(); defer { leave() }
    Work.finish()
    Sync.barrier()
}

@_cdecl("GOMP_loop_end_nowait") public func GOMP_loop_end_nowait() {
    enter(); defer { leave() }
    Work.finish()
}

/// Cancellation is never active (OMP_CANCELLATION=true is refused at start), so nothing is cancelled.
@_cdecl("GOMP_loop_end_cancel") public func GOMP_loop_end_cancel() -> Bool {
    GOMP_loop_end()
    return false
}

// ---- ordered ----

@_cdecl("GOMP_ordered_start") public func GOMP_ordered_start() {
    enter(); defer { leave() }
    Work.orderedStart()
}

/// The block's writes go to the section log; the token passes at the chunk's end (the next
/// GOMP_loop_*_next or the loop's end), as in libgomp.
@_cdecl("GOMP_ordered_end") public func GOMP_ordered_end() {
    enter(); defer { leave() }
    Work.orderedEnd()
}

// ---- sections ----

@_cdecl("GOMP_sections_start") public func GOMP_sections_start(_ count: UInt32) -> UInt32 {
    enter(); defer { leave() }
    Work.startSections(count: count)
    return Work.nextSection()
}

@_cdecl("GOMP_sections2_start")
public func GOMP_sections2_start(_ count: UInt32, _ reductions: UnsafeMutableRawPointer?, _ mem: UnsafeMutableRawPointer?) -> UInt32 {
    takeExtras(reductions, mem)
    return GOMP_sections_start(count)
}

@_cdecl("GOMP_sections_next") public func GOMP_sections_next() -> UInt32 {
    enter(); defer { leave() }
    return Work.nextSection()
}

@_cdecl("GOMP_sections_end") public func GOMP_sections_end() { GOMP_loop_end() }
@_cdecl("GOMP_sections_end_nowait") public func GOMP_sections_end_nowait() { GOMP_loop_end_nowait() }
@_cdecl("GOMP_sections_end_cancel") public func GOMP_sections_end_cancel() -> Bool {
    GOMP_loop_end()
    return false
}

// ---- single ----

@_cdecl("GOMP_single_start") public func GOMP_single_start() -> Bool {
    enter(); defer { leave() }
    return Work.singleExecutor()
}

/// copyprivate: the executor gets NULL and later calls GOMP_single_copy_end with its data; every
/// other thread waits for that and gets a pointer to the executor's data (on another rank: to a copy
/// of the executor's stack, see Sync.receiveCopy).
@_cdecl("GOMP_single_copy_start") public func GOMP_single_copy_start() -> UnsafeMutableRawPointer? {
    enter(); defer { leave() }
    if Work.singleExecutor() { return nil }
    Sync.barrier()
    return Sync.copyData
}

@_cdecl("GOMP_single_copy_end") public func GOMP_single_copy_end(_ data: UnsafeMutableRawPointer?) {
    enter(); defer { leave() }
    if cape_self()!.pointee.team_size <= 1 { return }
    guard let data else { fatal("GOMP_single_copy_end without data; please report this") }
    Sync.barrier(copy: data)
}

// ---- barriers and cancellation ----

@_cdecl("GOMP_barrier") public func GOMP_barrier() {
    enter(); defer { leave() }
    Sync.barrier()
}

@_cdecl("GOMP_barrier_cancel") public func GOMP_barrier_cancel() -> Bool {
    GOMP_barrier()
    return false
}

@_cdecl("GOMP_cancel") public func GOMP_cancel(_ which: Int32, _ doCancel: Bool) -> Bool { false }
@_cdecl("GOMP_cancellation_point") public func GOMP_cancellation_point(_ which: Int32) -> Bool { false }

/// `scope` (OpenMP 5.1): a block that all threads run; its barrier is a separate GOMP_barrier call.
@_cdecl("GOMP_scope_start") public func GOMP_scope_start(_ reductions: UnsafeMutableRawPointer?) {
    takeExtras(reductions, nil)
}
