import Firewall
import Packets

/// The incident report of several captures (`analyze A.pcap B.pcap … --report FILE`): the totals
/// first — the answer over all captures, the captures and their interfaces, the verdicts, the flows
/// that kept flowing only because of tracking — then one part per capture, which is that capture's
/// own report document (`IncidentReport`), built with its ids in the namespace `c<N>-`
/// (`#c2-still-flowing`) so that ids stay unique, and shown with its headings one level down. The
/// style sheet matches the ids of every namespace.
public struct CombinedReport: Sendable, DocumentBuilder {
    public var combined: CombinedSummary
    /// The command that produced the run, as words.
    public var command: [String]

    public init(combined: CombinedSummary, command: [String] = []) {
        self.combined = combined
        self.command = command
    }

    public func render(_ format: IncidentReport.Format) -> String { document.render(format) }

    /// The totals' document, with each capture's own document as a part.
    var document: ReportDocument {
        ReportDocument(
            title: title, heading: title, subtitle: subtitle, sections: sections,
            date: ReportDocument.day(combined.firstTime), parts: combined.captures.indices.map(part))
    }

    /// The `i`th capture's report, as it would be alone, but for its ids and its heading.
    func part(_ i: Int) -> ReportDocument.Part {
        var document = IncidentReport(summary: combined.captures[i].summary, command: command).document(ids: "c\(i + 1)-")
        document.heading = captureHeading(i)
        return ReportDocument.Part(id: "capture-\(i + 1)", document: document)
    }

    var title: String { "Incident report: \(combined.captures.count) captures" }

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

    func count(_ n: Int, _ noun: String) -> String { IncidentReport.count(n, noun) }
}
