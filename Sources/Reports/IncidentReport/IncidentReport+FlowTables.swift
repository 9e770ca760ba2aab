import Firewall
import Packets

/// The tables of flows kept by tracking, cut and blocked, one row per flow and period.
extension IncidentReport {
    var stillFlowingTable: Table {
        var rows: [Table.Row] = []
        for p in periodsShown {
            for f in summary.trackingFlows(p) {
                rows.append(IncidentReport.stillFlowingRow(
                    when: periodName(p), flow: f.flow, packets: f.packets, bytes: f.bytes, place: frameRange(f), entry: f.entry,
                    state: f.state.isEmpty
                        ? [.text("related: lives with the flow it relates to")]
                        : [.text(f.state), .lineBreak, .text("expires if idle at "), .time(f.expires),
                           .text(" (\(IncidentReport.duration(f.expires - f.lastTime)) after the last packet)")],
                    data: [("flow", f.flow), ("period", String(p))]))
            }
        }
        return IncidentReport.stillFlowingTable(id: id("still-flowing"), place: "frames and times", rows: rows)
    }

    func cutTable(id: String, blocked: Bool) -> Table {
        var rows: [Table.Row] = []
        for g in groups {
            let flows = blocked ? summary.blockedFlows(g.period) : summary.cutFlows(g.period)
            for f in flows {
                rows.append(Table.Row(
                    cells: [
                        [.text("after " + g.label)], [.flow(f.flow)], [.text(String(f.packets))], frameRange(f), [.code(f.entry)],
                    ],
                    data: [("flow", f.flow), ("period", String(g.period))]))
            }
        }
        return Table(
            id: id,
            columns: [
                .init(title: "when"), .init(title: "flow"), .init(title: "packets dropped", alignment: .right),
                .init(title: "frames and times"), .init(title: "reason"),
            ],
            rows: rows, empty: blocked ? "None." : "None: no flow was cut by an edit.", rowClass: "flow")
    }

    /// `frames 64–113` and the first and last packets' times.
    func frameRange(_ f: Summary.FlowFigures) -> [Inline] {
        f.firstFrame == f.lastFrame
            ? [.text("frame \(f.firstFrame)"), .lineBreak, .time(f.firstTime)]
            : [.text("frames \(f.firstFrame)–\(f.lastFrame)"), .lineBreak, .time(f.firstTime), .text(" to "), .time(f.lastTime)]
    }
}
