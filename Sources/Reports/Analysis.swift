import Firewall
import Packets

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
    public var engine: Engine
    public var summary: Summary
    public var labels: LabelWriter?
    /// Refilled for every frame: decoding and judging allocate nothing.
    public var packet = DecodedPacket()
    public var judgement = Judgement(verdict: .skipped, reason: .notDecoded)

    public init(linkType: LinkType, options: Options, engine: Engine, summary: Summary, labels: LabelWriter? = nil) {
        decoder = Decoder(linkType: linkType, decapsulateVXLAN: options.decapsulateVXLAN)
        self.engine = engine
        self.summary = summary
        self.summary.linkTypeName = linkType.name
        self.labels = labels
    }

    /// A pcapng custom block, which Wireshark shows as a frame: labelled so frame numbers agree.
    public static let customBlockReason = "not-a-packet: pcapng custom block (Wireshark lists it as a frame)"

    /// Counts and labels a frame that holds no packet at all.
    public mutating func processNonPacket(frame: Int, time: Timestamp, reason: String) {
        packet = DecodedPacket()
        engine.observe(frame: frame, time: time)
        summary.count(.skipped, time: nil)
        summary.nonPackets += 1
        labels?.write(frame: frame, time: time, verdict: .skipped, direction: nil, flow: nil, reason: reason, packet: packet)
    }

    public mutating func process(frame: Int, time: Timestamp, bytes: RawSpan, wireLength: Int, linkType: LinkType) {
        if linkType != decoder.linkType { decoder.linkType = linkType }
        decoder.decode(bytes, wireLength: wireLength, into: &packet)
        engine.judge(packet, frame: frame, time: time, into: &judgement)
        summary.record(
            judgement, packet: packet, frame: frame, time: time, wireLength: wireLength,
            entryCreated: engine.entryCreated(judgement))
        if let labels {
            let reason = engine.reasonText(judgement, packet: packet)
            labels.write(
                frame: frame, time: time, verdict: judgement.verdict,
                direction: judgement.verdict == .skipped ? nil : judgement.direction,
                flow: judgement.verdict == .skipped ? nil : FlowText(judgement, packet: packet),
                reason: reason, packet: packet)
        }
    }

    /// Ends the run: applies edits after the last frame and takes the engine's figures.
    public mutating func finish() {
        engine.finish()
        summary.finish(engine)
    }
}

extension FlowText {
    /// The flow of a judged packet, initiator first: the tracking entry's original direction when
    /// there is one, else the side with the higher (ephemeral) port, else the packet's own order.
    public init(_ j: Judgement, packet p: DecodedPacket) {
        guard let flow = j.flow else {
            self.init(ipProtocol: p.ipProtocol, from: p.src, fromPort: p.sourcePort, to: p.dst, toPort: p.destinationPort,
                hasPorts: p.hasPorts && j.fragmentOfFrame == 0 && !j.protocolOnly)
            return
        }
        let peerFirst: Bool
        if let entry = j.entry {
            peerFirst = entry.originalDirection == .inbound
        } else if flow.ipProtocol == IPProtocol.tcp || flow.ipProtocol == IPProtocol.udp, flow.localPort != flow.remotePort {
            peerFirst = flow.remotePort > flow.localPort
        } else if p.hasICMP, ICMPKind.hasIdentifier(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6) {
            let request = ICMPKind.isRequest(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6)
            peerFirst = (j.direction == .inbound) == request
        } else {
            peerFirst = j.direction == .inbound
        }
        let ports = flow.ipProtocol == IPProtocol.tcp || flow.ipProtocol == IPProtocol.udp
        let icmpID: UInt16? = (flow.ipProtocol == IPProtocol.icmp || flow.ipProtocol == IPProtocol.icmpv6) ? flow.localPort : nil
        if peerFirst {
            self.init(ipProtocol: flow.ipProtocol, from: flow.peer, fromPort: flow.remotePort, to: flow.instance,
                toPort: flow.localPort, hasPorts: ports, icmpIdentifier: icmpID)
        } else {
            self.init(ipProtocol: flow.ipProtocol, from: flow.instance, fromPort: flow.localPort, to: flow.peer,
                toPort: flow.remotePort, hasPorts: ports, icmpIdentifier: icmpID)
        }
    }
}
