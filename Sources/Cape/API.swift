// The omp_* user API that has a meaning for a team spread over ranks. Thread numbers and team
// sizes are team-wide; the queries are answered from the calling thread's state. The Fortran
// entry points (name_, and name_8_ with 64-bit integers) take their arguments by address.
//
// Nested parallel regions always run serialized (a team of one, one level deeper, not active);
// only the outermost region is spread over the ranks.
import CCapeShim
import Glibc

/// Runs `body` as runtime code: what it allocates (strings, arrays, lazily built globals) comes
/// from the runtime arena, never from the program's heap, which must stay identical on every rank.
@inline(__always) func asRuntime<T>(_ body: () -> T) -> T {
    let t = cape_self()!
    t.pointee.rt_depth += 1
    defer { t.pointee.rt_depth -= 1 }
    return body()
}

// ---- Threads, teams and levels ----

@_cdecl("omp_get_thread_num") public func omp_get_thread_num() -> Int32 { cape_self()!.pointee.thread_num }
@_cdecl("omp_get_num_threads") public func omp_get_num_threads() -> Int32 { cape_self()!.pointee.team_size }
@_cdecl("omp_in_parallel") public func omp_in_parallel() -> Int32 { cape_self()!.pointee.active_level > 0 ? 1 : 0 }
@_cdecl("omp_get_level") public func omp_get_level() -> Int32 { cape_self()!.pointee.level }
@_cdecl("omp_get_active_level") public func omp_get_active_level() -> Int32 { cape_self()!.pointee.active_level }

/// Level 1 is the outermost region. A deeper level is a nested team's (NestedTeam.swift), which
/// knows the levels above it, or a serialized region, where every thread is thread 0 of a team of one.
@_cdecl("omp_get_ancestor_thread_num") public func omp_get_ancestor_thread_num(_ level: Int32) -> Int32 {
    ancestor(level).num
}

@_cdecl("omp_get_team_size") public func omp_get_team_size(_ level: Int32) -> Int32 {
    ancestor(level).size
}

private func ancestor(_ level: Int32) -> (num: Int32, size: Int32) {
    let t = cape_self()!.pointee
    if level < 0 || level > t.level { return (-1, -1) }
    if level == t.level { return (t.thread_num, t.team_size) }
    if level == 0 { return (0, 1) }
    if let p = t.nest {
        let team = Unmanaged<NestedTeam>.fromOpaque(p).takeUnretainedValue()
        if level == team.level { return (t.nest_thread_num, Int32(team.size)) }
        if level < team.level { return team.ancestors[Int(level)] }
        return (0, 1)
    }
    return level == 1 ? (t.top_thread_num, t.top_team_size) : (0, 1)
}

@_cdecl("omp_get_thread_num_") public func omp_get_thread_num_() -> Int32 { omp_get_thread_num() }
@_cdecl("omp_get_num_threads_") public func omp_get_num_threads_() -> Int32 { omp_get_num_threads() }
@_cdecl("omp_in_parallel_") public func omp_in_parallel_() -> Int32 { omp_in_parallel() }
@_cdecl("omp_get_level_") public func omp_get_level_() -> Int32 { omp_get_level() }
@_cdecl("omp_get_active_level_") public func omp_get_active_level_() -> Int32 { omp_get_active_level() }
@_cdecl("omp_get_ancestor_thread_num_") public func omp_get_ancestor_thread_num_(_ level: UnsafePointer<Int32>) -> Int32 {
    omp_get_ancestor_thread_num(level.pointee)
}
@_cdecl("omp_get_ancestor_thread_num_8_") public func omp_get_ancestor_thread_num_8_(_ level: UnsafePointer<Int64>) -> Int32 {
    omp_get_ancestor_thread_num(clampToInt32(level.pointee))
}
@_cdecl("omp_get_team_size_") public func omp_get_team_size_(_ level: UnsafePointer<Int32>) -> Int32 {
    omp_get_team_size(level.pointee)
}
@_cdecl("omp_get_team_size_8_") public func omp_get_team_size_8_(_ level: UnsafePointer<Int64>) -> Int32 {
    omp_get_team_size(clampToInt32(level.pointee))
}

func clampToInt32(_ v: Int64) -> Int32 { Int32(clamping: v) }

// ---- Per-task ICVs: nthreads-var, dyn-var, max-active-levels-var, default-device-var, def-allocator-var ----

/// nthreads-var: the team size of the next region without a num_threads clause. Inside a region
/// the value belongs to the calling thread's task (see `ICV`).
@_cdecl("omp_set_num_threads") public func omp_set_num_threads(_ n: Int32) {
    asRuntime { ICV.update { $0.nthreads = Int(max(n, 1)) } }
}
@_cdecl("omp_get_max_threads") public func omp_get_max_threads() -> Int32 {
    if cape_self()!.pointee.level == 0 { return Int32(clamping: Runtime.defaultTeam) }
    return asRuntime { Int32(clamping: ICV.current().nthreads) }
}

/// Dynamic adjustment is allowed to give a region fewer threads than asked; libcape never does,
/// which the specification permits, so dyn-var is only stored and reported.
@_cdecl("omp_set_dynamic") public func omp_set_dynamic(_ on: Int32) {
    asRuntime { ICV.update { $0.dynamic = on != 0 } }
}
@_cdecl("omp_get_dynamic") public func omp_get_dynamic() -> Int32 { asRuntime { ICV.current().dynamic ? 1 : 0 } }

/// The deepest nesting of active regions this runtime reports, as libgomp does. Nested regions
/// still run serialized whatever max-active-levels-var says: the specification lets a runtime give
/// a nested region fewer threads than it asks for, and only the outermost region is spread over
/// the ranks.
let supportedActiveLevels: Int32 = 255

@_cdecl("omp_set_max_active_levels") public func omp_set_max_active_levels(_ levels: Int32) {
    guard levels >= 0 else { return }
    asRuntime { ICV.update { $0.maxActiveLevels = min(levels, supportedActiveLevels) } }
}
@_cdecl("omp_get_max_active_levels") public func omp_get_max_active_levels() -> Int32 {
    asRuntime { ICV.current().maxActiveLevels }
}
@_cdecl("omp_get_supported_active_levels") public func omp_get_supported_active_levels() -> Int32 { supportedActiveLevels }

/// Deprecated: nesting on means max-active-levels-var at its maximum; off means at most 1.
@_cdecl("omp_set_nested") public func omp_set_nested(_ on: Int32) {
    asRuntime {
        ICV.update {
            if on != 0 { $0.maxActiveLevels = supportedActiveLevels } else { $0.maxActiveLevels = min($0.maxActiveLevels, 1) }
        }
    }
}
@_cdecl("omp_get_nested") public func omp_get_nested() -> Int32 {
    let active = cape_self()!.pointee.active_level
    let levels = asRuntime { ICV.current().maxActiveLevels }
    return levels > 1 && levels > active ? 1 : 0
}

@_cdecl("omp_set_num_threads_") public func omp_set_num_threads_(_ n: UnsafePointer<Int32>) { omp_set_num_threads(n.pointee) }
@_cdecl("omp_set_num_threads_8_") public func omp_set_num_threads_8_(_ n: UnsafePointer<Int64>) {
    omp_set_num_threads(clampToInt32(n.pointee))
}
@_cdecl("omp_get_max_threads_") public func omp_get_max_threads_() -> Int32 { omp_get_max_threads() }
@_cdecl("omp_set_dynamic_") public func omp_set_dynamic_(_ on: UnsafePointer<Int32>) { omp_set_dynamic(on.pointee) }
@_cdecl("omp_set_dynamic_8_") public func omp_set_dynamic_8_(_ on: UnsafePointer<Int64>) { omp_set_dynamic(on.pointee != 0 ? 1 : 0) }
@_cdecl("omp_get_dynamic_") public func omp_get_dynamic_() -> Int32 { omp_get_dynamic() }
@_cdecl("omp_set_max_active_levels_") public func omp_set_max_active_levels_(_ levels: UnsafePointer<Int32>) {
    omp_set_max_active_levels(levels.pointee)
}
@_cdecl("omp_set_max_active_levels_8_") public func omp_set_max_active_levels_8_(_ levels: UnsafePointer<Int64>) {
    omp_set_max_active_levels(clampToInt32(levels.pointee))
}
@_cdecl("omp_get_max_active_levels_") public func omp_get_max_active_levels_() -> Int32 { omp_get_max_active_levels() }
@_cdecl("omp_get_supported_active_levels_") public func omp_get_supported_active_levels_() -> Int32 { supportedActiveLevels }
@_cdecl("omp_set_nested_") public func omp_set_nested_(_ on: UnsafePointer<Int32>) { omp_set_nested(on.pointee) }
@_cdecl("omp_set_nested_8_") public func omp_set_nested_8_(_ on: UnsafePointer<Int64>) { omp_set_nested(on.pointee != 0 ? 1 : 0) }
@_cdecl("omp_get_nested_") public func omp_get_nested_() -> Int32 { omp_get_nested() }

// ---- ICVs read from the environment only ----

/// thread-limit-var: OMP_THREAD_LIMIT, else unlimited. A region's team is at most this large
/// (Region.layout).
@_cdecl("omp_get_thread_limit") public func omp_get_thread_limit() -> Int32 {
    asRuntime { Int32(clamping: OMPEnvironment.shared.threadLimit) }
}
@_cdecl("omp_get_max_task_priority") public func omp_get_max_task_priority() -> Int32 {
    asRuntime { OMPEnvironment.shared.maxTaskPriority }
}
/// cancel-var as OMP_CANCELLATION sets it; the cancel constructs themselves stop the program.
@_cdecl("omp_get_cancellation") public func omp_get_cancellation() -> Int32 {
    asRuntime { OMPEnvironment.shared.cancellation ? 1 : 0 }
}
@_cdecl("omp_get_thread_limit_") public func omp_get_thread_limit_() -> Int32 { omp_get_thread_limit() }
@_cdecl("omp_get_max_task_priority_") public func omp_get_max_task_priority_() -> Int32 { omp_get_max_task_priority() }
@_cdecl("omp_get_cancellation_") public func omp_get_cancellation_() -> Int32 { omp_get_cancellation() }

// ---- Processors, places and binding ----

/// The processors of the whole job: every rank's local threads.
@_cdecl("omp_get_num_procs") public func omp_get_num_procs() -> Int32 { Int32(clamping: Runtime.capacities.reduce(0, +)) }
@_cdecl("omp_get_num_procs_") public func omp_get_num_procs_() -> Int32 { omp_get_num_procs() }

// Threads are never bound and there is no place list: bind-var is false, as for libgomp with
// OMP_PROC_BIND and OMP_PLACES unset.
@_cdecl("omp_get_proc_bind") public func omp_get_proc_bind() -> Int32 { 0 }
@_cdecl("omp_get_num_places") public func omp_get_num_places() -> Int32 { 0 }
@_cdecl("omp_get_place_num_procs") public func omp_get_place_num_procs(_ place: Int32) -> Int32 { 0 }
@_cdecl("omp_get_place_proc_ids") public func omp_get_place_proc_ids(_ place: Int32, _ ids: UnsafeMutablePointer<Int32>?) {}
@_cdecl("omp_get_place_num") public func omp_get_place_num() -> Int32 { -1 }
@_cdecl("omp_get_partition_num_places") public func omp_get_partition_num_places() -> Int32 { 0 }
@_cdecl("omp_get_partition_place_nums") public func omp_get_partition_place_nums(_ places: UnsafeMutablePointer<Int32>?) {}

@_cdecl("omp_get_proc_bind_") public func omp_get_proc_bind_() -> Int32 { 0 }
@_cdecl("omp_get_num_places_") public func omp_get_num_places_() -> Int32 { 0 }
@_cdecl("omp_get_place_num_procs_") public func omp_get_place_num_procs_(_ place: UnsafePointer<Int32>) -> Int32 { 0 }
@_cdecl("omp_get_place_num_procs_8_") public func omp_get_place_num_procs_8_(_ place: UnsafePointer<Int64>) -> Int32 { 0 }
@_cdecl("omp_get_place_proc_ids_") public func omp_get_place_proc_ids_(_ place: UnsafePointer<Int32>, _ ids: UnsafeMutablePointer<Int32>?) {}
@_cdecl("omp_get_place_proc_ids_8_") public func omp_get_place_proc_ids_8_(_ place: UnsafePointer<Int64>, _ ids: UnsafeMutablePointer<Int64>?) {}
@_cdecl("omp_get_place_num_") public func omp_get_place_num_() -> Int32 { -1 }
@_cdecl("omp_get_partition_num_places_") public func omp_get_partition_num_places_() -> Int32 { 0 }
@_cdecl("omp_get_partition_place_nums_") public func omp_get_partition_place_nums_(_ places: UnsafeMutablePointer<Int32>?) {}
@_cdecl("omp_get_partition_place_nums_8_") public func omp_get_partition_place_nums_8_(_ places: UnsafeMutablePointer<Int64>?) {}

// ---- Time ----

@_cdecl("omp_get_wtime") public func omp_get_wtime() -> Double { JobClock.wtime() }
@_cdecl("omp_get_wtick") public func omp_get_wtick() -> Double {
    var ts = timespec()
    clock_getres(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
@_cdecl("omp_get_wtime_") public func omp_get_wtime_() -> Double { omp_get_wtime() }
@_cdecl("omp_get_wtick_") public func omp_get_wtick_() -> Double { omp_get_wtick() }

// ---- Devices and teams ----

// No offload devices: the whole job is the host, device number 0, which is also the number of
// devices (the host's number is omp_get_num_devices(), as in libgomp).
@_cdecl("omp_get_num_devices") public func omp_get_num_devices() -> Int32 { 0 }
@_cdecl("omp_get_initial_device") public func omp_get_initial_device() -> Int32 { omp_get_num_devices() }
@_cdecl("omp_get_device_num") public func omp_get_device_num() -> Int32 { omp_get_initial_device() }
@_cdecl("omp_is_initial_device") public func omp_is_initial_device() -> Int32 { 1 }
@_cdecl("omp_get_num_teams") public func omp_get_num_teams() -> Int32 { 1 }
@_cdecl("omp_get_team_num") public func omp_get_team_num() -> Int32 { 0 }

/// default-device-var is stored (a negative number becomes 0, as in libgomp) though no device but
/// the host exists.
@_cdecl("omp_set_default_device") public func omp_set_default_device(_ device: Int32) {
    asRuntime { ICV.update { $0.defaultDevice = max(device, 0) } }
}
@_cdecl("omp_get_default_device") public func omp_get_default_device() -> Int32 { asRuntime { ICV.current().defaultDevice } }

// nteams-var and teams-thread-limit-var belong to the device: one value per rank, which the
// sequential code keeps equal on every rank. No teams construct runs.
@_cdecl("omp_set_num_teams") public func omp_set_num_teams(_ n: Int32) {
    guard n >= 0 else { return }
    asRuntime { DeviceICV.numTeams = n }
}
@_cdecl("omp_get_max_teams") public func omp_get_max_teams() -> Int32 { asRuntime { DeviceICV.numTeams } }
@_cdecl("omp_set_teams_thread_limit") public func omp_set_teams_thread_limit(_ n: Int32) {
    guard n >= 0 else { return }
    asRuntime { DeviceICV.teamsThreadLimit = n }
}
@_cdecl("omp_get_teams_thread_limit") public func omp_get_teams_thread_limit() -> Int32 { asRuntime { DeviceICV.teamsThreadLimit } }

@_cdecl("omp_get_num_devices_") public func omp_get_num_devices_() -> Int32 { omp_get_num_devices() }
@_cdecl("omp_get_initial_device_") public func omp_get_initial_device_() -> Int32 { omp_get_initial_device() }
@_cdecl("omp_get_device_num_") public func omp_get_device_num_() -> Int32 { omp_get_device_num() }
@_cdecl("omp_is_initial_device_") public func omp_is_initial_device_() -> Int32 { omp_is_initial_device() }
@_cdecl("omp_get_num_teams_") public func omp_get_num_teams_() -> Int32 { omp_get_num_teams() }
@_cdecl("omp_get_team_num_") public func omp_get_team_num_() -> Int32 { omp_get_team_num() }
@_cdecl("omp_set_default_device_") public func omp_set_default_device_(_ d: UnsafePointer<Int32>) { omp_set_default_device(d.pointee) }
@_cdecl("omp_set_default_device_8_") public func omp_set_default_device_8_(_ d: UnsafePointer<Int64>) {
    omp_set_default_device(clampToInt32(d.pointee))
}
@_cdecl("omp_get_default_device_") public func omp_get_default_device_() -> Int32 { omp_get_default_device() }
@_cdecl("omp_set_num_teams_") public func omp_set_num_teams_(_ n: UnsafePointer<Int32>) { omp_set_num_teams(n.pointee) }
@_cdecl("omp_set_num_teams_8_") public func omp_set_num_teams_8_(_ n: UnsafePointer<Int64>) { omp_set_num_teams(clampToInt32(n.pointee)) }
@_cdecl("omp_get_max_teams_") public func omp_get_max_teams_() -> Int32 { omp_get_max_teams() }
@_cdecl("omp_set_teams_thread_limit_") public func omp_set_teams_thread_limit_(_ n: UnsafePointer<Int32>) {
    omp_set_teams_thread_limit(n.pointee)
}
@_cdecl("omp_set_teams_thread_limit_8_") public func omp_set_teams_thread_limit_8_(_ n: UnsafePointer<Int64>) {
    omp_set_teams_thread_limit(clampToInt32(n.pointee))
}
@_cdecl("omp_get_teams_thread_limit_") public func omp_get_teams_thread_limit_() -> Int32 { omp_get_teams_thread_limit() }

// ---- Where the ICVs live ----

/// The ICVs of a task's data environment that omp_set_* routines change.
struct TaskICVs {
    var nthreads: Int
    var dynamic: Bool
    var maxActiveLevels: Int32
    var defaultDevice: Int32
    var defaultAllocator: UInt
}

/// The initial task's values live in globals: the sequential code runs on every rank, so they are
/// the same everywhere (nthreads-var is `Runtime.defaultTeam`). A task inside a region inherits
/// them; a change it makes is recorded for the calling thread only, tagged with the level it was
/// made at, and forgotten when the thread is back at a lower level or in another region. Each
/// level of the OMP_NUM_THREADS list gives nthreads-var for that level.
///
/// Regions are recognized by their number, which only regions spread over the ranks advance: a
/// change made inside a nested region, or inside an outermost region of one thread, stays visible
/// to a later sibling region of the same thread until the next spread region begins.
/// Call only as runtime code (`asRuntime`).
enum ICV {
    private struct Frame { var level: Int32; var values: TaskICVs }
    private struct Slot { var region: UInt64 = .max; var frames: [Frame] = [] }

    nonisolated(unsafe) private static var initial: TaskICVs = {
        let env = OMPEnvironment.shared
        return TaskICVs(nthreads: 0, dynamic: env.dynamic, maxActiveLevels: env.maxActiveLevels,
                        defaultDevice: env.defaultDevice, defaultAllocator: env.allocator)
    }()

    /// One slot per local thread (by local index) and one for the master in a region of one thread.
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<Slot> = {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: Slot(), count: Runtime.maxLocalThreads + 1)
        return p
    }()

    private static func sequential() -> TaskICVs {
        var v = initial
        v.nthreads = Runtime.defaultTeam
        return v
    }

    private static func slot(_ t: cape_thread_t) -> UnsafeMutablePointer<Slot> {
        let s = slots + (t.local_index >= 0 ? Int(t.local_index) : Runtime.maxLocalThreads)
        if s.pointee.region != Region.seq {
            s.pointee.region = Region.seq
            s.pointee.frames.removeAll()
        }
        while let last = s.pointee.frames.last, last.level > t.level { s.pointee.frames.removeLast() }
        return s
    }

    /// The values of the calling thread's current task.
    static func current() -> TaskICVs {
        let t = cape_self()!.pointee
        var v = sequential()
        guard t.level > 0 else { return v }
        let list = OMPEnvironment.shared.numThreads
        let frames = slot(t).pointee.frames
        var f = 0
        for level in 1...Int(t.level) {
            if level < list.count { v.nthreads = list[level] }
            if f < frames.count && frames[f].level == level {
                v = frames[f].values
                f += 1
            }
        }
        return v
    }

    /// What a task found when it started: it is put back when the task ends, so that what the
    /// task set (omp_set_num_threads in an `if(0)` task) stays the task's.
    private struct Saved { var region: UInt64; var frames: [Frame]; var initial: TaskICVs; var defaultTeam: Int }
    nonisolated(unsafe) private static let saved: UnsafeMutablePointer<[Saved]> = {
        let p = UnsafeMutablePointer<[Saved]>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: [], count: Runtime.maxLocalThreads + 1)
        return p
    }()

    private static func savedIndex(_ t: cape_thread_t) -> Int { t.local_index >= 0 ? Int(t.local_index) : Runtime.maxLocalThreads }

    static func taskBegins() {
        let t = cape_self()!.pointee
        let s = slot(t)
        saved[savedIndex(t)].append(Saved(region: s.pointee.region, frames: s.pointee.frames, initial: initial, defaultTeam: Runtime.defaultTeam))
    }

    static func taskEnds() {
        let t = cape_self()!.pointee
        guard let v = saved[savedIndex(t)].popLast() else { return }
        let s = slot(t)
        if s.pointee.region == v.region { s.pointee.frames = v.frames }
        if t.level == 0 {
            initial = v.initial
            Runtime.defaultTeam = v.defaultTeam
        }
    }

    /// The calling thread starts an implicit task of a nested team: a member other than the master
    /// starts from `values` (its parent task's), the master from what it has.
    static func enterNested(_ values: TaskICVs?) {
        let t = cape_self()!.pointee
        let s = slot(t)
        s.pointee.frames.removeAll { $0.level >= t.level }
        if let values { s.pointee.frames = [Frame(level: t.level, values: values)] }
    }

    static func update(_ change: (inout TaskICVs) -> Void) {
        let t = cape_self()!.pointee
        if t.level == 0 {
            var v = sequential()
            change(&v)
            Runtime.defaultTeam = v.nthreads
            initial = v
            return
        }
        var v = current()
        change(&v)
        let s = slot(t)
        if let last = s.pointee.frames.last, last.level == t.level {
            s.pointee.frames[s.pointee.frames.count - 1].values = v
        } else {
            s.pointee.frames.append(Frame(level: t.level, values: v))
        }
    }
}

@_cdecl("cape_swift_task_begin") func capeSwiftTaskBegin() { ICV.taskBegins() }
@_cdecl("cape_swift_task_end") func capeSwiftTaskEnd() { ICV.taskEnds() }

/// ICVs that belong to the device (set from any thread, one value per rank).
enum DeviceICV {
    nonisolated(unsafe) static var numTeams: Int32 = OMPEnvironment.shared.numTeams
    nonisolated(unsafe) static var teamsThreadLimit: Int32 = OMPEnvironment.shared.teamsThreadLimit
}

/// Stops the program at an entry point that is not implemented yet: never fall through to libgomp,
/// which would start threads outside the model.
func unsupported(_ name: StaticString) -> Never {
    fatalEverywhere("\(name) is not supported yet (see the README's list of supported constructs)")
}
