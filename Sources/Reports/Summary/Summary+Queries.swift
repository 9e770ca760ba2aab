import Firewall
import Packets

/// What the renderers ask of a summary: flows sorted for showing, edit groups, counts by reason.
extension Summary {
    /// Flows an edit cut (period i, after edit i-1 … i.e. `periods[i]`), most packets first.
    public func cutFlows(_ period: Int) -> [FlowFigures] {
        guard period < periods.count else { return [] }
        return periods[period].cutFlows.values.sorted { ($0.packets, -$0.firstFrame) > ($1.packets, -$1.firstFrame) }
    }

    public func blockedFlows(_ period: Int) -> [FlowFigures] {
        guard period < periods.count else { return [] }
        return periods[period].blockedFlows.values.sorted { ($0.firstFrame) < ($1.firstFrame) }
    }

    public func count(of verdict: Verdict) -> Int { verdicts[Int(verdict.rawValue)] }

    /// Whether most frames look like VXLAN-wrapped mirror traffic that was not unwrapped.
    public var suggestsVXLAN: Bool { vxlanFrames > 0 && vxlanFrames * 2 > max(ipFrames, 1) }

    public var suggestions: [String] {
        var out: [String] = []
        if suggestsVXLAN {
            out.append(
                "\(vxlanFrames) of \(frames) frames are VXLAN (UDP 4789), as AWS Traffic Mirroring sends them: "
                    + "rerun with --decap vxlan to analyse the mirrored packets inside")
        }
        return out
    }

    /// Flows of a period that only tracking let through, most packets first (then first frame).
    public func trackingFlows(_ period: Int) -> [FlowFigures] {
        guard period < periods.count else { return [] }
        return periods[period].trackingFlows.values.sorted {
            ($0.packets, -$0.firstFrame) > ($1.packets, -$1.firstFrame)
        }
    }

    /// "CloudTrail records not applied: 3 failed (errorCode), 40 not rule edits, 2 for other groups,
    /// ACLs or interfaces; 1 not understood (see the warnings)", or nil when every record applied.
    public var timelineRecordsText: String? {
        let i = ignoredEvents
        guard i.total + i.notUnderstood > 0 else { return nil }
        var parts: [String] = []
        if i.failed > 0 { parts.append("\(i.failed) failed (errorCode)") }
        if i.notEdits > 0 { parts.append("\(i.notEdits) not rule edits") }
        if i.otherResources > 0 { parts.append("\(i.otherResources) for other groups, ACLs or interfaces") }
        var text = "CloudTrail records not applied: " + (parts.isEmpty ? "none ignored" : parts.joined(separator: ", "))
        if i.notUnderstood > 0 { text += "; \(i.notUnderstood) not understood (see the warnings)" }
        return text
    }

    /// Edits grouped by instant: edits at the same time take effect together.
    public var editGroups: [[Int]] {
        var groups: [[Int]] = []
        for i in edits.indices {
            if let last = groups.last?.last, edits[last].time == edits[i].time {
                groups[groups.count - 1].append(i)
            } else {
                groups.append([i])
            }
        }
        return groups
    }

    /// Skipped frames by reason key (decode anomalies aside), keys sorted.
    var otherSkipCounts: [(String, Int)] {
        var byKey: [String: Int] = [:]
        for (raw, n) in otherSkips.enumerated() where n > 0 {
            if let reason = Judgement.Reason(rawValue: UInt8(raw)) { byKey[reason.key, default: 0] += n }
        }
        return byKey.keys.sorted().map { ($0, byKey[$0]!) }
    }

    /// Skipped frames by reason: decode anomalies (with the first example), the other reasons, pcapng custom blocks.
    var skippedReasons: [SkippedReason] {
        var out: [SkippedReason] = []
        for category in DecodeAnomaly.Category.allCases where anomalies[category.rawValue] > 0 {
            out.append(SkippedReason(key: category.key, count: anomalies[category.rawValue], example: anomalyExamples[category.rawValue]))
        }
        for (key, n) in otherSkipCounts { out.append(SkippedReason(key: key, count: n)) }
        if nonPackets > 0 { out.append(SkippedReason(key: "not-a-packet", count: nonPackets, note: " (pcapng custom blocks)")) }
        return out
    }
}

extension Engine.ExhaustionEpisode {
    /// "frames 12–40". A capture that continues an earlier one's timeline may begin with the table
    /// already full: the episode's first lost frame is then in the earlier capture (0 here).
    public var lostFramesText: String {
        if firstLostFrame > 0 { return "frames \(firstLostFrame)–\(lastLostFrame)" }
        if lastLostFrame > 0 { return "up to frame \(lastLostFrame); full since an earlier capture" }
        return "none in this capture; full since an earlier capture"
    }
}
