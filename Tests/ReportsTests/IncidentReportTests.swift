@testable import Firewall
import Packets
@testable import Reports
import Testing

/// The incident report's escaper, and reports rendered from hand-made summaries: markup in the
/// inputs stays text, tables keep their shape, nothing points outside the file.
@Suite struct EscapingTests {
    static let hostile = "<script>alert(1)</script> \"q\" 'a' & | pipe"

    @Test func htmlEscapesMarkupQuotesAndAmpersands() {
        #expect(Escape.html(EscapingTests.hostile)
            == "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; | pipe")
        #expect(Escape.html("&lt;") == "&amp;lt;")
        #expect(Escape.html("tab\tnew\nline") == "tab\tnew\nline")
        #expect(Escape.html("nul\u{0}bell\u{7}c1\u{85}") == "nul\u{fffd}bell\u{fffd}c1\u{fffd}")
        #expect(Escape.html("sg-web → ünïcode 🙂") == "sg-web → ünïcode 🙂")
    }

    @Test func markdownEscapesSyntaxAndJoinsLines() {
        #expect(Escape.markdown(EscapingTests.hostile)
            == "\\<script\\>alert(1)\\</script\\> \"q\" 'a' \\& \\| pipe")
        #expect(Escape.markdown("two\nlines\r\nhere") == "two lines  here")
        #expect(Escape.markdown("*b* _i_ `c` [l](u) ~~s~~ #h \\") == "\\*b\\* \\_i\\_ \\`c\\` \\[l](u) \\~\\~s\\~\\~ \\#h \\\\")
        // An underscore inside a word cannot make emphasis: left as it is, for readable plain text.
        #expect(Escape.markdown("syn_sent conntrack_allowance_exceeded") == "syn_sent conntrack_allowance_exceeded")
        #expect(Escape.markdown("_x x_") == "\\_x x\\_")
    }

    @Test func codeSpansAreFencedAndKeepTablesWhole() {
        #expect(Escape.code("tcp 203.0.113.1:39611 > 10.0.0.5:22") == "`tcp 203.0.113.1:39611 > 10.0.0.5:22`")
        #expect(Escape.code("a|b") == "`a\\|b`")
        #expect(Escape.code("a|b", inTable: false) == "`a|b`")
        #expect(Escape.code("a`b") == "``a`b``")
        #expect(Escape.code("`x`") == "`` `x` ``")
        #expect(Escape.code("one\ntwo") == "`one two`")
    }

    @Test func hostileInputsStayTextInTheHTMLReport() {
        let html = IncidentReport(summary: ReportSamples.hostileSummary(), command: ["sgreplay", "analyze", "<x>.pcap"]).html()
        for markup in ["<script", "<img", "<i>", "<b>", "\"q\"", "'a'"] {
            #expect(!html.contains(markup), "unescaped \(markup)")
        }
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; | pipe"))
        #expect(html.contains("ticket &lt;img src=x onerror=alert(2)&gt;"))
        // Every tag in the file is one the report writes itself.
        #expect(Set(ReportSamples.tags(html)).isSubset(of: ReportSamples.reportTags), "\(Set(ReportSamples.tags(html)).subtracting(ReportSamples.reportTags))")
    }

    @Test func hostileInputsKeepTheMarkdownTablesInShape() {
        let markdown = IncidentReport(summary: ReportSamples.hostileSummary()).markdown()
        #expect(ReportSamples.rawMarkup(markdown).isEmpty, "\(ReportSamples.rawMarkup(markdown))")
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\>"))
        // Each table row has as many unescaped | as its header.
        var columns: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else { columns = nil; continue }
            let bars = ReportSamples.unescapedBars(line)
            if let columns { #expect(bars == columns, "\(line)") } else { columns = bars }
        }
    }
}

@Suite struct IncidentReportTests {
    @Test func formatComesFromTheExtension() {
        #expect(IncidentReport.Format(path: "r.md") == .markdown)
        #expect(IncidentReport.Format(path: "dir.v2/Report.MARKDOWN") == .markdown)
        #expect(IncidentReport.Format(path: "/tmp/r.html") == .html)
        #expect(IncidentReport.Format(path: "r.HTM") == .html)
        for path in ["r.txt", "report", "r.md/", ".md", "dir.md/report", "r.html.gz", "-"] {
            #expect(IncidentReport.Format(path: path) == nil, "\(path)")
        }
    }

    @Test func theShownCommandLeavesTheReportPathOut() {
        #expect(IncidentReport.shownCommand(["/x/.build/debug/sgreplay", "analyze", "c.pcap", "--report", "/tmp/r.md", "--policy", "s.yaml"])
            == ["sgreplay", "analyze", "c.pcap", "--policy", "s.yaml"])
        #expect(IncidentReport.shownCommand(["sgreplay", "c.pcap", "--report=/tmp/r.html"]) == ["sgreplay", "c.pcap"])
        #expect(IncidentReport.shellQuoted(["sgreplay", "a b.pcap", "it's", "--instance=10.0.0.5"])
            == "sgreplay 'a b.pcap' 'it'\\''s' --instance=10.0.0.5")
    }

    @Test func timesAndDurationsForPeople() {
        #expect(IncidentReport.timeText(Timestamp(nanoseconds: 1_795_295_897_970_813_000)) == "2026-11-21T21:18:17.970813Z")
        #expect(IncidentReport.timeText(Timestamp(seconds: 1_795_295_897)) == "2026-11-21T21:18:17Z")
        #expect(IncidentReport.timeText(Timestamp(seconds: 1_795_295_897, nanoseconds: 100_000_000)) == "2026-11-21T21:18:17.100Z")
        #expect(IncidentReport.timeText(Timestamp(seconds: 1_795_295_897, nanoseconds: 1)) == "2026-11-21T21:18:17.000000001Z")
        let d = { (s: Int64) in IncidentReport.duration(.seconds(s)) }
        #expect(d(432_000) == "5 d")
        #expect(d(90_000) == "1 d 1 h")
        #expect(d(7_500) == "2 h 5 min")
        #expect(d(120) == "2 min")
        #expect(d(61) == "1 min 1 s")
        #expect(d(30) == "30 s")
        #expect(IncidentReport.duration(Packets.Interval(nanoseconds: 1_500_000_000)) == "1.5 s")
        #expect(IncidentReport.duration(Packets.Interval(nanoseconds: 40_000_000)) == "0 s")
        #expect(IncidentReport.percent(1, of: 3) == "33.3 %")
        let origin = IncidentReport.withTimes("entry created at frame 8 (2026-11-21T21:17:49.075706000Z)")
        #expect(IncidentReport.markdown(origin) == "entry created at frame 8 (2026-11-21T21:17:49.075706Z)")
        #expect(IncidentReport.markdown(IncidentReport.withTimes("2026-13-21T21:17:49.075706000Z")) == "2026-13-21T21:17:49.075706000Z")
        #expect(IncidentReport.percent(0, of: 0) == "")
    }

    @Test func theHTMLFetchesNothing() {
        for summary in [ReportSamples.hostileSummary(), Summary(captureName: "empty.pcap")] {
            let html = IncidentReport(summary: summary).html()
            for reference in ["http://", "https://", "url(", "@import", "<script", "<link", "xmlns"] {
                #expect(!html.contains(reference), "\(reference)")
            }
            // No attribute that loads or links anything (the hostile text's "src=" is escaped text).
            let attributes = Set(ReportSamples.attributeNames(html))
            #expect(attributes.isDisjoint(with: ["src", "href", "xlink:href", "srcset", "action", "poster", "data", "background"]))
            #expect(attributes.isSubset(of: ReportSamples.reportAttributes), "\(attributes.subtracting(ReportSamples.reportAttributes))")
        }
    }

    @Test func theTimelineMarksEachEditAndTheAllowance() {
        let html = IncidentReport(summary: ReportSamples.hostileSummary()).html()
        #expect(html.contains("<svg id=\"timeline\""))
        #expect(html.split(separator: "class=\"edit-marker\"", omittingEmptySubsequences: false).count - 1 == 2)
        #expect(html.contains("id=\"allowance\""))
        #expect(html.contains(">allowance 3 entries</text>"))
        #expect(html.contains("id=\"occupancy\""))
        // Both bars' verdict colours are drawn.
        #expect(html.contains("class=\"bar v-allowed-by-rule\""))
        #expect(html.contains("class=\"bar v-allowed-by-tracking\""))
    }

    @Test func aLongCaptureWithManyEditsStaysReadable() {
        // A week of frames, one every 10 minutes, and 30 edits an hour apart.
        var s = Summary(captureName: "week.pcap")
        let t0: Int64 = 1_795_295_867_000_000_000
        for i in 0..<1008 {
            let t = Timestamp(nanoseconds: t0 + Int64(i) * 600_000_000_000)
            s.count(.allowedByRule, time: t)
            s.timeSeries.add(.allowedByRule, at: t.nanoseconds, liveEntries: i % 7)
        }
        s.edits = (0..<30).map {
            Summary.EditInfo(time: Timestamp(nanoseconds: t0 + Int64($0) * 3_600_000_000_000), description: "revoke sg-a/sgr-\($0)",
                source: "ct.json", firstFrame: 1 + $0 * 6, warnings: [])
        }
        s.periods = Array(repeating: Summary.Period(), count: 31)
        #expect(s.timeSeries.buckets.count <= Summary.TimeSeries.maximumBuckets)
        let svg = IncidentReport(summary: s).timelineSVG()
        #expect(svg.split(separator: "class=\"edit-marker\"", omittingEmptySubsequences: false).count - 1 == 30)
        // Labels in at most four rows; the others are markers with a tooltip only.
        let labelled = svg.split(separator: "</title><line", omittingEmptySubsequences: false).dropFirst().filter { $0.contains("<text") }
        #expect(labelled.count < 30 && labelled.count > 0)
        #expect(!svg.contains(" y=\"-"))
        let ticks = svg.split(separator: "stroke=\"#8a94a3\"/><text", omittingEmptySubsequences: false).count - 1
        #expect((3...9).contains(ticks), "\(ticks) ticks")
        #expect(svg.contains(">2026-11-22</text>") || svg.contains(">11-22") || svg.contains("time (UTC), 2026-11-21 to 2026-11-28"))
    }

    @Test func anEmptyRunStillGivesAWholeReport() {
        let report = IncidentReport(summary: Summary(captureName: "empty.pcap"))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.contains("No frames to chart."))
        #expect(report.markdown().contains("## The answer"))
    }

    @Test func renderingIsDeterministic() {
        let summary = ReportSamples.hostileSummary()
        #expect(IncidentReport(summary: summary).html() == IncidentReport(summary: summary).html())
        #expect(IncidentReport(summary: summary).markdown() == IncidentReport(summary: summary).markdown())
    }
}

enum ReportSamples {
    /// A summary as a run would leave it, with markup and pipes in every text that comes from inputs.
    static func hostileSummary() -> Summary {
        let hostile = EscapingTests.hostile
        var s = Summary(captureName: "cap <b>&\"x\".pcap")
        let t0: Int64 = 1_795_295_867_970_813_000
        let at = { (seconds: Int64) in Timestamp(nanoseconds: t0 + seconds * 1_000_000_000) }
        s.linkTypeName = "Ethernet, EN10MB"
        s.instanceAddresses = ["10.0.0.5"]
        s.assumptions = [("conntrack-max", "3"), ("exempt", "link-local AWS services + <DHCP>")]
        for second in 0..<40 {
            let verdict: Verdict = second < 30 ? .allowedByRule : (second % 2 == 0 ? .allowedByTracking : .allowedByRule)
            s.count(verdict, time: at(Int64(second)))
            s.timeSeries.add(verdict, at: at(Int64(second)).nanoseconds, liveEntries: min(second + 1, 3))
        }
        s.edits = [
            Summary.EditInfo(
                time: at(10), description: "modify sg-admin/sgr-ssh → tcp 22 \"\(hostile)\nsecond line\"",
                source: "ticket <img src=x onerror=alert(2)> | INC-1 — scenario.yaml:9: timeline[0]", firstFrame: 11,
                warnings: ["group <i>sg-x</i> | unknown"]),
            Summary.EditInfo(time: at(30), description: "revoke sg-admin/sgr-ssh", source: "s.yaml:12", firstFrame: 31, warnings: []),
        ]
        s.periods = [Summary.Period(), Summary.Period(), Summary.Period()]
        s.periods[0].verdicts[0] = 10
        s.periods[1].verdicts[0] = 20
        s.periods[2].verdicts[0] = 5
        s.periods[2].verdicts[1] = 5
        let key = FlowKey(ipProtocol: 6, instance: IPAddress(v4: 0x0a00_0005), localPort: 22, peer: IPAddress(v4: 0xcb00_7101), remotePort: 39611)
        var figures = Summary.FlowFigures(
            flow: "tcp 203.0.113.1:39611 > 10.0.0.5:22 | <u>", firstFrame: 32, firstTime: at(31), entry: "entry created at frame 8 (<by> | x)")
        figures.packets = 5
        figures.bytes = 400
        figures.lastFrame = 40
        figures.lastTime = at(39)
        figures.state = "tcp established"
        figures.expires = at(39) + .seconds(432_000)
        s.periods[2].trackingFlows[key] = figures
        var cut = Summary.FlowFigures(flow: "udp <a> | b", firstFrame: 12, firstTime: at(11), entry: "nacl-deny:100")
        cut.packets = 2
        s.periods[1].cutFlows[key] = cut
        s.warnings = ["scenario.yaml:3: <warning> | with a pipe\nand a line"] + s.edits[0].warnings
        s.conntrack.allowance = 3
        s.conntrack.peak = 3
        s.exhaustion = [Engine.ExhaustionEpisode(start: at(2), end: at(5), lostPackets: 4, refusedFlows: 2, firstLostFrame: 3, lastLostFrame: 6)]
        s.captureError = "capture <x>: truncated | record"
        return s
    }

    /// The tag names of an HTML text, closing tags with their slash.
    static func tags(_ html: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "/" || $0 == "!" }
            out.append(String(name))
            rest = after
        }
        return out
    }

    static let reportTags: Set<String> = Set(
        ["!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "p", "h1", "h2", "section", "ul", "li",
         "strong", "code", "time", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "br",
         "figure", "figcaption", "svg", "g", "line", "text", "path", "rect"].flatMap { [$0, "/" + $0] })

    /// The attribute names in the tags of an HTML text (quoted values skipped).
    static func attributeNames(_ html: String) -> [String] {
        var out: [String] = []
        var inTag = false, quote: Character?, name = "", previous: Character = " "
        for c in html {
            if let q = quote {
                if c == q { quote = nil }
            } else if !inTag {
                if c == "<" { inTag = true; name = ""; previous = "<" ; continue }
            } else if c == ">" {
                inTag = false
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "=" {
                if !name.isEmpty { out.append(name) }
                name = ""
            } else if c.isLetter || c.isNumber || c == "-" || c == ":" {
                name = (previous.isWhitespace || !name.isEmpty) ? name + String(c) : ""
            } else {
                name = ""
            }
            previous = c
        }
        return out
    }

    static let reportAttributes: Set<String> = [
        "lang", "charset", "name", "content", "id", "class", "datetime", "title", "viewBox", "role", "aria-label", "x", "y",
        "x1", "x2", "y1", "y2", "width", "height", "d", "fill", "stroke", "stroke-width", "stroke-dasharray",
        "stroke-linejoin", "text-anchor", "transform", "font-size", "font-weight", "style", "data-edit", "data-flow",
        "data-period", "data-verdict", "data-setting",
    ]

    /// Lines of a Markdown text with a `<` that is neither backslash-escaped nor in a code span.
    static func rawMarkup(_ markdown: String) -> [Substring] {
        markdown.split(separator: "\n").filter { line in
            var fence = 0, escaped = false, i = line.startIndex
            while i < line.endIndex {
                let c = line[i]
                if c == "`" && !escaped {
                    var run = 0
                    while i < line.endIndex && line[i] == "`" { run += 1; i = line.index(after: i) }
                    fence = fence == 0 ? run : (fence == run ? 0 : fence)
                    continue
                }
                if c == "<" && !escaped && fence == 0 { return true }
                escaped = c == "\\" && !escaped
                i = line.index(after: i)
            }
            return false
        }
    }

    /// `|` not preceded by a backslash.
    static func unescapedBars(_ line: Substring) -> Int {
        var n = 0, escaped = false
        for c in line {
            if c == "|" && !escaped { n += 1 }
            escaped = c == "\\" && !escaped
        }
        return n
    }
}
