import Packets

extension Engine {
    /// The label's `reason` for a judgement made just now (it reads the policy in force).
    ///
    ///     tracking-entry: created at frame 4 (2023-11-14T22:13:21.000000000Z) by sg-web/sgr-ssh inbound tcp 22
    ///     from 203.0.113.1/32, tcp established, expires if idle at …; no inbound rule permits it now
    // Mutating, as are the helpers below, only so that no copy of the engine is made per label:
    // Swift hands a non-mutating method a large struct's `self` by value.
    public mutating func reasonText(_ j: Judgement, packet p: DecodedPacket) -> String {
        var out: [UInt8] = []
        appendReason(j, packet: p, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `reasonText`, appended to a byte buffer: the one place reasons are written. Those of nearly
    /// every frame (a rule, a tracking entry) go straight into it with no `String` built, as this
    /// runs per label.
    public mutating func appendReason(_ j: Judgement, packet p: DecodedPacket, to out: inout [UInt8]) {
        if j.fragmentOfFrame > 0 {
            out.appendASCII("fragment: later fragment of frame ")
            out.appendDecimal(j.fragmentOfFrame)
            out.appendASCII("'s datagram, same verdict; ")
        }
        appendBaseReason(j, p, to: &out)
        if j.fragmentOfFrame == 0 && j.protocolOnly {
            out.appendASCII(" (a later fragment without its first fragment: judged by protocol only)")
        }
    }

    private mutating func appendBaseReason(_ j: Judgement, _ p: DecodedPacket, to out: inout [UInt8]) {
        let word = j.direction == .outbound ? "outbound" : "inbound"
        switch j.reason {
        case .ruleUntracked:
            out.appendASCII("sg-rule: ")
            out.append(contentsOf: registry.name(j.rule).utf8)
            out.appendASCII(" (untracked flow: every packet needs a rule)")
        case .ruleNewEntry, .ruleRefreshedEntry:
            out.appendASCII("sg-rule: ")
            out.append(contentsOf: registry.name(j.rule).utf8)
            if j.reason == .ruleNewEntry {
                out.appendASCII("; new tracking entry")
            } else {
                out.appendASCII("; tracking entry refreshed")
            }
            if let e = j.entry {
                out.appendASCII(" (")
                out.append(contentsOf: e.state.label.utf8)
                if e.preexisting {
                    out.appendASCII(", assumed established before the capture")
                } else if e.createdFrame != currentFrameForText {
                    out.appendASCII(", created at frame ")
                    out.appendDecimal(e.createdFrame)
                }
                out.appendASCII(", expires if idle at ")
                e.expires.appendRFC3339(to: &out)
                out.append(41)  // )
            }
        case .trackingEntry:
            guard let e = j.entry else {
                out.appendASCII("tracking-entry")
                return
            }
            out.appendASCII("tracking-entry: ")
            appendEntryOrigin(e, j, to: &out)
            out.appendASCII(", ")
            out.append(contentsOf: e.state.label.utf8)
            out.appendASCII(", expires if idle at ")
            e.expires.appendRFC3339(to: &out)
            out.appendASCII(j.direction == .outbound ? "; no outbound rule permits it now" : "; no inbound rule permits it now")
        case .relatedICMPError:
            guard let e = j.entry, let flow = j.flow else {
                out.appendASCII("related-icmp-error")
                return
            }
            out.append(contentsOf: "related-icmp-error: quotes \(Engine.flowDescription(flow)), whose tracking entry is live (".utf8)
            appendEntryOrigin(e, j, to: &out)
            out.append(41)  // )
        case .notDecoded:
            out.append(contentsOf: (p.anomaly?.description ?? "not-decoded").utf8)
        case .notAPacket:
            out.appendASCII("not-a-packet: pcapng custom block")
        case .notInstance:
            out.append(contentsOf: "not-instance: neither \(p.src) nor \(p.dst) is an address of the instance".utf8)
        case .bothInstance:
            out.append(contentsOf: "not-instance: both \(p.src) and \(p.dst) are addresses of the instance".utf8)
        case .awsExempt:
            out.append(contentsOf: ("aws-exempt: " + exemptWhat(p) + ", which security groups do not filter").utf8)
        case .ruleICMPError:
            out.append(contentsOf: "sg-rule: \(registry.name(j.rule)) (an ICMP error about no tracked flow: creates no entry)".utf8)
        case .naclDeny:
            let entry = policy.activeNetworkACL?.entry(j.direction == .outbound ? .egress : .ingress, Int(j.naclRule))
            out.append(contentsOf: ("nacl-deny:\(j.naclRule)" + (entry.map { " (\(policy.networkACLID ?? "nacl") \($0))" } ?? "")).utf8)
        case .naclDefaultDeny:
            out.append(contentsOf: "nacl-default-deny (\(policy.networkACLID ?? "nacl") \(word): no entry matches, the * rule denies)".utf8)
        case .noSGRule:
            let what: String
            if let flow = j.flow {
                what = Engine.trafficDescription(p, direction: j.direction ?? .inbound, peer: flow.peer)
            } else {
                what = "it"
            }
            out.append(contentsOf: "no-sg-rule: no \(word) rule permits \(what), and no live tracking entry".utf8)
        case .conntrackFull:
            let max = allowance.map(String.init) ?? "unlimited"
            out.append(contentsOf: ("conntrack-full: \(registry.name(j.rule)) permits it, but it needs a new tracking entry and the table is full "
                + "(\(j.occupancy) of \(max) entries)").utf8)
        }
    }

    /// "created at frame 4 (time) by rule", or how an entry assumed established came about.
    private mutating func appendEntryOrigin(_ e: EntrySnapshot, _ j: Judgement, to out: inout [UInt8]) {
        if e.preexisting {
            out.appendASCII("assumed established before the capture (")
            out.append(contentsOf: registry.name(e.rule).utf8)
            out.appendASCII(" permitted its first packet under the initial policy)")
            return
        }
        out.appendASCII("created at frame ")
        out.appendDecimal(e.createdFrame)
        if let created = Engine.entryCreated(j, in: table) {
            out.appendASCII(" (")
            created.appendRFC3339(to: &out)
            out.append(41)  // )
        }
        out.appendASCII(" by ")
        out.append(contentsOf: registry.name(e.rule).utf8)
    }

    private mutating func exemptWhat(_ p: DecodedPacket) -> String {
        let names: [String: String] = [
            "169.254.169.254": "the instance metadata service", "fd00:ec2::254": "the instance metadata service",
            "169.254.169.123": "Amazon Time Sync", "fd00:ec2::123": "Amazon Time Sync",
            "169.254.169.253": "the Amazon DNS resolver", "fd00:ec2::253": "the Amazon DNS resolver",
        ]
        for a in [p.src, p.dst] {
            if let name = names[a.description] { return "\(a) is \(name)" }
        }
        if p.ipProtocol == IPProtocol.udp && (AWSExempt.dhcpPorts.contains(p.sourcePort) || AWSExempt.dhcpPorts.contains(p.destinationPort)) {
            return "DHCP (UDP 67/68)"
        }
        return "\(p.src) > \(p.dst) is in an exempt block"
    }

    /// "sg-web/sgr-ssh inbound tcp 22 from 203.0.113.1/32"
    public func ruleText(_ index: Int32) -> String { registry.name(index) }

    /// "tcp 10.0.0.5:22 ~ 203.0.113.1:51514": a flow by its key.
    public static func flowDescription(_ flow: FlowKey) -> String {
        let name = IPProtocol.name(flow.ipProtocol) ?? "protocol \(flow.ipProtocol)"
        switch flow.ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            return "\(name) \(endpoint(flow.instance, flow.localPort)) ~ \(endpoint(flow.peer, flow.remotePort))"
        case IPProtocol.icmp, IPProtocol.icmpv6:
            return "\(name) \(flow.instance) ~ \(flow.peer) id \(flow.localPort)"
        default:
            return "\(name) \(flow.instance) ~ \(flow.peer)"
        }
    }

    static func endpoint(_ a: IPAddress, _ port: UInt16) -> String {
        a.isIPv6 ? "[\(a)]:\(port)" : "\(a):\(port)"
    }

    /// "tcp 22 from 198.51.100.7", "icmp type 8 code 0 to 8.8.8.8"
    static func trafficDescription(_ p: DecodedPacket, direction: Direction, peer: IPAddress) -> String {
        let preposition = direction == .inbound ? "from" : "to"
        let name = IPProtocol.name(p.ipProtocol) ?? "protocol \(p.ipProtocol)"
        if p.hasPorts && (p.ipProtocol == IPProtocol.tcp || p.ipProtocol == IPProtocol.udp) {
            return "\(name) \(p.destinationPort) \(preposition) \(peer)"
        }
        if p.hasICMP { return "\(name) type \(p.icmpType) code \(p.icmpCode) \(preposition) \(peer)" }
        return "\(name) \(preposition) \(peer)"
    }
}
