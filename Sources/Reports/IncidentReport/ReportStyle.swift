/// The reports' style sheet, inline in each HTML file. Ids are matched through `id`: the single
/// report names them (`#answer`); the report of several captures, where each capture's ids carry
/// its namespace (`c2-answer`), matches them all by their end (`[id$="answer"]`).
enum ReportStyle {
    static let single = sheet { "#" + $0 }

    /// The single report's rules for every capture's section, and the captures' headings one level down.
    static let combined = sheet { "[id$=\"\($0)\"]" } + """
        section.capture { margin-top: 48px; padding-top: 8px; border-top: 3px solid var(--line); }
        section.capture > h2 { border: 0; font-size: 22px; overflow-wrap: anywhere; }
        h3 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        [id$="answer"] h3 { border: 0; margin: 12px 0 4px; }

        """

    private static func sheet(_ id: (String) -> String) -> String {
        """
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
        \(id("answer")) { background: #fffaf0; border: 1px solid #f1dcae; border-left: 5px solid var(--tracking);
          border-radius: 8px; padding: 4px 22px 10px; margin-top: 20px; }
        \(id("answer")) h2 { border: 0; margin: 12px 0 4px; }
        \(id("answer")) > ul { padding-left: 20px; margin: 6px 0; }
        \(id("answer")) > ul > li { margin: 10px 0; }
        \(id("answer")) ul ul { padding-left: 20px; margin: 4px 0; }
        \(id("answer")) ul ul li { margin: 2px 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 10px 0; }
        th, td { text-align: left; vertical-align: top; padding: 6px 9px; border-bottom: 1px solid var(--line); }
        th { background: var(--panel); font-weight: 600; white-space: nowrap; }
        tbody tr:nth-child(even) td { background: #fbfcfd; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td time { white-space: nowrap; }
        \(id("still-flowing")) td:first-child, \(id("cut-flows")) td:first-child, \(id("blocked-flows")) td:first-child { color: var(--muted); min-width: 10em; }
        code.flow, td code { white-space: nowrap; }
        \(id("verdict-counts")), \(id("exhaustion")) { width: auto; min-width: 420px; }
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
        svg\(id("timeline")) { display: block; width: 100%; height: auto; background: #fff; }
        svg\(id("timeline")) text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
        svg\(id("timeline")) .axis text { font-size: 11px; fill: var(--muted); }
        svg\(id("timeline")) .grid line { stroke: #eceff3; }
        svg\(id("timeline")) .edit-marker line { stroke: var(--edit); stroke-width: 1.6; }
        svg\(id("timeline")) .edit-marker text { font-size: 12px; font-weight: 600; fill: var(--edit); }
        svg\(id("timeline")) .hit { fill: transparent; }
        svg\(id("timeline")) .hit:hover { fill: rgba(29, 36, 48, .06); }
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
}
