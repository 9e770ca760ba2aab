import Firewall
import Packets

/// The per-frame step of a run: decode → judge → count → label. Fed by the capture loop (or by
/// tests with hand-built frames); no libpcap here.
///
///     var analysis = Analysis(linkType: .ethernet, options: .init(), summary: Summary(captureName: "x"))
///     analysis.process(frame: 1, time: t, bytes: span, wireLength: 60)
public struct Analysis {
    public struct Options: Sendable {
        public var decapsulateVXLAN = false
        public init(decapsulateVXLAN: Bool = false) { self.decapsulateVXLAN = decapsulateVXLAN }
    }

    public var decoder: Decoder
    public var summary: Summary
    public var labels: LabelWriter?
    /// Refilled for every frame: decoding allocates nothing.
    public var packet = DecodedPacket()

    /// Why a decodable frame is not judged while the filtering engine is not built (issue #5).
    public static let notEvaluatedReason = "not-evaluated: decoded; the filtering engine is not built yet"

    /// A pcapng custom block, which Wireshark shows as a frame: labelled so frame numbers agree.
    public static let customBlockReason = "not-a-packet: pcapng custom block (Wireshark lists it as a frame)"

    /// Counts and labels a frame that holds no packet at all.
    public mutating func processNonPacket(frame: Int, time: Timestamp, reason: String) {
        packet = DecodedPacket()
        summary.count(.skipped, time: nil)
        summary.nonPackets += 1
        labels?.write(frame: frame, time: time, verdict: .skipped, direction: nil, flow: nil, reason: reason, packet: packet)
    }

    public init(linkType: LinkType, options: Options, summary: Summary, labels: LabelWriter? = nil) {
        decoder = Decoder(linkType: linkType, decapsulateVXLAN: options.decapsulateVXLAN)
        self.summary = summary
        self.summary.linkTypeName = linkType.name
        self.labels = labels
    }

    public mutating func process(frame: Int, time: Timestamp, bytes: RawSpan, wireLength: Int, linkType: LinkType) {
        if linkType != decoder.linkType { decoder.linkType = linkType }
        decoder.decode(bytes, wireLength: wireLength, into: &packet)
        if packet.hasIP { summary.ipFrames += 1 }
        if packet.looksLikeVXLAN { summary.vxlanFrames += 1 }
        if packet.decapsulated { summary.decapsulatedFrames += 1 }
        let verdict = Verdict.skipped
        summary.count(verdict, time: time)
        if let anomaly = packet.anomaly {
            let category = anomaly.category.rawValue
            summary.anomalies[category] += 1
            if summary.anomalyExamples[category] == nil { summary.anomalyExamples[category] = anomaly.description }
            labels?.write(
                frame: frame, time: time, verdict: verdict, direction: nil, flow: nil,
                reason: anomaly.description, packet: packet)
        } else {
            summary.notEvaluated += 1
            summary.notEvaluatedReason = Analysis.notEvaluatedReason
            labels?.write(
                frame: frame, time: time, verdict: verdict, direction: nil, flow: nil,
                reason: Analysis.notEvaluatedReason, packet: packet)
        }
    }
}
