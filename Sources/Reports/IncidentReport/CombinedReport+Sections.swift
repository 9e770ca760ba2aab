import Firewall
import Packets

/// The totals' sections: the answer over all captures, the captures, the verdicts, the flows kept by
/// tracking and how the report was produced.
extension CombinedReport {
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
                children.append(IncidentReport.noTrackedFlow)
            } else {
                children.append(IncidentReport.trackedItem(
                    flows: n, packets: edit.trackingFlows.reduce(0) { $0 + $1.packets }, bytes: edit.trackingFlows.reduce(0) { $0 + $1.bytes },
                    scope: ", over all captures", names: edit.trackingFlows.map(\.flow)))
            }
            for (t, r) in edit.remedies {
                let names = combined.timelines[t].captures.map { combined.captures[$0].summary.captureName }
                children.append(IncidentReport.remedyItem(
                    r, on: combined.timelines.count > 1 ? " on \(interfaceName(t))" : "",
                    checked: "checked by replaying \(names.joined(separator: ", ")) with it"))
            }
            if edit.cutFlows > 0 {
                children.append(IncidentReport.cutItem(flows: edit.cutFlows, packets: edit.cutPackets))
            }
            if edit.blockedFlows > 0 {
                children.append(IncidentReport.blockedItem(connections: edit.blockedFlows, packets: edit.blockedPackets))
            }
            children += edit.warnings.map(IncidentReport.warningItem)
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

    func interfaceName(_ t: Int) -> String { combined.interfaceName(t) }

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
        IncidentReport.verdictFigures(
            id: "verdict-counts", frames: combined.frames, count: combined.count(of:), skipped: combined.skippedReasons)
    }

    var stillFlowingTable: Table {
        var rows: [Table.Row] = []
        func add(_ when: String, _ flows: [CombinedSummary.MergedFlow]) {
            for f in flows {
                let spans: [Inline] = f.spans.enumerated().flatMap { k, s -> [Inline] in
                    (k > 0 ? [Inline.lineBreak] : [])
                        + [.code(s.capture), .text(s.first == s.last ? " frame \(s.first)" : " frames \(s.first)–\(s.last)")]
                }
                rows.append(IncidentReport.stillFlowingRow(
                    when: when, flow: f.flow, packets: f.packets, bytes: f.bytes, place: spans, entry: f.entry,
                    state: f.state.isEmpty ? [.text("related")] : [.text(f.state), .lineBreak, .text("expires if idle at "), .time(f.expires)],
                    data: [("flow", f.flow)]))
            }
        }
        add("before any edit", combined.trackingBeforeEdits.flows)
        for edit in combined.edits { add("after " + edit.description, edit.trackingFlows) }
        return IncidentReport.stillFlowingTable(id: "still-flowing", place: "captures and frames", rows: rows)
    }

    func flowNames(_ flows: [CombinedSummary.MergedFlow]) -> [Inline] { IncidentReport.flowNames(flows.map(\.flow)) }
}
