import Packets

// Flows established before the capture (docs/semantics.md §5.3, --assume-established).
extension Engine {
    /// Whether a flow's first captured packet marks it as established before the capture.
    static func qualifiesAsPreexisting(_ p: DecodedPacket, _ mode: EngineOptions.AssumeEstablished) -> Bool {
        switch mode {
        case .none: return false
        case .tcp: return p.ipProtocol == IPProtocol.tcp && !(p.tcpFlags.contains(.syn) && !p.tcpFlags.contains(.ack))
        case .all:
            if p.ipProtocol == IPProtocol.tcp { return !(p.tcpFlags.contains(.syn) && !p.tcpFlags.contains(.ack)) }
            return true
        }
    }

    /// For a flow's first captured packet: when it qualifies and the initial policy permits it in its
    /// own direction as a tracked flow, its entry has existed since the capture's first frame.
    mutating func assumePreexisting(_ p: DecodedPacket, flow: FlowKey, direction: Direction, peer: IPAddress) -> Int? {
        guard Engine.qualifiesAsPreexisting(p, options.assumeEstablished), let start = captureStart else { return nil }
        let rule = initial.firstMatch(direction, Engine.query(p, peer: peer))
        guard rule >= 0, Engine.isTracked(p, direction: direction, peer: peer, under: initial) else { return nil }
        let entry = Connection(preexisting: flow, packet: p, direction: direction, since: start, rule: rule)
        let expiry = timeouts.expiry(of: entry)
        // Its idle timer started at the first frame: it may already have run out.
        guard expiry > now else { return nil }
        if let max = conntrackMax, table.count >= max { return nil }
        let slot = table.insert(entry, created: start, expiry: expiry)
        statistics.preexistingEntries += 1
        noteInsertion()
        return slot
    }

    /// Whether a first pass over the capture is needed for exact results: entries assumed established
    /// exist from the first frame, so they hold allowance slots before their flows' first packets.
    public var needsFirstPass: Bool {
        options.assumeEstablished != .none && conntrackMax != nil
    }

    /// The same, before an engine exists (to know whether standard input must be spooled).
    public static func needsFirstPass(_ options: EngineOptions, _ policy: Policy) -> Bool {
        options.assumeEstablished != .none && (options.conntrackMax ?? policy.tracking.conntrackMax) != nil
    }

    /// Whether a first pass changes anything at all. Without an allowance, it matters only for an ICMP
    /// error or a later fragment that refers to a flow before the flow's own first captured packet;
    /// the single pass otherwise creates assumed entries exactly when their first packet comes.
    public var firstPassHelps: Bool {
        options.assumeEstablished != .none
    }

    /// First pass, for every frame in order: notes flows whose first packet makes them pre-existing.
    public mutating func firstPass(_ p: DecodedPacket, time: Timestamp) {
        if !clock.isStarted { start(at: time.nanoseconds) }
        guard p.anomaly == nil, !Engine.isExempt(p, compiled), p.fragment != .later else { return }
        let srcMine = initial.owns(p.src), dstMine = initial.owns(p.dst)
        guard srcMine != dstMine else { return }
        if p.hasICMP && ICMPKind.isError(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6) { return }
        let direction: Direction = dstMine ? .inbound : .outbound
        let instance = dstMine ? p.dst : p.src, peer = dstMine ? p.src : p.dst
        let flow = Engine.key(p, direction: direction, instance: instance, peer: peer)
        guard seen.insert(flow) else { return }
        // Entries all start at the first frame (the clock stays there during this pass); those whose
        // timer runs out before the flow's first packet still hold a slot until then, so they are
        // created here and expire in the replay.
        _ = assumePreexisting(p, flow: flow, direction: direction, peer: peer)
    }

    /// Ends the first pass: the replay proper starts from the first frame again.
    public mutating func finishFirstPass() {
        preexistingFromFirstPass = true
        seen = FlowSet()
        if let start = captureStart { now = start }
    }
}
