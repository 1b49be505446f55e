import Testing
@testable import CapeCore

@Suite("profile report")
struct ProfileReportTests {
    static let sample = """
        # cape profile: 2 ranks, tracker uffd
        region,source,calls,barriers,fork_s,compute_s,track_s,encode_s,exchange_s,apply_s,bytes_sent,bytes_received,dirty_pages
        main._omp_fn.0,heat.c:32,10,0,0.001,0.500,0.010,0.020,0.030,0.040,1000000,2000000,300
        main._omp_fn.1,heat.c:40,5,2,0.002,0.100,0.001,0.002,0.003,0.004,10,20,1

        """

    @Test("a profile parses back into its rows")
    func parse() throws {
        let r = try ProfileReport.parse(Self.sample)
        #expect(r.title == "cape profile: 2 ranks, tracker uffd")
        #expect(r.rows.count == 2)
        #expect(r.rows[0].region == "main._omp_fn.0" && r.rows[0].source == "heat.c:32" && r.rows[0].calls == 10)
        #expect(r.rows[1].barriers == 2 && r.rows[1].dirtyPages == 1 && r.rows[1].bytesReceived == 20)
        #expect(abs(r.rows[0].join - 0.100) < 1e-12)
        #expect(abs(r.rows[0].total - 0.601) < 1e-12)
    }

    @Test("the table puts the costliest region first, in milliseconds")
    func table() throws {
        let t = try ProfileReport.parse(Self.sample).table()
        let lines = t.split(separator: "\n").map(String.init)
        #expect(lines[0] == "cape profile: 2 ranks, tracker uffd")
        #expect(lines[3].hasPrefix("main._omp_fn.0"))
        #expect(lines[3].contains("601.00") && lines[3].contains("500.00") && lines[3].contains("16.6"))
        #expect(lines[4].hasPrefix("main._omp_fn.1"))
    }

    @Test("--top limits the table to the costliest regions and says how many are left out")
    func tableLimit() throws {
        let t = try ProfileReport.parse(Self.sample).table(limit: 1)
        let lines = t.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, Comment(rawValue: t))
        #expect(lines[3].hasPrefix("main._omp_fn.0"))
        #expect(!t.contains("main._omp_fn.1"))
        #expect(lines[4] == "(1 more region not shown; --top sets how many)")
    }

    @Test("the chart has one bar of three parts per region, heights in proportion")
    func svg() throws {
        let s = try ProfileReport.parse(Self.sample).svg()
        #expect(s.hasPrefix("<svg") && s.hasSuffix("</svg>\n"))
        #expect(s.components(separatedBy: "<title>").count - 1 == 6)
        #expect(s.contains("heat.c:32") && s.contains("heat.c:40"))
        // The axis tops at 1 s for a 0.601 s region; the compute part of region 0 is 0.5 s of 300 px.
        #expect(s.contains("height=\"150.0\" fill=\"#59a14f\""))
    }

    @Test("what csv() writes, parse() reads back")
    func roundTrip() throws {
        let r = try ProfileReport.parse(Self.sample)
        let again = try ProfileReport.parse(r.csv())
        #expect(again.title == r.title && again.rows == r.rows)
        var sum = ProfileRow(calls: 1, fork: 0.5, bytesSent: 7)
        sum.add(ProfileRow(calls: 2, barriers: 3, fork: 0.25, dirtyPages: 4))
        #expect(sum == ProfileRow(calls: 3, barriers: 3, fork: 0.75, bytesSent: 7, dirtyPages: 4))
    }

    @Test("files that are not profiles are refused with the reason")
    func refused() {
        #expect(throws: ProfileReport.Problem.noHeader) { try ProfileReport.parse("hello\n") }
        #expect(throws: ProfileReport.Problem.self) {
            try ProfileReport.parse(ProfileReport.columns.joined(separator: ",") + "\nmain,x.c:1,one,0,0,0,0,0,0,0,0,0,0\n")
        }
    }
}
