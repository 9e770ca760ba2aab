import Firewall
import Packets

/// The edits of every timeline, once each, with the periods after them summed over the captures.
extension CombinedSummary {

    /// A flow that only tracking let through after an edit, over every capture of its timeline.
    public struct MergedFlow: Sendable, AccumulatedFlow {
        public var flow: String
        public var packets = 0
        public var bytes = 0
        public var firstTime: Timestamp
        public var lastTime: Timestamp
        public var entry: String
        public var state: String
        public var expires: Timestamp
        /// Per capture, in replay order: its name and the first and last frame of the flow in it.
        public var spans: [(capture: String, first: Int, last: Int)] = []
    }

    /// One timeline edit and what followed it until the next edit, over the captures of every
    /// timeline that applied it.
    public struct CombinedEdit: Sendable {
        public var time: Timestamp
        public var description: String
        public var source: String
        /// Per timeline that applied it: the timeline's index and where it applied ("from frame 64 of a.pcap").
        public var applied: [(timeline: Int, text: String)] = []
        public var verdictsAfter = [Int](repeating: 0, count: Verdict.allCases.count)
        public var trackingFlows: [MergedFlow] = []
        /// Flows beyond the summaries' lists (they list at most `Summary.flowLimit` per period).
        public var moreTrackingFlows = 0
        public var cutFlows = 0
        public var cutPackets = 0
        public var blockedFlows = 0
        public var blockedPackets = 0
        public var moreCutFlows = 0
        public var timingAmbiguous = 0
        public var warnings: [String] = []
        /// Remedies, each checked by replaying a timeline with it: its index in `timelines`, the remedy.
        public var remedies: [(timeline: Int, remedy: Summary.Remedy)] = []

        var key: EditKey { EditKey(time: time.nanoseconds, description: description, source: source) }
    }

    struct EditKey: Hashable {
        var time: Int64
        var description: String
        var source: String
    }

    /// Every edit applied in some timeline, once, in time order (then input order), with the
    /// figures of the period after it summed over all captures.
    public var edits: [CombinedEdit] {
        var out: [CombinedEdit] = []
        var index: [EditKey: Int] = [:]
        for (t, timeline) in timelines.enumerated() {
            guard let lastIndex = timeline.captures.last else { continue }
            let last = captures[lastIndex].summary
            // The last capture's summary lists every edit of the timeline (edits after the last
            // frame included); the earlier ones' periods add up with it.
            let members = timeline.captures.map { captures[$0].summary }
            for (i, edit) in last.edits.enumerated() {
                var combined = CombinedEdit(time: edit.time, description: edit.description, source: edit.source)
                let key = combined.key
                let k: Int
                if let existing = index[key] {
                    k = existing
                } else {
                    k = out.count
                    index[key] = k
                    combined.warnings = edit.warnings
                    out.append(combined)
                }
                var applied = edit
                if applied.capture == nil && applied.firstFrame > 0 { applied.capture = last.captureName }
                out[k].applied.append((t, applied.appliedText))
                // A capture alone on its interface has its remedies in its own summary.
                let remedies = members.count > 1 ? timeline.remedies : last.remedies
                out[k].remedies += remedies.filter { $0.afterEdit == i }.map { (t, $0) }
                Self.add(period: i + 1, of: members, to: &out[k])
            }
        }
        // Stable: edits at the same time keep their input order.
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// Flows only tracking let through before any edit, over every capture.
    public var trackingBeforeEdits: (flows: [MergedFlow], more: Int) {
        var edit = CombinedEdit(time: Timestamp(nanoseconds: 0), description: "", source: "")
        for timeline in timelines {
            Self.add(period: 0, of: timeline.captures.map { captures[$0].summary }, to: &edit)
        }
        return (edit.trackingFlows, edit.moreTrackingFlows)
    }

    private static func add(period p: Int, of members: [Summary], to edit: inout CombinedEdit) {
        var byKey: [FlowKey: Int] = [:]
        for summary in members where p < summary.periods.count {
            let period = summary.periods[p]
            for v in edit.verdictsAfter.indices { edit.verdictsAfter[v] += period.verdicts[v] }
            for (key, figures) in period.trackingFlows.sorted(by: { $0.value.firstFrame < $1.value.firstFrame }) {
                let span = (capture: summary.captureName, first: figures.firstFrame, last: figures.lastFrame)
                if let i = byKey[key] {
                    edit.trackingFlows[i].add(later: figures)
                    edit.trackingFlows[i].spans.append(span)
                } else {
                    byKey[key] = edit.trackingFlows.count
                    edit.trackingFlows.append(MergedFlow(
                        flow: figures.flow, packets: figures.packets, bytes: figures.bytes, firstTime: figures.firstTime,
                        lastTime: figures.lastTime, entry: figures.entry, state: figures.state, expires: figures.expires,
                        spans: [span]))
                }
            }
            edit.moreTrackingFlows += period.moreTrackingFlows
            edit.cutFlows += period.cutFlows.count
            edit.cutPackets += period.cutFlows.values.reduce(0) { $0 + $1.packets }
            edit.blockedFlows += period.blockedFlows.count
            edit.blockedPackets += period.blockedFlows.values.reduce(0) { $0 + $1.packets }
            edit.moreCutFlows += period.moreCutFlows
            edit.timingAmbiguous += period.timingAmbiguous
        }
        edit.trackingFlows.sort {
            ($0.packets, -$0.firstTime.nanoseconds, $1.flow) > ($1.packets, -$1.firstTime.nanoseconds, $0.flow)
        }
    }

}
