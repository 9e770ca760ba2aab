import Firewall
import Packets

/// The sections of figures and of how the report was produced.
extension IncidentReport {
    // MARK: Conntrack

    var conntrackBlocks: [Block] {
        let c = summary.conntrack
        var defs: [(String, [Inline])] = []
        defs.append(("allowance", [.text(c.allowance.map { "\($0) entries" } ?? "unlimited (AWS does not publish it; give --conntrack-max)")]))
        var peak: [Inline] = [.text(c.peak == 1 ? "1 entry" : "\(c.peak) entries")]
        if let t = c.peakTime { peak += [.text(" at "), .time(t)] }
        defs.append(("peak occupancy", peak))
        defs.append(("entries created", [.text(String(c.created))]))
        if c.preexisting > 0 { defs.append(("assumed established before the capture", [.text(String(c.preexisting))])) }
        defs.append(("live at the end", [.text(String(c.liveAtEnd))]))
        defs.append(("conntrack_allowance_exceeded", [.text("\(count(c.lost, "packet")) lost")]))
        var blocks: [Block] = [.definitions(defs)]
        let rows = summary.exhaustion.map { e in
            Table.Row(cells: [
                [.time(e.start)], e.end.map { [.time($0)] } ?? [.text("end of capture")],
                [.text(String(e.lostPackets))],
                [.text(e.firstLostFrame > 0 ? String(e.firstLostFrame) : "…"), .text(" – "),
                 .text(e.lastLostFrame > 0 ? String(e.lastLostFrame) : "…")],
                [.text(String(e.refusedFlows))],
            ])
        }
        blocks.append(.table(Table(
            id: id("exhaustion"),
            columns: [
                .init(title: "table full from"), .init(title: "until"), .init(title: "packets lost", alignment: .right),
                .init(title: "frames", alignment: .right), .init(title: "new flows refused", alignment: .right),
            ],
            rows: rows,
            empty: c.allowance == nil ? "The table was never full (no allowance set)." : "The table was never full.",
            rowClass: "episode")))
        return blocks
    }

    // MARK: Verdicts

    /// The table of verdict counts, then the skipped frames by reason: for one capture or for several.
    static func verdictFigures(id: String, frames: Int, count: (Verdict) -> Int, skipped: [SkippedReason]) -> [Block] {
        var blocks = [verdictTable(id: id, frames: frames, count: count)]
        let items = skipped.map { reason in
            ListItem(inlines: [.text("\(reason.count) "), .code(reason.key)]
                + (reason.example.map { [.text(", e.g. "), .code($0)] } ?? [])
                + (reason.note.isEmpty ? [] : [.text(reason.note)]))
        }
        if !items.isEmpty {
            blocks.append(.paragraph([.text("Skipped frames by reason:")]))
            blocks.append(.list(items))
        }
        return blocks
    }

    /// The table of verdict counts (`#verdict-counts`).
    static func verdictTable(id: String, frames: Int, count: (Verdict) -> Int) -> Block {
        var rows: [Table.Row] = Verdict.allCases.map { v in
            let n = count(v)
            return Table.Row(
                cells: [[.verdict(v)], [.text(String(n))], [.text(IncidentReport.percent(n, of: frames))]],
                data: [("verdict", v.label)])
        }
        rows.append(Table.Row(cells: [[.strong("all frames")], [.strong(String(frames))], [.text("")]]))
        return .table(Table(
            id: id,
            columns: [.init(title: "verdict"), .init(title: "frames", alignment: .right), .init(title: "share", alignment: .right)],
            rows: rows, empty: ""))
    }

    var verdictBlocks: [Block] {
        var blocks = IncidentReport.verdictFigures(
            id: id("verdict-counts"), frames: summary.frames, count: summary.count(of:), skipped: summary.skippedReasons)
        if !groups.isEmpty {
            let shown = Verdict.allCases
            let periodRows = periodsShown.map { p in
                let from: [Inline] = p == 0
                    ? (summary.firstTime.map { [.time($0)] } ?? [.text("")])
                    : [.time(groups.first { $0.period == p }!.time)]
                return Table.Row(
                    cells: [[.text(periodName(p))], from] + shown.map { [.text(String(summary.periods[p].verdicts[Int($0.rawValue)]))] },
                    data: [("period", String(p))])
            }
            blocks.append(.paragraph([.text("By period between edits:")]))
            blocks.append(.table(Table(
                id: id("verdicts-by-period"),
                columns: [.init(title: "period"), .init(title: "from")] + shown.map { .init(title: $0.label, alignment: .right) },
                rows: periodRows, empty: "")))
        }
        return blocks
    }

    // MARK: Assumptions, warnings, provenance

    /// What each setting of `EngineOptions.assumptions` means, and whether AWS documents it.
    static let assumptionNotes: [String: String] = [
        "conntrack-max": "[choice] tracking allowance of the interface (AWS does not publish it)",
        "assume-established": "[choice] flows whose first captured packet is not a SYN existed before the capture",
        "timeout-tcp-established": "AWS: idle timeout of an established TCP entry (TcpEstablishedTimeout)",
        "timeout-udp": "AWS: UDP seen one way, or a single request-response (UdpTimeout)",
        "timeout-udp-stream": "AWS: UDP with more than one request-response (UdpStreamTimeout)",
        "timeout-tcp-handshake": "[choice] SYN seen, handshake incomplete (Linux syn_sent)",
        "timeout-tcp-closing": "[choice] FIN seen from both sides, or FIN then ACK",
        "timeout-tcp-reset": "[choice] after a RST",
        "timeout-icmp": "[choice] ICMP and ICMPv6",
        "timeout-other": "AWS: other IP protocols",
        "untracked-needs": "[choice] which rules make a TCP/UDP flow untracked",
        "exempt": "[choice] traffic security groups do not filter",
        "edit-uncertainty": "[choice] frames this close after an edit are marked timing-ambiguous",
        "auto-tracked": "peers whose flows are always tracked (NAT gateways, load balancers)",
    ]

    var assumptionsTable: Table {
        Table(
            id: id("assumptions"),
            columns: [.init(title: "setting"), .init(title: "value"), .init(title: "meaning")],
            rows: summary.assumptions.map { name, value in
                Table.Row(
                    cells: [[.code(name)], [.text(value)], [.text(IncidentReport.assumptionNotes[name] ?? "")]],
                    data: [("setting", name)])
            },
            empty: "None recorded.")
    }

    var warningBlocks: [Block] {
        // Edits' warnings are in the answer, under their edit (as in the text summary).
        let editWarnings = Set(summary.edits.flatMap(\.warnings))
        var items = (summary.leadingWarnings + summary.warnings.filter { !editWarnings.contains($0) }).map { ListItem(inlines: [.text($0)]) }
        if let records = summary.timelineRecordsText { items.append(ListItem(inlines: [.text(records)])) }
        if let error = summary.captureError {
            items.append(ListItem(inlines: [.text("capture error: \(error) (the frames before it were analysed)")]))
        }
        items += summary.suggestions.map { ListItem(inlines: [.text("hint: " + $0)]) }
        return items.isEmpty ? [.paragraph([.text("None.")])] : [.list(items)]
    }

    var provenanceBlocks: [Block] {
        var defs: [(String, [Inline])] = []
        defs.append(("capture", [.code(summary.captureName)] + (summary.linkTypeName.isEmpty ? [] : [.text(" (\(summary.linkTypeName))")])))
        defs.append(("frames", [.text("\(summary.frames) (\(summary.ipFrames) with an IP header)")]))
        if let first = summary.firstTime, let last = summary.lastTime {
            defs.append(("time range", [.time(first, dated: true), .text(" to "), .time(last, dated: true), .text(" (\(IncidentReport.duration(last - first)))")]))
        }
        if !summary.instanceAddresses.isEmpty {
            defs.append((
                "instance",
                [.code(summary.instanceAddresses.joined(separator: ", "))]
                    + (summary.instanceInferred ? [.text(" (inferred: the address seen in the most frames)")] : [])))
        }
        if summary.decapsulatedFrames > 0 {
            defs.append(("VXLAN", [.text("\(summary.decapsulatedFrames) frames unwrapped; their inner packets were analysed")]))
        }
        defs.append(("timeline", [.text(summary.edits.isEmpty ? "no edits" : count(summary.edits.count, "edit"))]))
        if !command.isEmpty { defs.append(("command", [.code(IncidentReport.shellQuoted(command))])) }
        defs.append(("times", [.text("UTC, RFC 3339; frames numbered from 1 as Wireshark numbers them")]))
        return [.definitions(defs)]
    }
}
