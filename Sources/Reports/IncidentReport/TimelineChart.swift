import Firewall
import Packets

/// The HTML report's timeline: an inline SVG drawn from `Summary.timeSeries`. Stacked bars of the
/// verdicts per time bucket, each timeline edit as a labelled vertical line (`g.edit-marker`), and
/// the tracking table's peak occupancy per bucket as a line on its own axis, with the allowance as a
/// dashed line when one is set. Times on the axis are UTC. Coordinates are written with one decimal
/// from integer arithmetic, so the output is the same on every machine.
struct TimelineChart: Sendable {
    var timeSeries: Summary.TimeSeries
    /// The tracking allowance, when one is set (drawn as a dashed line).
    var allowance: Int?
    var groups: [IncidentReport.EditGroup]
    /// The day the caption names (times on the axis leave it out).
    var date: String?
    /// The namespace of the chart's element ids (`c2-` → `c2-timeline`, `c2-edit-marker-1`).
    var ids = ""

    /// Verdict colours, in `Verdict` order (the CSS uses the same).
    static let verdictColours = ["#2f9e55", "#eea20c", "#d9433b", "#8b5cc6", "#b3b9c1"]
    static let occupancyColour = "#1f5fa8"
    /// The allowance line: the colour of the packets lost when the table reaches it.
    static let allowanceColour = "#7b3fc4"
    static let editColour = "#1d2430"

    func html() -> String {
        var out = "<figure>\n" + svg() + "\n<ul class=\"legend\">\n"
        for v in Verdict.allCases {
            out += "<li><span class=\"sw\" style=\"background:\(TimelineChart.verdictColours[Int(v.rawValue)])\"></span>\(v.label)</li>\n"
        }
        if showsOccupancy {
            out += "<li><span class=\"sw-line\"></span>tracking entries (peak per bar)</li>\n"
        }
        if let allowance {
            out += "<li><span class=\"sw-dash\"></span>allowance (\(allowance) entries)</li>\n"
        }
        if !groups.isEmpty { out += "<li><span class=\"sw-edit\"></span>timeline edit</li>\n" }
        out += "</ul>\n<figcaption>"
        let ts = timeSeries
        out += ts.buckets.isEmpty
            ? "No frame with a time: nothing to chart."
            : "Each bar counts the frames of \(IncidentReport.duration(Interval(nanoseconds: ts.width))) by verdict"
                + (ts.width > 1_000_000_000 ? " (bars widen on long captures, at most \(Summary.TimeSeries.maximumBuckets))" : "")
                + ". Hover a bar for its counts."
                + (showsOccupancy && occupancyHasGaps
                    ? " The tracking table is read when frames pass: the line is dotted across longer gaps without frames." : "")
                + " Times are UTC" + (date.map { ", on \($0) unless a date is given" } ?? "") + "."
        return out + "</figcaption>\n</figure>\n"
    }

    /// Whether the occupancy line crosses a gap of more than two buckets without frames (drawn dotted).
    var occupancyHasGaps: Bool {
        var last: Int?
        for (i, bucket) in timeSeries.buckets.enumerated() where bucket[0..<5].reduce(0, +) > 0 {
            if let l = last, i - l > 3 { return true }
            last = i
        }
        return false
    }

    var showsOccupancy: Bool {
        allowance != nil || timeSeries.buckets.contains { $0[5] > 0 }
    }

    func svg() -> String {
        let ts = timeSeries
        let width = 1100.0
        guard let start = ts.start, !ts.buckets.isEmpty else {
            return "<svg id=\"\(ids)timeline\" viewBox=\"0 0 1100 60\" role=\"img\" aria-label=\"timeline (no frames)\">"
                + "<text x=\"20\" y=\"34\" font-size=\"14\" fill=\"#5d6878\">No frames to chart.</text></svg>"
        }
        let n = ts.buckets.count
        let end = start + Int64(n) * ts.width
        let occupancy = showsOccupancy
        let left = 64.0, right = width - (occupancy ? 76.0 : 28.0)
        let plotWidth = right - left
        func x(_ t: Int64) -> Double { left + Double(t - start) / Double(end - start) * plotWidth }

        // Edit labels first: they decide the top margin (one row per overlapping label).
        struct Label { var group: IncidentReport.EditGroup; var x: Double; var text: String; var anchorEnd: Bool; var row: Int }
        var labels: [Label] = []
        var rows: [[(Double, Double)]] = []
        for g in groups {
            var t = g.time.nanoseconds
            var suffix = ""
            if t < start { t = start; suffix = " (before the capture)" }
            if t > end { t = end; suffix = " (after the capture)" }
            let lx = x(t)
            var text = g.label
            if text.count > 56 { text = String(text.prefix(55)) + "…" }
            text += " · " + TimelineChart.clock(g.time, step: 1_000_000_000) + suffix
            let textWidth = Double(text.count) * 6.9 + 10
            let anchorEnd = lx + 6 + textWidth > width - 4
            let range = anchorEnd ? (lx - 6 - textWidth, lx) : (lx, lx + 6 + textWidth)
            // The first row where the label fits; with none free among the first few, the marker goes
            // without a visible label (its tooltip and the answer above still name it).
            var row = 0
            while row < rows.count, rows[row].contains(where: { range.0 < $0.1 + 8 && $0.0 < range.1 + 8 }) { row += 1 }
            if row >= TimelineChart.labelRows {
                labels.append(Label(group: g, x: lx, text: "", anchorEnd: anchorEnd, row: TimelineChart.labelRows - 1))
                continue
            }
            if row == rows.count { rows.append([]) }
            rows[row].append(range)
            labels.append(Label(group: g, x: lx, text: text, anchorEnd: anchorEnd, row: row))
        }
        let top = 26.0 + 17.0 * Double(rows.count)
        let plotHeight = 250.0
        let bottom = top + plotHeight
        let height = bottom + 58

        var svg = "<svg id=\"\(ids)timeline\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" "
            + "aria-label=\"Frames per time bucket by verdict, timeline edits and tracking-table occupancy\">\n"

        // Frames axis (left) and grid.
        let totals = ts.buckets.map { $0[0..<5].reduce(0, +) }
        let yStep = TimelineChart.niceStep(Double(totals.max() ?? 1) / 4)
        let yMax = max(yStep, (Double(totals.max() ?? 1) / yStep).rounded(.up) * yStep)
        func y(_ v: Double) -> Double { bottom - v / yMax * plotHeight }
        svg += "<g class=\"grid axis\" id=\"\(ids)frames-axis\">\n"
        var v = 0.0
        while v <= yMax + 0.001 {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(Int(v))</text>\n"
            v += yStep
        }
        svg += "<text x=\"16\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 16 \(f(top + plotHeight / 2)))\">frames per \(IncidentReport.duration(Interval(nanoseconds: ts.width)))</text>\n"
        svg += "</g>\n"

        // Stacked bars: one path per verdict, allowed-by-rule at the bottom.
        let barWidth = plotWidth / Double(n)
        let gap = barWidth > 5 ? 1.0 : 0
        var paths = [String](repeating: "", count: 5)
        for (i, bucket) in ts.buckets.enumerated() {
            var base = 0.0
            let bx = left + Double(i) * barWidth + gap / 2
            for k in 0..<5 where bucket[k] > 0 {
                let y0 = y(base), y1 = y(base + Double(bucket[k]))
                paths[k] += "M\(f(bx)) \(f(y1))h\(f(barWidth - gap))V\(f(y0))H\(f(bx))Z"
                base += Double(bucket[k])
            }
        }
        svg += "<g class=\"bars\">\n"
        for v in Verdict.allCases where !paths[Int(v.rawValue)].isEmpty {
            svg += "<path class=\"bar v-\(v.label)\" fill=\"\(TimelineChart.verdictColours[Int(v.rawValue)])\" d=\"\(paths[Int(v.rawValue)])\"/>\n"
        }
        svg += "</g>\n"

        // Occupancy (right axis): a step line through the buckets that have frames. A bucket without
        // frames has no reading: across one or two the line holds its value, across a longer gap
        // (where entries may have expired unseen) it is dotted. The allowance is dashed.
        if occupancy {
            let peak = Double(max(ts.buckets.map { $0[5] }.max() ?? 0, allowance ?? 0))
            let oStep = max(1, TimelineChart.niceStep(peak / 4))
            let oMax = ((peak / oStep).rounded(.down) + 1) * oStep
            func oy(_ v: Double) -> Double { bottom - v / oMax * plotHeight }
            svg += "<g class=\"axis\" id=\"\(ids)occupancy-axis\">\n"
            var v = 0.0
            while v <= oMax + 0.001 {
                svg += "<text x=\"\(f(right + 8))\" y=\"\(f(oy(v) + 4))\" style=\"fill:\(TimelineChart.occupancyColour)\">\(Int(v))</text>\n"
                v += oStep
            }
            let mid = top + plotHeight / 2
            svg += "<text x=\"\(f(width - 14))\" y=\"\(f(mid))\" text-anchor=\"middle\" transform=\"rotate(90 \(f(width - 14)) \(f(mid)))\" "
                + "style=\"fill:\(TimelineChart.occupancyColour)\">tracking entries</text>\n</g>\n"
            var d = "", dotted = ""
            var last: (index: Int, x: Double, y: Double)?
            for (i, bucket) in ts.buckets.enumerated() where totals[i] > 0 {
                let x0 = left + Double(i) * barWidth
                let py = oy(Double(bucket[5]))
                if let l = last, i - l.index <= 3 {  // as occupancyHasGaps
                    d += "H\(f(x0))V\(f(py))"
                } else {
                    if let l = last {
                        d += "H\(f(left + Double(l.index + 1) * barWidth))"
                        dotted += "M\(f(left + Double(l.index + 1) * barWidth)) \(f(l.y))H\(f(x0))V\(f(py))"
                    }
                    d += "M\(f(x0)) \(f(py))"
                }
                last = (i, x0, py)
            }
            if let l = last { d += "H\(f(left + Double(l.index + 1) * barWidth))" }
            if !dotted.isEmpty {
                svg += "<path id=\"\(ids)occupancy-gaps\" fill=\"none\" stroke=\"\(TimelineChart.occupancyColour)\" stroke-width=\"1.5\" "
                    + "stroke-dasharray=\"1 4\" stroke-linecap=\"round\" d=\"\(dotted)\"/>\n"
            }
            svg += "<path id=\"\(ids)occupancy\" fill=\"none\" stroke=\"\(TimelineChart.occupancyColour)\" stroke-width=\"2.5\" "
                + "stroke-linejoin=\"round\" d=\"\(d)\"/>\n"
            if let allowance {
                let ay = oy(Double(allowance))
                svg += "<g id=\"\(ids)allowance\"><line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(ay))\" y2=\"\(f(ay))\" "
                    + "stroke=\"\(TimelineChart.allowanceColour)\" stroke-width=\"2\" stroke-dasharray=\"7 5\"/>"
                    + "<text x=\"\(f(right - 4))\" y=\"\(f(ay - 6))\" text-anchor=\"end\" font-size=\"11\" font-weight=\"600\" "
                    + "fill=\"\(TimelineChart.allowanceColour)\">allowance \(allowance) entries</text></g>\n"
            }
        }

        // Time axis (UTC).
        let span = end - start
        let day: Int64 = 86_400_000_000_000
        let step = TimelineChart.timeSteps.first(where: { span / $0 <= 8 }) ?? (span / 8 / day + 1) * day
        svg += "<g class=\"axis\" id=\"\(ids)time-axis\">\n"
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom))\" stroke=\"#8a94a3\"/>\n"
        var tick = (start / step + (start % step == 0 ? 0 : 1)) * step
        while tick <= end {
            let tx = x(tick)
            svg += "<line x1=\"\(f(tx))\" x2=\"\(f(tx))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom + 5))\" stroke=\"#8a94a3\"/>"
            svg += "<text x=\"\(f(tx))\" y=\"\(f(bottom + 19))\" text-anchor=\"middle\">"
                + TimelineChart.clock(Timestamp(nanoseconds: tick), step: step) + "</text>\n"
            tick += step
        }
        let firstDay = String(Timestamp(nanoseconds: start).rfc3339.prefix(10))
        let lastDay = String(Timestamp(nanoseconds: end).rfc3339.prefix(10))
        svg += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 44))\" text-anchor=\"middle\">time (UTC), "
            + firstDay + (lastDay != firstDay ? " to " + lastDay : "") + "</text>\n</g>\n"

        // Hover targets with each bucket's counts.
        svg += "<g class=\"hits\">\n"
        for (i, bucket) in ts.buckets.enumerated() where totals[i] > 0 {
            let from = start + Int64(i) * ts.width
            var title = TimelineChart.clock(Timestamp(nanoseconds: from), step: min(ts.width, 1_000_000_000)) + "–"
                + TimelineChart.clock(Timestamp(nanoseconds: from + ts.width), step: min(ts.width, 1_000_000_000)) + " UTC: "
            title += Verdict.allCases.filter { bucket[Int($0.rawValue)] > 0 }.map { "\(bucket[Int($0.rawValue)]) \($0.label)" }
                .joined(separator: ", ")
            if occupancy { title += "; peak \(bucket[5]) tracking entries" }
            svg += "<rect class=\"hit\" x=\"\(f(left + Double(i) * barWidth))\" y=\"\(f(top))\" width=\"\(f(barWidth))\" "
                + "height=\"\(f(plotHeight))\"><title>\(Escape.html(title))</title></rect>\n"
        }
        svg += "</g>\n"

        // Edits last, over the bars.
        for label in labels {
            let ly = 18.0 + 17.0 * Double(label.row)
            let full = label.group.edits.map(\.description).joined(separator: "\n") + "\n" + IncidentReport.timeText(label.group.time)
            svg += "<g class=\"edit-marker\" id=\"\(ids)edit-marker-\(label.group.number)\" data-edit=\"\(Escape.html(label.group.label))\">"
            svg += "<title>\(Escape.html(full))</title>"
            svg += "<line x1=\"\(f(label.x))\" x2=\"\(f(label.x))\" y1=\"\(f(ly - 12))\" y2=\"\(f(bottom))\"/>"
            if !label.text.isEmpty {
                svg += "<text x=\"\(f(label.anchorEnd ? label.x - 6 : label.x + 6))\" y=\"\(f(ly))\""
                    + (label.anchorEnd ? " text-anchor=\"end\"" : "") + ">\(Escape.html(label.text))</text>"
            }
            svg += "</g>\n"
        }
        return svg + "</svg>"
    }

    /// Rows of edit labels above the chart at most.
    static let labelRows = 4

    /// Tick spacings for the time axis, in nanoseconds: 100 ms to a week.
    static let timeSteps: [Int64] = [
        100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
        1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
    ].map { Int64($0) * 1_000_000 }

    /// A clock time for an axis with ticks `step` apart: `21:18:17.5`, `21:18:17`, `21:18` or a date.
    static func clock(_ t: Timestamp, step: Int64) -> String {
        let text = Array(t.rfc3339.utf8)
        func slice(_ a: Int, _ b: Int) -> String { String(decoding: text[a..<b], as: UTF8.self) }
        if step >= 86_400_000_000_000 { return slice(0, 10) }
        if step >= 60_000_000_000 { return slice(11, 16) }
        if step >= 1_000_000_000 { return slice(11, 19) }
        return slice(11, 21)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw` (and at least 1).
    static func niceStep(_ raw: Double) -> Double {
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    /// One decimal, from integers: `12.5`, `-3`, `100`.
    func f(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return sign + String(a / 10) + (a % 10 == 0 ? "" : "." + String(a % 10))
    }
}
