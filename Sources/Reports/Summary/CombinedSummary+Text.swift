import Firewall
import Packets

/// The several captures' summary for people.
extension CombinedSummary {
    /// The totals first (frames, verdicts, each edit and the flows that kept flowing only because of
    /// tracking across all captures), then each capture's own summary under a heading naming it.
    public func text() -> String {
        var lines: [String] = []
        var head = "\(captures.count) captures, \(timelines.count) interface\(timelines.count == 1 ? "" : "s"): "
            + "\(frames) frame\(frames == 1 ? "" : "s")"
        if let firstTime, let lastTime { head += ", \(firstTime.rfc3339) to \(lastTime.rfc3339)" }
        lines.append(head)
        for timeline in timelines {
            let names = timeline.captures.map { captures[$0].summary.captureName }
            var line = "  \(timeline.name): "
            if names.count > 1 {
                line += names.joined(separator: ", then ")
                    + " (one timeline, in time order: tracking entries and edits carry over from one capture to the next)"
            } else {
                line += names.joined()
            }
            if let matched = timeline.matchedFrames {
                let parts = zip(timeline.captures, matched).map { i, m in
                    m.read < captures[i].summary.frames ? "\(m.matched) of its first \(m.read)" : "\(m.matched) of \(m.read)"
                }
                line += "; matched by its addresses in " + parts.joined(separator: ", ") + " frames"
            }
            lines.append(line)
        }
        lines.append("")
        lines += FigureText.verdictLines(verdicts, frames: frames, skipped: skippedReasons)

        let before = trackingBeforeEdits
        if !before.flows.isEmpty {
            lines.append("")
            lines.append("Before any edit, allowed only by tracking:")
            lines += FigureText.listed(before.flows.map(Self.flowLine), indent: "  ", unlisted: before.more)
        }
        let allEdits = edits
        if !allEdits.isEmpty {
            lines.append("")
            lines.append("Timeline (\(allEdits.count) edit\(allEdits.count == 1 ? "" : "s"), over all captures):")
            for edit in allEdits {
                let applied = edit.applied.map { a in
                    timelines.count > 1 ? "\(interfaceName(a.timeline)): \(a.text)" : a.text
                }
                lines += FigureText.editLines(
                    edit.time, edit.description, applied: applied.joined(separator: "; "), source: edit.source, warnings: edit.warnings)
                lines += periodLines(edit)
            }
        }
        let lost = conntrackLost
        if lost > 0 || summaries.contains(where: { $0.conntrack.allowance != nil }) {
            lines.append("")
            var line = "Connection tracking: conntrack_allowance_exceeded \(lost)"
            if timelines.count > 1 {
                line += " (" + timelines.indices.map { t in
                    "\(interfaceName(t)): \(timelines[t].captures.reduce(0) { $0 + captures[$1].summary.conntrack.lost })"
                }.joined(separator: ", ") + ")"
            }
            lines.append(line)
        }
        let errors = captures.compactMap { c in c.summary.captureError.map { (c.summary.captureName, $0) } }
        if !errors.isEmpty {
            lines.append("")
            for (name, error) in errors { lines.append("capture error: \(name): \(error) (the frames before it were analysed)") }
        }
        for (i, capture) in captures.enumerated() {
            lines.append("")
            lines.append("")
            let timeline = timelines[capture.timeline]
            var heading = "=== \(i + 1)/\(captures.count): \(capture.summary.captureName) — \(timeline.name)"
            if timeline.captures.count > 1, let position = timeline.captures.firstIndex(of: i) {
                heading += ", capture \(position + 1) of \(timeline.captures.count) of its timeline"
            }
            lines.append(heading + " ===")
            lines.append(capture.summary.text().dropLast().description)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The interface's id, or its name when it has none (where several interfaces are told apart).
    func interfaceName(_ t: Int) -> String { timelines[t].interface ?? timelines[t].name }

    func periodLines(_ edit: CombinedEdit) -> [String] {
        var lines: [String] = []
        if let counts = FigureText.periodCounts(edit.verdictsAfter) {
            lines.append("    after it, until the next edit, over all captures: " + counts)
        }
        let flows = edit.trackingFlows
        if !flows.isEmpty || edit.moreTrackingFlows > 0 {
            let n = flows.count + edit.moreTrackingFlows
            let packets = flows.reduce(0) { $0 + $1.packets }
            let bytes = flows.reduce(0) { $0 + $1.bytes }
            lines.append("    still flowing only because of connection tracking: \(n) flow\(n == 1 ? "" : "s"), "
                + "\(packets) packets, \(bytes) bytes" + (edit.moreTrackingFlows > 0 ? " (in the flows listed)" : ""))
            lines += FigureText.listed(flows.map(Self.flowLine), indent: "      ", unlisted: edit.moreTrackingFlows)
        }
        for t in Set(edit.remedies.map(\.timeline)).sorted() {
            let names = timelines[t].captures.map { captures[$0].summary.captureName }
            lines.append("    what would have stopped them" + (timelines.count > 1 ? " on \(interfaceName(t))" : "")
                + " (each checked by replaying \(names.joined(separator: ", ")) with it):")
            lines += FigureText.remedyLines(edit.remedies.filter { $0.timeline == t }.map(\.remedy))
        }
        if edit.cutFlows > 0 {
            lines.append("    cut by the edit: \(edit.cutFlows) flow\(edit.cutFlows == 1 ? "" : "s"), \(edit.cutPackets) packets dropped")
        }
        if edit.blockedFlows > 0 {
            lines.append("    new connections the edit blocked: \(edit.blockedFlows), \(edit.blockedPackets) packets dropped")
        }
        if edit.moreCutFlows > 0 { lines.append("    … and \(edit.moreCutFlows) more flows cut or blocked") }
        lines += FigureText.timingLines(edit.timingAmbiguous)
        return lines
    }

    static func flowLine(_ f: MergedFlow) -> String {
        let spans = f.spans.map { s in
            "\(s.capture) " + (s.first == s.last ? "frame \(s.first)" : "frames \(s.first)–\(s.last)")
        }
        return "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s"), \(f.bytes) bytes, \(spans.joined(separator: ", ")); "
            + "\(f.entry)" + (f.state.isEmpty ? "" : ", \(f.state), expires if idle at \(f.expires.rfc3339)")
    }
}
