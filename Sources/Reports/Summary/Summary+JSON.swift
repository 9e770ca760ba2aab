import Firewall
import Packets

/// `analyze --format json`: the summary as one object, keys in a fixed order.
extension Summary {
    public func json() -> JSON {
        var pairs: [(String, JSON)] = []
        pairs.append(("frames", .int(frames)))
        pairs.append(("verdicts", FigureText.verdictJSON(verdicts)))
        pairs.append(("capture", .string(captureName)))
        pairs.append(("link_type", .string(linkTypeName)))
        pairs.append(("first_time", FigureText.time(firstTime)))
        pairs.append(("last_time", FigureText.time(lastTime)))
        pairs.append(("ip_frames", .int(ipFrames)))
        let instance: JSON = .object([
            ("addresses", .array(instanceAddresses.map { .string($0) })),
            ("inferred_from_capture", .bool(instanceInferred)),
        ])
        pairs.append(("instance", instance))
        pairs.append(("skipped_reasons", FigureText.skippedJSON(skippedReasons)))
        pairs.append(("timeline", timelineJSON))
        pairs.append(("edits", .array(edits.indices.map(editJSON))))
        pairs.append(("allowed_by_tracking_before_edits", .array(trackingFlows(0).map(Summary.flowJSON))))
        var table: [(String, JSON)] = []
        table.append(("allowance", conntrack.allowance.map { .int($0) } ?? .string("unlimited")))
        table.append(("conntrack_allowance_exceeded", .int(conntrack.lost)))
        table.append(("peak_entries", .int(conntrack.peak)))
        table.append(("peak_time", FigureText.time(conntrack.peakTime)))
        table.append(("entries_created", .int(conntrack.created)))
        table.append(("entries_assumed_established", .int(conntrack.preexisting)))
        table.append(("live_at_end", .int(conntrack.liveAtEnd)))
        table.append(("exhaustion_episodes", .array(exhaustion.map(Summary.episodeJSON))))
        pairs.append(("conntrack", .object(table)))
        pairs.append(("assumptions", .object(assumptions.map { ($0.0, .string($0.1)) })))
        pairs.append(("vxlan_frames", .int(vxlanFrames)))
        pairs.append(("decapsulated_frames", .int(decapsulatedFrames)))
        pairs.append(("capture_error", captureError.map { .string($0) } ?? .null))
        pairs.append(("warnings", .array((leadingWarnings + warnings).map { .string($0) })))
        pairs.append(("suggestions", .array(suggestions.map { .string($0) })))
        return .object(pairs)
    }

    /// `timeline`: how many edits, and the CloudTrail records that did not become edits.
    var timelineJSON: JSON {
        .object([
            ("edits", .int(edits.count)),
            ("ignored", .object([
                ("failed", .int(ignoredEvents.failed)), ("not_edits", .int(ignoredEvents.notEdits)),
                ("other_resources", .int(ignoredEvents.otherResources)),
            ])),
            ("not_understood", .int(ignoredEvents.notUnderstood)),
        ])
    }

    private func editJSON(_ i: Int) -> JSON {
        let edit = edits[i]
        var pairs = FigureText.editJSONHead(edit.time, edit.description, edit.source)
        pairs.append(("first_frame", edit.firstFrame > 0 ? .int(edit.firstFrame) : .null))
        if let capture = edit.capture { pairs.append(("first_frame_capture", .string(capture))) }
        pairs.append(("verdicts_after", FigureText.verdictJSON(periods[i + 1].verdicts)))
        pairs.append(("allowed_by_tracking_flows", .array(trackingFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("cut_flows", .array(cutFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("blocked_new_flows", .array(blockedFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("timing_ambiguous_frames", .int(periods[i + 1].timingAmbiguous)))
        pairs.append(("remedies", .array(remedies.filter { $0.afterEdit == i }.map { FigureText.remedyJSON($0) })))
        pairs.append(("warnings", .array(edit.warnings.map { .string($0) })))
        return .object(pairs)
    }

    static func episodeJSON(_ e: Engine.ExhaustionEpisode) -> JSON {
        .object([
            ("start", .string(e.start.rfc3339)), ("end", FigureText.time(e.end)),
            ("lost_packets", .int(e.lostPackets)), ("refused_flows", .int(e.refusedFlows)),
            ("first_lost_frame", e.firstLostFrame > 0 ? .int(e.firstLostFrame) : .null),
            ("last_lost_frame", e.lastLostFrame > 0 ? .int(e.lastLostFrame) : .null),
        ])
    }

    static func flowJSON(_ f: FlowFigures) -> JSON {
        .object([
            ("flow", .string(f.flow)), ("packets", .int(f.packets)), ("bytes", .int(f.bytes)),
            ("first_frame", .int(f.firstFrame)), ("last_frame", .int(f.lastFrame)),
            ("first_time", .string(f.firstTime.rfc3339)), ("last_time", .string(f.lastTime.rfc3339)),
            ("entry", .string(f.entry)), ("state", .string(f.state)), ("expires_if_idle", .string(f.expires.rfc3339)),
        ])
    }
}
