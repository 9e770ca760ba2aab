import Packets

extension Engine {
    /// The reasoning for one frame, step by step, as it stands just before the frame is judged:
    /// direction, the NACL entries checked, every security group rule in force and why it does or
    /// does not match, whether the flow is tracked, the tracking entry found. `sgreplay explain`
    /// prints it, followed by the verdict `judge` then gives.
    ///
    /// Slow on purpose: it walks the policy model rule by rule instead of the compiled classifier,
    /// so it also cross-checks the fast path.
    public func steps(for p: DecodedPacket, time: Timestamp) -> [String] {
        var out: [String] = []
        guard p.anomaly == nil else {
            out.append("decode: \(p.anomaly!.description)")
            return out
        }
        out.append("packet: \(Engine.packetDescription(p))")
        if let start = captureStartTime {
            out.append("time: \(time.rfc3339) (+\(Engine.seconds(time - start)) after the first frame)")
        }
        let srcMine = policy.instance.owns(p.src), dstMine = policy.instance.owns(p.dst)
        let addresses = policy.instance.addresses.map { $0.address.description }.joined(separator: ", ")
        guard srcMine != dstMine else {
            out.append("direction: none: instance addresses are \(addresses); \(srcMine ? "both" : "neither") endpoint is one → skipped")
            return out
        }
        let direction: Direction = dstMine ? .inbound : .outbound
        let peer = dstMine ? p.src : p.dst
        out.append("direction: \(direction.label) (\(dstMine ? p.dst : p.src) is the instance; the peer is \(peer))")

        let applied = appliedEdits.filter { $0.time <= time }
        if applied.isEmpty {
            out.append("policy: the initial policy (no timeline edit yet)")
        } else {
            out.append("policy: the initial policy plus \(applied.count) edit\(applied.count == 1 ? "" : "s"):")
            for edit in applied { out.append("  \(edit.time.rfc3339) \(edit.edit.edit)") }
        }

        // NACL
        if let acl = policy.activeNetworkACL {
            if policy.instance.subnetCIDRs.contains(where: { $0.contains(peer) }) {
                out.append("nacl \(acl.id): not evaluated (the peer is inside the subnet)")
            } else {
                let ruleDirection: RuleDirection = direction == .inbound ? .ingress : .egress
                out.append("nacl \(acl.id) \(direction.label) entries, lowest number first\(direction == .outbound ? " (checked after the security group)" : ""):")
                var decided = false
                for entry in acl.entries(ruleDirection) where !decided {
                    let (matches, why) = Engine.check(entry, p)
                    out.append("  \(entry.ruleNumber) \(entry.action.rawValue) \(entry.traffic) \(entry.cidr): \(matches ? "matches" : "no: \(why)")")
                    if matches { decided = true }
                }
                if !decided { out.append("  *: no entry matches, the default rule denies") }
            }
        } else {
            out.append("nacl: none configured (the NACL stage allows everything)")
        }

        // Security groups
        let ruleDirection: RuleDirection = direction == .inbound ? .ingress : .egress
        let rules = policy.rulesInForce(ruleDirection)
        out.append("security groups \(policy.instance.groupIDs.joined(separator: ", ")): \(rules.count) \(direction.label) rule\(rules.count == 1 ? "" : "s") in force:")
        var permitting: SecurityGroupRule?
        for rule in rules {
            let (matches, why) = Engine.check(rule, p, peer: peer, policy: policy)
            out.append("  \(rule): \(matches ? "permits it" : "no: \(why)")")
            if matches && permitting == nil { permitting = rule }
        }
        if rules.isEmpty { out.append("  (none)") }

        // Tracking
        if p.ipProtocol == IPProtocol.tcp || p.ipProtocol == IPProtocol.udp {
            let tracked = Engine.isTracked(p, direction: direction, peer: peer, under: compiled)
            out.append(tracked
                ? "tracked: yes (no literal 0.0.0.0/0 or ::/0 rule pair opens both the request and all responses, or the peer is always tracked)"
                : "tracked: no (a literal all-addresses rule permits the request and the other direction permits all responses: every packet needs a rule)")
        } else {
            out.append("tracked: yes (\(IPProtocol.name(p.ipProtocol) ?? "protocol \(p.ipProtocol)") is always tracked)")
        }
        if p.hasICMP && ICMPKind.isError(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6) {
            out.append("icmp error: matched through the quoted packet \(p.quoted.isPresent ? "\(p.quoted.src) > \(p.quoted.dst) protocol \(p.quoted.ipProtocol)" : "(not readable)")")
        } else if p.fragment != .later {
            let flow = Engine.key(p, direction: direction, instance: dstMine ? p.dst : p.src, peer: peer)
            if let slot = table.find(flow) {
                let c = table[slot]
                let idle = Engine.seconds(time - Timestamp(nanoseconds: c.lastSeen))
                let origin = c.isPreexisting
                    ? "assumed established before the capture"
                    : "created at frame \(c.createdFrame) (\(Timestamp(nanoseconds: table.createdTime(slot)).rfc3339)) by \(ruleText(c.rule))"
                out.append("tracking entry \(Engine.flowDescription(flow)): live; \(origin); \(c.state.label); idle \(idle); "
                    + "expires if idle at \(Timestamp(nanoseconds: timeoutsForText.expiry(of: c)).rfc3339)")
            } else {
                out.append("tracking entry \(Engine.flowDescription(flow)): none live")
            }
        }
        if let permitting { out.append("security group decision: permitted by \(permitting)") }
        return out
    }

    /// Whether a security group rule matches the packet, and if not, why (policy model, not compiled).
    static func check(_ rule: SecurityGroupRule, _ p: DecodedPacket, peer: IPAddress, policy: Policy) -> (Bool, String) {
        if let why = trafficMismatch(rule.traffic, p) { return (false, why) }
        guard let blocks = policy.cidrs(of: rule.peer) else {
            return (false, "\(rule.peer) has no known addresses (give its prefix list entries or group members)")
        }
        if !blocks.contains(where: { $0.contains(peer) }) {
            return (false, "\(peer) is not in \(rule.peer)\(blocks.count > 1 || "\(rule.peer)" != "\(blocks.first.map { "\($0)" } ?? "")" ? " (\(blocks.map(\.description).joined(separator: ", ")))" : "")")
        }
        return (true, "")
    }

    static func check(_ entry: NetworkACLEntry, _ p: DecodedPacket) -> (Bool, String) {
        if let why = trafficMismatch(entry.traffic, p) { return (false, why) }
        let peer = entry.direction == .ingress ? p.src : p.dst
        if !entry.cidr.contains(peer) { return (false, "\(peer) is not in \(entry.cidr)") }
        return (true, "")
    }

    /// Why a rule's protocol, ports or ICMP type do not fit the packet (nil when they do).
    static func trafficMismatch(_ traffic: Traffic, _ p: DecodedPacket) -> String? {
        if let number = traffic.protocolNumber, number != p.ipProtocol {
            return "protocol \(IPProtocol.name(p.ipProtocol) ?? String(p.ipProtocol)), not \(traffic.protocolName)"
        }
        switch traffic {
        case .tcp(let ports), .udp(let ports):
            if p.fragment == .later && !ports.isAll { return "a later fragment has no port for \(ports)" }
            if !ports.contains(p.destinationPort) { return "destination port \(p.destinationPort) is not in \(ports)" }
        case .icmp(let tc), .icmpv6(let tc):
            if let type = tc.type {
                if p.fragment == .later { return "a later fragment has no ICMP type" }
                if type != p.icmpType { return "ICMP type \(p.icmpType), not \(type)" }
                if let code = tc.code, code != p.icmpCode { return "ICMP code \(p.icmpCode), not \(code)" }
            }
        default:
            break
        }
        return nil
    }

    static func packetDescription(_ p: DecodedPacket) -> String {
        let name = IPProtocol.name(p.ipProtocol) ?? "protocol \(p.ipProtocol)"
        var text = "\(name) \(p.src)"
        if p.hasPorts { text += ":\(p.sourcePort)" }
        text += " > \(p.dst)"
        if p.hasPorts { text += ":\(p.destinationPort)" }
        if p.ipProtocol == IPProtocol.tcp {
            let names: [(TCPFlags, String)] = [(.syn, "SYN"), (.ack, "ACK"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH")]
            text += " [" + names.filter { p.tcpFlags.contains($0.0) }.map(\.1).joined(separator: ",") + "]"
        }
        if p.hasICMP { text += " type \(p.icmpType) code \(p.icmpCode)" + (p.hasICMPIdentifier ? " id \(p.icmpIdentifier)" : "") }
        switch p.fragment {
        case .first: text += " (first fragment, id \(p.fragmentID))"
        case .later: text += " (later fragment, id \(p.fragmentID))"
        case .whole: break
        }
        return text
    }

    static func seconds(_ d: Interval) -> String {
        let ns = d.nanoseconds
        return "\(ns / 1_000_000_000).\(String(String(ns % 1_000_000_000 + 1_000_000_000).dropFirst()).prefix(3)) s"
    }
}
