import Packets

/// The part of a frame's judgement that depends only on the packet and the rules in force at its
/// instant, not on the tracking table: whether it is skipped, its direction and flow, the rule that
/// permits it, whether its flow is tracked, what the NACL says. `Engine` makes one for every frame;
/// `RuleClock` makes the same on another thread ahead of the engine, which then does only the
/// table's part (`Engine.judge(_:frame:time:classified:into:)`).
public struct Classification: Sendable {
    public enum Kind: UInt8, Sendable {
        /// Not worked out here: the engine judges the frame from the start (ICMP errors and later
        /// fragments, whose judgement depends on remembered state, or frames not classified yet).
        case unclassified
        /// Skipped for `reason` (not decoded, AWS exempt, not the instance's).
        case skipped
        /// A packet of a flow: the table decides the rest.
        case flow
    }

    public var kind = Kind.unclassified
    var reason = Judgement.Reason.notDecoded
    var direction = Direction.inbound
    var flow = FlowKey(ipProtocol: 0, instance: IPAddress(v4: 0), localPort: 0, peer: IPAddress(v4: 0), remotePort: 0)
    /// `flow.fastHash` once worked out (0: not yet): the table's and the seen-set's index.
    var hash: UInt64 = 0
    /// The first security group rule that permits the packet (`RuleRegistry` index), or -1.
    var rule: Int32 = -1
    var tracked = false
    /// Whether the flow was tracked under the initial policy; worked out only for an untracked flow
    /// after an edit (the one case `--assume-established` asks).
    var trackedInitially = false
    /// Whether a NACL entry (or the `*` rule) denies the packet, and which.
    var naclDenies = false
    var naclReason = Judgement.Reason.naclDeny
    var naclRule: Int32 = -1
    /// The policy state it was made under (`PolicyState.index`: the edits in force). The engine
    /// judges it under its own state of that index, which is the same shared state.
    var editsApplied = 0

    public init() {}
}

extension Engine {
    /// Fills `c` for `p` under `compiled` (`initial`: the policy before any edit).
    static func classify(
        _ p: DecodedPacket, _ compiled: CompiledPolicy, initial: CompiledPolicy, editsApplied: Int,
        into c: inout Classification
    ) {
        c.editsApplied = editsApplied
        c.kind = .skipped
        guard p.anomaly == nil else {
            c.reason = .notDecoded
            return
        }
        if Engine.isExempt(p, compiled) {
            c.reason = .awsExempt
            return
        }
        let srcMine = compiled.owns(p.src), dstMine = compiled.owns(p.dst)
        if srcMine == dstMine {
            c.reason = srcMine ? .bothInstance : .notInstance
            return
        }
        let direction: Direction = dstMine ? .inbound : .outbound
        c.direction = direction
        // Later fragments and ICMP errors take their verdict from remembered state: judged whole.
        if p.fragment == .later || (p.hasICMP && ICMPKind.isError(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6)) {
            c.kind = .unclassified
            return
        }
        let instance = dstMine ? p.dst : p.src
        let peer = dstMine ? p.src : p.dst
        classifyFlow(p, compiled, initial: initial, direction: direction, instance: instance, peer: peer, into: &c)
    }

    /// The flow part of `classify`, for a packet whose direction is known.
    static func classifyFlow(
        _ p: DecodedPacket, _ compiled: CompiledPolicy, initial: CompiledPolicy, direction: Direction,
        instance: IPAddress, peer: IPAddress, into c: inout Classification
    ) {
        c.kind = .flow
        c.direction = direction
        let q = Engine.query(p, peer: peer)
        c.flow = Engine.key(p, direction: direction, instance: instance, peer: peer)
        // Worked out by whoever looks the flow up first (the judging thread's prefetch, or the lookup).
        c.hash = 0
        c.rule = compiled.firstMatch(direction, q)
        c.tracked = c.rule < 0 || Engine.isTracked(p, direction: direction, peer: peer, under: compiled)
        c.trackedInitially = !c.tracked && c.editsApplied > 0
            && Engine.isTracked(p, direction: direction, peer: peer, under: initial)
        if let denied = Engine.naclDenial(direction, q, compiled) {
            c.naclDenies = true
            c.naclReason = denied.reason
            c.naclRule = denied.naclRule
        } else {
            c.naclDenies = false
        }
    }

    // The helpers below are static on purpose: a non-mutating method called from a mutating one
    // makes Swift copy the whole engine (760 bytes) first, several times per frame.

    static func isExempt(_ p: DecodedPacket, _ compiled: CompiledPolicy) -> Bool {
        if AWSExempt.mayBeService(p.src) || AWSExempt.mayBeService(p.dst) {
            for a in AWSExempt.addresses where a == p.src || a == p.dst { return true }
        }
        if p.ipProtocol == IPProtocol.udp && p.hasPorts {
            for port in AWSExempt.dhcpPorts where port == p.sourcePort || port == p.destinationPort { return true }
        }
        for block in compiled.exempt where block.contains(p.src) || block.contains(p.dst) { return true }
        return false
    }

    static func query(_ p: DecodedPacket, peer: IPAddress, protocolOnly: Bool = false) -> RuleClassifier.Query {
        RuleClassifier.Query(
            ipProtocol: p.ipProtocol, port: p.destinationPort,
            hasPort: p.hasPorts && (p.ipProtocol == IPProtocol.tcp || p.ipProtocol == IPProtocol.udp),
            icmpType: p.icmpType, icmpCode: p.icmpCode, hasICMP: p.hasICMP, peer: peer, protocolOnly: protocolOnly)
    }

    /// The NACL stage, when it applies: nil if it allows, else why it denies.
    static func naclDenial(
        _ direction: Direction, _ q: RuleClassifier.Query, _ compiled: CompiledPolicy
    ) -> (reason: Judgement.Reason, naclRule: Int32)? {
        guard compiled.naclApplies(peer: q.peer) else { return nil }
        let decision = compiled.naclDecision(direction, q)
        if decision.allow { return nil }
        return (decision.number == nil ? .naclDefaultDeny : .naclDeny, Int32(decision.number ?? -1))
    }

    /// docs/semantics.md §5.1: TCP/UDP flows are untracked when, in either orientation, the request
    /// direction has a literal all-addresses rule permitting the request and the response direction
    /// has one permitting all response traffic; unless the peer is automatically tracked.
    static func isTracked(_ p: DecodedPacket, direction: Direction, peer: IPAddress, under policy: CompiledPolicy) -> Bool {
        guard p.ipProtocol == IPProtocol.tcp || p.ipProtocol == IPProtocol.udp else { return true }
        if policy.trackAll { return true }
        for block in policy.autoTracked where block.contains(peer) { return true }
        let version = peer.version
        let own = CompiledPolicy.slot(direction, version)
        let opposite = CompiledPolicy.slot(direction == .inbound ? .outbound : .inbound, version)
        // The packet is the request: its own direction permits it, the other permits all replies.
        let q = Engine.query(p, peer: peer)
        if policy.classifiers[opposite].allResponsesOpen(p.ipProtocol) && policy.classifiers[own].literalAllPermits(q) {
            return false
        }
        // The packet is the response: the other direction permits the request (this packet with
        // source and destination swapped, so its destination port is our source port).
        var swapped = q
        swapped.port = p.sourcePort
        if policy.classifiers[own].allResponsesOpen(p.ipProtocol) && policy.classifiers[opposite].literalAllPermits(swapped) {
            return false
        }
        return true
    }

    /// The flow key of a packet (its own, not a quoted one).
    static func key(_ p: DecodedPacket, direction: Direction, instance: IPAddress, peer: IPAddress) -> FlowKey {
        FlowKey(
            ipProtocol: p.ipProtocol, instance: instance, peer: peer, instanceSent: direction == .outbound,
            sourcePort: p.sourcePort, destinationPort: p.destinationPort,
            icmpIdentifier: p.hasICMPIdentifier ? p.icmpIdentifier : nil)
    }
}
