import Firewall
import Packets

/// A capture replayed after earlier captures of the same interface, through the same engine (one
/// timeline: tracking entries and applied edits carry over from one capture to the next).
extension Summary {
    /// `finish(_:)` took the engine's figures as they are, which count the whole timeline so far;
    /// this keeps this capture's own: the packets lost, entries created and exhaustion episodes
    /// during it, the peak occupancy reached in it. Edits applied before it began name the capture
    /// they applied in.
    ///
    /// - Parameters:
    ///   - before: the engine as this capture began.
    ///   - editCaptures: for each edit the engine had applied by then, the capture it applied in.
    public mutating func continueTimeline(after before: Engine, editCaptures: [String]) {
        for i in edits.indices where i < editCaptures.count && i < before.appliedEdits.count {
            edits[i].capture = editCaptures[i]
        }
        let b = before.statistics
        conntrack.lost -= b.conntrackAllowanceExceeded
        conntrack.created -= b.entriesCreated
        conntrack.preexisting -= b.preexistingEntries
        if conntrack.peak <= b.peakEntries {
            // No new high in this capture: its own peak is the most entries live after any of its
            // frames (the count only grows while a frame is judged), kept per time bucket; the
            // instant is not kept.
            conntrack.peak = timeSeries.buckets.map { $0[5] }.max() ?? 0
            conntrack.peakTime = nil
        }
        let earlier = before.exhaustionEpisodes
        var own: [Engine.ExhaustionEpisode] = []
        for (i, episode) in exhaustion.enumerated() {
            guard i < earlier.count else {
                own.append(episode)
                continue
            }
            // An episode of an earlier capture still open when this one began: the table was full
            // from before; count only what was lost here.
            guard earlier[i].end == nil else { continue }
            var continued = episode
            continued.lostPackets -= earlier[i].lostPackets
            continued.refusedFlows -= earlier[i].refusedFlows
            continued.firstLostFrame = 0
            if continued.lostPackets == 0 { continued.lastLostFrame = 0 }
            own.append(continued)
        }
        exhaustion = own
    }
}

extension Summary {
    /// One summary for a whole timeline, from its captures' summaries in replay order: the verdicts,
    /// and each period's verdicts and flows, added up (flows are keyed by their tracking key, so a
    /// flow that goes on from one capture to the next is one flow); the edits as the last capture
    /// lists them (all of the timeline's). Frame numbers in it mix captures: it serves to count, as
    /// remedies are checked over a timeline, not to show.
    public static func timeline(_ summaries: [Summary]) -> Summary {
        guard var out = summaries.last else { return Summary(captureName: "") }
        out.captureName = summaries.map(\.captureName).joined(separator: ", ")
        out.frames = summaries.reduce(0) { $0 + $1.frames }
        out.verdicts = CombinedSummary.sum(summaries.map(\.verdicts))
        out.ipFrames = summaries.reduce(0) { $0 + $1.ipFrames }
        out.firstTime = summaries.compactMap(\.firstTime).min()
        out.lastTime = summaries.compactMap(\.lastTime).max()
        func merge(_ a: inout [FlowKey: FlowFigures], _ b: [FlowKey: FlowFigures]) {
            for (key, f) in b {
                guard var known = a[key] else {
                    a[key] = f
                    continue
                }
                known.add(later: f)
                known.lastFrame = f.lastFrame
                a[key] = known
            }
        }
        var periods: [Period] = []
        for summary in summaries {
            for (p, period) in summary.periods.enumerated() {
                while periods.count <= p { periods.append(Period()) }
                for v in period.verdicts.indices { periods[p].verdicts[v] += period.verdicts[v] }
                merge(&periods[p].trackingFlows, period.trackingFlows)
                merge(&periods[p].cutFlows, period.cutFlows)
                merge(&periods[p].blockedFlows, period.blockedFlows)
                periods[p].moreTrackingFlows += period.moreTrackingFlows
                periods[p].moreCutFlows += period.moreCutFlows
                periods[p].timingAmbiguous += period.timingAmbiguous
            }
        }
        out.periods = periods
        return out
    }
}
