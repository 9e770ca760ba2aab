import Firewall
import Packets
import Reports

/// The per-frame step of a run: decode → judge → count → label. Fed by the capture loop (or by
/// tests with hand-built frames); no libpcap here.
///
///     var analysis = Analysis(linkType: .ethernet, options: .init(), engine: engine, summary: Summary(captureName: "x"))
///     analysis.process(frame: 1, time: t, bytes: span, wireLength: 60, linkType: .ethernet)
public struct Analysis {
    public struct Options: Sendable {
        public var decapsulateVXLAN = false
        public init(decapsulateVXLAN: Bool = false) { self.decapsulateVXLAN = decapsulateVXLAN }
    }

    public var decoder: Decoder
    /// The rules in force at each frame's instant: frames are classified as they are decoded, ahead
    /// of judging (on this thread here, on the reading thread in `PipelinedAnalysis`).
    var clock: RuleClock
    public var engine: Engine
    public var summary: Summary
    public var labels: LabelWriter?
    /// The annotated pcapng, when asked for: it keeps each waiting frame's bytes until it is judged.
    public var annotation: AnnotatedCapture?
    public var judgement = Judgement(verdict: .skipped, reason: .notDecoded)
    /// The label's reason, rebuilt in place for each frame.
    private var reasonBytes: [UInt8] = []
    /// `sgreplay explain`: frames to explain step by step, and a flow whose frames to list.
    public var explainFrames: Set<Int> = []
    public var explainFlow: String?
    /// The explanations gathered, in frame order: (frame, lines).
    public private(set) var explanations: [(frame: Int, lines: [String])] = []

    /// Frames decoded but not judged yet. Judging lags decoding by up to `lag` frames so that each
    /// frame's tracking-table slot is already on its way into cache when the frame is judged (the
    /// table is looked up at random over megabytes; without the lag every lookup waits for memory).
    /// Order is unchanged: frames are judged, counted and labelled strictly in capture order.
    private let pending: PendingFrames
    private var oldest = 0
    private var waiting = 0
    static let lag = 16

    struct Pending {
        var packet = DecodedPacket()
        var frame = 0
        var time = Timestamp(nanoseconds: 0)
        var wireLength = 0
        var isPacket = true
        /// Filled as the frame is decoded, by the `RuleClock`.
        var classification = Classification()
    }

    /// The waiting frames, in memory that is read and written in place: going through an array
    /// would copy each 200-byte `DecodedPacket` several times per frame.
    final class PendingFrames {
        let base: UnsafeMutablePointer<Pending>
        init(count: Int) {
            base = .allocate(capacity: count)
            base.initialize(repeating: Pending(), count: count)
        }
        deinit {
            base.deinitialize(count: Analysis.lag)
            base.deallocate()
        }
    }

    public init(
        linkType: LinkType, options: Options, engine: Engine, summary: Summary, labels: LabelWriter? = nil,
        annotation: AnnotatedCapture? = nil
    ) {
        decoder = Decoder(linkType: linkType, decapsulateVXLAN: options.decapsulateVXLAN)
        self.engine = engine
        clock = engine.ruleClock()
        self.summary = summary
        self.summary.linkTypeName = linkType.name
        self.labels = labels
        self.annotation = annotation
        pending = PendingFrames(count: Analysis.lag)
    }

    /// A pcapng custom block, which Wireshark shows as a frame: labelled so frame numbers agree.
    public static let customBlockReason = "not-a-packet: pcapng custom block (Wireshark lists it as a frame)"

    /// A frame that holds no packet at all: counted and labelled in its place.
    public mutating func processNonPacket(frame: Int, time: Timestamp) {
        let i = nextSlot()
        Analysis.nonPacket(frame: frame, time: time, into: pending.base + i)
        clock.observe(time: time)
        annotation?.keepNonPacket(slot: i)
    }

    /// A pcapng custom block with its body, which the annotated capture copies back when allowed.
    public mutating func processNonPacket(frame: Int, time: Timestamp, block: RawSpan, blockType: UInt32) {
        processNonPacket(frame: frame, time: time)
        annotation?.keepCustomBlock(slot: (oldest + waiting - 1) % Analysis.lag, body: block, type: blockType)
    }

    /// `linkTypeNumber`: the reader's exact number for the link type (`CaptureRecord.linkTypeNumber`),
    /// for the annotated capture; nil takes `linkType.dlt`.
    public mutating func process(
        frame: Int, time: Timestamp, bytes: RawSpan, wireLength: Int, linkType: LinkType, linkTypeNumber: Int32? = nil
    ) {
        let i = nextSlot()
        annotation?.keep(slot: i, bytes: bytes, linkTypeNumber: linkTypeNumber ?? linkType.dlt)
        Analysis.decode(
            &decoder, frame: frame, time: time, bytes: bytes, wireLength: wireLength, linkType: linkType,
            into: pending.base + i)
        clock.classify(&pending.base[i].packet, time: time, into: &pending.base[i].classification)
        engine.prefetch(&pending.base[i].classification)
    }

    /// The reading half of a frame's step: decodes it into a waiting slot. Needs neither the engine
    /// nor the summary, so it can run on another thread than judging (`PipelinedAnalysis`).
    @inline(__always)
    static func decode(
        _ decoder: inout Decoder, frame: Int, time: Timestamp, bytes: RawSpan, wireLength: Int, linkType: LinkType,
        into slot: UnsafeMutablePointer<Pending>
    ) {
        FrameLoop.decode(&decoder, bytes, wireLength: wireLength, linkType: linkType, into: &slot.pointee.packet)
        slot.pointee.frame = frame
        slot.pointee.time = time
        slot.pointee.wireLength = wireLength
        slot.pointee.isPacket = true
    }

    /// A frame that holds no packet, in a waiting slot.
    static func nonPacket(frame: Int, time: Timestamp, into slot: UnsafeMutablePointer<Pending>) {
        slot.pointee.packet = DecodedPacket()
        slot.pointee.frame = frame
        slot.pointee.time = time
        slot.pointee.wireLength = 0
        slot.pointee.isPacket = false
    }

    /// The slot for a new frame, judging the oldest waiting one first when all are taken.
    private mutating func nextSlot() -> Int {
        if waiting == Analysis.lag { judgeOldest() }
        let i = (oldest + waiting) % Analysis.lag
        waiting += 1
        return i
    }

    private mutating func judgeOldest() {
        let i = oldest
        oldest = (oldest + 1) % Analysis.lag
        waiting -= 1
        judge(pending.base + i, annotationSlot: i)
    }

    /// The judging half of a frame's step: judge → count → label (and annotate: the frame's bytes
    /// are in `annotation`'s slot `annotationSlot`).
    mutating func judge(_ slot: UnsafeMutablePointer<Pending>, annotationSlot i: Int) {
        let frame = slot.pointee.frame, time = slot.pointee.time
        guard slot.pointee.isPacket else {
            engine.observe(frame: frame, time: time)
            summary.count(.skipped, time: nil)
            summary.nonPackets += 1
            labels?.write(
                frame: frame, time: time, verdict: .skipped, direction: nil, flow: nil,
                reason: Analysis.customBlockReason, packet: slot.pointee.packet)
            annotation?.writeNonPacket(slot: i, time: time, reason: Analysis.customBlockReason)
            return
        }
        // A local, not the stored property: passing a part of `self` while another part changes
        // makes Swift copy it, byte by byte, for every call.
        var judgement = Judgement(verdict: .skipped, reason: .notDecoded)
        let explaining = !explainFrames.isEmpty && explainFrames.contains(frame)
        if explaining { engine.advanceClock(to: time, frame: frame) }
        // One copy into a local constant, passed by reference from then on (an element read through
        // the ring's pointer, or a stored property, would be copied again for every call).
        let current = slot.pointee.packet
        let steps = explaining ? engine.steps(for: current, time: time) : []
        engine.judge(current, frame: frame, time: time, classified: &slot.pointee.classification, into: &judgement)
        if explaining || explainFlow != nil {
            self.judgement = judgement
            explain(frame: frame, time: time, steps: steps, packet: current, explaining: explaining)
        }
        // Only a packet let through by tracking needs its entry's origin (for the summary's flow list);
        // computing it here, not in an autoclosure, keeps the engine from being copied per frame.
        var created: Timestamp? = nil
        var rule: String? = nil
        if judgement.verdict == .allowedByTracking, let entry = judgement.entry, let flow = judgement.flow,
            !summary.knowsTrackingFlow(flow, period: judgement.editsApplied)
        {
            // Once per flow and period: the text is built only when the flow first appears.
            created = engine.entryCreated(judgement)
            rule = engine.ruleText(entry.rule)
        }
        summary.record(
            judgement, packet: current, frame: frame, time: time, wireLength: slot.pointee.wireLength,
            liveEntries: engine.liveAfterLastFrame, entryCreated: created, entryRule: rule)
        if let labels, annotation == nil {
            // Labels alone: the reason goes from the engine into a reused byte buffer, no String.
            reasonBytes.removeAll(keepingCapacity: true)
            engine.appendReason(judgement, packet: current, to: &reasonBytes)
            labels.write(
                frame: frame, time: time, verdict: judgement.verdict,
                direction: judgement.verdict == .skipped ? nil : judgement.direction,
                flow: judgement.verdict == .skipped ? nil : FlowText(judgement, packet: current),
                reasonBytes: reasonBytes, packet: current, timingAmbiguous: judgement.timingAmbiguous)
        } else if labels != nil || annotation != nil {
            let packet = current
            let reason = engine.reasonText(judgement, packet: packet)  // built once for both
            labels?.write(
                frame: frame, time: time, verdict: judgement.verdict,
                direction: judgement.verdict == .skipped ? nil : judgement.direction,
                flow: judgement.verdict == .skipped ? nil : FlowText(judgement, packet: packet),
                reason: reason, packet: packet, timingAmbiguous: judgement.timingAmbiguous)
            annotation?.write(
                slot: i, time: time, wireLength: slot.pointee.wireLength, verdict: judgement.verdict, reason: reason,
                timingAmbiguous: judgement.timingAmbiguous)
        }
    }

    private mutating func explain(frame: Int, time: Timestamp, steps: [String], packet: DecodedPacket, explaining: Bool) {
        let flow = judgement.verdict == .skipped ? nil : FlowText(judgement, packet: packet).description
        let reason = engine.reasonText(judgement, packet: packet)
        if explaining {
            var lines = steps
            lines.append("verdict: \(judgement.verdict.label)\(judgement.timingAmbiguous ? " (timing-ambiguous: within the edit uncertainty)" : "")")
            lines.append("reason: \(reason)")
            explanations.append((frame, lines))
        } else if let wanted = explainFlow, flow == wanted {
            explanations.append((frame, ["\(time.rfc3339) \(judgement.direction?.label ?? "") \(judgement.verdict.label): \(reason)"]))
        }
    }

    /// Ends the run: judges the frames still waiting, applies edits after the last frame and takes
    /// the engine's figures. `finishingEngine: false` leaves the engine's timeline open (edits after
    /// the last frame not applied), for a next capture of the same interface to continue it.
    public mutating func finish(finishingEngine: Bool = true) {
        while waiting > 0 { judgeOldest() }
        if finishingEngine { engine.finish() }
        summary.finish(engine)
    }
}
