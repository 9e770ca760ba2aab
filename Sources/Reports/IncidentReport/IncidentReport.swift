import Firewall
import Packets

/// The incident report (`analyze --report FILE.md|FILE.html`): a run's `Summary` as a document to
/// attach to an incident ticket, the answer first. The content is built once, here, as sections of
/// paragraphs, lists and tables; `+Markdown` and `+HTML` only render it (and the HTML adds the SVG
/// timeline of `+Timeline`). Everything taken from the inputs is escaped by the renderers through
/// `Escape`. The output depends only on the summary and the command line, so golden files are stable.
///
///     let report = IncidentReport(summary: summary, command: ["sgreplay", "analyze", "capture.pcap"])
///     let html = report.render(.html)
public struct IncidentReport: Sendable {
    public var summary: Summary
    /// The command that produced the run, as words (shown quoted for a shell).
    public var command: [String]

    public init(summary: Summary, command: [String] = []) {
        self.summary = summary
        self.command = command
    }

    public enum Format: String, Sendable, CaseIterable {
        case markdown, html

        /// By the file's extension: `.md`/`.markdown` or `.html`/`.htm` (any case); nil otherwise.
        public init?(path: String) {
            let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            switch name[name.index(after: dot)...].lowercased() {
            case "md", "markdown": self = .markdown
            case "html", "htm": self = .html
            default: return nil
            }
        }
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .markdown: markdown()
        case .html: html()
        }
    }

    /// The command line to show: the program's name without its directory, the `--report` option
    /// left out (the report's own path would make the same run give different files).
    public static func shownCommand(_ arguments: [String]) -> [String] {
        guard let first = arguments.first else { return [] }
        var out = [String(first.split(separator: "/").last ?? "sgreplay")]
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            if a == "--report" { i += 2; continue }
            if a.hasPrefix("--report=") { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }

    /// Words joined for a POSIX shell: plain words as they are, others in single quotes.
    static func shellQuoted(_ words: [String]) -> String {
        words.map { word in
            let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || "-_./:=,+@%".unicodeScalars.contains($0)
            }
            return plain ? word : "'" + word.replacingAll("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

// MARK: The document, independent of the format

extension IncidentReport {
    /// A run of text. Every string is escaped by the renderer, whatever its origin.
    enum Inline: Sendable {
        case text(String)
        case strong(String)
        /// Flows, addresses, file names, commands: monospace, shown literally.
        case code(String)
        /// An instant; `dated`: always with its date (HTML leaves out the capture's first day otherwise).
        case time(Timestamp, dated: Bool = false)
        /// A flow (`tcp 203.0.113.1:39611 > 10.0.0.5:22`): monospace, never broken across lines.
        case flow(String)
        /// A line break in HTML; a space in Markdown, where a table cell is one line.
        case lineBreak
        /// A verdict name, coloured in HTML.
        case verdict(Verdict)
    }

    struct ListItem: Sendable {
        var inlines: [Inline]
        var children: [[Inline]] = []
    }

    struct Table: Sendable {
        enum Alignment: Sendable { case left, right }
        struct Column: Sendable {
            var title: String
            var alignment: Alignment = .left
        }
        struct Row: Sendable {
            var cells: [[Inline]]
            /// HTML data-* attributes for DOM checks (e.g. ("flow", "tcp 203.0.113.1:39611 > 10.0.0.5:22")).
            var data: [(String, String)] = []
        }
        var id: String
        var columns: [Column]
        var rows: [Row]
        /// Shown instead of an empty table.
        var empty: String
        /// The HTML class of each row (`flow` in the flow tables).
        var rowClass: String? = nil
    }

    enum Block: Sendable {
        case paragraph([Inline])
        case list([ListItem])
        case table(Table)
        /// key: value lines.
        case definitions([(String, [Inline])])
        /// The SVG timeline: HTML only (Markdown says where to find it).
        case timeline
    }

    struct Section: Sendable {
        var id: String
        var title: String
        var blocks: [Block]
    }

    var title: String { "Incident report: \(summary.captureName)" }

    /// The one-line subtitle: capture, time range, instance.
    var subtitle: [Inline] {
        var out: [Inline] = [.code(summary.captureName), .text(": \(summary.frames) frame\(plural(summary.frames))")]
        if let first = summary.firstTime, let last = summary.lastTime {
            out += [.text(" from "), .time(first, dated: true), .text(" to "), .time(last, dated: true),
                    .text(" (\(IncidentReport.duration(last - first)))")]
        }
        if !summary.instanceAddresses.isEmpty {
            out += [.text("; instance "), .code(summary.instanceAddresses.joined(separator: ", "))]
        }
        return out
    }

    /// Every section in order: the answer first, then the evidence, then how it was obtained.
    var sections: [Section] {
        var out: [Section] = []
        out.append(Section(id: "answer", title: "The answer", blocks: answerBlocks))
        out.append(Section(id: "timeline-section", title: "Timeline", blocks: [.timeline]))
        out.append(Section(
            id: "still-flowing-section", title: "Still flowing only because of connection tracking",
            blocks: [
                .paragraph([.text(
                    "Packets that no rule in force permitted, let through by a live tracking entry. A tracked flow "
                        + "survives the removal of the rule that created its entry until the entry is idle for its timeout; "
                        + "ending the connection, or a NACL deny for the peer, stops it.")]),
                .table(stillFlowingTable),
            ] + moreNote(\.moreTrackingFlows, "flows")))
        // Without edits there is nothing to cut or block.
        if !groups.isEmpty {
            out.append(Section(
                id: "cut-section", title: "Cut by an edit",
                blocks: [
                    .paragraph([.text(
                        "Packets dropped after the edit that the policy before it would have let through. Untracked flows "
                            + "(all-open rules both ways) have no entry to keep them and stop at once; tracked ones stop "
                            + "when their entry has expired.")]),
                    .table(cutTable(id: "cut-flows", blocked: false)),
                ] + moreNote(\.moreCutFlows, "flows cut or blocked")))
            out.append(Section(
                id: "blocked-section", title: "New connections blocked by an edit",
                blocks: [
                    .paragraph([.text("Connection attempts (TCP SYN) after the edit that the policy before it would have let through.")]),
                    .table(cutTable(id: "blocked-flows", blocked: true)),
                ]))
        }
        out.append(Section(id: "conntrack", title: "Connection-tracking table", blocks: conntrackBlocks))
        out.append(Section(id: "verdicts", title: "Verdicts", blocks: verdictBlocks))
        out.append(Section(
            id: "assumptions-section", title: "Assumptions",
            blocks: [
                .paragraph([.text(
                    "The settings in force, with [choice] marking where AWS documents nothing and the model chose "
                        + "(SEMANTICS.md). A setting with an option of the same name (e.g. --timeout-tcp-established) "
                        + "can be changed on the command line.")]),
                .table(assumptionsTable),
            ]))
        out.append(Section(id: "warnings", title: "Warnings", blocks: warningBlocks))
        out.append(Section(id: "provenance", title: "How this report was produced", blocks: provenanceBlocks))
        return out
    }

    // MARK: The answer

    /// A timeline edit group: edits at the same instant act together; `period` is what follows them.
    struct EditGroup {
        var number: Int
        var edits: [Summary.EditInfo]
        var period: Int
        var time: Timestamp { edits[0].time }
        var firstFrame: Int { edits[0].firstFrame }
        var label: String { edits.map(\.description).joined(separator: " + ") }
    }

    var groups: [EditGroup] {
        summary.editGroups.enumerated().map { n, indices in
            EditGroup(number: n + 1, edits: indices.map { summary.edits[$0] }, period: indices.last! + 1)
        }
    }

    var answerBlocks: [Block] {
        // What may make the answer wrong comes before it.
        var items = summary.leadingWarnings.map { ListItem(inlines: [.strong("Warning:"), .text(" " + $0)]) }
        let warningCount = items.count
        let before = summary.trackingFlows(0)
        if !before.isEmpty {
            let packets = before.reduce(0) { $0 + $1.packets }
            items.append(ListItem(
                inlines: [.strong((groups.isEmpty ? "" : "Before any edit, ")
                    + "\(count(before.count + summary.periods[0].moreTrackingFlows, "flow")) "
                    + "passed only because of connection tracking"), .text(" (no rule permitted \(packets == 1 ? "that packet" : "those \(packets) packets")): ")]
                    + flowNames(before),
                children: []))
        }
        // With many edits, those that changed nothing in the capture are named together at the end.
        var quiet: [EditGroup] = []
        for group in groups {
            if groups.count > 5 && isQuiet(group) { quiet.append(group) } else { items.append(answerItem(group)) }
        }
        if !quiet.isEmpty {
            let noun = quiet.count == groups.count ? "edit" : "more edit"
            var inlines: [Inline] = [.strong("\(count(quiet.count, noun)): no flow kept by tracking, cut or blocked"), .text(": ")]
            for (i, g) in quiet.prefix(10).enumerated() {
                if i > 0 { inlines.append(.text("; ")) }
                inlines += [.text(g.label + " at "), .time(g.time)]
            }
            if quiet.count > 10 { inlines.append(.text("; and \(quiet.count - 10) more (see Verdicts by period)")) }
            items.append(ListItem(inlines: inlines))
        }
        if groups.isEmpty {
            items.append(ListItem(inlines: [.text("No timeline edit applies to this capture: every verdict is under the policy given.")]))
        }
        for e in summary.exhaustion {
            var inlines: [Inline] = [.strong("The tracking table was full"), .text(" from "), .time(e.start)]
            inlines += e.end.map { [.text(" to "), .time($0)] } ?? [.text(" to the end of the capture")]
            inlines.append(.text(
                ": \(count(e.lostPackets, "packet")) lost (\(e.lostFramesText)), "
                    + "\(count(e.refusedFlows, "new flow")) refused"
                    + (summary.conntrack.allowance.map { "; allowance \($0) entries, peak \(summary.conntrack.peak)" } ?? "") + "."))
            items.append(ListItem(inlines: inlines))
        }
        if items.count == warningCount + 1 && groups.isEmpty && summary.exhaustion.isEmpty && before.isEmpty {
            let dropped = summary.count(of: .dropped)
            items.append(ListItem(inlines: [.text(
                "No frame was allowed only by tracking or lost to a full table; "
                    + (dropped > 0 ? "\(count(dropped, "frame")) dropped (see Verdicts)." : "nothing was dropped."))]))
        }
        for suggestion in summary.suggestions { items.append(ListItem(inlines: [.strong("Hint:"), .text(" " + suggestion)])) }
        if let error = summary.captureError {
            items.append(ListItem(inlines: [.strong("The capture ends early:"), .text(" " + error + " (the frames before it were analysed).")]))
        }
        return [.list(items)]
    }

    /// Nothing to say about the flows after this edit: no tracking, cut or blocked flow, no warning.
    func isQuiet(_ g: EditGroup) -> Bool {
        let p = summary.periods[g.period]
        return p.trackingFlows.isEmpty && p.cutFlows.isEmpty && p.blockedFlows.isEmpty && p.moreTrackingFlows == 0
            && p.moreCutFlows == 0 && g.edits.allSatisfy(\.warnings.isEmpty)
    }

    func answerItem(_ g: EditGroup) -> ListItem {
        var head: [Inline] = []
        for (i, edit) in g.edits.enumerated() {
            if i > 0 { head.append(.text(i == g.edits.count - 1 ? " and " : ", ")) }
            head.append(.strong(edit.description))
        }
        head += [.text(" at "), .time(g.time)]
        head.append(.text(", " + g.edits[0].appliedText))
        let sources = g.edits.map(\.source).filter { !$0.isEmpty }
        if !sources.isEmpty { head.append(.text(" (" + sources.joined(separator: "; ") + ")")) }

        var children: [[Inline]] = []
        let p = g.period
        let period = summary.periods[p]
        if period.verdicts.reduce(0, +) == 0 {
            children.append([.text(p < summary.edits.count
                ? "No frame before the next edit." : "No frame after it: the capture ends first.")])
            for warning in g.edits.flatMap(\.warnings) { children.append([.strong("Warning:"), .text(" " + warning)]) }
            return ListItem(inlines: head, children: children)
        }
        let tracked = summary.trackingFlows(p)
        if tracked.isEmpty {
            children.append([.text("No flow kept flowing only because of connection tracking.")])
        } else {
            let n = tracked.count + period.moreTrackingFlows
            children.append(
                [.strong("\(count(n, "flow")) kept flowing only because of connection tracking"),
                 .text(": \(count(tracked.reduce(0) { $0 + $1.packets }, "packet")), \(tracked.reduce(0) { $0 + $1.bytes }) bytes after the edit — ")]
                    + flowNames(tracked))
            let entries = tracked.filter { !$0.state.isEmpty }
            if let latest = entries.max(by: { $0.expires < $1.expires }) {
                children.append(entries.count == 1
                    ? [.text("Its entry (\(latest.state)) expires if the flow stays idle, at "), .time(latest.expires),
                       .text(" (\(IncidentReport.duration(latest.expires - latest.lastTime)) after its last packet); "
                        + "a NACL deny for the peer or the end of the connection stops it sooner.")]
                    : [.text("If they stay idle, the last of their entries expires at "), .time(latest.expires),
                       .text("; a NACL deny for the peers or the end of the connections stops them sooner.")])
            }
        }
        // Remedies, each checked by replaying the capture with it added at the edit's instant.
        for r in summary.remedies where r.afterEdit + 1 == p {
            children.append([.strong("Would it have stopped them?"), .text(" To " + r.proposal + ": " + r.outcome + " (checked by replay).")])
        }
        let cut = summary.cutFlows(p)
        if !cut.isEmpty {
            children.append(
                [.strong("\(count(cut.count, "flow")) cut"),
                 .text(": \(count(cut.reduce(0) { $0 + $1.packets }, "packet")) dropped that the policy before the edit let through — ")]
                    + flowNames(cut))
        }
        let blocked = summary.blockedFlows(p)
        if !blocked.isEmpty {
            children.append(
                [.strong("\(count(blocked.count, "new connection")) blocked"),
                 .text(": \(count(blocked.reduce(0) { $0 + $1.packets }, "packet")) dropped — ")] + flowNames(blocked))
        }
        if cut.isEmpty && blocked.isEmpty {
            children.append([.text("No flow cut, no new connection blocked.")])
        }
        let counts = Verdict.allCases.filter { $0 != .skipped && period.verdicts[Int($0.rawValue)] > 0 }
        if !counts.isEmpty {
            var inlines: [Inline] = [.text(p < summary.edits.count ? "Until the next edit: " : "Until the end of the capture: ")]
            for (i, v) in counts.enumerated() {
                if i > 0 { inlines.append(.text(", ")) }
                inlines += [.text("\(period.verdicts[Int(v.rawValue)]) "), .verdict(v)]
            }
            inlines.append(.text("."))
            children.append(inlines)
        }
        if period.timingAmbiguous > 0 {
            children.append([.text(
                "\(count(period.timingAmbiguous, "frame")) within the timing uncertainty after the edit (AWS applies edits after a short delay): "
                    + "their verdicts could go either way.")])
        }
        for warning in g.edits.flatMap(\.warnings) { children.append([.strong("Warning:"), .text(" " + warning)]) }
        return ListItem(inlines: head, children: children)
    }

    /// Up to three flows by name, then how many more.
    func flowNames(_ flows: [Summary.FlowFigures]) -> [Inline] {
        var out: [Inline] = []
        for (i, f) in flows.prefix(3).enumerated() {
            if i > 0 { out.append(.text(", ")) }
            out.append(.flow(f.flow))
        }
        if flows.count > 3 { out.append(.text(" and \(flows.count - 3) more (table below)")) }
        return out
    }

    func moreNote(_ key: KeyPath<Summary.Period, Int>, _ what: String) -> [Block] {
        let more = summary.periods.reduce(0) { $0 + $1[keyPath: key] }
        guard more > 0 else { return [] }
        return [.paragraph([.text(
            "… and \(more) more \(what), not itemised (at most \(Summary.flowLimit) per edit are).")])]
    }

    /// "after revoke …" for the period following a group, "before any edit" for period 0.
    func periodName(_ p: Int) -> String {
        if p == 0 { return groups.isEmpty ? "whole capture (no edit)" : "before any edit" }
        return groups.first { $0.period == p }.map { "after " + $0.label } ?? "after edit \(p)"
    }

    /// Periods that follow an edit group (or the start), in order.
    var periodsShown: [Int] { [0] + groups.map(\.period) }

    // MARK: Flow tables

    var stillFlowingTable: Table {
        var rows: [Table.Row] = []
        for p in periodsShown {
            for f in summary.trackingFlows(p) {
                rows.append(Table.Row(
                    cells: [
                        [.text(periodName(p))], [.flow(f.flow)], [.text(String(f.packets))], [.text(String(f.bytes))],
                        frameRange(f), IncidentReport.withTimes(f.entry),
                        f.state.isEmpty
                            ? [.text("related: lives with the flow it relates to")]
                            : [.text(f.state), .lineBreak, .text("expires if idle at "), .time(f.expires),
                               .text(" (\(IncidentReport.duration(f.expires - f.lastTime)) after the last packet)")],
                    ],
                    data: [("flow", f.flow), ("period", String(p))]))
            }
        }
        return Table(
            id: "still-flowing",
            columns: [
                .init(title: "when"), .init(title: "flow"), .init(title: "packets", alignment: .right),
                .init(title: "bytes", alignment: .right), .init(title: "frames and times"), .init(title: "tracking entry"),
                .init(title: "state"),
            ],
            rows: rows, empty: "None: no packet was let through by a tracking entry alone.", rowClass: "flow")
    }

    func cutTable(id: String, blocked: Bool) -> Table {
        var rows: [Table.Row] = []
        for g in groups {
            let flows = blocked ? summary.blockedFlows(g.period) : summary.cutFlows(g.period)
            for f in flows {
                rows.append(Table.Row(
                    cells: [
                        [.text("after " + g.label)], [.flow(f.flow)], [.text(String(f.packets))], frameRange(f), [.code(f.entry)],
                    ],
                    data: [("flow", f.flow), ("period", String(g.period))]))
            }
        }
        return Table(
            id: id,
            columns: [
                .init(title: "when"), .init(title: "flow"), .init(title: "packets dropped", alignment: .right),
                .init(title: "frames and times"), .init(title: "reason"),
            ],
            rows: rows, empty: blocked ? "None." : "None: no flow was cut by an edit.", rowClass: "flow")
    }

    /// `frames 64–113` and the first and last packets' times.
    func frameRange(_ f: Summary.FlowFigures) -> [Inline] {
        f.firstFrame == f.lastFrame
            ? [.text("frame \(f.firstFrame)"), .lineBreak, .time(f.firstTime)]
            : [.text("frames \(f.firstFrame)–\(f.lastFrame)"), .lineBreak, .time(f.firstTime), .text(" to "), .time(f.lastTime)]
    }

    /// Text with the RFC 3339 instants inside it (`entry created at frame 8 (2026-…000Z)`, as the
    /// summary words it) as times, so that they read like the report's other times.
    static func withTimes(_ text: String) -> [Inline] {
        let chars = Array(text.utf8)
        var out: [Inline] = []
        var start = 0, i = 0
        while i + 30 <= chars.count {
            if let t = rfc3339(chars[i..<i + 30]) {
                if i > start { out.append(.text(String(decoding: chars[start..<i], as: UTF8.self))) }
                out.append(.time(t))
                i += 30
                start = i
            } else {
                i += 1
            }
        }
        if start < chars.count { out.append(.text(String(decoding: chars[start...], as: UTF8.self))) }
        return out
    }

    /// `2026-11-21T21:17:49.075706000Z` (exactly as `Timestamp.rfc3339` writes it) → the instant.
    static func rfc3339(_ b: ArraySlice<UInt8>) -> Timestamp? {
        let b = Array(b)
        let pattern = Array("dddd-dd-ddTdd:dd:dd.dddddddddZ".utf8)
        var value: Int64 = 0
        var numbers: [Int64] = []
        for (c, p) in zip(b, pattern) {
            if p == UInt8(ascii: "d") {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            } else {
                guard c == p else { return nil }
                numbers.append(value)
                value = 0
            }
        }
        // numbers: year, month, day, hour, minute, second, fraction (before "Z").
        guard numbers.count == 7, (1...12).contains(numbers[1]), (1...31).contains(numbers[2]) else { return nil }
        let days = Timestamp.days(fromCivil: numbers[0], numbers[1], numbers[2])
        let seconds = days * 86_400 + numbers[3] * 3600 + numbers[4] * 60 + numbers[5]
        return Timestamp(seconds: seconds, nanoseconds: numbers[6])
    }

    // MARK: Conntrack

    var conntrackBlocks: [Block] {
        let c = summary.conntrack
        var defs: [(String, [Inline])] = []
        defs.append(("allowance", [.text(c.allowance.map { "\($0) entries" } ?? "unlimited (AWS does not publish it; give --conntrack-max)")]))
        var peak: [Inline] = [.text(c.peak == 1 ? "1 entry" : "\(c.peak) entries")]
        if let t = c.peakTime { peak += [.text(" at "), .time(t)] }
        defs.append(("peak occupancy", peak))
        defs.append(("entries created", [.text(String(c.created))]))
        if c.preexisting > 0 { defs.append(("assumed established before the capture", [.text(String(c.preexisting))])) }
        defs.append(("live at the end", [.text(String(c.liveAtEnd))]))
        defs.append(("conntrack_allowance_exceeded", [.text("\(count(c.lost, "packet")) lost")]))
        var blocks: [Block] = [.definitions(defs)]
        let rows = summary.exhaustion.map { e in
            Table.Row(cells: [
                [.time(e.start)], e.end.map { [.time($0)] } ?? [.text("end of capture")],
                [.text(String(e.lostPackets))],
                [.text(e.firstLostFrame > 0 ? String(e.firstLostFrame) : "…"), .text(" – "),
                 .text(e.lastLostFrame > 0 ? String(e.lastLostFrame) : "…")],
                [.text(String(e.refusedFlows))],
            ])
        }
        blocks.append(.table(Table(
            id: "exhaustion",
            columns: [
                .init(title: "table full from"), .init(title: "until"), .init(title: "packets lost", alignment: .right),
                .init(title: "frames", alignment: .right), .init(title: "new flows refused", alignment: .right),
            ],
            rows: rows,
            empty: c.allowance == nil ? "The table was never full (no allowance set)." : "The table was never full.",
            rowClass: "episode")))
        return blocks
    }

    // MARK: Verdicts

    /// The table of verdict counts (`#verdict-counts`), for one capture or for several.
    static func verdictTable(frames: Int, count: (Verdict) -> Int) -> Block {
        var rows: [Table.Row] = Verdict.allCases.map { v in
            let n = count(v)
            return Table.Row(
                cells: [[.verdict(v)], [.text(String(n))], [.text(IncidentReport.percent(n, of: frames))]],
                data: [("verdict", v.label)])
        }
        rows.append(Table.Row(cells: [[.strong("all frames")], [.strong(String(frames))], [.text("")]]))
        return .table(Table(
            id: "verdict-counts",
            columns: [.init(title: "verdict"), .init(title: "frames", alignment: .right), .init(title: "share", alignment: .right)],
            rows: rows, empty: ""))
    }

    var verdictBlocks: [Block] {
        var blocks = [IncidentReport.verdictTable(frames: summary.frames) { summary.count(of: $0) }]

        var skipped: [ListItem] = []
        for category in DecodeAnomaly.Category.allCases where summary.anomalies[category.rawValue] > 0 {
            var inlines: [Inline] = [.text("\(summary.anomalies[category.rawValue]) "), .code(category.key)]
            if let example = summary.anomalyExamples[category.rawValue] { inlines += [.text(", e.g. "), .code(example)] }
            skipped.append(ListItem(inlines: inlines))
        }
        for (key, n) in summary.otherSkipCounts { skipped.append(ListItem(inlines: [.text("\(n) "), .code(key)])) }
        if summary.nonPackets > 0 {
            skipped.append(ListItem(inlines: [.text("\(summary.nonPackets) "), .code("not-a-packet"), .text(" (pcapng custom blocks)")]))
        }
        if !skipped.isEmpty {
            blocks.append(.paragraph([.text("Skipped frames by reason:")]))
            blocks.append(.list(skipped))
        }
        if !groups.isEmpty {
            let shown = Verdict.allCases
            let periodRows = periodsShown.map { p in
                let from: [Inline] = p == 0
                    ? (summary.firstTime.map { [.time($0)] } ?? [.text("")])
                    : [.time(groups.first { $0.period == p }!.time)]
                return Table.Row(
                    cells: [[.text(periodName(p))], from] + shown.map { [.text(String(summary.periods[p].verdicts[Int($0.rawValue)]))] },
                    data: [("period", String(p))])
            }
            blocks.append(.paragraph([.text("By period between edits:")]))
            blocks.append(.table(Table(
                id: "verdicts-by-period",
                columns: [.init(title: "period"), .init(title: "from")] + shown.map { .init(title: $0.label, alignment: .right) },
                rows: periodRows, empty: "")))
        }
        return blocks
    }

    // MARK: Assumptions, warnings, provenance

    /// What each setting of `EngineOptions.assumptions` means, and whether AWS documents it.
    static let assumptionNotes: [String: String] = [
        "conntrack-max": "[choice] tracking allowance of the interface (AWS does not publish it)",
        "assume-established": "[choice] flows whose first captured packet is not a SYN existed before the capture",
        "timeout-tcp-established": "AWS: idle timeout of an established TCP entry (TcpEstablishedTimeout)",
        "timeout-udp": "AWS: UDP seen one way, or a single request-response (UdpTimeout)",
        "timeout-udp-stream": "AWS: UDP with more than one request-response (UdpStreamTimeout)",
        "timeout-tcp-handshake": "[choice] SYN seen, handshake incomplete (Linux syn_sent)",
        "timeout-tcp-closing": "[choice] FIN seen from both sides, or FIN then ACK",
        "timeout-tcp-reset": "[choice] after a RST",
        "timeout-icmp": "[choice] ICMP and ICMPv6",
        "timeout-other": "AWS: other IP protocols",
        "untracked-needs": "[choice] which rules make a TCP/UDP flow untracked",
        "exempt": "[choice] traffic security groups do not filter",
        "edit-uncertainty": "[choice] frames this close after an edit are marked timing-ambiguous",
        "auto-tracked": "peers whose flows are always tracked (NAT gateways, load balancers)",
    ]

    var assumptionsTable: Table {
        Table(
            id: "assumptions",
            columns: [.init(title: "setting"), .init(title: "value"), .init(title: "meaning")],
            rows: summary.assumptions.map { name, value in
                Table.Row(
                    cells: [[.code(name)], [.text(value)], [.text(IncidentReport.assumptionNotes[name] ?? "")]],
                    data: [("setting", name)])
            },
            empty: "None recorded.")
    }

    var warningBlocks: [Block] {
        // Edits' warnings are in the answer, under their edit (as in the text summary).
        let editWarnings = Set(summary.edits.flatMap(\.warnings))
        var items = (summary.leadingWarnings + summary.warnings.filter { !editWarnings.contains($0) }).map { ListItem(inlines: [.text($0)]) }
        if let records = summary.timelineRecordsText { items.append(ListItem(inlines: [.text(records)])) }
        if let error = summary.captureError {
            items.append(ListItem(inlines: [.text("capture error: \(error) (the frames before it were analysed)")]))
        }
        items += summary.suggestions.map { ListItem(inlines: [.text("hint: " + $0)]) }
        return items.isEmpty ? [.paragraph([.text("None.")])] : [.list(items)]
    }

    var provenanceBlocks: [Block] {
        var defs: [(String, [Inline])] = []
        defs.append(("capture", [.code(summary.captureName)] + (summary.linkTypeName.isEmpty ? [] : [.text(" (\(summary.linkTypeName))")])))
        defs.append(("frames", [.text("\(summary.frames) (\(summary.ipFrames) with an IP header)")]))
        if let first = summary.firstTime, let last = summary.lastTime {
            defs.append(("time range", [.time(first, dated: true), .text(" to "), .time(last, dated: true), .text(" (\(IncidentReport.duration(last - first)))")]))
        }
        if !summary.instanceAddresses.isEmpty {
            defs.append((
                "instance",
                [.code(summary.instanceAddresses.joined(separator: ", "))]
                    + (summary.instanceInferred ? [.text(" (inferred: the address seen in the most frames)")] : [])))
        }
        if summary.decapsulatedFrames > 0 {
            defs.append(("VXLAN", [.text("\(summary.decapsulatedFrames) frames unwrapped; their inner packets were analysed")]))
        }
        defs.append(("timeline", [.text(summary.edits.isEmpty ? "no edits" : count(summary.edits.count, "edit"))]))
        if !command.isEmpty { defs.append(("command", [.code(IncidentReport.shellQuoted(command))])) }
        defs.append(("times", [.text("UTC, RFC 3339; frames numbered from 1 as Wireshark numbers them")]))
        return [.definitions(defs)]
    }

    // MARK: Text helpers

    func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(plural(n))" }
    func plural(_ n: Int) -> String { n == 1 ? "" : "s" }

    /// `12.5 %` with one decimal, from integers (no floating-point formatting differences).
    static func percent(_ n: Int, of total: Int) -> String {
        guard total > 0 else { return "" }
        let tenths = (n * 1000 + total / 2) / total
        return "\(tenths / 10).\(tenths % 10) %"
    }

    /// A time for people: RFC 3339 UTC, trailing zero groups of the fraction left out.
    static func timeText(_ t: Timestamp) -> String {
        var s = t.rfc3339
        for _ in 0..<3 where s.hasSuffix("000Z") {
            s.removeLast(4)
            s += "Z"
        }
        if s.hasSuffix(".Z") { s.removeLast(2); s += "Z" }
        return s
    }

    /// `5 d`, `2 h 5 min`, `3 min 20 s`, `12 s`, `1.5 s`.
    static func duration(_ d: Packets.Duration) -> String {
        let ns = max(d.nanoseconds, 0)
        let s = ns / 1_000_000_000
        if s >= 86_400 {
            let h = s % 86_400 / 3600
            return "\(s / 86_400) d" + (h > 0 ? " \(h) h" : "")
        }
        if s >= 3600 {
            let m = s % 3600 / 60
            return "\(s / 3600) h" + (m > 0 ? " \(m) min" : "")
        }
        if s >= 60 {
            let r = s % 60
            return "\(s / 60) min" + (r > 0 ? " \(r) s" : "")
        }
        if s >= 10 { return "\(s) s" }
        let tenths = (ns + 50_000_000) / 100_000_000
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}
