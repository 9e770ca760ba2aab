import Firewall

/// A report as Markdown (GitHub-flavoured tables), for tickets and chat. The timeline chart has no
/// Markdown form: its section is left out.
extension ReportDocument {
    func markdown() -> String {
        var out = "# " + Escape.markdown(title) + "\n\n" + ReportDocument.markdown(subtitle) + "\n"
        out += markdownSections(level: "##")
        for part in parts {
            let document = part.document
            out += "\n## " + Escape.markdown(document.heading) + "\n\n" + ReportDocument.markdown(document.subtitle) + "\n"
            out += document.markdownSections(level: "###")
        }
        return out
    }

    private func markdownSections(level: String) -> String {
        var out = ""
        for section in sections where !section.isChartOnly {
            out += "\n" + level + " " + Escape.markdown(section.title) + "\n"
            for block in section.blocks { out += "\n" + ReportDocument.markdown(block) }
        }
        return out
    }

    static func markdown(_ inlines: [Inline], inTable: Bool = false) -> String {
        var out = ""
        for inline in inlines {
            switch inline {
            case .text(let s): out += Escape.markdown(s)
            case .strong(let s): out += s.isEmpty ? "" : "**" + Escape.markdown(s) + "**"
            case .code(let s): out += Escape.code(s, inTable: inTable)
            case .time(let t, _): out += Escape.markdown(IncidentReport.timeText(t))
            case .flow(let s): out += Escape.code(s, inTable: inTable)
            case .lineBreak: out += inTable ? ", " : " "
            case .verdict(let v): out += Escape.markdown(v.label)
            }
        }
        return out
    }

    static func markdown(_ block: Block) -> String {
        switch block {
        case .paragraph(let inlines):
            return markdown(inlines) + "\n"
        case .list(let items):
            var out = ""
            for item in items {
                out += "- " + markdown(item.inlines) + "\n"
                for child in item.children { out += "  - " + markdown(child) + "\n" }
            }
            return out
        case .definitions(let pairs):
            return pairs.map { "- " + Escape.markdown($0.0) + ": " + markdown($0.1) }.joined(separator: "\n") + "\n"
        case .table(let table):
            if table.rows.isEmpty { return Escape.markdown(table.empty) + "\n" }
            var out = "| " + table.columns.map { Escape.markdown($0.title) }.joined(separator: " | ") + " |\n"
            out += "|" + table.columns.map { $0.alignment == .right ? " ---: |" : " --- |" }.joined() + "\n"
            for row in table.rows {
                out += "| " + row.cells.map { markdown($0, inTable: true) }.joined(separator: " | ") + " |\n"
            }
            return out
        case .timeline:
            return ""
        }
    }
}
