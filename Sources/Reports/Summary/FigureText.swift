import Firewall
import Packets

/// What a capture's `Summary` and the totals of a `CombinedSummary` write alike: the verdict table
/// with the skipped frames under it, a period's counts, remedies, edits and flow lists. One piece
/// of code for both, so that the two renderings cannot drift apart.
enum FigureText {
    static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    /// "  allowed-by-rule   65" for every verdict, then "      2 not-ip  e.g. …" per skipped reason.
    static func verdictLines(_ verdicts: [Int], frames: Int, skipped: [SkippedReason]) -> [String] {
        let width = Verdict.allCases.map { $0.label.count }.max() ?? 0
        let numberWidth = max(String(frames).count, 1)
        var lines = Verdict.allCases.map { verdict in
            "  " + pad(verdict.label, width) + "  " + padLeft(String(verdicts[Int(verdict.rawValue)]), numberWidth)
        }
        for reason in skipped {
            let example = reason.example.map { "  e.g. \($0)" } ?? ""
            lines.append("    " + padLeft(String(reason.count), numberWidth) + " " + reason.key + example + reason.note)
        }
        return lines
    }

    /// `{"allowed-by-rule": 65, …}` in `Verdict` order.
    static func verdictJSON(_ counts: [Int]) -> JSON {
        .object(Verdict.allCases.map { ($0.label, .int(counts[Int($0.rawValue)])) })
    }

    /// `{"not-ip": 2, …}`.
    static func skippedJSON(_ skipped: [SkippedReason]) -> JSON {
        .object(skipped.map { ($0.key, .int($0.count)) })
    }

    /// "16 allowed-by-rule, 32 allowed-by-tracking": the verdicts of a period other than skipped.
    static func periodCounts(_ counts: [Int]) -> String? {
        let parts = Verdict.allCases.filter { counts[Int($0.rawValue)] > 0 && $0 != .skipped }
            .map { "\(counts[Int($0.rawValue)]) \($0.label)" }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// An edit's line in the timeline and its warnings under it.
    static func editLines(_ time: Timestamp, _ description: String, applied: String, source: String, warnings: [String]) -> [String] {
        ["  \(time.rfc3339)  \(description)  (\(applied); \(source))"] + warnings.map { "    warning: \($0)" }
    }

    /// The first ten lines, each indented, then how many more there are (`unlisted`: beyond the list).
    static func listed(_ lines: [String], indent: String, unlisted: Int = 0, more noun: String = "more flows") -> [String] {
        var out = lines.prefix(10).map { indent + $0 }
        let more = lines.count - min(lines.count, 10) + unlisted
        if more > 0 { out.append(indent + "… and \(more) \(noun)") }
        return out
    }

    static func remedyLines(_ remedies: [Summary.Remedy]) -> [String] {
        remedies.map { "      - \($0.proposal): \($0.outcome)" }
    }

    static func timingLines(_ frames: Int) -> [String] {
        frames > 0 ? ["    \(frames) frames within the timing uncertainty after the edit (marked timing_ambiguous)"] : []
    }

    static func editJSONHead(_ time: Timestamp, _ description: String, _ source: String) -> [(String, JSON)] {
        [("time", .string(time.rfc3339)), ("edit", .string(description)), ("source", .string(source))]
    }

    static func remedyJSON(_ r: Summary.Remedy, after context: [(String, JSON)] = []) -> JSON {
        .object(context + [
            ("proposal", .string(r.proposal)), ("tracked_packets", .int(r.trackedPackets)),
            ("stopped_packets", .int(r.stoppedPackets)), ("flows", .int(r.flows)),
            ("flows_stopped", .int(r.flowsStopped)), ("other_packets_dropped", .int(r.otherDrops)),
            ("outcome", .string(r.outcome)),
        ])
    }

    static func time(_ t: Timestamp?) -> JSON { t.map { .string($0.rfc3339) } ?? .null }
}
