@testable import Firewall
import Packets
@testable import Reports
import Testing

/// The report of several captures is composed of documents: the totals' own, then each capture's
/// report document built in an id namespace of its own.
@Suite struct CombinedReportTests {
    static func combined() -> CombinedSummary {
        var second = Summary(captureName: "second.pcap")
        second.count(.allowedByRule, time: Timestamp(seconds: 1_795_295_967))
        return CombinedSummary(
            captures: [.init(summary: ReportSamples.hostileSummary(), timeline: 0), .init(summary: second, timeline: 1)],
            timelines: [
                .init(interface: "eni-a", addresses: ["10.0.0.5"], captures: [0]),
                .init(interface: "eni-b", addresses: ["10.0.1.7"], captures: [1]),
            ])
    }

    /// Every id of a document: its sections', its tables' (the chart's are in its own namespace).
    static func ids(_ document: ReportDocument) -> [String] {
        document.sections.flatMap { section in
            [section.id] + section.blocks.compactMap { block -> String? in
                if case .table(let table) = block { return table.id }
                if case .timeline(let chart) = block { return chart.ids + "timeline" }
                return nil
            }
        }
    }

    @Test func eachCaptureIsItsOwnReportInItsOwnNamespace() {
        let combined = Self.combined()
        let document = CombinedReport(combined: combined, command: ["sgreplay", "analyze"]).document
        #expect(document.parts.map(\.id) == ["capture-1", "capture-2"])
        for (i, part) in document.parts.enumerated() {
            let own = IncidentReport(summary: combined.captures[i].summary, command: ["sgreplay", "analyze"]).document
            #expect(Self.ids(part.document) == Self.ids(own).map { "c\(i + 1)-" + $0 })
            // The same content: only the ids and the heading differ.
            #expect(part.document.sections.map(\.title) == own.sections.map(\.title))
            #expect(ReportDocument.markdown(part.document.subtitle) == ReportDocument.markdown(own.subtitle))
            #expect(part.document.heading.hasPrefix("Capture \(i + 1): "))
        }
        let all = Self.ids(document) + document.parts.flatMap { [$0.id] + Self.ids($0.document) }
        #expect(Set(all).count == all.count, "duplicate ids")
    }

    @Test func theHTMLHasEveryIdOnceAndEachCapturesIdsNamespaced() {
        let html = CombinedReport(combined: Self.combined()).render(.html)
        let ids = html.matches(of: /id="([^"]+)"/).map { String($0.output.1) }
        #expect(Set(ids).count == ids.count, "duplicate ids")
        for id in ["answer", "captures", "verdict-counts", "capture-1", "c1-answer", "c1-timeline", "c1-edit-marker-1", "c1-allowance",
                   "c1-still-flowing", "c2-answer", "c2-timeline", "c2-verdict-counts"] {
            #expect(ids.contains(id), "\(id)")
        }
        // Inside a capture's section, every id is in the capture's namespace.
        let second = html[html.firstRange(of: "id=\"capture-2\"")!.upperBound...]
        #expect(second.matches(of: /id="([^"]+)"/).allSatisfy { $0.output.1.hasPrefix("c2-") })
        // The styles match the ids of every namespace.
        #expect(html.contains("[id$=\"answer\"] {") && !html.contains("#answer "))
    }

    @Test func aReportAloneHasIdsWithoutNamespace() {
        let html = IncidentReport(summary: ReportSamples.hostileSummary()).html()
        let ids = html.matches(of: /id="([^"]+)"/).map { String($0.output.1) }
        #expect(ids.contains("answer") && ids.contains("timeline") && ids.contains("edit-marker-2"))
        #expect(html.contains("#answer {") && !html.contains("[id$="))
    }
}
