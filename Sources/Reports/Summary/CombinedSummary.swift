import Firewall
import Packets

/// Several captures analysed in one run (`analyze A.pcap B.pcap …`): each capture's own `Summary`
/// and the totals over all of them. Captures of one interface form a timeline, replayed in time
/// order through one engine; timelines of different interfaces are independent.
///
///     let combined = CombinedSummary(captures: [...], timelines: [...])
///     print(combined.text())            // the totals first, then each capture's own summary
///     combined.json().serialized()      // {"frames": …, "verdicts": …, …, "captures": [ … ]}
public struct CombinedSummary: Sendable {
    public struct Capture: Sendable {
        public var summary: Summary
        /// Index in `timelines`.
        public var timeline: Int

        public init(summary: Summary, timeline: Int) {
            self.summary = summary
            self.timeline = timeline
        }
    }

    /// The captures of one interface, replayed one after another in time order through one engine.
    public struct Timeline: Sendable {
        /// The interface's id, when known (`--eni`, the NetworkInterfaces input, the scenario).
        public var interface: String?
        public var addresses: [String]
        /// Indices in `captures`, in replay (time) order.
        public var captures: [Int]
        /// When the captures were matched to interfaces by their addresses: for each capture of
        /// `captures`, the frames that carry one of this interface's addresses, among the frames
        /// read to match (the first million at most).
        public var matchedFrames: [(matched: Int, read: Int)]?
        /// Remedies checked over the whole timeline when it has several captures (`afterEdit`
        /// indexes the edits of its last capture's summary); a capture alone has them in its summary.
        public var remedies: [Summary.Remedy]

        public init(
            interface: String?, addresses: [String], captures: [Int], matchedFrames: [(matched: Int, read: Int)]? = nil,
            remedies: [Summary.Remedy] = []
        ) {
            self.interface = interface
            self.addresses = addresses
            self.captures = captures
            self.matchedFrames = matchedFrames
            self.remedies = remedies
        }

        /// "eni-0abc (10.0.0.5)", "10.0.0.5", "the instance".
        public var name: String {
            let addressText = addresses.joined(separator: ", ")
            if let interface { return addressText.isEmpty ? interface : "\(interface) (\(addressText))" }
            return addressText.isEmpty ? "the instance" : addressText
        }
    }

    /// In the order the captures were given.
    public var captures: [Capture]
    public var timelines: [Timeline]

    public init(captures: [Capture], timelines: [Timeline]) {
        self.captures = captures
        self.timelines = timelines
    }

    var summaries: [Summary] { captures.map(\.summary) }

    // MARK: Totals

    public var frames: Int { summaries.reduce(0) { $0 + $1.frames } }

    public var verdicts: [Int] { Self.sum(summaries.map(\.verdicts)) }

    public func count(of verdict: Verdict) -> Int { verdicts[Int(verdict.rawValue)] }

    public var firstTime: Timestamp? { summaries.compactMap(\.firstTime).min() }
    public var lastTime: Timestamp? { summaries.compactMap(\.lastTime).max() }

    /// Skipped frames by reason key, with the first example of each decode anomaly (captures in order).
    var skippedReasons: [(key: String, count: Int, example: String?)] {
        var out: [(key: String, count: Int, example: String?)] = []
        for category in DecodeAnomaly.Category.allCases {
            let n = summaries.reduce(0) { $0 + $1.anomalies[category.rawValue] }
            guard n > 0 else { continue }
            out.append((category.key, n, summaries.lazy.compactMap { $0.anomalyExamples[category.rawValue] }.first))
        }
        var other: [String: Int] = [:]
        for summary in summaries {
            for (key, n) in summary.otherSkipCounts { other[key, default: 0] += n }
        }
        for key in other.keys.sorted() { out.append((key, other[key]!, nil)) }
        let nonPackets = summaries.reduce(0) { $0 + $1.nonPackets }
        if nonPackets > 0 { out.append(("not-a-packet", nonPackets, nil)) }
        return out
    }

    static func sum(_ rows: [[Int]]) -> [Int] {
        var total = [Int](repeating: 0, count: Verdict.allCases.count)
        for row in rows {
            for i in total.indices where i < row.count { total[i] += row[i] }
        }
        return total
    }

    // MARK: Edits over all captures

    /// A flow that only tracking let through after an edit, over every capture of its timeline.
    public struct MergedFlow: Sendable {
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
                    edit.trackingFlows[i].packets += figures.packets
                    edit.trackingFlows[i].bytes += figures.bytes
                    edit.trackingFlows[i].lastTime = figures.lastTime
                    if !figures.state.isEmpty {
                        edit.trackingFlows[i].state = figures.state
                        edit.trackingFlows[i].expires = figures.expires
                    }
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

    /// Packets lost to a full tracking table, over every capture.
    public var conntrackLost: Int { summaries.reduce(0) { $0 + $1.conntrack.lost } }
}

// MARK: Rendering

extension CombinedSummary {
    public func json() -> JSON {
        func verdictObject(_ counts: [Int]) -> JSON {
            .object(Verdict.allCases.map { ($0.label, .int(counts[Int($0.rawValue)])) })
        }
        func sum(_ value: (Summary) -> Int) -> JSON { .int(summaries.reduce(0) { $0 + value($1) }) }
        var pairs: [(String, JSON)] = []
        pairs.append(("frames", .int(frames)))
        pairs.append(("verdicts", verdictObject(verdicts)))
        pairs.append(("first_time", firstTime.map { .string($0.rfc3339) } ?? .null))
        pairs.append(("last_time", lastTime.map { .string($0.rfc3339) } ?? .null))
        pairs.append(("ip_frames", sum(\.ipFrames)))
        pairs.append(("skipped_reasons", .object(skippedReasons.map { ($0.key, .int($0.count)) })))
        pairs.append(("vxlan_frames", sum(\.vxlanFrames)))
        pairs.append(("decapsulated_frames", sum(\.decapsulatedFrames)))
        pairs.append(("conntrack", .object([
            ("conntrack_allowance_exceeded", sum(\.conntrack.lost)),
            ("entries_created", sum(\.conntrack.created)),
            ("entries_assumed_established", sum(\.conntrack.preexisting)),
        ])))
        pairs.append(("interfaces", .array(timelines.map(timelineJSON))))
        let before = trackingBeforeEdits
        pairs.append(("allowed_by_tracking_before_edits", .array(before.flows.map(Self.flowJSON))))
        // Every interface's policy reads the same timeline files: a record not understood is one record.
        pairs.append(("timeline", .object([
            ("edits", .int(edits.count)),
            ("not_understood", .int(summaries.map(\.ignoredEvents.notUnderstood).max() ?? 0)),
        ])))
        pairs.append(("edits", .array(edits.map { editJSON($0, verdictObject) })))
        pairs.append(("capture_errors", .array(captures.compactMap { c in
            c.summary.captureError.map { JSON.object([("capture", .string(c.summary.captureName)), ("error", .string($0))]) }
        })))
        pairs.append(("captures", .array(captures.indices.map(captureJSON))))
        return .object(pairs)
    }

    /// A capture's own summary object, as a run on it alone writes it, with the interface and (when
    /// it shares its interface's timeline with other captures) its place in that timeline.
    func captureJSON(_ index: Int) -> JSON {
        let capture = captures[index]
        guard case .object(var pairs) = capture.summary.json() else { return capture.summary.json() }
        let timeline = timelines[capture.timeline]
        var extra: [(String, JSON)] = [("interface", timeline.interface.map { .string($0) } ?? .null)]
        // The capture's place in its interface's timeline joins the summary's own `timeline` object.
        if timeline.captures.count > 1, let position = timeline.captures.firstIndex(of: index),
            let t = pairs.firstIndex(where: { $0.0 == "timeline" }), case .object(var fields) = pairs[t].1
        {
            fields.append(("position", .int(position + 1)))
            fields.append(("captures", .array(timeline.captures.map { .string(captures[$0].summary.captureName) })))
            pairs[t].1 = .object(fields)
        }
        let at = (pairs.firstIndex { $0.0 == "capture" } ?? pairs.count - 1) + 1
        pairs.insert(contentsOf: extra, at: at)
        return .object(pairs)
    }

    func timelineJSON(_ timeline: Timeline) -> JSON {
        let members = timeline.captures.map { captures[$0].summary }
        var pairs: [(String, JSON)] = [
            ("interface", timeline.interface.map { .string($0) } ?? .null),
            ("addresses", .array(timeline.addresses.map { .string($0) })),
            ("captures", .array(members.map { .string($0.captureName) })),
            ("one_timeline", .bool(members.count > 1)),
        ]
        if let matched = timeline.matchedFrames {
            pairs.append(("matched_frames", .array(matched.map { .int($0.matched) })))
            pairs.append(("frames_read_to_match", .array(matched.map { .int($0.read) })))
        }
        pairs.append(("frames", .int(members.reduce(0) { $0 + $1.frames })))
        pairs.append(("conntrack", .object([
            ("allowance", members.first?.conntrack.allowance.map { .int($0) } ?? .string("unlimited")),
            ("conntrack_allowance_exceeded", .int(members.reduce(0) { $0 + $1.conntrack.lost })),
            ("peak_entries", .int(members.map(\.conntrack.peak).max() ?? 0)),
            ("live_at_end", .int(members.last?.conntrack.liveAtEnd ?? 0)),
        ])))
        return .object(pairs)
    }

    func editJSON(_ edit: CombinedEdit, _ verdictObject: ([Int]) -> JSON) -> JSON {
        var pairs: [(String, JSON)] = []
        pairs.append(("time", .string(edit.time.rfc3339)))
        pairs.append(("edit", .string(edit.description)))
        pairs.append(("source", .string(edit.source)))
        pairs.append(("applied", .array(edit.applied.map { a in
            .object([("interface", timelines[a.timeline].interface.map { .string($0) } ?? .null), ("at", .string(a.text))])
        })))
        pairs.append(("verdicts_after", verdictObject(edit.verdictsAfter)))
        pairs.append(("allowed_by_tracking_flows", .array(edit.trackingFlows.map(Self.flowJSON))))
        pairs.append(("more_allowed_by_tracking_flows", .int(edit.moreTrackingFlows)))
        pairs.append(("cut_flows", .int(edit.cutFlows)))
        pairs.append(("cut_packets", .int(edit.cutPackets)))
        pairs.append(("blocked_new_flows", .int(edit.blockedFlows)))
        pairs.append(("blocked_packets", .int(edit.blockedPackets)))
        pairs.append(("timing_ambiguous_frames", .int(edit.timingAmbiguous)))
        pairs.append(("remedies", .array(edit.remedies.map { t, r in
            .object([
                ("interface", timelines[t].interface.map { .string($0) } ?? .null),
                ("captures", .array(timelines[t].captures.map { .string(captures[$0].summary.captureName) })),
                ("proposal", .string(r.proposal)), ("tracked_packets", .int(r.trackedPackets)),
                ("stopped_packets", .int(r.stoppedPackets)), ("flows", .int(r.flows)),
                ("flows_stopped", .int(r.flowsStopped)), ("other_packets_dropped", .int(r.otherDrops)),
                ("outcome", .string(r.outcome)),
            ])
        })))
        pairs.append(("warnings", .array(edit.warnings.map { .string($0) })))
        return .object(pairs)
    }

    static func flowJSON(_ f: MergedFlow) -> JSON {
        .object([
            ("flow", .string(f.flow)), ("packets", .int(f.packets)), ("bytes", .int(f.bytes)),
            ("first_time", .string(f.firstTime.rfc3339)), ("last_time", .string(f.lastTime.rfc3339)),
            ("captures", .array(f.spans.map { s in
                .object([("capture", .string(s.capture)), ("first_frame", .int(s.first)), ("last_frame", .int(s.last))])
            })),
            ("entry", .string(f.entry)), ("state", .string(f.state)), ("expires_if_idle", .string(f.expires.rfc3339)),
        ])
    }

    /// The totals first (frames, verdicts, each edit and the flows that kept flowing only because of
    /// tracking across all captures), then each capture's own summary under a heading naming it.
    public func text() -> String {
        var lines: [String] = []
        var head = "\(captures.count) captures, \(timelines.count) interface\(timelines.count == 1 ? "" : "s"): "
            + "\(frames) frame\(frames == 1 ? "" : "s")"
        if let firstTime, let lastTime { head += ", \(firstTime.rfc3339) to \(lastTime.rfc3339)" }
        lines.append(head)
        for timeline in timelines {
            let names = timeline.captures.map { captures[$0].summary.captureName }
            var line = "  \(timeline.name): "
            if names.count > 1 {
                line += names.joined(separator: ", then ")
                    + " (one timeline, in time order: tracking entries and edits carry over from one capture to the next)"
            } else {
                line += names.joined()
            }
            if let matched = timeline.matchedFrames {
                let parts = zip(timeline.captures, matched).map { i, m in
                    m.read < captures[i].summary.frames ? "\(m.matched) of its first \(m.read)" : "\(m.matched) of \(m.read)"
                }
                line += "; matched by its addresses in " + parts.joined(separator: ", ") + " frames"
            }
            lines.append(line)
        }
        lines.append("")
        let width = Verdict.allCases.map { $0.label.count }.max() ?? 0
        let numberWidth = max(String(frames).count, 1)
        let totals = verdicts
        for verdict in Verdict.allCases {
            lines.append("  " + Self.pad(verdict.label, width) + "  " + Self.padLeft(String(totals[Int(verdict.rawValue)]), numberWidth))
        }
        for reason in skippedReasons {
            let example = reason.example.map { "  e.g. \($0)" } ?? ""
            lines.append("    " + Self.padLeft(String(reason.count), numberWidth) + " " + reason.key + example)
        }

        let before = trackingBeforeEdits
        if !before.flows.isEmpty {
            lines.append("")
            lines.append("Before any edit, allowed only by tracking:")
            lines += before.flows.prefix(10).map { "  " + Self.flowLine($0) }
            let more = before.flows.count - min(before.flows.count, 10) + before.more
            if more > 0 { lines.append("  … and \(more) more flows") }
        }
        let allEdits = edits
        if !allEdits.isEmpty {
            lines.append("")
            lines.append("Timeline (\(allEdits.count) edit\(allEdits.count == 1 ? "" : "s"), over all captures):")
            for edit in allEdits {
                let applied = edit.applied.map { a in
                    timelines.count > 1 ? "\(timelines[a.timeline].interface ?? timelines[a.timeline].name): \(a.text)" : a.text
                }
                lines.append("  \(edit.time.rfc3339)  \(edit.description)  (\(applied.joined(separator: "; ")); \(edit.source))")
                for warning in edit.warnings { lines.append("    warning: \(warning)") }
                lines += periodLines(edit)
            }
        }
        let lost = conntrackLost
        if lost > 0 || summaries.contains(where: { $0.conntrack.allowance != nil }) {
            lines.append("")
            var line = "Connection tracking: conntrack_allowance_exceeded \(lost)"
            if timelines.count > 1 {
                line += " (" + timelines.map { t in
                    "\(t.interface ?? t.name): \(t.captures.reduce(0) { $0 + captures[$1].summary.conntrack.lost })"
                }.joined(separator: ", ") + ")"
            }
            lines.append(line)
        }
        let errors = captures.compactMap { c in c.summary.captureError.map { (c.summary.captureName, $0) } }
        if !errors.isEmpty {
            lines.append("")
            for (name, error) in errors { lines.append("capture error: \(name): \(error) (the frames before it were analysed)") }
        }
        for (i, capture) in captures.enumerated() {
            lines.append("")
            lines.append("")
            let timeline = timelines[capture.timeline]
            var heading = "=== \(i + 1)/\(captures.count): \(capture.summary.captureName) — \(timeline.name)"
            if timeline.captures.count > 1, let position = timeline.captures.firstIndex(of: i) {
                heading += ", capture \(position + 1) of \(timeline.captures.count) of its timeline"
            }
            lines.append(heading + " ===")
            lines.append(capture.summary.text().dropLast().description)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func periodLines(_ edit: CombinedEdit) -> [String] {
        var lines: [String] = []
        let parts = Verdict.allCases.filter { edit.verdictsAfter[Int($0.rawValue)] > 0 && $0 != .skipped }
            .map { "\(edit.verdictsAfter[Int($0.rawValue)]) \($0.label)" }
        if !parts.isEmpty { lines.append("    after it, until the next edit, over all captures: " + parts.joined(separator: ", ")) }
        let flows = edit.trackingFlows
        if !flows.isEmpty || edit.moreTrackingFlows > 0 {
            let n = flows.count + edit.moreTrackingFlows
            let packets = flows.reduce(0) { $0 + $1.packets }
            let bytes = flows.reduce(0) { $0 + $1.bytes }
            lines.append("    still flowing only because of connection tracking: \(n) flow\(n == 1 ? "" : "s"), "
                + "\(packets) packets, \(bytes) bytes" + (edit.moreTrackingFlows > 0 ? " (in the flows listed)" : ""))
            lines += flows.prefix(10).map { "      " + Self.flowLine($0) }
            let more = flows.count - min(flows.count, 10) + edit.moreTrackingFlows
            if more > 0 { lines.append("      … and \(more) more flows") }
        }
        for t in Set(edit.remedies.map(\.timeline)).sorted() {
            let names = timelines[t].captures.map { captures[$0].summary.captureName }
            lines.append("    what would have stopped them" + (timelines.count > 1 ? " on \(timelines[t].interface ?? timelines[t].name)" : "")
                + " (each checked by replaying \(names.joined(separator: ", ")) with it):")
            for r in edit.remedies.filter({ $0.timeline == t }).map(\.remedy) { lines.append("      - \(r.proposal): \(r.outcome)") }
        }
        if edit.cutFlows > 0 {
            lines.append("    cut by the edit: \(edit.cutFlows) flow\(edit.cutFlows == 1 ? "" : "s"), \(edit.cutPackets) packets dropped")
        }
        if edit.blockedFlows > 0 {
            lines.append("    new connections the edit blocked: \(edit.blockedFlows), \(edit.blockedPackets) packets dropped")
        }
        if edit.moreCutFlows > 0 { lines.append("    … and \(edit.moreCutFlows) more flows cut or blocked") }
        if edit.timingAmbiguous > 0 {
            lines.append("    \(edit.timingAmbiguous) frames within the timing uncertainty after the edit (marked timing_ambiguous)")
        }
        return lines
    }

    static func flowLine(_ f: MergedFlow) -> String {
        let spans = f.spans.map { s in
            "\(s.capture) " + (s.first == s.last ? "frame \(s.first)" : "frames \(s.first)–\(s.last)")
        }
        return "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s"), \(f.bytes) bytes, \(spans.joined(separator: ", ")); "
            + "\(f.entry)" + (f.state.isEmpty ? "" : ", \(f.state), expires if idle at \(f.expires.rfc3339)")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
