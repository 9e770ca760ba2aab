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
