import Firewall
import Packets

/// The report's sections in order, and what they share: the edit groups and the periods after them.
extension IncidentReport {
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
        out.append(Section(id: id("answer"), title: "The answer", blocks: answerBlocks))
        out.append(Section(id: id("timeline-section"), title: "Timeline", blocks: [.timeline(chart)]))
        out.append(Section(
            id: id("still-flowing-section"), title: "Still flowing only because of connection tracking",
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
                id: id("cut-section"), title: "Cut by an edit",
                blocks: [
                    .paragraph([.text(
                        "Packets dropped after the edit that the policy before it would have let through. Untracked flows "
                            + "(all-open rules both ways) have no entry to keep them and stop at once; tracked ones stop "
                            + "when their entry has expired.")]),
                    .table(cutTable(id: id("cut-flows"), blocked: false)),
                ] + moreNote(\.moreCutFlows, "flows cut or blocked")))
            out.append(Section(
                id: id("blocked-section"), title: "New connections blocked by an edit",
                blocks: [
                    .paragraph([.text("Connection attempts (TCP SYN) after the edit that the policy before it would have let through.")]),
                    .table(cutTable(id: id("blocked-flows"), blocked: true)),
                ]))
        }
        out.append(Section(id: id("conntrack"), title: "Connection-tracking table", blocks: conntrackBlocks))
        out.append(Section(id: id("verdicts"), title: "Verdicts", blocks: verdictBlocks))
        out.append(Section(
            id: id("assumptions-section"), title: "Assumptions",
            blocks: [
                .paragraph([.text(
                    "The settings in force, with [choice] marking where AWS documents nothing and the model chose "
                        + "(docs/semantics.md). A setting with an option of the same name (e.g. --timeout-tcp-established) "
                        + "can be changed on the command line.")]),
                .table(assumptionsTable),
            ]))
        out.append(Section(id: id("warnings"), title: "Warnings", blocks: warningBlocks))
        out.append(Section(id: id("provenance"), title: "How this report was produced", blocks: provenanceBlocks))
        return out
    }


    /// A timeline edit group: edits at the same instant act together; `period` is what follows them.
    struct EditGroup: Sendable {
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
}
