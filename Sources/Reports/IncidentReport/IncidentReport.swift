import Firewall
import Packets

/// The incident report (`analyze --report FILE.md|FILE.html`): a run's `Summary` as a document to
/// attach to an incident ticket, the answer first. The content is built once, as a `ReportDocument`
/// of sections of paragraphs, lists and tables (`+Sections`, `+Answer`, `+EditItems`, `+FlowTables`, `+Figures`);
/// `ReportDocument+Markdown` and `+HTML` only render it (the HTML adds the SVG `TimelineChart`).
/// Everything taken from the inputs is escaped by the renderers through `Escape`. The output
/// depends only on the summary and the command line, so golden files are stable.
///
///     let report = IncidentReport(summary: summary, command: ["sgreplay", "analyze", "capture.pcap"])
///     let html = report.render(.html)
public struct IncidentReport: Sendable, DocumentBuilder {
    public var summary: Summary
    /// The command that produced the run, as words (shown quoted for a shell).
    public var command: [String]
    /// The namespace of the document's element ids: empty for a report of its own, `c2-` for the
    /// second capture's part of a report of several.
    var ids = ""

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

    public func render(_ format: Format) -> String { document.render(format) }

    public func markdown() -> String { document.markdown() }

    public func html() -> String { document.html() }

    static func markdown(_ inlines: [Inline], inTable: Bool = false) -> String { ReportDocument.markdown(inlines, inTable: inTable) }

    /// The report's content: built once, whatever the format.
    var document: ReportDocument {
        ReportDocument(title: title, heading: summary.captureName, subtitle: subtitle, sections: sections, date: reportDate)
    }

    /// The same document with its element ids in the namespace `ids` (`c2-` → `c2-answer`).
    func document(ids: String) -> ReportDocument {
        var report = self
        report.ids = ids
        return report.document
    }

    /// `name` in the document's id namespace.
    func id(_ name: String) -> String { ids + name }

    /// The date the report leaves out of times on the capture's first day (given in the subtitle).
    var reportDate: String? { ReportDocument.day(summary.firstTime) }

    /// The chart of the timeline section.
    var chart: TimelineChart {
        TimelineChart(timeSeries: summary.timeSeries, allowance: summary.conntrack.allowance, groups: groups, date: reportDate, ids: ids)
    }

    /// The chart alone, as the HTML draws it.
    func timelineSVG() -> String { chart.svg() }

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
