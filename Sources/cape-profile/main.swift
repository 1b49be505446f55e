// cape-profile: prints a CAPE_PROFILE file as a table and draws its per-region chart.
import CapeCore
#if canImport(Glibc)
import Glibc
#endif

let usage = """
usage: cape-profile PROFILE [--svg CHART.svg] [--top N]

Prints the per-region profile that a run with CAPE_PROFILE=PROFILE wrote (rank 0's view): for
each parallel region (outlined function, and its source line when the program has debug info)
the calls, barriers, time starting the region (fork), running its code (compute), tracking
writes, encoding, exchanging and applying diffs (together: join), bytes sent and received, and
dirty pages. Times are in milliseconds, summed over the calls.

  --svg FILE   also draw a stacked bar chart of fork / compute / join time per region (SVG)
  --top N      show only the N costliest regions, in the table and the chart (the chart
               shows at most 20 when --top is not given)
  --help       this text

"""

func fail(_ what: String, _ todo: String) -> Never {
    fputs("cape: \(what) (\(todo))\n", stderr)
    exit(2)
}

var args = Array(CommandLine.arguments.dropFirst())
if args.isEmpty || args.contains("--help") || args.contains("-h") {
    print(usage, terminator: "")
    exit(args.isEmpty ? 2 : 0)
}
var path: String?
var svgPath: String?
var top: Int?
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--svg":
        guard !args.isEmpty else { fail("--svg needs a file name", "see cape-profile --help") }
        svgPath = args.removeFirst()
    case "--top":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail("--top needs a positive number", "see cape-profile --help") }
        top = n
    default:
        if a.hasPrefix("-") { fail("unknown option \(a)", "see cape-profile --help") }
        if path != nil { fail("more than one profile given", "see cape-profile --help") }
        path = a
    }
}
guard let path else { fail("no profile given", "see cape-profile --help") }

func readFile(_ p: String) -> String? {
    guard let f = fopen(p, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buf[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

guard let text = readFile(path) else { fail("cannot read \(path): \(String(cString: strerror(errno)))", "give the file that CAPE_PROFILE named") }
let report: ProfileReport
do { report = try ProfileReport.parse(text) } catch { fail("\(path): \(error)", "give the file that CAPE_PROFILE named") }
print(report.table(limit: top), terminator: "")
if let svgPath {
    guard let f = fopen(svgPath, "w") else { fail("cannot write \(svgPath): \(String(cString: strerror(errno)))", "choose a writable path") }
    let svg = report.svg(limit: top ?? 20)
    if fputs(svg, f) < 0 || fclose(f) != 0 { fail("writing \(svgPath) failed", "check the disk") }
    print("chart: \(svgPath)")
}
