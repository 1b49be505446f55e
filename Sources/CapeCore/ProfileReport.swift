// Reading a CAPE_PROFILE file, and rendering it as a table and as an SVG stacked bar chart of
// fork / compute / join time per region (join = tracking + encoding + exchanging + applying).

public struct ProfileRow: Equatable, Sendable {
    public var region: String
    public var source: String
    public var calls: Int
    public var barriers: Int
    public var fork: Double
    public var compute: Double
    public var track: Double
    public var encode: Double
    public var exchange: Double
    public var apply: Double
    public var bytesSent: Int
    public var bytesReceived: Int
    public var dirtyPages: Int

    public var join: Double { track + encode + exchange + apply }
    public var total: Double { fork + compute + join }

    public init(region: String = "", source: String = "", calls: Int = 0, barriers: Int = 0, fork: Double = 0,
                compute: Double = 0, track: Double = 0, encode: Double = 0, exchange: Double = 0, apply: Double = 0,
                bytesSent: Int = 0, bytesReceived: Int = 0, dirtyPages: Int = 0) {
        self.region = region; self.source = source; self.calls = calls; self.barriers = barriers
        self.fork = fork; self.compute = compute; self.track = track; self.encode = encode
        self.exchange = exchange; self.apply = apply
        self.bytesSent = bytesSent; self.bytesReceived = bytesReceived; self.dirtyPages = dirtyPages
    }

    /// Adds another call's counts and times.
    public mutating func add(_ o: ProfileRow) {
        calls += o.calls; barriers += o.barriers
        fork += o.fork; compute += o.compute; track += o.track; encode += o.encode; exchange += o.exchange; apply += o.apply
        bytesSent += o.bytesSent; bytesReceived += o.bytesReceived; dirtyPages += o.dirtyPages
    }
}

public struct ProfileReport: Sendable {
    public var title: String
    public var rows: [ProfileRow]

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case noHeader
        case badLine(Int, String)
        public var description: String {
            switch self {
            case .noHeader: "this is not a CAPE_PROFILE file (its header line is missing)"
            case let .badLine(n, why): "line \(n) of the profile is malformed (\(why))"
            }
        }
    }

    public static let columns = ["region", "source", "calls", "barriers", "fork_s", "compute_s", "track_s", "encode_s",
                                 "exchange_s", "apply_s", "bytes_sent", "bytes_received", "dirty_pages"]

    public static func parse(_ text: String) throws(Problem) -> ProfileReport {
        var title = ""
        var rows: [ProfileRow] = []
        var sawHeader = false
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") { title = String(line.dropFirst(1)).trimmingSpaces(); continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if !sawHeader {
                guard f == columns else { throw .noHeader }
                sawHeader = true
                continue
            }
            guard f.count == columns.count else { throw .badLine(i + 1, "\(f.count) fields, expected \(columns.count)") }
            func int(_ k: Int) throws(Problem) -> Int {
                guard let v = Int(f[k]) else { throw .badLine(i + 1, "\(columns[k]) is not an integer") }
                return v
            }
            func dbl(_ k: Int) throws(Problem) -> Double {
                guard let v = Double(f[k]) else { throw .badLine(i + 1, "\(columns[k]) is not a number") }
                return v
            }
            rows.append(ProfileRow(region: f[0], source: f[1], calls: try int(2), barriers: try int(3), fork: try dbl(4),
                                   compute: try dbl(5), track: try dbl(6), encode: try dbl(7), exchange: try dbl(8),
                                   apply: try dbl(9), bytesSent: try int(10), bytesReceived: try int(11), dirtyPages: try int(12)))
        }
        guard sawHeader else { throw .noHeader }
        return ProfileReport(title: title, rows: rows)
    }

    public init(title: String, rows: [ProfileRow]) { self.title = title; self.rows = rows }

    /// The file format that `parse` reads: a `#` title line, the header, one row per region.
    public func csv() -> String {
        var text = "# \(title)\n" + Self.columns.joined(separator: ",") + "\n"
        let s = { (v: Double) in Self.fixed(v, 9) }
        for r in rows {
            text += [r.region, r.source, "\(r.calls)", "\(r.barriers)", s(r.fork), s(r.compute), s(r.track), s(r.encode),
                     s(r.exchange), s(r.apply), "\(r.bytesSent)", "\(r.bytesReceived)", "\(r.dirtyPages)"].joined(separator: ",") + "\n"
        }
        return text
    }

    /// A fixed-width table, regions in order of total time, times in milliseconds; with a `limit`,
    /// the costliest `limit` regions and a line saying how many more there are.
    public func table(limit: Int? = nil) -> String {
        let head = ["region", "source", "calls", "barriers", "total ms", "fork", "compute", "track", "encode", "exchange", "apply",
                    "join %", "MB sent", "MB recv", "dirty pages"]
        var cells: [[String]] = [head]
        let ms = { (v: Double) in Self.fixed(v * 1e3, 2) }
        let sorted = rows.sorted(by: { $0.total > $1.total })
        let shown = limit.map { Array(sorted.prefix($0)) } ?? sorted
        for r in shown {
            cells.append([r.region, r.source, "\(r.calls)", "\(r.barriers)", ms(r.total), ms(r.fork), ms(r.compute), ms(r.track),
                          ms(r.encode), ms(r.exchange), ms(r.apply), r.total > 0 ? Self.fixed(100 * r.join / r.total, 1) : "-",
                          Self.fixed(Double(r.bytesSent) / 1e6, 2), Self.fixed(Double(r.bytesReceived) / 1e6, 2), "\(r.dirtyPages)"])
        }
        var widths = [Int](repeating: 0, count: head.count)
        for row in cells { for (k, c) in row.enumerated() { widths[k] = max(widths[k], c.count) } }
        var out = title.isEmpty ? "" : title + "\n"
        for (n, row) in cells.enumerated() {
            var line = ""
            for (k, c) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - c.count)
                line += k < 2 ? c + pad : pad + c
                if k < row.count - 1 { line += "  " }
            }
            out += line + "\n"
            if n == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        if shown.count < sorted.count {
            let rest = sorted.count - shown.count
            out += "(\(rest) more region\(rest == 1 ? "" : "s") not shown; --top sets how many)\n"
        }
        return out
    }

    /// A stacked bar per region (fork, compute, join), the `limit` costliest regions.
    public func svg(limit: Int = 20) -> String {
        let shown = Array(rows.sorted(by: { $0.total > $1.total }).prefix(limit))
        let barW = 44.0, gap = 26.0, left = 80.0, top = 50.0, plotH = 300.0
        let width = left + Double(max(shown.count, 1)) * (barW + gap) + 170
        let height = top + plotH + 150
        let maxT = max(shown.map(\.total).max() ?? 0, 1e-9)
        let scale = Self.niceCeiling(maxT)
        let colors = [("fork", "#4e79a7"), ("compute", "#59a14f"), ("join", "#e15759")]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"22\" font-size=\"15\">\(Self.escape(title.isEmpty ? "cape profile" : title)): time per region</text>\n"
        for k in 0...4 {
            let v = scale * Double(k) / 4
            let y = top + plotH - plotH * Double(k) / 4
            s += "<line x1=\"\(left - 5)\" y1=\"\(Self.fixed(y, 1))\" x2=\"\(Self.fixed(width - 170, 1))\" y2=\"\(Self.fixed(y, 1))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(Self.fixed(y + 4, 1))\" text-anchor=\"end\">\(Self.seconds(v))</text>\n"
        }
        for (i, r) in shown.enumerated() {
            let x = left + Double(i) * (barW + gap) + gap / 2
            var y = top + plotH
            for (k, v) in [r.fork, r.compute, r.join].enumerated() {
                let h = plotH * v / scale
                y -= h
                s += "<rect x=\"\(Self.fixed(x, 1))\" y=\"\(Self.fixed(y, 1))\" width=\"\(barW)\" height=\"\(Self.fixed(h, 1))\" fill=\"\(colors[k].1)\">"
                s += "<title>\(Self.escape(r.region)) \(colors[k].0): \(Self.seconds(v))</title></rect>\n"
            }
            let label = Self.escape(r.source.isEmpty ? r.region : r.source)
            let lx = x + barW / 2, ly = top + plotH + 12
            s += "<text x=\"\(Self.fixed(lx, 1))\" y=\"\(Self.fixed(ly, 1))\" transform=\"rotate(40 \(Self.fixed(lx, 1)) \(Self.fixed(ly, 1)))\">\(label)</text>\n"
        }
        for (k, c) in colors.enumerated() {
            let y = top + 10 + Double(k) * 20
            let x = width - 150
            s += "<rect x=\"\(Self.fixed(x, 1))\" y=\"\(Self.fixed(y - 10, 1))\" width=\"12\" height=\"12\" fill=\"\(c.1)\"/>"
            s += "<text x=\"\(Self.fixed(x + 18, 1))\" y=\"\(Self.fixed(y, 1))\">\(c.0)</text>\n"
        }
        s += "<text x=\"\(Self.fixed(width - 150, 1))\" y=\"\(Self.fixed(top + 80, 1))\" fill=\"#555\">join = track + encode</text>\n"
        s += "<text x=\"\(Self.fixed(width - 150, 1))\" y=\"\(Self.fixed(top + 96, 1))\" fill=\"#555\">+ exchange + apply</text>\n"
        s += "</svg>\n"
        return s
    }

    static func niceCeiling(_ v: Double) -> Double {
        var p = 1e-9
        while p * 10 < v { p *= 10 }
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where p * m >= v { return p * m }
        return p * 10
    }

    static func seconds(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v >= 1 { return fixed(v, 2) + " s" }
        if v >= 1e-3 { return fixed(v * 1e3, 2) + " ms" }
        return fixed(v * 1e6, 1) + " µs"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var m = 1.0
        for _ in 0..<digits { m *= 10 }
        let r = (abs(v) * m).rounded()
        let whole = Int(r / m)
        let frac = Int(r - Double(whole) * m)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 && r > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
    }

    static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
