import Firewall
import Packets

/// Counts gathered while frames stream past, rendered once at the end as text or JSON. Updating it
/// is a few integer increments per frame, plus a dictionary update for packets that only tracking
/// let through (bounded: at most `flowLimit` flows per period are itemised).
public struct Summary: Sendable {
    public var captureName: String
    public var linkTypeName = ""
    public var frames = 0
    public var verdicts = [Int](repeating: 0, count: Verdict.allCases.count)
    /// Frames with an IP header decoded.
    public var ipFrames = 0
    /// Skipped frames by decode anomaly class, with the first example of each.
    public var anomalies = [Int](repeating: 0, count: DecodeAnomaly.Category.allCases.count)
    public var anomalyExamples = [String?](repeating: nil, count: DecodeAnomaly.Category.allCases.count)
    /// Other skipped frames (not-instance, aws-exempt) by `Judgement.Reason` raw value.
    public var otherSkips = [Int](repeating: 0, count: 32)
    /// pcapng custom blocks, labelled as frames the way Wireshark numbers them.
    public var nonPackets = 0
    /// UDP 4789 frames carrying VXLAN that were left wrapped.
    public var vxlanFrames = 0
    public var decapsulatedFrames = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// libpcap stopped early at a corrupt or truncated record.
    public var captureError: String?

    /// The instance's addresses, and whether they were inferred from the capture.
    public var instanceAddresses: [String] = []
    public var instanceInferred = false
    /// Lines shown under the instance (several captures: the timeline this capture belongs to).
    public var context: [String] = []
    /// Notes and warnings from loading the policy and applying the timeline.
    public var warnings: [String] = []
    /// The [choice]s and settings in force, in order, as (name, value).
    public var assumptions: [(String, String)] = []

    /// Period i runs from the i-th timeline edit to the next (period 0: before any edit).
    public var periods: [Period] = [Period()]
    public var edits: [EditInfo] = []
    public var conntrack = ConntrackFigures()
    public var exhaustion: [Engine.ExhaustionEpisode] = []
    /// Proposals that would have stopped the flows still flowing after an edit, checked by replay.
    public var remedies: [Remedy] = []
    /// What the warnings shown before any verdict are made from (Summary+Warnings.swift).
    public var alerts = Alerts()
    /// CloudTrail records of the timeline that did not become edits, by reason.
    public var ignoredEvents = LoadedPolicy.IgnoredEvents()

    public struct Remedy: Sendable {
        /// The (last) edit of the instant after which the flows kept flowing.
        public var afterEdit: Int
        public var proposal: String
        /// Packets that passed only by tracking after the edit, and how many the proposal stops.
        public var trackedPackets: Int
        public var stoppedPackets: Int
        public var flows: Int
        public var flowsStopped: Int
        /// Packets of other traffic the proposal would also have dropped.
        public var otherDrops: Int

        public init(afterEdit: Int, proposal: String, trackedPackets: Int, stoppedPackets: Int, flows: Int, flowsStopped: Int, otherDrops: Int) {
            self.afterEdit = afterEdit
            self.proposal = proposal
            self.trackedPackets = trackedPackets
            self.stoppedPackets = stoppedPackets
            self.flows = flows
            self.flowsStopped = flowsStopped
            self.otherDrops = otherDrops
        }

        /// "would have stopped 30 of the 32 packets (1 of 1 flows); nothing else affected"
        public var outcome: String {
            var text: String
            if stoppedPackets <= 0 {
                text = "would not have stopped them"
            } else if stoppedPackets >= trackedPackets {
                text = "would have stopped all \(trackedPackets) packets (\(flowsStopped) of \(flows) flow\(flows == 1 ? "" : "s") entirely)"
            } else {
                text = "would have stopped \(stoppedPackets) of the \(trackedPackets) packets (\(flowsStopped) of \(flows) flow\(flows == 1 ? "" : "s") entirely)"
            }
            text += otherDrops > 0 ? "; it would also have dropped \(otherDrops) other packets" : "; no other traffic affected"
            return text
        }
    }
    public var timeSeries = TimeSeries()
    public static let flowLimit = 200

    public struct Period: Sendable {
        public var verdicts = [Int](repeating: 0, count: Verdict.allCases.count)
        /// Flows with packets that only a tracking entry let through.
        public var trackingFlows: [FlowKey: FlowFigures] = [:]
        public var moreTrackingFlows = 0
        /// Flows the edit cut: dropped packets the policy before the edit would have let through
        /// (an untracked flow stops at once), and new connections (TCP SYNs) it blocked.
        public var cutFlows: [FlowKey: FlowFigures] = [:]
        public var blockedFlows: [FlowKey: FlowFigures] = [:]
        public var moreCutFlows = 0
        /// Frames within the edit's timing uncertainty.
        public var timingAmbiguous = 0
        public init() {}
    }

    public struct FlowFigures: Sendable {
        public var flow: String
        public var packets = 0
        public var bytes = 0
        public var firstFrame = 0
        public var lastFrame = 0
        public var firstTime = Timestamp(nanoseconds: 0)
        public var lastTime = Timestamp(nanoseconds: 0)
        /// Where the entry came from ("entry created at frame 5 (…)"), and its last state.
        public var entry: String
        public var state = ""
        public var expires = Timestamp(nanoseconds: 0)

        mutating func count(packetOf bytes: Int, frame: Int, time: Timestamp, entry: EntrySnapshot?) {
            packets += 1
            self.bytes += bytes
            lastFrame = frame
            lastTime = time
            if let entry {
                // The state's text is looked up when the report is written, not per packet.
                if entry.state != lastState {
                    lastState = entry.state
                    state = entry.state.label
                }
                expires = entry.expires
            }
        }
        var lastState: Connection.State? = nil
    }

    public struct EditInfo: Sendable {
        public var time: Timestamp
        public var description: String
        public var source: String
        public var firstFrame: Int
        public var warnings: [String]
        /// The capture `firstFrame` belongs to, when it is an earlier capture of the same timeline
        /// (several captures of one interface replayed one after another); nil: this capture.
        public var capture: String? = nil

        /// "from frame 64", "from frame 64 of hour1.pcap", "after the last frame".
        public var appliedText: String {
            guard firstFrame > 0 else { return "after the last frame" }
            return "from frame \(firstFrame)" + (capture.map { " of \($0)" } ?? "")
        }
    }

    public struct ConntrackFigures: Sendable {
        public var allowance: Int?
        public var lost = 0
        public var peak = 0
        public var peakTime: Timestamp?
        public var created = 0
        public var preexisting = 0
        public var liveAtEnd = 0
        public var bytesPerEntry = 0
    }

    public init(captureName: String) {
        self.captureName = captureName
    }

    /// Verdicts per time bucket and the tracking table's peak occupancy in each, for the timeline
    /// chart. Buckets start at one second and double in width whenever there would be more than
    /// `maximumBuckets`: memory stays bounded whatever the capture's length.
    public struct TimeSeries: Sendable {
        public static let maximumBuckets = 1024
        public var start: Int64?
        /// Bucket width in nanoseconds.
        public var width: Int64 = 1_000_000_000
        /// Per bucket: counts per verdict (Verdict.rawValue order), then peak live entries.
        public var buckets: [[Int]] {
            get { stride(from: 0, to: cells.count, by: 6).map { Array(cells[$0..<$0 + 6]) } }
            set {
                cells = newValue.flatMap { $0 }
                bucketEnd = .min
            }
        }
        /// The same, six numbers a bucket in one array (no array per bucket to look through per frame).
        private var cells: [Int] = []
        /// The current bucket and its time range: frames within it need no division.
        private var bucketIndex = 0
        private var bucketStart: Int64 = .max
        private var bucketEnd: Int64 = .min

        mutating func add(_ verdict: Verdict, at time: Int64, liveEntries: Int) {
            let start: Int64
            if let s = self.start { start = s } else { start = time; self.start = time }
            var index: Int
            if time >= bucketStart && time < bucketEnd {
                index = bucketIndex
            } else {
                index = Int((time &- start) / width)
                if index < 0 { index = 0 }
                while index >= TimeSeries.maximumBuckets {
                    // Merge neighbouring buckets: twice the width, half the count.
                    var merged: [Int] = []
                    merged.reserveCapacity(cells.count / 2 + 6)
                    var i = 0
                    while i < cells.count {
                        var a = Array(cells[i..<i + 6])
                        if i + 6 < cells.count {
                            for k in 0..<5 { a[k] += cells[i + 6 + k] }
                            a[5] = max(a[5], cells[i + 11])
                        }
                        merged += a
                        i += 12
                    }
                    cells = merged
                    width *= 2
                    index = Int((time &- start) / width)
                }
                while cells.count <= index * 6 + 5 { cells += [0, 0, 0, 0, 0, 0] }
                bucketIndex = index
                let (offset, o1) = Int64(index).multipliedReportingOverflow(by: width)
                let (first, o2) = start.addingReportingOverflow(offset)
                let (end, o3) = first.addingReportingOverflow(width)
                if o1 || o2 || o3 {
                    (bucketStart, bucketEnd) = (.max, .min)
                } else {
                    (bucketStart, bucketEnd) = (first, end)
                }
            }
            let base = index * 6
            cells[base + Int(verdict.rawValue)] += 1
            if liveEntries > cells[base + 5] { cells[base + 5] = liveEntries }
        }
    }

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

// MARK: Rendering

extension Summary {
    public func json() -> JSON {
        func verdictObject(_ counts: [Int]) -> JSON {
            .object(Verdict.allCases.map { ($0.label, .int(counts[Int($0.rawValue)])) })
        }
        var skipPairs: [(String, JSON)] = []
        for category in DecodeAnomaly.Category.allCases where anomalies[category.rawValue] > 0 {
            skipPairs.append((category.key, .int(anomalies[category.rawValue])))
        }
        for (key, n) in otherSkipCounts { skipPairs.append((key, .int(n))) }
        if nonPackets > 0 { skipPairs.append(("not-a-packet", .int(nonPackets))) }
        let editObjects: [JSON] = edits.indices.map { editJSON($0, verdictObject) }
        var pairs: [(String, JSON)] = []
        pairs.append(("frames", .int(frames)))
        pairs.append(("verdicts", verdictObject(verdicts)))
        pairs.append(("capture", .string(captureName)))
        pairs.append(("link_type", .string(linkTypeName)))
        pairs.append(("first_time", firstTime.map { .string($0.rfc3339) } ?? .null))
        pairs.append(("last_time", lastTime.map { .string($0.rfc3339) } ?? .null))
        pairs.append(("ip_frames", .int(ipFrames)))
        let instance: JSON = .object([
            ("addresses", .array(instanceAddresses.map { .string($0) })),
            ("inferred_from_capture", .bool(instanceInferred)),
        ])
        pairs.append(("instance", instance))
        pairs.append(("skipped_reasons", .object(skipPairs)))
        pairs.append(("timeline", timelineJSON))
        pairs.append(("edits", .array(editObjects)))
        pairs.append(("allowed_by_tracking_before_edits", .array(trackingFlows(0).map(Summary.flowJSON))))
        var table: [(String, JSON)] = []
        table.append(("allowance", conntrack.allowance.map { .int($0) } ?? .string("unlimited")))
        table.append(("conntrack_allowance_exceeded", .int(conntrack.lost)))
        table.append(("peak_entries", .int(conntrack.peak)))
        table.append(("peak_time", conntrack.peakTime.map { .string($0.rfc3339) } ?? .null))
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

    private func editJSON(_ i: Int, _ verdictObject: ([Int]) -> JSON) -> JSON {
        let edit = edits[i]
        var pairs: [(String, JSON)] = []
        pairs.append(("time", .string(edit.time.rfc3339)))
        pairs.append(("edit", .string(edit.description)))
        pairs.append(("source", .string(edit.source)))
        pairs.append(("first_frame", edit.firstFrame > 0 ? .int(edit.firstFrame) : .null))
        if let capture = edit.capture { pairs.append(("first_frame_capture", .string(capture))) }
        pairs.append(("verdicts_after", verdictObject(periods[i + 1].verdicts)))
        pairs.append(("allowed_by_tracking_flows", .array(trackingFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("cut_flows", .array(cutFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("blocked_new_flows", .array(blockedFlows(i + 1).map(Summary.flowJSON))))
        pairs.append(("timing_ambiguous_frames", .int(periods[i + 1].timingAmbiguous)))
        pairs.append(("remedies", .array(remedies.filter { $0.afterEdit == i }.map { r in
            .object([
                ("proposal", .string(r.proposal)), ("tracked_packets", .int(r.trackedPackets)),
                ("stopped_packets", .int(r.stoppedPackets)), ("flows", .int(r.flows)),
                ("flows_stopped", .int(r.flowsStopped)), ("other_packets_dropped", .int(r.otherDrops)),
                ("outcome", .string(r.outcome)),
            ])
        })))
        pairs.append(("warnings", .array(edit.warnings.map { .string($0) })))
        return .object(pairs)
    }

    /// Skipped frames by reason key (decode anomalies aside), keys sorted.
    var otherSkipCounts: [(String, Int)] {
        var byKey: [String: Int] = [:]
        for (raw, n) in otherSkips.enumerated() where n > 0 {
            if let reason = Judgement.Reason(rawValue: UInt8(raw)) { byKey[reason.key, default: 0] += n }
        }
        return byKey.keys.sorted().map { ($0, byKey[$0]!) }
    }

    static func episodeJSON(_ e: Engine.ExhaustionEpisode) -> JSON {
        let end: JSON = e.end.map { .string($0.rfc3339) } ?? .null
        return .object([
            ("start", .string(e.start.rfc3339)), ("end", end),
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

    public func text() -> String {
        var lines: [String] = []
        var head = "\(captureName): \(frames) frame\(frames == 1 ? "" : "s")"
        if !linkTypeName.isEmpty { head += " (\(linkTypeName))" }
        if let firstTime, let lastTime { head += ", \(firstTime.rfc3339) to \(lastTime.rfc3339)" }
        lines.append(head)
        if !instanceAddresses.isEmpty {
            lines.append("instance: \(instanceAddresses.joined(separator: ", "))"
                + (instanceInferred ? " (inferred: the address seen in the most frames; give --instance to be sure)" : ""))
        }
        lines += context
        let leading = leadingWarnings
        if !leading.isEmpty {
            lines.append("")
            lines += leading.map { "warning: " + $0 }
        }
        lines.append("")
        let width = Verdict.allCases.map { $0.label.count }.max() ?? 0
        let numberWidth = max(String(frames).count, 1)
        for verdict in Verdict.allCases {
            lines.append("  " + pad(verdict.label, width) + "  " + padLeft(String(count(of: verdict)), numberWidth))
        }
        for category in DecodeAnomaly.Category.allCases where anomalies[category.rawValue] > 0 {
            let example = anomalyExamples[category.rawValue].map { "  e.g. \($0)" } ?? ""
            lines.append("    " + padLeft(String(anomalies[category.rawValue]), numberWidth) + " " + category.key + example)
        }
        for (key, n) in otherSkipCounts {
            lines.append("    " + padLeft(String(n), numberWidth) + " " + key)
        }
        if nonPackets > 0 {
            lines.append("    " + padLeft(String(nonPackets), numberWidth) + " not-a-packet (pcapng custom blocks)")
        }

        let before = trackingFlows(0)
        if !before.isEmpty {
            lines.append("")
            lines.append("Before any edit, allowed only by tracking:")
            lines += before.prefix(10).map { "  " + Summary.flowLine($0) }
        }
        if let records = timelineRecordsText {
            lines.append("")
            lines.append(records)
        }
        if !edits.isEmpty {
            lines.append("")
            lines.append("Timeline (\(edits.count) edit\(edits.count == 1 ? "" : "s")):")
            for group in editGroups {
                for i in group {
                    let edit = edits[i]
                    lines.append("  \(edit.time.rfc3339)  \(edit.description)  (\(edit.appliedText); \(edit.source))")
                    for warning in edit.warnings { lines.append("    warning: \(warning)") }
                }
                lines += periodLines(group.last! + 1)
            }
        }
        if conntrack.allowance != nil || conntrack.lost > 0 {
            lines.append("")
            lines.append("Connection tracking: allowance \(conntrack.allowance.map(String.init) ?? "unlimited"), "
                + "peak \(conntrack.peak) entries" + (conntrack.peakTime.map { " at \($0.rfc3339)" } ?? "")
                + ", conntrack_allowance_exceeded \(conntrack.lost)")
            for e in exhaustion {
                let until = e.end.map { "until \($0.rfc3339)" } ?? "until the end of the capture"
                lines.append("  table full from \(e.start.rfc3339) \(until): \(e.lostPackets) packets lost "
                    + "(\(e.lostFramesText)), \(e.refusedFlows) new flows refused")
            }
        }
        if decapsulatedFrames > 0 {
            lines.append("VXLAN: \(decapsulatedFrames) frames unwrapped; their inner packets were analysed")
        }
        if let captureError {
            lines.append("capture error: \(captureError) (the frames before it were analysed)")
        }
        let otherWarnings = warnings.filter { w in !edits.contains { $0.warnings.contains(w) } }
        if !otherWarnings.isEmpty {
            lines.append("")
            lines += otherWarnings.map { "warning: \($0)" }
        }
        for suggestion in suggestions { lines.append("hint: " + suggestion) }
        if !assumptions.isEmpty {
            lines.append("")
            lines.append("Assumptions: " + assumptions.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
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

    /// What happened in period `p` (after the edits that start it): counts, then the flows that kept
    /// going only by tracking, the flows the edit cut and the new ones it blocked.
    func periodLines(_ p: Int) -> [String] {
        var lines: [String] = []
        let after = periods[p].verdicts
        let parts = Verdict.allCases.filter { after[Int($0.rawValue)] > 0 && $0 != .skipped }
            .map { "\(after[Int($0.rawValue)]) \($0.label)" }
        let until = p < edits.count ? "until the next edit" : "until the end of the capture"
        if !parts.isEmpty { lines.append("    \(until): " + parts.joined(separator: ", ")) }
        let flows = trackingFlows(p)
        if !flows.isEmpty {
            lines.append("    still flowing only because of connection tracking:")
            lines += flows.prefix(10).map { "      " + Summary.flowLine($0) }
            let more = flows.count - min(flows.count, 10) + periods[p].moreTrackingFlows
            if more > 0 { lines.append("      … and \(more) more flows") }
        }
        let proposals = remedies.filter { $0.afterEdit + 1 == p }
        if !proposals.isEmpty {
            lines.append("    what would have stopped them (each checked by replaying the capture with it):")
            for r in proposals { lines.append("      - \(r.proposal): \(r.outcome)") }
        }
        let cut = cutFlows(p)
        if !cut.isEmpty {
            lines.append("    cut by the edit (the policy before it let these through; untracked flows stop at once):")
            lines += cut.prefix(10).map { "      " + Summary.cutLine($0) }
            if cut.count > 10 { lines.append("      … and \(cut.count - 10) more flows") }
        }
        let blocked = blockedFlows(p)
        if !blocked.isEmpty {
            lines.append("    new connections the edit blocked:")
            lines += blocked.prefix(10).map { "      " + Summary.cutLine($0) }
            if blocked.count > 10 { lines.append("      … and \(blocked.count - 10) more") }
        }
        if periods[p].moreCutFlows > 0 { lines.append("      … and \(periods[p].moreCutFlows) more flows cut or blocked") }
        if periods[p].timingAmbiguous > 0 {
            lines.append("    \(periods[p].timingAmbiguous) frames within the timing uncertainty after the edit (marked timing_ambiguous)")
        }
        return lines
    }

    static func cutLine(_ f: FlowFigures) -> String {
        "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s") dropped (\(f.entry)), frames \(f.firstFrame)–\(f.lastFrame)"
    }

    static func flowLine(_ f: FlowFigures) -> String {
        "\(f.flow): \(f.packets) packet\(f.packets == 1 ? "" : "s"), \(f.bytes) bytes, frames \(f.firstFrame)–\(f.lastFrame); "
            + "\(f.entry), \(f.state), expires if idle at \(f.expires.rfc3339)"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }
    private func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
