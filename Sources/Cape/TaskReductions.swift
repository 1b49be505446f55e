// Task reductions: `taskgroup task_reduction`, `in_reduction` on `task` and `taskloop`, `taskloop
// reduction`, and the `task` modifier of `reduction` on `parallel`, worksharing loops, `sections`
// and `scope`.
//
// gcc's code describes the reductions of a construct in an array it owns (libgomp's format):
//   d[0] count, d[1] bytes of one thread's copies, d[2] alignment (the runtime puts the copies'
//   address there), d[3] allocator, d[4] the next array of the same construct (the runtime links
//   the last one to the enclosing construct's), d[5] and d[6] the runtime's (here: 1 on the first
//   array of a registration, and the copies' end), then per variable: its address, the offset of
//   its copy in a thread's chunk, and a word for the runtime.
// The runtime gives the construct one zeroed chunk per thread of the team; gcc's code initializes
// and combines the copies; a task's GOMP_task_reduction_remap turns original addresses into the
// addresses of its thread's copies.
//
// Tasks run where they are created (tasks.c), so a task's reductions are those its creating
// thread registered last: each thread keeps that as a stack, pushed by taskgroup start, popped by
// taskgroup end. Where every thread of a distributed team uses one set of copies (the `task`
// modifier on `parallel` and on worksharing constructs) and one thread then combines all of them,
// the copies must be the same memory on every rank, and travel: for `parallel` they are allocated
// in sequential code from the program's heap (the same address on every rank; the region's end
// carries them), for worksharing constructs they come from TeamBlocks like a scan's slots.
import CCapeShim
import CCapeSys
import Glibc

enum TaskReductions {
    /// A thread's registrations: the current one (0: none of its own) and the level it was made at;
    /// below, what each open taskgroup found.
    private struct Slot { var head: UInt = 0; var level: Int32 = 0; var saved: [(UInt, Int32, UInt64)] = [] }
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<Slot> = {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: Slot(), count: Runtime.maxLocalThreads + 1)
        return p
    }()
    /// The reductions of the `parallel` construct being run (GOMP_parallel_reductions): what the
    /// implicit tasks of its team start with. Read by the team's threads, written only around it.
    nonisolated(unsafe) private static var parallelHead: UInt = 0
    nonisolated(unsafe) private static var parallelLevel: Int32 = -1

    private static func slot() -> UnsafeMutablePointer<Slot> {
        let t = cape_self()!.pointee
        return slots + (t.local_index >= 0 ? Int(t.local_index) : Runtime.maxLocalThreads)
    }

    /// The reductions a task created now would see: the thread's own, made at this level, else
    /// those of the `parallel` whose implicit task the thread runs.
    private static func head() -> UInt {
        let s = slot().pointee
        let level = cape_self()!.pointee.level
        if s.head != 0 && s.level >= level { return s.head }
        if level == parallelLevel { return parallelHead }
        return s.head
    }

    private static func setHead(_ h: UInt) {
        let s = slot()
        s.pointee.head = h
        s.pointee.level = cape_self()!.pointee.level
    }

    static func taskgroupStarts() {
        let s = slot()
        s.pointee.saved.append((s.pointee.head, s.pointee.level, cape_tasks_taskgroup_begin()))
        setHead(head())
    }

    static func taskgroupEnds() {
        let s = slot()
        guard let (h, l, mark) = s.pointee.saved.popLast() else { return }
        cape_tasks_taskgroup_end(mark)
        s.pointee.head = h
        s.pointee.level = l
    }

    private static func word(_ d: UInt, _ i: Int) -> UnsafeMutablePointer<UInt> {
        UnsafeMutablePointer<UInt>(bitPattern: d)! + i
    }

    /// Where the copies of a registration come from.
    enum Memory { case thread, programHeap, team }

    /// Gives every array of the chain at `data` its copies for `threads` threads and makes it the
    /// calling thread's current registration, linked to the one before.
    static func register(_ data: UInt, threads: Int, memory: Memory) {
        let old = head()
        var d = data
        word(d, 5).pointee = 1
        while true {
            let bytes = Int(word(d, 1).pointee) * max(1, threads)
            let align = max(16, Int(word(d, 2).pointee))
            let p = allocate(bytes, align: align, memory)
            word(d, 2).pointee = UInt(bitPattern: p)
            word(d, 6).pointee = UInt(bitPattern: p) + UInt(bytes)
            if word(d, 4).pointee == 0 {
                word(d, 4).pointee = old
                break
            }
            d = word(d, 4).pointee
            word(d, 5).pointee = 0
        }
        setHead(data)
    }

    private static func allocate(_ bytes: Int, align: Int, _ memory: Memory) -> UnsafeMutableRawPointer {
        switch memory {
        case .team:
            // Zeroed, at the same address on every rank, alive until the region ends.
            let block = TeamBlocks.block(max(bytes, 1) + align)
            return UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) + UInt(align) - 1) & ~(UInt(align) - 1))!
        case .programHeap, .thread:
            var p: UnsafeMutableRawPointer?
            let t = cape_self()!
            let depth = t.pointee.rt_depth
            // The program's heap: allocated in sequential code, the same on every rank.
            if memory == .programHeap { t.pointee.rt_depth = 0 }
            let rc = posix_memalign(&p, align, max(bytes, 1))
            t.pointee.rt_depth = depth
            if rc != 0 || p == nil { fatal("out of memory for the private copies of task reductions (\(bytes) bytes)") }
            memset(p!, 0, max(bytes, 1))
            return p!
        }
    }

    /// GOMP_taskgroup_reduction_unregister: the copies go back (those of TeamBlocks at the region's end).
    static func unregister(_ data: UInt) {
        var d = data
        while true {
            let p = UnsafeMutableRawPointer(bitPattern: word(d, 2).pointee)
            if let p, !TeamBlocks.owns(p) {
                let t = cape_self()!
                let depth = t.pointee.rt_depth
                if cape_arena_owns(p) == 0 { t.pointee.rt_depth = 0 }
                free(p)
                t.pointee.rt_depth = depth
            }
            d = word(d, 4).pointee
            if d == 0 || word(d, 5).pointee != 0 { break }
        }
    }

    /// GOMP_task_reduction_remap: ptrs[i] (an original list item, or a copy of another thread)
    /// becomes the calling thread's copy; for i < cntorig, ptrs[cnt + i] the original.
    static func remap(_ cnt: Int, _ cntorig: Int, _ ptrs: UnsafeMutablePointer<UInt>) {
        let id = UInt(max(0, cape_self()!.pointee.thread_num))
        let first = head()
        for i in 0..<cnt {
            var d = first
            var done = false
            while d != 0 && !done {
                let n = Int(word(d, 0).pointee), chunk = word(d, 1).pointee, base = word(d, 2).pointee
                for j in 0..<n where word(d, 7 + 3 * j).pointee == ptrs[i] {
                    let original = ptrs[i]
                    ptrs[i] = base + id * chunk + word(d, 7 + 3 * j + 1).pointee
                    if i < cntorig { ptrs[cnt + i] = original }
                    done = true
                    break
                }
                if !done && ptrs[i] >= base && ptrs[i] < word(d, 6).pointee && chunk > 0 {
                    let off = (ptrs[i] - base) % chunk
                    ptrs[i] = base + id * chunk + off
                    if i < cntorig {
                        for j in 0..<n where word(d, 7 + 3 * j + 1).pointee == off { ptrs[cnt + i] = word(d, 7 + 3 * j).pointee }
                    }
                    done = true
                }
                d = word(d, 4).pointee
            }
            if !done {
                fatal("a task's in_reduction item at 0x\(String(ptrs[i], radix: 16)) has no matching task_reduction or reduction "
                    + "with the task modifier (check the enclosing taskgroup)")
            }
        }
    }

    /// GOMP_parallel_reductions, before the region: the copies for its team, from the program's
    /// heap. Returns the team size the region will have.
    static func parallelBegins(_ data: UInt, numThreads: UInt32, flags: UInt32) -> (threads: Int, saved: (UInt, Int32)) {
        let t = cape_self()!.pointee
        let threads = t.level == 0 ? Region.layout(numThreads).size : Region.nestedSize(numThreads, flags)
        let saved = (parallelHead, parallelLevel)
        let own = slot().pointee
        register(data, threads: threads, memory: t.level == 0 ? .programHeap : .thread)
        slot().pointee.head = own.head
        slot().pointee.level = own.level
        parallelHead = data
        parallelLevel = t.level + 1
        return (threads, saved)
    }

    static func parallelEnds(_ saved: (UInt, Int32)) {
        (parallelHead, parallelLevel) = saved
    }

    /// The `reductions` argument of a worksharing construct's start: a taskgroup around the
    /// construct whose copies are the team's.
    static func worksharingStarts(_ data: UInt) {
        taskgroupStarts()
        let t = cape_self()!.pointee
        register(data, threads: Int(t.team_size), memory: t.team_size > 1 ? .team : .thread)
    }

    /// GOMP_workshare_task_reduction_unregister: the construct's taskgroup ends, then its barrier.
    static func worksharingEnds(cancelled: Bool) {
        let data = slot().pointee.head
        taskgroupEnds()
        if data != 0 { unregister(data) } // the team's copies (TeamBlocks) stay until the region ends
        if !cancelled { Sync.barrier() }
    }
}

@inline(__always) private func enter() { cape_self()!.pointee.rt_depth += 1 }
@inline(__always) private func leave() { cape_self()!.pointee.rt_depth -= 1 }

@_cdecl("GOMP_taskgroup_start") public func GOMP_taskgroup_start() {
    enter(); defer { leave() }
    TaskReductions.taskgroupStarts()
}

@_cdecl("GOMP_taskgroup_end") public func GOMP_taskgroup_end() {
    enter(); defer { leave() }
    TaskReductions.taskgroupEnds()
}

@_cdecl("GOMP_taskgroup_reduction_register") public func GOMP_taskgroup_reduction_register(_ data: UnsafeMutablePointer<UInt>) {
    enter(); defer { leave() }
    TaskReductions.register(UInt(bitPattern: data), threads: Int(max(1, cape_self()!.pointee.team_size)), memory: .thread)
}

@_cdecl("GOMP_taskgroup_reduction_unregister") public func GOMP_taskgroup_reduction_unregister(_ data: UnsafeMutablePointer<UInt>) {
    enter(); defer { leave() }
    TaskReductions.unregister(UInt(bitPattern: data))
}

@_cdecl("GOMP_task_reduction_remap") public func GOMP_task_reduction_remap(_ cnt: Int, _ cntorig: Int, _ ptrs: UnsafeMutablePointer<UInt>) {
    enter(); defer { leave() }
    TaskReductions.remap(cnt, cntorig, ptrs)
}

@_cdecl("GOMP_workshare_task_reduction_unregister") public func GOMP_workshare_task_reduction_unregister(_ cancelled: Bool) {
    enter(); defer { leave() }
    TaskReductions.worksharingEnds(cancelled: cancelled)
}

/// Called by GOMP_parallel_reductions (tasks.c) around its GOMP_parallel.
@_cdecl("cape_swift_parallel_reductions_begin")
func capeSwiftParallelReductionsBegin(_ data: UInt, _ numThreads: UInt32, _ flags: UInt32, _ saved: UnsafeMutablePointer<UInt>) -> UInt32 {
    let r = TaskReductions.parallelBegins(data, numThreads: numThreads, flags: flags)
    saved[0] = r.saved.0
    saved[1] = UInt(bitPattern: Int(r.saved.1))
    return UInt32(r.threads)
}

@_cdecl("cape_swift_parallel_reductions_end")
func capeSwiftParallelReductionsEnd(_ saved: UnsafeMutablePointer<UInt>) {
    TaskReductions.parallelEnds((saved[0], Int32(truncatingIfNeeded: Int(bitPattern: saved[1]))))
}
