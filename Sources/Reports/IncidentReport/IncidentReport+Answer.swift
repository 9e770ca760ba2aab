import Firewall
import Packets

/// The first section: what happened, edit by edit, and what may make the answer wrong.
extension IncidentReport {
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
            children += g.edits.flatMap(\.warnings).map(IncidentReport.warningItem)
            return ListItem(inlines: head, children: children)
        }
        let tracked = summary.trackingFlows(p)
        if tracked.isEmpty {
            children.append(IncidentReport.noTrackedFlow)
        } else {
            children.append(IncidentReport.trackedItem(
                flows: tracked.count + period.moreTrackingFlows, packets: tracked.reduce(0) { $0 + $1.packets },
                bytes: tracked.reduce(0) { $0 + $1.bytes }, names: tracked.map(\.flow)))
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
            children.append(IncidentReport.remedyItem(r, checked: "checked by replay"))
        }
        let cut = summary.cutFlows(p)
        if !cut.isEmpty {
            children.append(IncidentReport.cutItem(flows: cut.count, packets: cut.reduce(0) { $0 + $1.packets }, names: cut.map(\.flow)))
        }
        let blocked = summary.blockedFlows(p)
        if !blocked.isEmpty {
            children.append(IncidentReport.blockedItem(
                connections: blocked.count, packets: blocked.reduce(0) { $0 + $1.packets }, names: blocked.map(\.flow)))
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
        children += g.edits.flatMap(\.warnings).map(IncidentReport.warningItem)
        return ListItem(inlines: head, children: children)
    }

    /// Up to three flows by name, then how many more (in a single capture's report or the totals).
    static func flowNames(_ flows: [String]) -> [Inline] {
        var out: [Inline] = []
        for (i, flow) in flows.prefix(3).enumerated() {
            if i > 0 { out.append(.text(", ")) }
            out.append(.flow(flow))
        }
        if flows.count > 3 { out.append(.text(" and \(flows.count - 3) more (table below)")) }
        return out
    }

    func flowNames(_ flows: [Summary.FlowFigures]) -> [Inline] { IncidentReport.flowNames(flows.map(\.flow)) }
}
