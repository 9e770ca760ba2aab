import Firewall
import Packets

/// Counting while frames stream past: the per-frame path (`record`, `count`) and the end of the run.
extension Summary {
    @inlinable
    public mutating func count(_ verdict: Verdict, time: Timestamp?) {
        frames += 1
        verdicts[Int(verdict.rawValue)] += 1
        guard let time else { return }
        if firstTime == nil { firstTime = time }
        lastTime = time
    }

    /// Counts one judged frame.
    public mutating func record(
        _ j: Judgement, packet p: DecodedPacket, frame: Int, time: Timestamp, wireLength: Int, liveEntries: Int = 0,
        entryCreated: @autoclosure () -> Timestamp? = nil, entryRule: @autoclosure () -> String? = nil
    ) {
        count(j.verdict, time: time)
        timeSeries.add(j.verdict, at: time.nanoseconds, liveEntries: liveEntries)
        if p.hasIP { ipFrames += 1 }
        if p.looksLikeVXLAN { vxlanFrames += 1 }
        if p.decapsulated { decapsulatedFrames += 1 }
        if let anomaly = p.anomaly {
            let category = anomaly.category.rawValue
            anomalies[category] += 1
            if anomalyExamples[category] == nil { anomalyExamples[category] = anomaly.description }
        } else if j.verdict == .skipped {
            otherSkips[Int(j.reason.rawValue)] += 1
            if j.reason == .notInstance {
                alerts.strays.add(p.src)
                if p.dst != p.src { alerts.strays.add(p.dst) }
            }
        }
        while periods.count <= j.editsApplied { periods.append(Period()) }
        periods[j.editsApplied].verdicts[Int(j.verdict.rawValue)] += 1
        if j.verdict == .allowedByTracking, let flow = j.flow {
            noteTracking(flow, j, p, frame: frame, time: time, bytes: wireLength, entryCreated: entryCreated, entryRule: entryRule)
        }
        if j.timingAmbiguous { periods[j.editsApplied].timingAmbiguous += 1 }
        if j.causedByEdit, let flow = j.flow {
            let newConnection = p.ipProtocol == IPProtocol.tcp && p.tcpFlags.contains(.syn) && !p.tcpFlags.contains(.ack)
            noteCut(flow, j, p, frame: frame, time: time, bytes: wireLength, newConnection: newConnection)
        }
    }

    private mutating func noteCut(
        _ flow: FlowKey, _ j: Judgement, _ p: DecodedPacket, frame: Int, time: Timestamp, bytes: Int, newConnection: Bool
    ) {
        let i = j.editsApplied
        let known = periods[i].cutFlows[flow] != nil || periods[i].blockedFlows[flow] != nil
        if !known {
            guard periods[i].cutFlows.count + periods[i].blockedFlows.count < Summary.flowLimit else {
                periods[i].moreCutFlows += 1
                return
            }
            let figures = FlowFigures(flow: FlowText(j, packet: p).description, firstFrame: frame, firstTime: time, entry: j.reason.key)
            if newConnection { periods[i].blockedFlows[flow] = figures } else { periods[i].cutFlows[flow] = figures }
        }
        func bump(_ f: inout FlowFigures) {
            f.packets += 1
            f.bytes += bytes
            f.lastFrame = frame
            f.lastTime = time
        }
        if periods[i].cutFlows[flow] != nil { bump(&periods[i].cutFlows[flow]!) } else { bump(&periods[i].blockedFlows[flow]!) }
    }

    private mutating func noteTracking(
        _ flow: FlowKey, _ j: Judgement, _ p: DecodedPacket, frame: Int, time: Timestamp, bytes: Int,
        entryCreated: () -> Timestamp?, entryRule: () -> String?
    ) {
        let i = j.editsApplied
        // One lookup per packet: the flow's figures are updated in place through their index.
        var index = periods[i].trackingFlows.index(forKey: flow)
        if index == nil {
            guard periods[i].trackingFlows.count < Summary.flowLimit else {
                periods[i].moreTrackingFlows += 1
                return
            }
            let origin: String
            if let e = j.entry {
                origin = e.preexisting
                    ? "entry assumed established before the capture"
                    : "entry created at frame \(e.createdFrame)" + (entryCreated().map { " (\($0.rfc3339))" } ?? "")
                        + (entryRule().map { " by \($0)" } ?? "")
            } else {
                origin = "related to a tracked flow"
            }
            periods[i].trackingFlows[flow] = FlowFigures(
                flow: FlowText(j, packet: p).description, firstFrame: frame, firstTime: time, entry: origin)
            index = periods[i].trackingFlows.index(forKey: flow)
        }
        periods[i].trackingFlows.values[index!].count(packetOf: bytes, frame: frame, time: time, entry: j.entry)
    }

    /// Whether the flow is already listed among period `period`'s tracking-only flows (or the list is full).
    // Mutating only so that the capture loop, itself mutating, calls it without copying the summary.
    public mutating func knowsTrackingFlow(_ flow: FlowKey, period: Int) -> Bool {
        guard period < periods.count else { return false }
        return periods[period].trackingFlows.count >= Summary.flowLimit || periods[period].trackingFlows[flow] != nil
    }

    /// Takes the engine's figures at the end of the run.
    public mutating func finish(_ engine: Engine) {
        edits = engine.appliedEdits.map { applied in
            EditInfo(
                time: applied.time, description: applied.edit.edit.description,
                source: [applied.edit.origin, applied.edit.source?.description].compactMap { $0 }.joined(separator: " — "),
                firstFrame: applied.frame, warnings: applied.warnings.map(\.description))
        }
        while periods.count <= edits.count { periods.append(Period()) }
        let s = engine.statistics
        conntrack = ConntrackFigures(
            allowance: engine.allowance, lost: s.conntrackAllowanceExceeded, peak: s.peakEntries, peakTime: s.peakTime,
            created: s.entriesCreated, preexisting: s.preexistingEntries, liveAtEnd: engine.liveEntries,
            bytesPerEntry: engine.bytesPerEntry)
        for edit in edits { warnings += edit.warnings }
        exhaustion = engine.exhaustionEpisodes
    }
}
