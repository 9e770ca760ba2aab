import Firewall
import Packets

/// The incident report of several captures (`analyze A.pcap B.pcap … --report FILE`): the totals
/// first — the answer over all captures, the captures and their interfaces, the verdicts, the flows
/// that kept flowing only because of tracking — then one section per capture, which is that
/// capture's own report (`IncidentReport`) with its headings one level down. In HTML each capture's
/// ids are prefixed `c<N>-` (`#c2-still-flowing`), so ids stay unique; the styles match both.
public struct CombinedReport: Sendable {
    public var combined: CombinedSummary
    /// The command that produced the run, as words.
    public var command: [String]

    public init(combined: CombinedSummary, command: [String] = []) {
        self.combined = combined
        self.command = command
    }

    public func render(_ format: IncidentReport.Format) -> String {
        switch format {
        case .markdown: markdown()
        case .html: html()
        }
    }

    typealias Inline = IncidentReport.Inline
    typealias Block = IncidentReport.Block
    typealias Section = IncidentReport.Section
    typealias Table = IncidentReport.Table
    typealias ListItem = IncidentReport.ListItem

    var title: String { "Incident report: \(combined.captures.count) captures" }

    /// Renders the totals' inlines and blocks (its first day is the one times leave out in HTML).
    var renderer: IncidentReport {
        var totals = Summary(captureName: title)
        totals.firstTime = combined.firstTime
        totals.lastTime = combined.lastTime
        return IncidentReport(summary: totals, command: command)
    }

    /// Each capture's own report.
    var reports: [IncidentReport] {
        combined.captures.map { IncidentReport(summary: $0.summary, command: command) }
    }

    var subtitle: [Inline] {
        var out: [Inline] = [.text("\(combined.captures.count) captures, \(count(combined.timelines.count, "interface")), \(count(combined.frames, "frame"))")]
        if let first = combined.firstTime, let last = combined.lastTime {
            out += [.text(" from "), .time(first, dated: true), .text(" to "), .time(last, dated: true),
                    .text(" (\(IncidentReport.duration(last - first)))")]
        }
        return out
    }

    func captureHeading(_ i: Int) -> String {
        let capture = combined.captures[i]
        let timeline = combined.timelines[capture.timeline]
        var text = "Capture \(i + 1): \(capture.summary.captureName) — \(timeline.name)"
        if timeline.captures.count > 1, let position = timeline.captures.firstIndex(of: i) {
            text += ", \(position + 1) of \(timeline.captures.count) in its timeline"
        }
        return text
    }

    // MARK: The totals

    var sections: [Section] {
        var out: [Section] = []
        out.append(Section(id: "answer", title: "The answer, over all captures", blocks: answerBlocks))
        out.append(Section(id: "captures-section", title: "Captures", blocks: [
            .paragraph([.text(
                "Captures of one interface are one timeline: replayed in time order through one tracking table, so an "
                    + "entry created in an earlier capture still lets a later capture's packets through. Interfaces are "
                    + "independent.")]),
            .table(capturesTable),
        ]))
        out.append(Section(id: "verdicts", title: "Verdicts, all captures", blocks: verdictBlocks))
        out.append(Section(
            id: "still-flowing-section", title: "Still flowing only because of connection tracking, all captures",
            blocks: [.table(stillFlowingTable)]))
        var defs: [(String, [Inline])] = []
        defs.append(("captures", [.text(combined.captures.map(\.summary.captureName).joined(separator: ", "))]))
        if !command.isEmpty { defs.append(("command", [.code(IncidentReport.shellQuoted(command))])) }
        defs.append(("times", [.text("UTC, RFC 3339; frames numbered from 1 in each capture, as Wireshark numbers them")]))
        out.append(Section(id: "provenance", title: "How this report was produced", blocks: [.definitions(defs)]))
        return out
    }

    var answerBlocks: [Block] {
        var items: [ListItem] = []
        let before = combined.trackingBeforeEdits
        if !before.flows.isEmpty {
            let packets = before.flows.reduce(0) { $0 + $1.packets }
            items.append(ListItem(inlines: [
                .strong("Before any edit, \(count(before.flows.count + before.more, "flow")) passed only because of connection tracking"),
                .text(" (\(count(packets, "packet"))): "),
            ] + flowNames(before.flows)))
        }
        let edits = combined.edits
        for edit in edits {
            var head: [Inline] = [.strong(edit.description), .text(" at "), .time(edit.time)]
            let applied = edit.applied.map { a in
                combined.timelines.count > 1 ? "\(interfaceName(a.timeline)): \(a.text)" : a.text
            }
            head.append(.text(" (" + (applied + [edit.source].filter { !$0.isEmpty }).joined(separator: "; ") + ")"))
            var children: [[Inline]] = []
            let n = edit.trackingFlows.count + edit.moreTrackingFlows
            if n == 0 {
                children.append([.text("No flow kept flowing only because of connection tracking.")])
            } else {
                children.append(
                    [.strong("\(count(n, "flow")) kept flowing only because of connection tracking"),
                     .text(": \(count(edit.trackingFlows.reduce(0) { $0 + $1.packets }, "packet")), "
                        + "\(edit.trackingFlows.reduce(0) { $0 + $1.bytes }) bytes after the edit, over all captures — ")]
                        + flowNames(edit.trackingFlows))
            }
            for (t, r) in edit.remedies {
                let names = combined.timelines[t].captures.map { combined.captures[$0].summary.captureName }
                children.append([
                    .strong("Would it have stopped them?"),
                    .text(" To " + r.proposal + (combined.timelines.count > 1 ? " on \(interfaceName(t))" : "") + ": " + r.outcome
                        + " (checked by replaying \(names.joined(separator: ", ")) with it)."),
                ])
            }
            if edit.cutFlows > 0 {
                children.append([.strong("\(count(edit.cutFlows, "flow")) cut"), .text(": \(count(edit.cutPackets, "packet")) dropped that the policy before the edit let through.")])
            }
            if edit.blockedFlows > 0 {
                children.append([.strong("\(count(edit.blockedFlows, "new connection")) blocked"), .text(": \(count(edit.blockedPackets, "packet")) dropped.")])
            }
            for warning in edit.warnings { children.append([.strong("Warning:"), .text(" " + warning)]) }
            items.append(ListItem(inlines: head, children: children))
        }
        if edits.isEmpty {
            items.append(ListItem(inlines: [.text("No timeline edit applies to these captures: every verdict is under the policy given.")]))
        }
        let lost = combined.conntrackLost
        if lost > 0 {
            items.append(ListItem(inlines: [
                .strong("The tracking table was full"),
                .text(": \(count(lost, "packet")) lost over all captures (each capture's section has the episodes)."),
            ]))
        }
        for capture in combined.captures {
            if let error = capture.summary.captureError {
                items.append(ListItem(inlines: [
                    .strong("A capture ends early:"), .text(" " + error + " (the frames before it were analysed)."),
                ]))
            }
        }
        return [.list(items)]
    }

    func interfaceName(_ t: Int) -> String { combined.timelines[t].interface ?? combined.timelines[t].name }

    var capturesTable: Table {
        let rows = combined.captures.enumerated().map { i, capture in
            let s = capture.summary
            let timeline = combined.timelines[capture.timeline]
            let position = timeline.captures.count > 1
                ? "\((timeline.captures.firstIndex(of: i) ?? 0) + 1) of \(timeline.captures.count)" : "alone"
            var range: [Inline] = [.text("")]
            if let first = s.firstTime, let last = s.lastTime { range = [.time(first, dated: true), .text(" to "), .time(last, dated: true)] }
            return Table.Row(
                cells: [[.text(String(i + 1))], [.code(s.captureName)], [.text(timeline.name)], [.text(position)],
                        [.text(String(s.frames))], range]
                    + Verdict.allCases.map { [.text(String(s.count(of: $0)))] },
                data: [("capture", s.captureName)])
        }
        return Table(
            id: "captures",
            columns: [.init(title: "#", alignment: .right), .init(title: "capture"), .init(title: "interface"),
                      .init(title: "timeline"), .init(title: "frames", alignment: .right), .init(title: "time range")]
                + Verdict.allCases.map { .init(title: $0.label, alignment: .right) },
            rows: rows, empty: "")
    }

    var verdictBlocks: [Block] {
        var blocks = [IncidentReport.verdictTable(frames: combined.frames) { combined.count(of: $0) }]
        let skipped = combined.skippedReasons.map { reason in
            ListItem(inlines: [.text("\(reason.count) "), .code(reason.key)] + (reason.example.map { [.text(", e.g. "), .code($0)] } ?? []))
        }
        if !skipped.isEmpty {
            blocks.append(.paragraph([.text("Skipped frames by reason:")]))
            blocks.append(.list(skipped))
        }
        return blocks
    }

    var stillFlowingTable: Table {
        var rows: [Table.Row] = []
        func add(_ when: String, _ flows: [CombinedSummary.MergedFlow]) {
            for f in flows {
                let spans: [Inline] = f.spans.enumerated().flatMap { k, s -> [Inline] in
                    (k > 0 ? [Inline.lineBreak] : [])
                        + [.code(s.capture), .text(s.first == s.last ? " frame \(s.first)" : " frames \(s.first)–\(s.last)")]
                }
                rows.append(Table.Row(
                    cells: [[.text(when)], [.flow(f.flow)], [.text(String(f.packets))], [.text(String(f.bytes))], spans,
                            IncidentReport.withTimes(f.entry),
                            f.state.isEmpty ? [.text("related")] : [.text(f.state), .lineBreak, .text("expires if idle at "), .time(f.expires)]],
                    data: [("flow", f.flow)]))
            }
        }
        add("before any edit", combined.trackingBeforeEdits.flows)
        for edit in combined.edits { add("after " + edit.description, edit.trackingFlows) }
        return Table(
            id: "still-flowing",
            columns: [.init(title: "when"), .init(title: "flow"), .init(title: "packets", alignment: .right),
                      .init(title: "bytes", alignment: .right), .init(title: "captures and frames"),
                      .init(title: "tracking entry"), .init(title: "state")],
            rows: rows, empty: "None: no packet was let through by a tracking entry alone.", rowClass: "flow")
    }

    func flowNames(_ flows: [CombinedSummary.MergedFlow]) -> [Inline] {
        var out: [Inline] = []
        for (i, f) in flows.prefix(3).enumerated() {
            if i > 0 { out.append(.text(", ")) }
            out.append(.flow(f.flow))
        }
        if flows.count > 3 { out.append(.text(" and \(flows.count - 3) more (table below)")) }
        return out
    }

    func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    // MARK: Markdown

    func markdown() -> String {
        var out = "# " + Escape.markdown(title) + "\n\n" + IncidentReport.markdown(subtitle) + "\n"
        for section in sections {
            out += "\n## " + Escape.markdown(section.title) + "\n"
            for block in section.blocks { out += "\n" + IncidentReport.markdown(block) }
        }
        for (i, report) in reports.enumerated() {
            out += "\n## " + Escape.markdown(captureHeading(i)) + "\n\n" + IncidentReport.markdown(report.subtitle) + "\n"
            for section in report.sections {
                if section.blocks.count == 1, case .timeline = section.blocks[0] { continue }
                out += "\n### " + Escape.markdown(section.title) + "\n"
                for block in section.blocks { out += "\n" + IncidentReport.markdown(block) }
            }
        }
        return out
    }

    // MARK: HTML

    func html() -> String {
        let totals = renderer
        var out = IncidentReport.htmlPageStart(title: title, css: CombinedReport.css) + """
            <header>
            <p class="kicker">sgreplay incident report</p>
            <h1>\(Escape.html(title))</h1>
            <p class="subtitle">\(totals.html(subtitle))</p>
            </header>

            """
        for section in sections {
            out += "<section id=\"\(section.id)\">\n<h2>\(Escape.html(section.title))</h2>\n"
            for block in section.blocks { out += totals.html(block) }
            out += "</section>\n\n"
        }
        for (i, report) in reports.enumerated() {
            let prefix = "c\(i + 1)-"
            out += "<section class=\"capture\" id=\"capture-\(i + 1)\">\n<h2>\(Escape.html(captureHeading(i)))</h2>\n"
            out += "<p class=\"subtitle\">\(report.html(report.subtitle))</p>\n"
            for section in report.sections {
                out += "<section id=\"\(prefix)\(section.id)\">\n<h3>\(Escape.html(section.title))</h3>\n"
                for block in section.blocks {
                    out += report.html(block).replacingAll(" id=\"", with: " id=\"\(prefix)")
                }
                out += "</section>\n"
            }
            out += "</section>\n\n"
        }
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// The single report's styles, each id selector also matching the prefixed ids of the captures'
    /// sections (`#answer` → `[id$="answer"]`), and the captures' headings one level down.
    static let css: String = {
        var css = IncidentReport.css
        for id in ["answer", "still-flowing", "cut-flows", "blocked-flows", "verdict-counts", "exhaustion", "timeline"] {
            css = css.replacingAll("#\(id) ", with: "[id$=\"\(id)\"] ")
            css = css.replacingAll("#\(id),", with: "[id$=\"\(id)\"],")
        }
        return css + """
            section.capture { margin-top: 48px; padding-top: 8px; border-top: 3px solid var(--line); }
            section.capture > h2 { border: 0; font-size: 22px; overflow-wrap: anywhere; }
            h3 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
            [id$="answer"] h3 { border: 0; margin: 12px 0 4px; }

            """
    }()
}
