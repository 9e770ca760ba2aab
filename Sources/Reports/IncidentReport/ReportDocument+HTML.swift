import Firewall
import Packets

/// The incident report as one self-contained HTML file: inline CSS and SVG, no script, nothing
/// fetched (no URL at all), light colours, verdict colours as in the timeline. Stable ids and
/// classes for DOM checks: `#answer`, `svg#timeline` with `.edit-marker`s, `table#still-flowing`
/// (one `tr.flow` per flow and period, `data-flow`), `#cut-flows`, `#blocked-flows`, `#exhaustion`,
/// `#verdict-counts`, `#assumptions`.
extension IncidentReport {
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

    public func html() -> String {
        var out = IncidentReport.htmlPageStart(title: title, css: IncidentReport.css) + """
            <header>
            <p class="kicker">sgreplay incident report</p>
            <h1>\(Escape.html(summary.captureName))</h1>
            <p class="subtitle">\(html(subtitle))</p>
            </header>

            """
        for section in sections {
            out += "<section id=\"\(section.id)\">\n<h2>\(Escape.html(section.title))</h2>\n"
            for block in section.blocks { out += html(block) }
            out += "</section>\n\n"
        }
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// The date the report leaves out of times on the capture's first day (given in the subtitle).
    var reportDate: String? { summary.firstTime.map { String($0.rfc3339.prefix(10)) } }

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
                let shown = !dated && parts.count == 2 && String(parts[0]) == reportDate
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
        case .timeline:
            return timelineHTML()
        }
    }

    static let css = """
        :root {
          color-scheme: light;
          --ink: #1d2430; --muted: #5d6878; --line: #dde2e8; --panel: #f5f7f9;
          --rule: #2f9e55; --tracking: #eea20c; --dropped: #d9433b; --lost: #8b5cc6; --skipped: #b3b9c1;
          --occupancy: #1f5fa8; --edit: #1d2430;
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: #fff; color: var(--ink);
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
        main { max-width: 1200px; margin: 0 auto; padding: 28px 32px 56px; }
        .kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .06em; text-transform: uppercase; }
        h1 { font-size: 26px; line-height: 1.25; margin: 2px 0 6px; overflow-wrap: anywhere; }
        .subtitle { margin: 0 0 8px; color: var(--muted); }
        h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 5px; border-bottom: 1px solid var(--line); }
        p { margin: 8px 0; }
        code { font: 13px/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
          background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; overflow-wrap: anywhere; }
        #answer { background: #fffaf0; border: 1px solid #f1dcae; border-left: 5px solid var(--tracking);
          border-radius: 8px; padding: 4px 22px 10px; margin-top: 20px; }
        #answer h2 { border: 0; margin: 12px 0 4px; }
        #answer > ul { padding-left: 20px; margin: 6px 0; }
        #answer > ul > li { margin: 10px 0; }
        #answer ul ul { padding-left: 20px; margin: 4px 0; }
        #answer ul ul li { margin: 2px 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 10px 0; }
        th, td { text-align: left; vertical-align: top; padding: 6px 9px; border-bottom: 1px solid var(--line); }
        th { background: var(--panel); font-weight: 600; white-space: nowrap; }
        tbody tr:nth-child(even) td { background: #fbfcfd; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td time { white-space: nowrap; }
        #still-flowing td:first-child, #cut-flows td:first-child, #blocked-flows td:first-child { color: var(--muted); min-width: 10em; }
        code.flow, td code { white-space: nowrap; }
        #verdict-counts, #exhaustion { width: auto; min-width: 420px; }
        .empty { color: var(--muted); font-style: italic; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 10px 0; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        .verdict { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 13px; white-space: nowrap;
          border: 1px solid transparent; }
        .verdict::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%;
          margin-right: 6px; vertical-align: 0; background: currentColor; }
        .v-allowed-by-rule { background: #e6f5eb; color: #1f7a3f; }
        .v-allowed-by-tracking { background: #fff3d6; color: #9a6300; }
        .v-dropped { background: #fce8e6; color: #b3261e; }
        .v-lost-conntrack-exhausted { background: #f1eafb; color: #6a3fb0; }
        .v-skipped { background: #eef0f3; color: #5d6878; }
        figure { margin: 10px 0 0; }
        svg#timeline { display: block; width: 100%; height: auto; background: #fff; }
        svg#timeline text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
        svg#timeline .axis text { font-size: 11px; fill: var(--muted); }
        svg#timeline .grid line { stroke: #eceff3; }
        svg#timeline .edit-marker line { stroke: var(--edit); stroke-width: 1.6; }
        svg#timeline .edit-marker text { font-size: 12px; font-weight: 600; fill: var(--edit); }
        svg#timeline .hit { fill: transparent; }
        svg#timeline .hit:hover { fill: rgba(29, 36, 48, .06); }
        .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 8px 0 0;
          font-size: 13px; color: var(--muted); }
        .legend li { display: flex; align-items: center; gap: 6px; }
        .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
        .sw-line { display: inline-block; width: 20px; height: 0; border-top: 2px solid var(--occupancy); }
        .sw-dash { display: inline-block; width: 20px; height: 0; border-top: 2px dashed #7b3fc4; }
        .sw-edit { display: inline-block; width: 2px; height: 14px; background: var(--edit); }
        figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }

        """
}
