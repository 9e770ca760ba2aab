import Firewall
import Packets

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
