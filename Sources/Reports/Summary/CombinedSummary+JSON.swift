import Firewall
import Packets

/// `analyze A B … --format json`: the totals, the interfaces and the edits over all captures, then
/// each capture's own summary object.
extension CombinedSummary {
    public func json() -> JSON {
        func sum(_ value: (Summary) -> Int) -> JSON { .int(summaries.reduce(0) { $0 + value($1) }) }
        var pairs: [(String, JSON)] = []
        pairs.append(("frames", .int(frames)))
        pairs.append(("verdicts", FigureText.verdictJSON(verdicts)))
        pairs.append(("first_time", FigureText.time(firstTime)))
        pairs.append(("last_time", FigureText.time(lastTime)))
        pairs.append(("ip_frames", sum(\.ipFrames)))
        pairs.append(("skipped_reasons", FigureText.skippedJSON(skippedReasons)))
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
        pairs.append(("edits", .array(edits.map(editJSON))))
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
        let extra: [(String, JSON)] = [("interface", timeline.interface.map { .string($0) } ?? .null)]
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

    func editJSON(_ edit: CombinedEdit) -> JSON {
        var pairs = FigureText.editJSONHead(edit.time, edit.description, edit.source)
        pairs.append(("applied", .array(edit.applied.map { a in
            .object([("interface", timelines[a.timeline].interface.map { .string($0) } ?? .null), ("at", .string(a.text))])
        })))
        pairs.append(("verdicts_after", FigureText.verdictJSON(edit.verdictsAfter)))
        pairs.append(("allowed_by_tracking_flows", .array(edit.trackingFlows.map(Self.flowJSON))))
        pairs.append(("more_allowed_by_tracking_flows", .int(edit.moreTrackingFlows)))
        pairs.append(("cut_flows", .int(edit.cutFlows)))
        pairs.append(("cut_packets", .int(edit.cutPackets)))
        pairs.append(("blocked_new_flows", .int(edit.blockedFlows)))
        pairs.append(("blocked_packets", .int(edit.blockedPackets)))
        pairs.append(("timing_ambiguous_frames", .int(edit.timingAmbiguous)))
        pairs.append(("remedies", .array(edit.remedies.map { t, r in
            FigureText.remedyJSON(r, after: [
                ("interface", timelines[t].interface.map { .string($0) } ?? .null),
                ("captures", .array(timelines[t].captures.map { .string(captures[$0].summary.captureName) })),
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
}
