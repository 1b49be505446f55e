// The classifier of atomic instructions (Sources/CCapeShim/atomics.c) on the machine code gcc 12
// really emits: Tests/atomics/forms.c holds every form of `#pragma omp atomic`, one function
// each, compiled for char, short, int, long, float and double at -O0, -O2 and -O3. Under
// CAPE_TRACE=2 rank 0 prints each atomic site's verdict, and whether it is reached by a jump to a
// trampoline or by a trap (jumps.c); every verdict is checked:
//  - an order-dependent form (serial_*: capture, compare, exchange, x = v - x) must never run
//    locally (a wrong "local" would merge a value the program read); a flush is a fence;
//  - an update whose result is unused (local_<op>_*) must run locally with its operator when gcc
//    emitted a lock-prefixed add, sub, inc, dec, and, or or xor, and also at -O2 and -O3 when it
//    emitted a compare-exchange loop (float, double, short, char, x *= v on every type, and the
//    min and max of `atomic compare`: cmp and cmov on integers, maxss/minss and kin on floating
//    point); at
//    -O0 such a loop keeps its values on the stack and may run team-wide, which is conservative;
//  - optimized, every local update is reached by a jump, not a trap.
import Foundation
import Testing

@Suite("classifying atomic instructions", .serialized)
struct AtomicClassifierTests {
    struct Site { var function: String; var local: String?; var jump: Bool; var fence: Bool; var mnemonic: String }

    static let types = ["char", "short", "int", "long", "float", "double"]
    /// The AVX encodings (three-operand scalar arithmetic, vmovd) come with -march=native on most
    /// machines of the field; they are checked where this machine can run them.
    static let levels = ["-O0", "-O2", "-O3"]
        + (((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx2") ? ["-O2 -mavx2 -mfma"] : [])

    func sites(type: String, level: String) throws -> [Site] {
        let lib = try #require(Harness.libcapePath(), Comment(rawValue: Harness.libcapeNotFoundMessage))
        let dir = try Harness.makeTemporaryDirectory(prefix: "cape-forms")
        defer { Harness.removeDirectory(dir) }
        let exe = dir.appendingPathComponent("forms").path
        let floating = type == "float" || type == "double"
        try Harness.compile(source: Harness.packageRoot.appendingPathComponent("Tests/atomics/forms.c").path, output: exe,
                            extraFlags: level.split(separator: " ").map(String.init) + ["-DT=\(type)"] + (floating ? ["-DFLOATING"] : []))
        let r = try Harness.runWithCape(exe, library: lib, configuration: CapeConfiguration(ranks: 2, threadsPerRank: 1),
                                        verify: false, extraEnvironment: ["CAPE_TRACE": "2"], timeout: 60)
        try #require(r.succeeded && r.stdoutText == "forms ok\n", "\(type) \(level): \(r.statusDescription)\n\(Harness.clip(r.stderrText))")
        // cape[0]: atomic at 0x... (local_add_plus): local add, 4 bytes [lock add]
        var out: [Site] = []
        for line in r.stderrText.split(separator: "\n") where line.hasPrefix("cape[0]: atomic at ") {
            guard let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")"),
                  let colon = line[close...].firstIndex(of: ":"), let bracket = line.lastIndex(of: "[") else { continue }
            // An update inside a region sits in the outlined body: local_add_plus._omp_fn.0.
            let function = String(line[line.index(after: open)..<close]).components(separatedBy: "._omp_fn.")[0]
            let verdict = line[line.index(colon, offsetBy: 2)..<bracket].trimmingCharacters(in: .whitespaces)
            let mnemonic = String(line[line.index(after: bracket)...].dropLast())
            let local = verdict.hasPrefix("local ") ? String(verdict.dropFirst(6).prefix { $0 != "," }) : nil
            out.append(Site(function: function, local: local, jump: verdict.hasSuffix(", jump"), fence: verdict == "fence", mnemonic: mnemonic))
        }
        return out
    }

    @Test("every form of atomic on every type at -O0, -O2, -O3 and -O2 with AVX gets a safe verdict, and updates run locally where gcc emits a locked arithmetic instruction or (optimized) a compare-exchange loop",
          arguments: AtomicClassifierTests.types)
    func verdicts(_ type: String) throws {
        let arithmetic: Set<String> = ["lock add", "lock sub", "lock inc", "lock dec", "lock and", "lock or", "lock xor"]
        for level in Self.levels {
            let found = try sites(type: type, level: level)
            let functions = Set(found.map(\.function))
            for name in ["local_add_plus", "local_add_increment", "local_sub_decrement", "local_mul_multiply", "local_max_compare", "local_min_compare",
                         "serial_capture_before", "serial_compare_max_captured", "serial_reversed_sub", "fence_flush"] {
                #expect(functions.contains(name), "\(type) \(level): no atomic site found in \(name)")
            }
            var localCount = 0
            for s in found {
                if s.function.hasPrefix("fence_") {
                    #expect(s.fence, "\(type) \(level): \(s.function) [\(s.mnemonic)] is not a fence")
                } else if s.function.hasPrefix("serial_") {
                    #expect(s.local == nil && !s.fence, "\(type) \(level): \(s.function) [\(s.mnemonic)] was classified \(s.fence ? "a fence" : "local (\(s.local ?? ""))")")
                } else if s.function.hasPrefix("local_") {
                    let named = s.function.split(separator: "_")[1]
                    let allowed: Set<String> = named == "add" ? ["add", "inc", "sub"] : named == "sub" ? ["sub", "dec", "add"] : [String(named)]
                    if arithmetic.contains(s.mnemonic) || (s.mnemonic == "lock cmpxchg" && level != "-O0") {
                        #expect(s.local.map { allowed.contains($0) } == true,
                                "\(type) \(level): \(s.function) [\(s.mnemonic)] got \(s.local ?? "team-wide"), expected local \(named)")
                        if s.local != nil { localCount += 1 }
                        // forms.c updates globals: rip-relative, 7 bytes or more, room for a jump. An
                        // optimized compare-exchange loop's site takes its jne as well.
                        if s.local != nil && level != "-O0" {
                            #expect(s.jump, "\(type) \(level): \(s.function) [\(s.mnemonic)] is local but still traps")
                        }
                    } else {
                        #expect(s.mnemonic == "lock cmpxchg" && (s.local == nil || allowed.contains(s.local!)),
                                "\(type) \(level): \(s.function) [\(s.mnemonic)] got \(s.local ?? "team-wide")")
                    }
                }
            }
            if type == "int" || type == "long" {
                // gcc emits locked arithmetic for every integer update of these widths but x *= v.
                #expect(localCount >= 9, "\(type) \(level): only \(localCount) local update sites")
            } else if level != "-O0" {
                // Every update is a compare-exchange loop (and, or, xor are locked instructions).
                #expect(localCount >= 7, "\(type) \(level): only \(localCount) local update sites")
            }
        }
    }
}
