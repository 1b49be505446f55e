// The omp_* user API that has a meaning for a team spread over ranks. Thread numbers and team
// sizes are team-wide; the queries are answered from the calling thread's state.
import CCapeShim
import Glibc

@_cdecl("omp_get_thread_num") public func omp_get_thread_num() -> Int32 { cape_self()!.pointee.thread_num }
@_cdecl("omp_get_num_threads") public func omp_get_num_threads() -> Int32 { cape_self()!.pointee.team_size }
@_cdecl("omp_get_max_threads") public func omp_get_max_threads() -> Int32 { Int32(Runtime.defaultTeam) }
@_cdecl("omp_in_parallel") public func omp_in_parallel() -> Int32 { cape_self()!.pointee.active_level > 0 ? 1 : 0 }
@_cdecl("omp_get_level") public func omp_get_level() -> Int32 { cape_self()!.pointee.level }
@_cdecl("omp_get_active_level") public func omp_get_active_level() -> Int32 { cape_self()!.pointee.active_level }

/// nthreads-var: the team size of the next region without a num_threads clause.
@_cdecl("omp_set_num_threads") public func omp_set_num_threads(_ n: Int32) {
    if n >= 1 { Runtime.defaultTeam = Int(n) }
}

/// The processors of the whole job: every rank's local threads.
@_cdecl("omp_get_num_procs") public func omp_get_num_procs() -> Int32 { Int32(Runtime.capacities.reduce(0, +)) }

@_cdecl("omp_get_wtime") public func omp_get_wtime() -> Double { wtime() }
@_cdecl("omp_get_wtick") public func omp_get_wtick() -> Double {
    var ts = timespec()
    clock_getres(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Dynamic adjustment of team sizes is not done; the specification allows ignoring the request.
@_cdecl("omp_get_dynamic") public func omp_get_dynamic() -> Int32 { 0 }
@_cdecl("omp_set_dynamic") public func omp_set_dynamic(_ on: Int32) {}

@_cdecl("omp_get_thread_limit") public func omp_get_thread_limit() -> Int32 { Int32.max }

// No offload devices: the whole job is the host.
@_cdecl("omp_get_num_devices") public func omp_get_num_devices() -> Int32 { 0 }
@_cdecl("omp_get_initial_device") public func omp_get_initial_device() -> Int32 { 0 }
@_cdecl("omp_get_default_device") public func omp_get_default_device() -> Int32 { 0 }
@_cdecl("omp_get_device_num") public func omp_get_device_num() -> Int32 { 0 }
@_cdecl("omp_is_initial_device") public func omp_is_initial_device() -> Int32 { 1 }
@_cdecl("omp_get_num_teams") public func omp_get_num_teams() -> Int32 { 1 }
@_cdecl("omp_get_team_num") public func omp_get_team_num() -> Int32 { 0 }

/// Stops the program at an entry point that is not implemented yet: never fall through to libgomp,
/// which would start threads outside the model.
func unsupported(_ name: StaticString) -> Never {
    fatal("\(name) is not supported yet (see the README's list of supported constructs)")
}
