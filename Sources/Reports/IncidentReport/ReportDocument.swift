import Firewall
import Packets

/// A report's content, independent of the format: a title, a subtitle and sections of paragraphs,
/// lists, tables and the timeline chart, built once from the figures; `+Markdown` and `+HTML` only
/// render it. Element ids are part of the content: a document built for a namespace (`c2-`) carries
/// `c2-answer`, `c2-still-flowing`, …, so that documents shown together never clash.
///
/// One capture's report (`IncidentReport`) is one document. The report of several captures
/// (`CombinedReport`) is the totals' document with each capture's own document as a part after its
/// sections, one heading level down.
struct ReportDocument: Sendable {
    /// The page's title (`<title>`, Markdown's `#` heading).
    var title: String
    /// The page's `<h1>`; for a part, its heading (`<h2>`, `##`).
    var heading: String
    var subtitle: [Inline]
    var sections: [Section]
    /// The day the HTML leaves out of times (the subtitle gives it): the first frame's.
    var date: String?
    /// Documents shown after the sections, each in a section of its own (`id`) with its own date.
    var parts: [Part] = []

    /// The day of an instant, as `date` gives it (`2026-11-21`).
    static func day(_ t: Timestamp?) -> String? { t.map { String($0.rfc3339.prefix(10)) } }

    func render(_ format: IncidentReport.Format) -> String {
        switch format {
        case .markdown: markdown()
        case .html: html()
        }
    }

    struct Part: Sendable {
        var id: String
        var document: ReportDocument
    }

    /// A run of text. Every string is escaped by the renderer, whatever its origin.
    enum Inline: Sendable {
        case text(String)
        case strong(String)
        /// Flows, addresses, file names, commands: monospace, shown literally.
        case code(String)
        /// An instant; `dated`: always with its date (HTML leaves out the document's date otherwise).
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
        /// The SVG timeline: HTML only (Markdown leaves it out).
        case timeline(TimelineChart)
    }

    struct Section: Sendable {
        var id: String
        var title: String
        var blocks: [Block]

        /// A section that is only the chart: Markdown leaves it out.
        var isChartOnly: Bool {
            if blocks.count == 1, case .timeline = blocks[0] { return true }
            return false
        }
    }
}

/// What builds a document's content (`IncidentReport`, `CombinedReport`): its parts by short names.
protocol DocumentBuilder {}

extension DocumentBuilder {
    typealias Inline = ReportDocument.Inline
    typealias ListItem = ReportDocument.ListItem
    typealias Table = ReportDocument.Table
    typealias Block = ReportDocument.Block
    typealias Section = ReportDocument.Section
}
