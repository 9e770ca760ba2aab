import Packets

// The packets judged by what the engine remembers: ICMP errors by the flow they quote (docs/semantics.md
// 5.2), later fragments by their first fragment (5.7).
extension Engine {
    /// docs/semantics.md §5.2: an ICMP error is related to the flow it quotes; with a live entry for that
    /// flow it passes by tracking (neither refreshing nor creating); otherwise the rules judge it as
    /// plain ICMP, and it creates no entry.
    mutating func judgeICMPError(_ p: DecodedPacket, direction: Direction, peer: IPAddress) -> Judgement {
        let q = Engine.query(p, peer: peer)
        var j = Judgement(verdict: .dropped, direction: direction, reason: .noSGRule)
        if direction == .inbound, let denied = Engine.naclDenial(direction, q, compiled) {
            j.reason = denied.reason
            j.naclRule = denied.naclRule
            return j
        }
        j.tracked = true
        if let related = quotedFlow(p.quoted), let slot = table.find(related) {
            j.verdict = .allowedByTracking
            j.reason = .relatedICMPError
            j.flow = related
            j.entry = Engine.snapshot(slot, table, timeouts)
        } else {
            let rule = compiled.firstMatch(direction, q)
            if rule >= 0 {
                j.verdict = .allowedByRule
                j.reason = .ruleICMPError
                j.rule = rule
            }
        }
        if direction == .outbound, j.verdict != .dropped, let denied = Engine.naclDenial(direction, q, compiled) {
            j.verdict = .dropped
            j.reason = denied.reason
            j.naclRule = denied.naclRule
        }
        return j
    }

    /// The tracked flow of the packet an ICMP error quotes (whichever side of it is the instance).
    func quotedFlow(_ quote: QuotedPacket) -> FlowKey? {
        guard quote.isPresent else { return nil }
        let sentByInstance: Bool
        if compiled.owns(quote.src) {
            sentByInstance = true
        } else if compiled.owns(quote.dst) {
            sentByInstance = false
        } else {
            return nil
        }
        let instance = sentByInstance ? quote.src : quote.dst
        let peer = sentByInstance ? quote.dst : quote.src
        if (quote.ipProtocol == IPProtocol.tcp || quote.ipProtocol == IPProtocol.udp) && !quote.hasPorts { return nil }
        return FlowKey(
            ipProtocol: quote.ipProtocol, instance: instance, peer: peer, instanceSent: sentByInstance,
            sourcePort: quote.sourcePort, destinationPort: quote.destinationPort,
            icmpIdentifier: quote.hasICMPIdentifier ? quote.icmpIdentifier : nil)
    }

    struct FragmentKey: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var ipProtocol: UInt8
        var id: UInt32
    }

    mutating func remember(firstFragment p: DecodedPacket, judgement: Judgement) {
        // Fragments of one datagram arrive within seconds; forget ones older than a minute.
        if fragments.count > 4096 {
            let horizon = now - 60_000_000_000
            fragments = fragments.filter { $0.value.time >= horizon }
        }
        var j = judgement
        j.fragmentOfFrame = currentFrame
        fragments[FragmentKey(src: p.src, dst: p.dst, ipProtocol: p.ipProtocol, id: p.fragmentID)] = (j, now)
    }

    mutating func judgeLaterFragment(_ p: DecodedPacket, direction: Direction, peer: IPAddress) -> Judgement {
        // No first fragment: the protocol alone; rules and NACL entries that restrict ports or ICMP
        // types cannot match. Nothing is tracked (there is no flow key without ports).
        let q = Engine.query(p, peer: peer, protocolOnly: true)
        if direction == .inbound, let denied = Engine.naclDenial(direction, q, compiled) {
            var j = Judgement(verdict: .dropped, direction: direction, reason: denied.reason)
            j.naclRule = denied.naclRule
            j.protocolOnly = true
            return j
        }
        let rule = compiled.firstMatch(direction, q)
        var j = Judgement(verdict: rule >= 0 ? .allowedByRule : .dropped, direction: direction, reason: rule >= 0 ? .ruleUntracked : .noSGRule)
        j.rule = rule
        j.protocolOnly = true
        if direction == .outbound, rule >= 0, let denied = Engine.naclDenial(direction, q, compiled) {
            j.verdict = .dropped
            j.reason = denied.reason
            j.naclRule = denied.naclRule
        }
        return j
    }
}
