import Firewall
import Packets

/// `analyze`'s summary for people: the verdicts first, then each edit and what followed it.
extension Summary {
    public func text() -> String {
        var lines: [String] = []
        var head = "\(captureName): \(frames) frame\(frames == 1 ? "" : "s")"
        if !linkTypeName.isEmpty { head += " (\(linkTypeName))" }
        if let firstTime, let lastTime { head += ", \(firstTime.rfc3339) to \(lastTime.rfc3339)" }
        lines.append(head)
        if !instanceAddresses.isEmpty {
            lines.append("instance: \(instanceAddresses.joined(separator: ", "))"
                + (instanceInferred ? " (inferred: the address seen in the most frames; give --instance to be sure)" : ""))
        }
        lines += context
        let leading = leadingWarnings
        if !leading.isEmpty {
            lines.append("")
            lines += leading.map { "warning: " + $0 }
        }
        lines.append("")
        lines += FigureText.verdictLines(verdicts, frames: frames, skipped: skippedReasons)

        let before = trackingFlows(0)
        if !before.isEmpty {
            lines.append("")
            lines.append("Before any edit, allowed only by tracking:")
            // Ten at most, and (unlike after an edit) no count of the others.
            lines += before.prefix(10).map { "  " + Summary.flowLine($0) }
        }
        if let records = timelineRecordsText {
            lines.append("")
            lines.append(records)
        }
        if !edits.isEmpty {
            lines.append("")
            lines.append("Timeline (\(edits.count) edit\(edits.count == 1 ? "" : "s")):")
            for group in editGroups {
                for i in group {
                    let edit = edits[i]
                    lines += FigureText.editLines(edit.time, edit.description, applied: edit.appliedText, source: edit.source, warnings: edit.warnings)
                }
                lines += periodLines(group.last! + 1)
            }
        }
        if conntrack.allowance != nil || conntrack.lost > 0 {
            lines.append("")
            lines.append("Connection tracking: allowance \(conntrack.allowance.map(String.init) ?? "unlimited"), "
                + "peak \(conntrack.peak) entries" + (conntrack.peakTime.map { " at \($0.rfc3339)" } ?? "")
                + ", conntrack_allowance_exceeded \(conntrack.lost)")
            for e in exhaustion {
                let until = e.end.map { "until \($0.rfc3339)" } ?? "until the end of the capture"
                lines.append("  table full from \(e.start.rfc3339) \(until): \(e.lostPackets) packets lost "
                    + "(\(e.lostFramesText)), \(e.refusedFlows) new flows refused")
            }
        }
        if decapsulatedFrames > 0 {
            lines.append("VXLAN: \(decapsulatedFrames) frames unwrapped; their inner packets were analysed")
        }
        if let captureError {
            lines.append("capture error: \(captureError) (the frames before it were analysed)")
        }
        let otherWarnings = warnings.filter { w in !edits.contains { $0.warnings.contains(w) } }
        if !otherWarnings.isEmpty {
            lines.append("")
            lines += otherWarnings.map { "warning: \($0)" }
        }
        for suggestion in suggestions { lines.append("hint: " + suggestion) }
        if !assumptions.isEmpty {
            lines.append("")
            lines.append("Assumptions: " + assumptions.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What happened in period `p` (after the edits that start it): counts, then the flows that kept
    /// going only by tracking, the flows the edit cut and the new ones it blocked.
    func periodLines(_ p: Int) -> [String] {
        var lines: [String] = []
        let until = p < edits.count ? "until the next edit" : "until the end of the capture"
        if let counts = FigureText.periodCounts(periods[p].verdicts) { lines.append("    \(until): " + counts) }
        let flows = trackingFlows(p)
        if !flows.isEmpty {
            lines.append("    still flowing only because of connection tracking:")
            lines += FigureText.listed(flows.map(Summary.flowLine), indent: "      ", unlisted: periods[p].moreTrackingFlows)
        }
        let proposals = remedies.filter { $0.afterEdit + 1 == p }
        if !proposals.isEmpty {
            lines.append("    what would have stopped them (each checked by replaying the capture with it):")
            lines += FigureText.remedyLines(proposals)
        }
        let cut = cutFlows(p)
        if !cut.isEmpty {
            lines.append("    cut by the edit (the policy before it let these through; untracked flows stop at once):")
            lines += FigureText.listed(cut.map(Summary.cutLine), indent: "      ")
        }
        let blocked = blockedFlows(p)
        if !blocked.isEmpty {
            lines.append("    new connections the edit blocked:")
            lines += FigureText.listed(blocked.map(Summary.cutLine), indent: "      ", more: "more")
        }
        if periods[p].moreCutFlows > 0 { lines.append("      … and \(periods[p].moreCutFlows) more flows cut or blocked") }
        lines += FigureText.timingLines(periods[p].timingAmbiguous)
        return lines
    }

    static func cutLine(_ f: FlowFigures) -> String {
        "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s") dropped (\(f.entry)), frames \(f.firstFrame)–\(f.lastFrame)"
    }

    static func flowLine(_ f: FlowFigures) -> String {
        "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s"), \(f.bytes) bytes, frames \(f.firstFrame)–\(f.lastFrame); "
            + "\(f.entry), \(f.state), expires if idle at \(f.expires.rfc3339)"
    }
}
