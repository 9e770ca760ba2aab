import Firewall
import Packets

/// A report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched (no URL
/// at all), light colours, verdict colours as in the timeline. Stable ids and classes for DOM
/// checks: `#answer`, `svg#timeline` with `.edit-marker`s, `table#still-flowing` (one `tr.flow` per
/// flow and period, `data-flow`), `#cut-flows`, `#blocked-flows`, `#exhaustion`, `#verdict-counts`,
/// `#assumptions`; in a part, each with the part's namespace (`#c2-answer`).
extension ReportDocument {
    func html() -> String {
        var out = ReportDocument.htmlPageStart(title: title, css: parts.isEmpty ? ReportStyle.single : ReportStyle.combined) + """
            <header>
            <p class="kicker">sgreplay incident report</p>
            <h1>\(Escape.html(heading))</h1>
            <p class="subtitle">\(html(subtitle))</p>
            </header>

            """
        for section in sections {
            out += htmlSection(section, heading: "h2") + "\n"
        }
        for part in parts {
            let document = part.document
            out += "<section class=\"capture\" id=\"\(part.id)\">\n<h2>\(Escape.html(document.heading))</h2>\n"
            out += "<p class=\"subtitle\">\(document.html(document.subtitle))</p>\n"
            for section in document.sections { out += document.htmlSection(section, heading: "h3") }
            out += "</section>\n\n"
        }
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// The page up to `<main>`: one self-contained document, its style inline.
    static func htmlPageStart(title: String, css: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light">
        <meta name="generator" content="sgreplay">
        <title>\(Escape.html(title))</title>
        <style>
        \(css)</style>
        </head>
        <body>
        <main>

        """
    }

    private func htmlSection(_ section: Section, heading: String) -> String {
        var out = "<section id=\"\(section.id)\">\n<\(heading)>\(Escape.html(section.title))</\(heading)>\n"
        for block in section.blocks { out += html(block) }
        return out + "</section>\n"
    }

    func html(_ inlines: [Inline]) -> String {
        var out = ""
        for inline in inlines {
            switch inline {
            case .text(let s): out += Escape.html(s)
            case .strong(let s): out += "<strong>" + Escape.html(s) + "</strong>"
            case .code(let s): out += "<code>" + Escape.html(s) + "</code>"
            case .flow(let s): out += "<code class=\"flow\">" + Escape.html(s) + "</code>"
            case .lineBreak: out += "<br>"
            case .time(let t, let dated):
                let full = IncidentReport.timeText(t)
                let parts = full.split(separator: "T")
                let shown = !dated && parts.count == 2 && String(parts[0]) == date
                    ? String(parts[1].dropLast()) : full.replacingAll("T", with: " ").replacingAll("Z", with: "")
                out += "<time datetime=\"\(Escape.html(full))\" title=\"\(Escape.html(full))\">\(Escape.html(shown))</time>"
            case .verdict(let v):
                out += "<span class=\"verdict v-\(v.label)\">\(Escape.html(v.label))</span>"
            }
        }
        return out
    }

    func html(_ block: Block) -> String {
        switch block {
        case .paragraph(let inlines):
            return "<p>" + html(inlines) + "</p>\n"
        case .list(let items):
            var out = "<ul>\n"
            for item in items {
                out += "<li>" + html(item.inlines)
                if !item.children.isEmpty {
                    out += "\n<ul>\n" + item.children.map { "<li>" + html($0) + "</li>\n" }.joined() + "</ul>\n"
                }
                out += "</li>\n"
            }
            return out + "</ul>\n"
        case .definitions(let pairs):
            return "<dl>\n" + pairs.map { "<dt>\(Escape.html($0.0))</dt><dd>\(html($0.1))</dd>\n" }.joined() + "</dl>\n"
        case .table(let table):
            if table.rows.isEmpty {
                return "<p class=\"empty\" id=\"\(table.id)\">\(Escape.html(table.empty))</p>\n"
            }
            var out = "<div class=\"scroll\"><table id=\"\(table.id)\">\n<thead><tr>"
            for column in table.columns {
                out += column.alignment == .right ? "<th class=\"num\">" : "<th>"
                out += Escape.html(column.title) + "</th>"
            }
            out += "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                out += "<tr"
                if let rowClass = table.rowClass { out += " class=\"\(rowClass)\"" }
                for (key, value) in row.data { out += " data-\(key)=\"\(Escape.html(value))\"" }
                out += ">"
                for (i, cell) in row.cells.enumerated() {
                    let right = i < table.columns.count && table.columns[i].alignment == .right
                    out += (right ? "<td class=\"num\">" : "<td>") + html(cell) + "</td>"
                }
                out += "</tr>\n"
            }
            return out + "</tbody>\n</table></div>\n"
        case .timeline(let chart):
            return chart.html()
        }
    }
}
