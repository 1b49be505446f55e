// The rest of the omp_* API: the OMP_* settings, affinity format and display, omp_display_env,
// memory allocators (and gcc's GOMP_alloc/GOMP_free), and host-only device memory.
import CCapeShim
import CCapeSys
import Glibc

// ---- OMP_* environment variables ----

/// The OMP_* variables libcape reports, read with getenv on first use. An invalid value is
/// ignored with a warning from rank 0, as libgomp does.
struct OMPEnvironment {
    static let shared = OMPEnvironment()

    /// OMP_NUM_THREADS as a list (element i: nthreads-var at level i); empty when unset or invalid.
    var numThreads: [Int] = []
    /// What nthreads-var started as (the runtime takes the first element of OMP_NUM_THREADS).
    var initialThreads = 1
    var dynamic = false
    var maxActiveLevels: Int32 = 1
    var threadLimit: UInt64 = UInt64(UInt32.max)
    var maxTaskPriority: Int32 = 0
    var cancellation = false
    var defaultDevice: Int32 = 0
    var numTeams: Int32 = 0
    var teamsThreadLimit: Int32 = 0
    var affinityFormat: [UInt8] = Array("level %L thread %i affinity %A".utf8)
    var allocator: UInt = Allocators.defaultMem
    /// OMP_SCHEDULE as omp_display_env shows it.
    var schedule = "DYNAMIC"

    private init() {
        if let v = Self.get("OMP_NUM_THREADS") {
            let items = v.split(separator: ",", omittingEmptySubsequences: false).map { Self.trim(String($0)) }
            let numbers = items.compactMap { Int($0) }.filter { $0 > 0 && $0 <= Int(Int32.max) }
            if numbers.count == items.count { numThreads = numbers }
            if let first = v.split(separator: ",").first, let n = Int(first), n > 0 { initialThreads = n }
            else { initialThreads = Runtime.capacities.reduce(0, +) }
        } else {
            initialThreads = Runtime.capacities.reduce(0, +)
        }
        if let b = Self.bool("OMP_DYNAMIC") { dynamic = b }
        let nested = Self.bool("OMP_NESTED")
        // As libgomp: nesting is on when asked for, or when a list gives values for inner levels.
        let bindList = (Self.get("OMP_PROC_BIND") ?? "").contains(",")
        if let n = Self.integer("OMP_MAX_ACTIVE_LEVELS", min: 0, max: Int(UInt32.max)) {
            maxActiveLevels = Int32(min(n, Int(supportedActiveLevels)))
        } else if let nested {
            maxActiveLevels = nested ? supportedActiveLevels : 1
        } else if numThreads.count > 1 || bindList {
            maxActiveLevels = supportedActiveLevels
        }
        if let n = Self.integer("OMP_THREAD_LIMIT", min: 1, max: Int(UInt32.max)) { threadLimit = UInt64(n) }
        if let n = Self.integer("OMP_MAX_TASK_PRIORITY", min: 0, max: Int(Int32.max)) { maxTaskPriority = Int32(n) }
        if let b = Self.bool("OMP_CANCELLATION") { cancellation = b }
        if let n = Self.integer("OMP_DEFAULT_DEVICE", min: 0, max: Int(Int32.max)) { defaultDevice = Int32(n) }
        if let n = Self.integer("OMP_NUM_TEAMS", min: 0, max: Int(Int32.max)) { numTeams = Int32(n) }
        if let n = Self.integer("OMP_TEAMS_THREAD_LIMIT", min: 0, max: Int(Int32.max)) { teamsThreadLimit = Int32(n) }
        if let p = getenv("OMP_AFFINITY_FORMAT") { affinityFormat = Array(UnsafeRawBufferPointer(start: p, count: strlen(p))) }
        if let v = Self.get("OMP_ALLOCATOR") {
            if let i = Allocators.names.firstIndex(of: Self.trim(v)), i > 0 { allocator = UInt(i) }
            else { Self.warn("OMP_ALLOCATOR", v, "the name of a predefined allocator such as omp_default_mem_alloc") }
        }
        if let v = Self.get("OMP_SCHEDULE") {
            if let s = Self.scheduleText(v) { schedule = s }
            else { Self.warn("OMP_SCHEDULE", v, "[monotonic:|nonmonotonic:]static|dynamic|guided|auto[,chunk]") }
        }
    }

    private static func get(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static func trim(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let a = s.firstIndex(where: { !isSpace($0) }), let b = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(s[a...b])
    }

    private static func warn(_ name: String, _ value: String, _ expected: String) {
        if Runtime.rank == 0 { cape_write_err("cape: ignoring \(name)='\(value)' (expected \(expected))\n") }
    }

    private static func bool(_ name: String) -> Bool? {
        guard let v = get(name) else { return nil }
        switch trim(v).lowercased() {
        case "true": return true
        case "false": return false
        default: warn(name, v, "true or false"); return nil
        }
    }

    private static func integer(_ name: String, min lo: Int, max hi: Int) -> Int? {
        guard let v = get(name) else { return nil }
        if let n = Int(trim(v)), n >= lo, n <= hi { return n }
        warn(name, v, "an integer from \(lo) to \(hi)")
        return nil
    }

    /// "monotonic:dynamic,3" → "MONOTONIC:DYNAMIC,3"; a chunk is shown where it is not the default.
    private static func scheduleText(_ value: String) -> String? {
        var s = trim(value).lowercased()
        var monotonic = false
        if let colon = s.firstIndex(of: ":") {
            switch trim(String(s[..<colon])) {
            case "monotonic": monotonic = true
            case "nonmonotonic": monotonic = false
            default: return nil
            }
            s = trim(String(s[s.index(after: colon)...]))
        }
        var kind = s
        var chunk: Int?
        if let comma = s.firstIndex(of: ",") {
            kind = trim(String(s[..<comma]))
            guard let c = Int(trim(String(s[s.index(after: comma)...]))), c >= 0 else { return nil }
            chunk = c
        }
        switch kind {
        case "static":
            return "STATIC" + (chunk.map { $0 > 0 ? ",\($0)" : "" } ?? "")
        case "dynamic", "guided":
            guard chunk != 0 else { return nil }
            return (monotonic ? "MONOTONIC:" : "") + kind.uppercased() + (chunk.map { $0 != 1 ? ",\($0)" : "" } ?? "")
        case "auto":
            return "AUTO"
        default:
            return nil
        }
    }
}

// ---- Affinity format ----

/// affinity-format-var belongs to the device: one value per rank.
enum AffinityFormat {
    nonisolated(unsafe) private static var value: [UInt8] = OMPEnvironment.shared.affinityFormat
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    static var current: [UInt8] {
        get { pthread_mutex_lock(lock); defer { pthread_mutex_unlock(lock) }; return value }
        set { pthread_mutex_lock(lock); value = newValue; pthread_mutex_unlock(lock) }
    }

    /// The text of `format` (the current format when nil or empty) for the calling thread.
    static func expand(_ format: [UInt8]?) -> [UInt8] {
        let f = (format?.isEmpty ?? true) ? current : format!
        var out: [UInt8] = []
        var i = 0
        let n = f.count
        func bad(_ why: String) -> Never {
            fatal("the affinity format '\(String(decoding: f, as: UTF8.self))' is invalid: \(why) "
                + "(fields are %[0.][width]t|T|L|n|N|a|H|P|i|A or %{name}, and %% for a percent sign)")
        }
        while i < n {
            if f[i] != UInt8(ascii: "%") { out.append(f[i]); i += 1; continue }
            i += 1
            if i < n && f[i] == UInt8(ascii: "%") { out.append(f[i]); i += 1; continue }
            var zero = false, right = false, width = 0
            if i < n && f[i] == UInt8(ascii: "0") {
                zero = true
                i += 1
                if i >= n || f[i] != UInt8(ascii: ".") { bad("a leading 0 must be followed by '.'") }
            }
            if i < n && f[i] == UInt8(ascii: ".") { right = true; i += 1 }
            if i < n && f[i] >= UInt8(ascii: "1") && f[i] <= UInt8(ascii: "9") {
                while i < n && f[i] >= UInt8(ascii: "0") && f[i] <= UInt8(ascii: "9") {
                    width = min(width * 10 + Int(f[i] - UInt8(ascii: "0")), 1 << 20)
                    i += 1
                }
            } else if zero || right {
                bad("'0' or '.' needs a width")
            }
            guard i < n else { bad("it ends inside a field") }
            var type = f[i]
            if type == UInt8(ascii: "{") {
                guard let close = f[i...].firstIndex(of: UInt8(ascii: "}")) else { bad("a '{' is not closed") }
                let name = String(decoding: f[(i + 1)..<close], as: UTF8.self)
                guard let t = longNames[name] else { bad("unknown field name '\(name)'") }
                type = t
                i = close
            }
            i += 1
            let text: [UInt8]
            var numeric = true
            let t = cape_self()!.pointee
            switch type {
            case UInt8(ascii: "t"): text = Array("\(omp_get_team_num())".utf8)
            case UInt8(ascii: "T"): text = Array("\(omp_get_num_teams())".utf8)
            case UInt8(ascii: "L"): text = Array("\(t.level)".utf8)
            case UInt8(ascii: "n"): text = Array("\(t.thread_num)".utf8)
            case UInt8(ascii: "N"): text = Array("\(t.team_size)".utf8)
            case UInt8(ascii: "a"): text = Array("\(t.level > 0 ? omp_get_ancestor_thread_num(t.level - 1) : -1)".utf8)
            case UInt8(ascii: "P"): text = Array("\(getpid())".utf8)
            case UInt8(ascii: "i"): text = Array("0x\(String(UInt(pthread_self()), radix: 16))".utf8)
            case UInt8(ascii: "H"): text = hostName(); numeric = false
            case UInt8(ascii: "A"): text = affinityText(); numeric = false
            default: bad("unknown field type '\(String(decoding: [type], as: UTF8.self))'")
            }
            out += pad(text, width: width, zero: zero && numeric, right: right)
        }
        return out
    }

    private static let longNames: [String: UInt8] = [
        "team_num": UInt8(ascii: "t"), "num_teams": UInt8(ascii: "T"), "nesting_level": UInt8(ascii: "L"),
        "thread_num": UInt8(ascii: "n"), "num_threads": UInt8(ascii: "N"), "ancestor_tnum": UInt8(ascii: "a"),
        "host": UInt8(ascii: "H"), "process_id": UInt8(ascii: "P"), "native_thread_id": UInt8(ascii: "i"),
        "thread_affinity": UInt8(ascii: "A"),
    ]

    /// Zero padding goes after a sign or a 0x prefix; without '.', text is left-justified.
    private static func pad(_ text: [UInt8], width: Int, zero: Bool, right: Bool) -> [UInt8] {
        guard width > text.count else { return text }
        let fill = width - text.count
        if zero {
            var prefix = 0
            if text.first == UInt8(ascii: "-") { prefix = 1 }
            else if text.count > 1 && text[0] == UInt8(ascii: "0") && text[1] == UInt8(ascii: "x") { prefix = 2 }
            return Array(text[..<prefix]) + [UInt8](repeating: UInt8(ascii: "0"), count: fill) + Array(text[prefix...])
        }
        let spaces = [UInt8](repeating: UInt8(ascii: " "), count: fill)
        return right ? spaces + text : text + spaces
    }

    private static func hostName() -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buf, 255) == 0 else { return Array("node".utf8) }
        return Array(buf[..<(buf.firstIndex(of: 0) ?? 255)])
    }

    /// The processors the calling thread may run on, as ranges ("0-3,6"): the kernel's
    /// Cpus_allowed_list of the thread.
    private static func affinityText() -> [UInt8] {
        var text: [UInt8] = []
        let fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                text += buf[..<n]
            }
            close(fd)
        }
        let key = Array("Cpus_allowed_list:".utf8)
        var i = 0
        while i + key.count <= text.count {
            let end = text[i...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            if text[i..<end].starts(with: key) {
                return Array(text[(i + key.count)..<end].filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
            }
            i = end + 1
        }
        let n = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        return Array((n > 1 ? "0-\(n - 1)" : "0").utf8)
    }
}

private func bytes(_ p: UnsafePointer<CChar>?) -> [UInt8]? {
    guard let p else { return nil }
    return Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
}

private func bytes(_ p: UnsafePointer<CChar>?, count: UInt) -> [UInt8]? {
    guard let p, count > 0 else { return nil }
    return Array(UnsafeRawBufferPointer(start: p, count: Int(clamping: count)))
}

/// Copies `text` into a C buffer of `size` bytes, truncated and always NUL-terminated.
private func copyC(_ text: [UInt8], to buffer: UnsafeMutablePointer<CChar>?, size: UInt) {
    guard let buffer, size > 0 else { return }
    let n = min(text.count, Int(clamping: size - 1))
    if n > 0 { text.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: n) } }
    buffer[n] = 0
}

/// Copies `text` into a Fortran character buffer: truncated, or padded with blanks.
private func copyFortran(_ text: [UInt8], to buffer: UnsafeMutablePointer<CChar>?, size: UInt) {
    guard let buffer, size > 0 else { return }
    let n = min(text.count, Int(clamping: size))
    if n > 0 { text.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: n) } }
    if n < Int(clamping: size) { memset(buffer + n, Int32(UInt8(ascii: " ")), Int(clamping: size) - n) }
}

private func writeStderr(_ text: [UInt8]) {
    text.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stderr) }
}

@_cdecl("omp_set_affinity_format") public func omp_set_affinity_format(_ format: UnsafePointer<CChar>?) {
    asRuntime { AffinityFormat.current = bytes(format) ?? [] }
}
@_cdecl("omp_get_affinity_format") public func omp_get_affinity_format(_ buffer: UnsafeMutablePointer<CChar>?, _ size: UInt) -> Int {
    asRuntime {
        let f = AffinityFormat.current
        copyC(f, to: buffer, size: size)
        return f.count
    }
}
@_cdecl("omp_capture_affinity") public func omp_capture_affinity(_ buffer: UnsafeMutablePointer<CChar>?, _ size: UInt,
                                                                 _ format: UnsafePointer<CChar>?) -> Int {
    asRuntime {
        let text = AffinityFormat.expand(bytes(format))
        copyC(text, to: buffer, size: size)
        return text.count
    }
}
/// Prints on stderr. Host name and process id are the rank's.
@_cdecl("omp_display_affinity") public func omp_display_affinity(_ format: UnsafePointer<CChar>?) {
    asRuntime { writeStderr(AffinityFormat.expand(bytes(format)) + [UInt8(ascii: "\n")]) }
}

@_cdecl("omp_set_affinity_format_") public func omp_set_affinity_format_(_ format: UnsafePointer<CChar>?, _ length: UInt) {
    asRuntime { AffinityFormat.current = bytes(format, count: length) ?? [] }
}
@_cdecl("omp_get_affinity_format_") public func omp_get_affinity_format_(_ buffer: UnsafeMutablePointer<CChar>?, _ length: UInt) -> Int32 {
    asRuntime {
        let f = AffinityFormat.current
        copyFortran(f, to: buffer, size: length)
        return Int32(clamping: f.count)
    }
}
@_cdecl("omp_capture_affinity_") public func omp_capture_affinity_(_ buffer: UnsafeMutablePointer<CChar>?, _ format: UnsafePointer<CChar>?,
                                                                   _ bufferLength: UInt, _ formatLength: UInt) -> Int32 {
    asRuntime {
        let text = AffinityFormat.expand(bytes(format, count: formatLength))
        copyFortran(text, to: buffer, size: bufferLength)
        return Int32(clamping: text.count)
    }
}
@_cdecl("omp_display_affinity_") public func omp_display_affinity_(_ format: UnsafePointer<CChar>?, _ length: UInt) {
    asRuntime { writeStderr(AffinityFormat.expand(bytes(format, count: length)) + [UInt8(ascii: "\n")]) }
}

// ---- omp_display_env ----

/// The ICVs in libgomp's layout, on stderr. Per-task ICVs show their initial values, the device's
/// ones their current values. Settings libcape does not act on (binding, places, stack size, wait
/// policy, affinity display at region start, offloading) show libgomp's defaults.
@_cdecl("omp_display_env") public func omp_display_env(_ verbose: Int32) {
    asRuntime {
        let env = OMPEnvironment.shared
        func yes(_ b: Bool) -> String { b ? "TRUE" : "FALSE" }
        let threads = env.numThreads.isEmpty ? "\(env.initialThreads)" : env.numThreads.map { "\($0)" }.joined(separator: ",")
        var lines = [
            ("_OPENMP", "201511"),
            ("OMP_DYNAMIC", yes(env.dynamic)),
            ("OMP_NESTED", yes(env.maxActiveLevels > 1)),
            ("OMP_NUM_THREADS", threads),
            ("OMP_SCHEDULE", env.schedule),
            ("OMP_PROC_BIND", "FALSE"),
            ("OMP_PLACES", ""),
            ("OMP_STACKSIZE", "0"),
            ("OMP_WAIT_POLICY", "PASSIVE"),
            ("OMP_THREAD_LIMIT", "\(env.threadLimit)"),
            ("OMP_MAX_ACTIVE_LEVELS", "\(env.maxActiveLevels)"),
            ("OMP_NUM_TEAMS", "\(DeviceICV.numTeams)"),
            ("OMP_TEAMS_THREAD_LIMIT", "\(DeviceICV.teamsThreadLimit)"),
            ("OMP_CANCELLATION", yes(env.cancellation)),
            ("OMP_DEFAULT_DEVICE", "\(env.defaultDevice)"),
            ("OMP_MAX_TASK_PRIORITY", "\(env.maxTaskPriority)"),
            ("OMP_DISPLAY_AFFINITY", "FALSE"),
            ("OMP_AFFINITY_FORMAT", String(decoding: AffinityFormat.current, as: UTF8.self)),
            ("OMP_ALLOCATOR", Allocators.names[Int(env.allocator)]),
            ("OMP_TARGET_OFFLOAD", "DEFAULT"),
        ]
        if verbose != 0 {
            lines += [("GOMP_CPU_AFFINITY", ""), ("GOMP_STACKSIZE", "0"), ("GOMP_SPINCOUNT", "300000")]
        }
        var text = "\nOPENMP DISPLAY ENVIRONMENT BEGIN\n"
        for (name, value) in lines { text += "  \(name) = '\(value)'\n" }
        text += "OPENMP DISPLAY ENVIRONMENT END\n"
        writeStderr(Array(text.utf8))
    }
}
@_cdecl("omp_display_env_") public func omp_display_env_(_ verbose: UnsafePointer<Int32>) { omp_display_env(verbose.pointee) }
@_cdecl("omp_display_env_8_") public func omp_display_env_8_(_ verbose: UnsafePointer<Int64>) {
    omp_display_env(verbose.pointee != 0 ? 1 : 0)
}

// ---- Memory allocators ----

/// omp_alloc & co. hand out the program's memory (malloc and posix_memalign, like any allocation
/// the program makes), so blocks allocated in sequential code are identical on every rank. Each
/// block is preceded by a header: the address to free, the size asked for, the allocator asked
/// for, the allocator whose pool was charged and the bytes charged.
///
/// Predefined allocators (handles 1...8) all use the default memory; omp_default_mem_alloc falls
/// back to a null result, the others to omp_default_mem_alloc. An allocator from
/// omp_init_allocator is a record in the program's heap; its alignment, pool_size, fallback and
/// fb_data traits are honoured; the other traits it accepts ask nothing malloc does not give.
///
/// This code runs as program code (its malloc calls must reach the program's heap): it allocates
/// nothing else, and reads the ICVs through `asRuntime`.
enum Allocators {
    static let defaultMem: UInt = 1
    static let names = ["omp_null_allocator", "omp_default_mem_alloc", "omp_large_cap_mem_alloc", "omp_const_mem_alloc",
                        "omp_high_bw_mem_alloc", "omp_low_lat_mem_alloc", "omp_cgroup_mem_alloc", "omp_pteam_mem_alloc",
                        "omp_thread_mem_alloc"]
    static let predefinedCount: UInt = 8
    static let headerBytes = 48

    // Values of omp_alloctrait_value_t.
    static let atvDefault = UInt.max
    static let atvFalse: UInt = 0
    static let fallbackDefaultMem: UInt = 11, fallbackNull: UInt = 12, fallbackAbort: UInt = 13, fallbackAllocator: UInt = 14

    // An allocator record: magic, bytes in use, alignment, pool size, fallback, fb_data, memspace.
    static let recordBytes = 64
    static let magic: UInt64 = 0x4341_5045_414C_4C43
    private enum Field: Int { case magic = 0, used = 8, alignment = 16, pool = 24, fallback = 32, fbData = 40, memspace = 48 }

    struct Traits { var alignment = 1; var pool = UInt64.max; var fallback: UInt; var fbData: UInt = 0 }

    private static func record(_ handle: UInt) -> UnsafeMutableRawPointer {
        guard let r = UnsafeMutableRawPointer(bitPattern: handle), r.load(as: UInt64.self) == magic else {
            fatal("an omp_* memory routine was given the allocator handle \(handle), which is neither predefined nor "
                + "a live one from omp_init_allocator (pass an allocator that exists)")
        }
        return r
    }

    static func traits(_ handle: UInt) -> Traits {
        if handle <= predefinedCount { return Traits(fallback: handle == defaultMem ? fallbackNull : fallbackDefaultMem) }
        let r = record(handle)
        return Traits(alignment: Int(r.load(fromByteOffset: Field.alignment.rawValue, as: UInt64.self)),
                      pool: r.load(fromByteOffset: Field.pool.rawValue, as: UInt64.self),
                      fallback: UInt(r.load(fromByteOffset: Field.fallback.rawValue, as: UInt64.self)),
                      fbData: UInt(r.load(fromByteOffset: Field.fbData.rawValue, as: UInt64.self)))
    }

    /// The pool counter of an allocator from omp_init_allocator.
    private static func used(_ handle: UInt) -> UnsafeMutablePointer<UInt64> {
        (record(handle) + Field.used.rawValue).assumingMemoryBound(to: UInt64.self)
    }

    /// omp_null_allocator means the calling task's def-allocator-var.
    static func resolve(_ handle: UInt) -> UInt {
        handle != 0 ? handle : asRuntime { ICV.current().defaultAllocator }
    }

    /// Allocates `size` bytes aligned to `alignment` with `handle`, following the fallbacks. A size
    /// that does not fit an Int fails like an exhausted memory.
    static func allocate(_ size: UInt, alignment: Int, _ handle: UInt, zero: Bool) -> UnsafeMutableRawPointer? {
        guard size > 0 else { return nil }
        let asked = resolve(handle)
        var current = asked
        for _ in 0..<16 {
            let t = traits(current)
            if let p = tryAllocate(size, alignment: max(alignment, t.alignment), asked: asked, pool: t.pool == UInt64.max ? 0 : current,
                                   limit: t.pool, zero: zero) {
                return p
            }
            switch t.fallback {
            case fallbackNull:
                return nil
            case fallbackAbort:
                fatal("an OpenMP allocation of \(size) bytes failed and its allocator's fallback is abort_fb "
                    + "(raise the allocator's pool_size or choose another fallback)")
            case fallbackAllocator:
                if t.fbData == 0 { return nil }
                current = t.fbData
            default:
                if current == defaultMem { return nil }
                current = defaultMem
            }
        }
        return nil
    }

    private static func tryAllocate(_ size: UInt, alignment requested: Int, asked: UInt, pool: UInt, limit: UInt64,
                                    zero: Bool) -> UnsafeMutableRawPointer? {
        guard size <= UInt(Int.max / 2) else { return nil }
        // Alignments are powers of two; another value is rounded up to one.
        var alignment = 16
        while alignment < requested {
            if alignment >= 1 << 40 { return nil }
            alignment <<= 1
        }
        let prefix = (headerBytes + alignment - 1) / alignment * alignment
        let total = Int(size) + prefix
        // What libgomp charges a pool: the size, its 32-byte header and the padding an alignment
        // above 8 may need; so a pool holds as many blocks as it does there.
        let charged: UInt64 = pool != 0 ? UInt64(size) + 32 + UInt64(requested > 8 ? requested - 8 : 0) : 0
        if pool != 0 && !charge(pool, charged, limit: limit) { return nil }
        var raw: UnsafeMutableRawPointer?
        if alignment <= 16 {
            raw = malloc(total)
        } else if posix_memalign(&raw, alignment, total) != 0 {
            raw = nil
        }
        guard let raw else {
            if charged > 0 { _ = charge(pool, 0 &- charged, limit: .max) }
            return nil
        }
        let p = raw + prefix
        let h = (p - headerBytes).assumingMemoryBound(to: UInt.self)
        h[0] = UInt(bitPattern: raw)
        h[1] = size
        h[2] = asked
        h[3] = pool
        h[4] = UInt(charged)
        h[5] = 0
        if zero { memset(p, 0, Int(size)) }
        return p
    }

    /// Adds `bytes` (two's complement: a release) to the pool counter of `pool` if the result stays
    /// within `limit`. A pool is the process's on one machine: every thread of the team draws from
    /// it, on whatever rank. So the counter, in the program's memory, changes under a team-wide lock
    /// as in a critical section, whose write reaches the next holder on any rank.
    private static func charge(_ pool: UInt, _ bytes: UInt64, limit: UInt64) -> Bool {
        asRuntime { Exclusion.acquire(LockTable.allocatorPool) }
        let counter = used(pool)
        let before = counter.pointee
        let after = before &+ bytes
        let ok = Int64(bitPattern: bytes) < 0 || (after >= before && after <= limit)
        if ok { counter.pointee = after }
        asRuntime { Exclusion.release(LockTable.allocatorPool) }
        return ok
    }

    /// The size and the allocator asked for of a block from `allocate`.
    static func block(_ p: UnsafeMutableRawPointer) -> (size: UInt, allocator: UInt) {
        let h = (p - headerBytes).assumingMemoryBound(to: UInt.self)
        return (h[1], h[2])
    }

    static func release(_ p: UnsafeMutableRawPointer) {
        let h = (p - headerBytes).assumingMemoryBound(to: UInt.self)
        let raw = UnsafeMutableRawPointer(bitPattern: h[0])
        if h[4] > 0 { _ = charge(h[3], 0 &- UInt64(h[4]), limit: .max) }
        free(raw)
    }

    /// omp_init_allocator: a record, or omp_null_allocator (0) when the memory space or a trait is
    /// not supported (pinned memory, high-bandwidth memory, unknown keys or values), as libgomp.
    static func create(memspace: UInt, count: Int32, traits: UnsafeRawPointer?) -> UInt {
        // omp_default_mem_space, omp_large_cap_mem_space, omp_const_mem_space, omp_low_lat_mem_space.
        guard memspace <= 2 || memspace == 4 else { return 0 }
        var alignment: UInt = 1, pool = UInt64.max, fallback = fallbackDefaultMem, fbData: UInt = 0
        if count > 0 && traits == nil { return 0 }
        for i in 0..<Int(max(count, 0)) {
            let key = traits!.load(fromByteOffset: i * 16, as: Int32.self)
            let value = traits!.load(fromByteOffset: i * 16 + 8, as: UInt.self)
            let isDefault = value == atvDefault
            switch key {
            case 1: // sync_hint: contended, uncontended, serialized, private
                guard isDefault || (3...6).contains(value) else { return 0 }
            case 2: // alignment
                if isDefault { alignment = 1; break }
                guard value > 0 && value & (value - 1) == 0 else { return 0 }
                alignment = value
            case 3: // access: all, thread, pteam, cgroup
                guard isDefault || (7...10).contains(value) else { return 0 }
            case 4: // pool_size
                pool = isDefault ? UInt64.max : UInt64(value)
            case 5: // fallback
                if isDefault { fallback = fallbackDefaultMem; break }
                guard (fallbackDefaultMem...fallbackAllocator).contains(value) else { return 0 }
                fallback = value
            case 6: // fb_data
                fbData = value
            case 7: // pinned: only false
                guard isDefault || value == atvFalse else { return 0 }
            case 8: // partition: environment, nearest, blocked, interleaved
                guard isDefault || (15...18).contains(value) else { return 0 }
            default:
                return 0
            }
        }
        guard let r = malloc(recordBytes) else { return 0 }
        r.storeBytes(of: magic, toByteOffset: Field.magic.rawValue, as: UInt64.self)
        r.storeBytes(of: 0, toByteOffset: Field.used.rawValue, as: UInt64.self)
        r.storeBytes(of: UInt64(alignment), toByteOffset: Field.alignment.rawValue, as: UInt64.self)
        r.storeBytes(of: pool, toByteOffset: Field.pool.rawValue, as: UInt64.self)
        r.storeBytes(of: UInt64(fallback), toByteOffset: Field.fallback.rawValue, as: UInt64.self)
        r.storeBytes(of: UInt64(fbData), toByteOffset: Field.fbData.rawValue, as: UInt64.self)
        r.storeBytes(of: UInt64(memspace), toByteOffset: Field.memspace.rawValue, as: UInt64.self)
        r.storeBytes(of: 0, toByteOffset: 56, as: UInt64.self)
        return UInt(bitPattern: r)
    }

    static func destroy(_ handle: UInt) {
        guard handle > predefinedCount else { return }
        let r = record(handle)
        r.storeBytes(of: 0, as: UInt64.self)
        free(r)
    }
}

@_cdecl("omp_alloc") public func omp_alloc(_ size: UInt, _ allocator: UInt) -> UnsafeMutableRawPointer? {
    Allocators.allocate(size, alignment: 1, allocator, zero: false)
}
@_cdecl("omp_aligned_alloc") public func omp_aligned_alloc(_ alignment: UInt, _ size: UInt, _ allocator: UInt) -> UnsafeMutableRawPointer? {
    Allocators.allocate(size, alignment: Int(clamping: alignment), allocator, zero: false)
}
@_cdecl("omp_calloc") public func omp_calloc(_ count: UInt, _ size: UInt, _ allocator: UInt) -> UnsafeMutableRawPointer? {
    omp_aligned_calloc(1, count, size, allocator)
}
@_cdecl("omp_aligned_calloc") public func omp_aligned_calloc(_ alignment: UInt, _ count: UInt, _ size: UInt,
                                                             _ allocator: UInt) -> UnsafeMutableRawPointer? {
    if count == 0 || size == 0 { return nil }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
    return Allocators.allocate(overflow ? UInt.max : bytes, alignment: Int(clamping: alignment), allocator, zero: true)
}
/// A new block from `allocator` (or, when it is omp_null_allocator, from the one `ptr` came from)
/// receives the contents; `ptr` is kept when the new block cannot be had.
@_cdecl("omp_realloc") public func omp_realloc(_ ptr: UnsafeMutableRawPointer?, _ size: UInt, _ allocator: UInt,
                                               _ freeAllocator: UInt) -> UnsafeMutableRawPointer? {
    guard let ptr else { return Allocators.allocate(size, alignment: 1, allocator, zero: false) }
    if size == 0 {
        Allocators.release(ptr)
        return nil
    }
    let old = Allocators.block(ptr)
    guard let p = Allocators.allocate(size, alignment: 1, allocator != 0 ? allocator : old.allocator, zero: false) else { return nil }
    memcpy(p, ptr, Int(min(size, old.size)))
    Allocators.release(ptr)
    return p
}
@_cdecl("omp_free") public func omp_free(_ ptr: UnsafeMutableRawPointer?, _ allocator: UInt) {
    if let ptr { Allocators.release(ptr) }
}

@_cdecl("omp_init_allocator") public func omp_init_allocator(_ memspace: UInt, _ count: Int32, _ traits: UnsafeRawPointer?) -> UInt {
    Allocators.create(memspace: memspace, count: count, traits: traits)
}
@_cdecl("omp_destroy_allocator") public func omp_destroy_allocator(_ allocator: UInt) { Allocators.destroy(allocator) }
/// def-allocator-var of the calling task; omp_null_allocator selects omp_default_mem_alloc.
@_cdecl("omp_set_default_allocator") public func omp_set_default_allocator(_ allocator: UInt) {
    asRuntime { ICV.update { $0.defaultAllocator = allocator == 0 ? Allocators.defaultMem : allocator } }
}
@_cdecl("omp_get_default_allocator") public func omp_get_default_allocator() -> UInt {
    asRuntime { ICV.current().defaultAllocator }
}

@_cdecl("omp_init_allocator_") public func omp_init_allocator_(_ memspace: UnsafePointer<Int>, _ count: UnsafePointer<Int32>,
                                                               _ traits: UnsafeRawPointer?) -> Int {
    Int(bitPattern: omp_init_allocator(UInt(bitPattern: memspace.pointee), count.pointee, traits))
}
@_cdecl("omp_init_allocator_8_") public func omp_init_allocator_8_(_ memspace: UnsafePointer<Int>, _ count: UnsafePointer<Int64>,
                                                                   _ traits: UnsafeRawPointer?) -> Int {
    Int(bitPattern: omp_init_allocator(UInt(bitPattern: memspace.pointee), Int32(truncatingIfNeeded: count.pointee), traits))
}
@_cdecl("omp_destroy_allocator_") public func omp_destroy_allocator_(_ allocator: UnsafePointer<Int>) {
    omp_destroy_allocator(UInt(bitPattern: allocator.pointee))
}
@_cdecl("omp_set_default_allocator_") public func omp_set_default_allocator_(_ allocator: UnsafePointer<Int>) {
    omp_set_default_allocator(UInt(bitPattern: allocator.pointee))
}
@_cdecl("omp_get_default_allocator_") public func omp_get_default_allocator_() -> Int { Int(bitPattern: omp_get_default_allocator()) }

/// gcc's entry points for the allocate clause (and directive): the private copy of a variable,
/// freed when its construct or scope ends. Inside a region it is private to one thread, like that
/// thread's stack, so it comes from the runtime's memory, which is not kept identical across ranks
/// and needs not be; in sequential code from the program's heap. A failure is fatal.
@_cdecl("GOMP_alloc") public func GOMP_alloc(_ alignment: UInt, _ size: UInt, _ allocator: UInt) -> UnsafeMutableRawPointer? {
    let p = cape_self()!.pointee.level > 0
        ? asRuntime { Allocators.allocate(size, alignment: Int(clamping: alignment), allocator, zero: false) }
        : Allocators.allocate(size, alignment: Int(clamping: alignment), allocator, zero: false)
    if p == nil && size != 0 {
        fatal("out of memory allocating \(size) bytes for an allocate clause (free memory or give its allocator a fallback)")
    }
    return p
}
@_cdecl("GOMP_free") public func GOMP_free(_ ptr: UnsafeMutableRawPointer?, _ allocator: UInt) { omp_free(ptr, allocator) }

// ---- Device memory: the host is the only device ----

private func isHost(_ device: Int32) -> Bool { device == omp_get_initial_device() }

@_cdecl("omp_target_alloc") public func omp_target_alloc(_ size: Int, _ device: Int32) -> UnsafeMutableRawPointer? {
    isHost(device) ? malloc(size) : nil
}
@_cdecl("omp_target_free") public func omp_target_free(_ ptr: UnsafeMutableRawPointer?, _ device: Int32) {
    if isHost(device) { free(ptr) }
}
@_cdecl("omp_target_is_present") public func omp_target_is_present(_ ptr: UnsafeRawPointer?, _ device: Int32) -> Int32 {
    ptr == nil || isHost(device) ? 1 : 0
}
@_cdecl("omp_target_memcpy") public func omp_target_memcpy(_ dst: UnsafeMutableRawPointer?, _ src: UnsafeRawPointer?, _ length: Int,
                                                           _ dstOffset: Int, _ srcOffset: Int, _ dstDevice: Int32, _ srcDevice: Int32) -> Int32 {
    guard isHost(dstDevice), isHost(srcDevice) else { return EINVAL }
    if length > 0, let dst, let src { memmove(dst + dstOffset, src + srcOffset, length) }
    return 0
}

/// Copies a `dims`-dimensional subvolume; called with both pointers null it returns the number of
/// dimensions supported (any).
@_cdecl("omp_target_memcpy_rect") public func omp_target_memcpy_rect(
    _ dst: UnsafeMutableRawPointer?, _ src: UnsafeRawPointer?, _ elementSize: Int, _ dims: Int32,
    _ volume: UnsafePointer<Int>?, _ dstOffsets: UnsafePointer<Int>?, _ srcOffsets: UnsafePointer<Int>?,
    _ dstDimensions: UnsafePointer<Int>?, _ srcDimensions: UnsafePointer<Int>?, _ dstDevice: Int32, _ srcDevice: Int32) -> Int32 {
    if dst == nil && src == nil { return Int32.max }
    guard isHost(dstDevice), isHost(srcDevice), dims >= 1, let dst, let src,
          let volume, let dstOffsets, let srcOffsets, let dstDimensions, let srcDimensions else { return EINVAL }
    return asRuntime { copyRect(dst, src, elementSize, Int(dims), volume, dstOffsets, srcOffsets, dstDimensions, srcDimensions) }
}

private func copyRect(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ elementSize: Int, _ n: Int,
                      _ volume: UnsafePointer<Int>, _ dstOffsets: UnsafePointer<Int>, _ srcOffsets: UnsafePointer<Int>,
                      _ dstDimensions: UnsafePointer<Int>, _ srcDimensions: UnsafePointer<Int>) -> Int32 {
    // Bytes of one step along dimension d, in each array; the last dimension steps by one element.
    func stride(_ dimensions: UnsafePointer<Int>, _ d: Int) -> Int? {
        var s = elementSize
        for k in (d + 1)..<n {
            let (v, o) = s.multipliedReportingOverflow(by: dimensions[k])
            if o { return nil }
            s = v
        }
        return s
    }
    func copy(_ d: Int, _ to: UnsafeMutableRawPointer, _ from: UnsafeRawPointer) -> Bool {
        guard let dstStep = stride(dstDimensions, d), let srcStep = stride(srcDimensions, d) else { return false }
        let (dstStart, o1) = dstOffsets[d].multipliedReportingOverflow(by: dstStep)
        let (srcStart, o2) = srcOffsets[d].multipliedReportingOverflow(by: srcStep)
        if o1 || o2 || volume[d] < 0 { return false }
        if d == n - 1 {
            let (bytes, o3) = volume[d].multipliedReportingOverflow(by: elementSize)
            if o3 { return false }
            if bytes > 0 { memmove(to + dstStart, from + srcStart, bytes) }
            return true
        }
        for i in 0..<volume[d] where !copy(d + 1, to + dstStart + i * dstStep, from + srcStart + i * srcStep) {
            return false
        }
        return true
    }
    return copy(0, dst, src) ? 0 : EINVAL
}

/// No mapping between host and device memory exists to make or undo.
@_cdecl("omp_target_associate_ptr") public func omp_target_associate_ptr(_ host: UnsafeRawPointer?, _ device: UnsafeRawPointer?,
                                                                         _ size: Int, _ offset: Int, _ deviceNum: Int32) -> Int32 { EINVAL }
@_cdecl("omp_target_disassociate_ptr") public func omp_target_disassociate_ptr(_ ptr: UnsafeRawPointer?, _ deviceNum: Int32) -> Int32 { EINVAL }

/// Nothing to release: threads and buffers are reused by the next region.
@_cdecl("omp_pause_resource") public func omp_pause_resource(_ kind: Int32, _ device: Int32) -> Int32 { isHost(device) ? 0 : -1 }
@_cdecl("omp_pause_resource_all") public func omp_pause_resource_all(_ kind: Int32) -> Int32 { 0 }
@_cdecl("omp_pause_resource_") public func omp_pause_resource_(_ kind: UnsafePointer<Int32>, _ device: UnsafePointer<Int32>) -> Int32 {
    omp_pause_resource(kind.pointee, device.pointee)
}
@_cdecl("omp_pause_resource_all_") public func omp_pause_resource_all_(_ kind: UnsafePointer<Int32>) -> Int32 {
    omp_pause_resource_all(kind.pointee)
}
