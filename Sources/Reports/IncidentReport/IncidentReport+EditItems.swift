import Firewall
import Packets

/// What the answer says under an edit, and the table of the flows that tracking kept: worded once
/// for a capture's report and for the totals over several captures (`CombinedReport`).
extension IncidentReport {
    static let noTrackedFlow: [Inline] = [.text("No flow kept flowing only because of connection tracking.")]

    /// "1 flow kept flowing only because of connection tracking: 32 packets, 2307 bytes after the edit — tcp …"
    static func trackedItem(flows n: Int, packets: Int, bytes: Int, scope: String = "", names: [String]) -> [Inline] {
        [.strong("\(count(n, "flow")) kept flowing only because of connection tracking"),
         .text(": \(count(packets, "packet")), \(bytes) bytes after the edit\(scope) — ")] + flowNames(names)
    }

    /// A remedy and what replaying with it showed; `interface`: " on eni-…" where several are told apart.
    static func remedyItem(_ r: Summary.Remedy, on interface: String = "", checked: String) -> [Inline] {
        [.strong("Would it have stopped them?"), .text(" To " + r.proposal + interface + ": " + r.outcome + " (" + checked + ").")]
    }

    /// Flows the edit cut; without `names` (the totals only count them) the sentence ends there.
    static func cutItem(flows: Int, packets: Int, names: [String] = []) -> [Inline] {
        [.strong("\(count(flows, "flow")) cut"),
         .text(": \(count(packets, "packet")) dropped that the policy before the edit let through" + (names.isEmpty ? "." : " — "))]
            + flowNames(names)
    }

    static func blockedItem(connections: Int, packets: Int, names: [String] = []) -> [Inline] {
        [.strong("\(count(connections, "new connection")) blocked"),
         .text(": \(count(packets, "packet")) dropped" + (names.isEmpty ? "." : " — "))] + flowNames(names)
    }

    static func warningItem(_ warning: String) -> [Inline] { [.strong("Warning:"), .text(" " + warning)] }

    /// `#still-flowing`: one row per flow and period; `place` names the column of frames (and captures).
    static func stillFlowingTable(id: String, place: String, rows: [Table.Row]) -> Table {
        Table(
            id: id,
            columns: [
                .init(title: "when"), .init(title: "flow"), .init(title: "packets", alignment: .right),
                .init(title: "bytes", alignment: .right), .init(title: place), .init(title: "tracking entry"),
                .init(title: "state"),
            ],
            rows: rows, empty: "None: no packet was let through by a tracking entry alone.", rowClass: "flow")
    }

    /// A row of `#still-flowing`: `place` where the flow's packets are, `state` its entry's last state.
    static func stillFlowingRow(
        when: String, flow: String, packets: Int, bytes: Int, place: [Inline], entry: String, state: [Inline], data: [(String, String)]
    ) -> Table.Row {
        Table.Row(
            cells: [[.text(when)], [.flow(flow)], [.text(String(packets))], [.text(String(bytes))], place, withTimes(entry), state],
            data: data)
    }
}
