import Packets

/// Replays frames, in capture order, through the NACL and security groups in force at each frame's
/// instant, with AWS's connection tracking, and gives each one verdict (SEMANTICS.md).
///
///     var engine = Engine(policy: loaded, options: EngineOptions())
///     for (packet, time) in frames { let j = engine.judge(packet, frame: n, time: time) }
///
/// The one place where rules, time and tracking meet. Packet time is the only clock: timeline edits
/// apply when a frame's time reaches them, entries expire at `lastSeen + timeout` exactly, before the
/// frame at or after that instant is judged. Judging a packet allocates nothing.
public struct Engine: Sendable {
    public let options: EngineOptions
    public private(set) var registry = RuleRegistry()
    /// The policy in force now, and the one before any edit (for `--assume-established`).
    public private(set) var policy: Policy
    private(set) var compiled: CompiledPolicy
    private let initial: CompiledPolicy
    private let pendingTimeline: Timeline
    private var edits: [TimedEdit] = []
    private var nextEdit = 0
    private var nextReset = 0
    /// Flows ended by a what-if reset: the instance sends nothing more on them.
    private var endedFlows: Set<FlowKey> = []
    /// Edits applied so far, with when they took effect.
    public private(set) var appliedEdits: [AppliedEdit] = []
    private(set) var table = ConnectionTable()
    private var timeouts: TimeoutTable
    private let conntrackMax: Int?
    private var captureStart: Int64?
    private var now: Int64 = .min
    private var currentFrame = 0
    /// The frame being judged, for explanations.
    var currentFrameForText: Int { currentFrame }
    var captureStartTime: Timestamp? { captureStart.map { Timestamp(nanoseconds: $0) } }
    var timeoutsForText: TimeoutTable { timeouts }
    /// Flows already seen, for "is this the flow's first captured packet" (`--assume-established`).
    private var seen = FlowSet()
    /// True when a first pass already created the pre-existing entries.
    private var preexistingFromFirstPass = false
    private var fragments: [FragmentKey: (judgement: Judgement, time: Int64)] = [:]
    public private(set) var statistics = Statistics()
    /// The policy just before the latest batch of edits, to tell which drops an edit caused.
    private var beforeEdits: CompiledPolicy?
    /// Resolved edit times (nanoseconds), for timing ambiguity.
    private var editTimes: [Int64] = []
    /// Periods when the table was full and packets were lost (SEMANTICS.md 5.5), oldest first.
    public private(set) var exhaustionEpisodes: [ExhaustionEpisode] = []
    private var fullSince: Int64?
    private var refusedFlows = FlowSet(capacity: 16)

    /// From when to when the tracking table was full and new tracked flows were lost.
    public struct ExhaustionEpisode: Sendable {
        public var start: Timestamp
        /// When a slot freed again (nil: still full at the end of the capture).
        public var end: Timestamp?
        public var lostPackets = 0
        public var refusedFlows = 0
        public var firstLostFrame = 0
        public var lastLostFrame = 0
    }

    public struct AppliedEdit: Sendable {
        public var edit: TimedEdit
        public var time: Timestamp
        /// The first frame judged under it (0 if it applied after the last frame).
        public var frame: Int
        public var warnings: [PolicyWarning]
    }

    public struct Statistics: Sendable {
        /// Packets lost because the table was full (the ENA `conntrack_allowance_exceeded` metric).
        public var conntrackAllowanceExceeded = 0
        public var peakEntries = 0
        public var peakTime: Timestamp? = nil
        public var entriesCreated = 0
        public var entriesExpired = 0
        public var preexistingEntries = 0
        public var liveEntries = 0
    }

    public init(policy loaded: LoadedPolicy, options: EngineOptions) {
        self.options = options
        policy = loaded.policy
        var registry = RuleRegistry()
        compiled = CompiledPolicy(loaded.policy, registry: &registry, options: options)
        initial = compiled
        self.registry = registry
        pendingTimeline = loaded.timeline
        conntrackMax = options.conntrackMax ?? loaded.policy.tracking.conntrackMax
        timeouts = TimeoutTable(Engine.timeouts(loaded.policy, options))
    }

    /// The timeouts in force: the AWS three from the policy unless overridden, the rest from options.
    static func timeouts(_ policy: Policy, _ options: EngineOptions) -> EngineOptions.Timeouts {
        var t = options.timeouts
        t.tcpEstablished = options.tcpEstablishedOverride ?? policy.tracking.timeouts.tcpEstablished
        t.udp = options.udpOverride ?? policy.tracking.timeouts.udp
        t.udpStream = options.udpStreamOverride ?? policy.tracking.timeouts.udpStream
        return t
    }

    /// The allowance in force (nil: unlimited).
    public var allowance: Int? { conntrackMax }
    /// Live entries now.
    public var liveEntries: Int { table.count }
    /// Live entries after the last judged frame: a stored copy, cheap to read from the capture loop.
    public private(set) var liveAfterLastFrame = 0
    public var bytesPerEntry: Int { table.bytesPerEntry }

    // MARK: Time

    /// Starts the clock at the capture's first frame and resolves relative edit times.
    private mutating func start(at time: Int64) {
        captureStart = time
        now = time
        edits = pendingTimeline.resolved(firstFrame: Timestamp(nanoseconds: time)).edits
        editTimes = edits.map { $0.time.resolved(firstFrame: Timestamp(nanoseconds: time)).nanoseconds }
    }

    /// Moves the clock to `time`: applies due edits in order, expires entries whose instant has come.
    private mutating func advance(to time: Int64) {
        if captureStart == nil { start(at: time) }
        // Time never goes back: a frame stamped earlier than one before it is judged at the later time.
        if time > now { now = time }
        var batchStarted = false
        while nextEdit < edits.count, editTimes[nextEdit] <= now {
            let at = editTimes[nextEdit]
            expire(upTo: at)
            if !batchStarted {
                beforeEdits = compiled
                batchStarted = true
            }
            applyNextEdit(frame: currentFrame)
            let newTimeouts = TimeoutTable(Engine.timeouts(policy, options))
            if newTimeouts != timeouts {
                timeouts = newTimeouts
                table.rescheduleAll(timeouts)
                expire(upTo: at)
            }
        }
        while nextReset < options.connectionResets.count, options.connectionResets[nextReset].time.nanoseconds <= now {
            expire(upTo: options.connectionResets[nextReset].time.nanoseconds)
            for flow in options.connectionResets[nextReset].flows {
                if let slot = table.find(flow) { table.remove(slot) }
                endedFlows.insert(flow)
            }
            nextReset += 1
        }
        expire(upTo: now)
    }

    private mutating func expire(upTo time: Int64) {
        var expired = 0
        var freedAt: Int64 = 0
        table.expire(upTo: time, timeouts) { _, due in
            expired += 1
            freedAt = due
        }
        statistics.entriesExpired += expired
        // The table stops being full at the instant its first entry expires.
        if expired > 0, let since = fullSince, let max = conntrackMax, table.count < max {
            if !exhaustionEpisodes.isEmpty, exhaustionEpisodes[exhaustionEpisodes.count - 1].start.nanoseconds == since {
                exhaustionEpisodes[exhaustionEpisodes.count - 1].end = Timestamp(nanoseconds: freedAt)
            }
            fullSince = nil
        }
    }

    /// Applies the edits left after the last frame (for the report) and returns the final state.
    public mutating func finish() {
        guard captureStart != nil else { return }
        currentFrame = 0
        while nextEdit < edits.count { applyNextEdit(frame: 0) }
        statistics.liveEntries = table.count
    }

    /// Applies the next timeline edit to the policy, recompiles it, and records the edit with the
    /// first frame judged under it (0: none).
    private mutating func applyNextEdit(frame: Int) {
        let edit = edits[nextEdit]
        let warnings = policy.apply(edit.edit)
        compiled = CompiledPolicy(policy, registry: &registry, options: options)
        appliedEdits.append(
            AppliedEdit(edit: edit, time: Timestamp(nanoseconds: editTimes[nextEdit]), frame: frame, warnings: warnings))
        nextEdit += 1
    }

    // MARK: Judging

    /// Judges one frame. Call for every frame in capture order, skipped ones included (they move the
    /// clock: the first frame starts it, and relative edit times count from it).
    public mutating func judge(_ p: DecodedPacket, frame: Int, time: Timestamp) -> Judgement {
        var j = Judgement(verdict: .skipped, reason: .notDecoded)
        judge(p, frame: frame, time: time, into: &j)
        return j
    }

    /// Judges one frame into `j` (the capture loop reuses one judgement: no copies per frame).
    public mutating func judge(_ p: DecodedPacket, frame: Int, time: Timestamp, into j: inout Judgement) {
        currentFrame = frame
        advance(to: time.nanoseconds)
        var c = Classification()
        Engine.classify(p, compiled, initial: initial, editsApplied: nextEdit, into: &c)
        judgeClassified(p, frame: frame, time: time, &c, into: &j)
    }

    /// Judges one frame that a `RuleClock` has already classified (on another thread): only the
    /// tracking table's part is left. The same judgement as `judge(_:frame:time:into:)`.
    // `c` is inout only to be passed by address (it lives in the pipeline's ring).
    public mutating func judge(
        _ p: DecodedPacket, frame: Int, time: Timestamp, classified c: inout Classification, into j: inout Judgement
    ) {
        currentFrame = frame
        advance(to: time.nanoseconds)
        if c.editsApplied != nextEdit {
            Engine.classify(p, compiled, initial: initial, editsApplied: nextEdit, into: &c)
        }
        judgeClassified(p, frame: frame, time: time, &c, into: &j)
    }

    /// Hints that a classified frame will be judged soon: works out its flow's hash and starts
    /// loading the flow's table slot, so that the lookup a few frames later finds it in cache.
    // Mutating on purpose, like `judge`: Swift copies a whole struct to call a non-mutating method
    // on it from a mutating context (the capture loop's). `c` is inout to be passed by address.
    public mutating func prefetch(_ c: inout Classification) {
        guard c.kind == .flow && c.tracked else { return }
        c.hash = c.flow.fastHash
        table.prefetch(hash: c.hash)
    }

    private mutating func judgeClassified(
        _ p: DecodedPacket, frame: Int, time: Timestamp, _ c: inout Classification, into j: inout Judgement
    ) {
        j = Judgement(verdict: .skipped, reason: .notDecoded)
        judgeAtCurrentTime(p, frame: frame, &c, into: &j)
        j.editsApplied = nextEdit
        liveAfterLastFrame = table.count
        if !editTimes.isEmpty {
            j.timingAmbiguous = Engine.isNearAnEdit(time.nanoseconds, editTimes, nextEdit, options.editUncertainty.nanoseconds)
            if j.verdict == .dropped, let before = beforeEdits {
                j.causedByEdit = Engine.wouldPermit(p, before)
            }
        }
    }

    /// Whether `time` is within `options.editUncertainty` of an edit (either side): AWS applies edits
    /// after a short, undocumented delay, and CloudTrail times have one-second precision.
    // Static: calling a non-mutating method from a mutating one copies the whole engine first.
    private static func isNearAnEdit(_ time: Int64, _ editTimes: [Int64], _ nextEdit: Int, _ window: Int64) -> Bool {
        // Edit times come from the inputs and can be anywhere in Int64's range (a fuzzer found one):
        // a difference that overflows is far, not a trap.
        if nextEdit > 0 {
            let (since, overflow) = time.subtractingReportingOverflow(editTimes[nextEdit - 1])
            if !overflow && since < window { return true }
        }
        if nextEdit < editTimes.count {
            let (until, overflow) = editTimes[nextEdit].subtractingReportingOverflow(time)
            if !overflow && until <= window { return true }
        }
        return false
    }

    /// Whether `policy` (NACL and security group rules, without tracking) would let `p` through.
    private static func wouldPermit(_ p: DecodedPacket, _ policy: CompiledPolicy) -> Bool {
        guard p.anomaly == nil, p.fragment != .later else { return false }
        let dstMine = policy.owns(p.dst)
        guard dstMine != policy.owns(p.src) else { return false }
        let direction: Direction = dstMine ? .inbound : .outbound
        let q = Engine.query(p, peer: dstMine ? p.src : p.dst)
        if Engine.naclDenial(direction, q, policy) != nil { return false }
        return policy.firstMatch(direction, q) >= 0
    }

    /// Moves the clock to `time` (edits due apply, entries due expire) without judging anything:
    /// what `steps(for:time:)` needs to describe the state a frame is judged in.
    public mutating func advanceClock(to time: Timestamp, frame: Int) {
        currentFrame = frame
        advance(to: time.nanoseconds)
    }

    /// A frame that holds no packet (a pcapng custom block): it still moves the clock.
    public mutating func observe(frame: Int, time: Timestamp) {
        currentFrame = frame
        advance(to: time.nanoseconds)
    }

    private mutating func judgeAtCurrentTime(
        _ p: DecodedPacket, frame: Int, _ c: inout Classification, into j: inout Judgement
    ) {
        switch c.kind {
        case .skipped:
            j.reason = c.reason
            return
        case .flow:
            judgeFlowPacket(p, frame: frame, &c, into: &j)
            if p.fragment == .first { remember(firstFragment: p, judgement: j) }
            return
        case .unclassified:
            break
        }
        let direction = c.direction
        let instance = direction == .inbound ? p.dst : p.src
        let peer = direction == .inbound ? p.src : p.dst

        if p.fragment == .later {
            if let first = fragments[FragmentKey(src: p.src, dst: p.dst, ipProtocol: p.ipProtocol, id: p.fragmentID)] {
                j = first.judgement
                return
            }
            // Without its first fragment: TCP, UDP and ICMP lack their ports or types and are judged by
            // protocol alone; any other protocol has all its flow key has, and is judged as usual.
            switch p.ipProtocol {
            case IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6:
                j = judgeLaterFragment(p, direction: direction, peer: peer)
            default:
                var whole = Classification()
                whole.editsApplied = nextEdit
                Engine.classifyFlow(p, compiled, initial: initial, direction: direction, instance: instance, peer: peer, into: &whole)
                judgeFlowPacket(p, frame: frame, &whole, into: &j)
                j.protocolOnly = true
            }
            return
        }
        // An ICMP error (the only other case classification leaves).
        j = judgeICMPError(p, direction: direction, peer: peer)
        if p.fragment == .first { remember(firstFragment: p, judgement: j) }
    }

    // The helpers below are static on purpose: a non-mutating method called from a mutating one
    // makes Swift copy the whole engine (768 bytes) first, several times per frame.

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

    /// SEMANTICS.md 5.1: TCP/UDP flows are untracked when, in either orientation, the request
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
        switch p.ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            let inbound = direction == .inbound
            return FlowKey(
                ipProtocol: p.ipProtocol, instance: instance, localPort: inbound ? p.destinationPort : p.sourcePort,
                peer: peer, remotePort: inbound ? p.sourcePort : p.destinationPort)
        case IPProtocol.icmp, IPProtocol.icmpv6:
            return FlowKey(
                ipProtocol: p.ipProtocol, instance: instance, localPort: p.hasICMPIdentifier ? p.icmpIdentifier : 0,
                peer: peer, remotePort: 0)
        default:
            return FlowKey(ipProtocol: p.ipProtocol, instance: instance, localPort: 0, peer: peer, remotePort: 0)
        }
    }

    private mutating func judgeFlowPacket(
        _ p: DecodedPacket, frame: Int, _ c: inout Classification, into j: inout Judgement
    ) {
        let direction = c.direction, tracked = c.tracked
        if c.hash == 0 { c.hash = c.flow.fastHash }
        // Only a tracked packet can use an entry: an untracked one needs no lookup at all.
        var slot = tracked ? table.find(c.flow, hash: c.hash) : nil
        // A flow with a live entry has been seen; otherwise this may be its first captured packet.
        // An untracked flow that was untracked under the initial policy too can never have an assumed
        // entry (trackedness holds for the whole flow), so it need not be remembered.
        if slot == nil && !preexistingFromFirstPass && options.assumeEstablished != .none && p.fragment != .later
            && (tracked || c.trackedInitially) && seen.insert(hash: c.hash)
        {
            slot = assumePreexisting(p, flow: c.flow, direction: direction, peer: direction == .inbound ? p.src : p.dst)
            if !tracked { slot = nil }
        }
        j.direction = direction
        j.flow = c.flow
        if !endedFlows.isEmpty && direction == .outbound && endedFlows.contains(c.flow) {
            j.verdict = .dropped
            j.reason = .noSGRule
            return
        }
        // Inbound: the NACL first; a packet it drops never reaches the security group.
        if direction == .inbound, c.naclDenies {
            j.verdict = .dropped
            j.reason = c.naclReason
            j.naclRule = c.naclRule
            return
        }
        judgeAtSecurityGroup(
            p, flow: c.flow, rule: c.rule, tracked: tracked, slot: slot, frame: frame, direction: direction, into: &j)
        // Outbound: the NACL after the SG, which has already created or refreshed the entry.
        if direction == .outbound, j.verdict == .allowedByRule || j.verdict == .allowedByTracking, c.naclDenies {
            j.verdict = .dropped
            j.reason = c.naclReason
            j.naclRule = c.naclRule
        }
    }

    /// SEMANTICS.md 5.3: a rule permits (creating or refreshing a tracked flow's entry), else a live
    /// entry permits, else dropped.
    private mutating func judgeAtSecurityGroup(
        _ p: DecodedPacket, flow: FlowKey, rule: Int32, tracked: Bool, slot found: Int?, frame: Int, direction: Direction,
        into j: inout Judgement
    ) {
        j.verdict = .allowedByRule
        j.reason = .ruleUntracked
        j.rule = rule
        j.tracked = tracked
        if rule >= 0 && !tracked { return }

        if let slot = found {
            let before = timeouts.expiry(of: table[slot])
            table[slot].update(packet: p, direction: direction, time: now)
            let after = timeouts.expiry(of: table[slot])
            // Only a state change to a shorter timeout can move the expiry earlier than its queued check.
            if after < before { table.reschedule(slot, expiry: after) }
            j.entry = Engine.snapshot(slot, table, timeouts)
            if rule >= 0 {
                j.reason = .ruleRefreshedEntry
            } else {
                j.verdict = .allowedByTracking
                j.reason = .trackingEntry
            }
            return
        }
        guard rule >= 0 else {
            j.verdict = .dropped
            j.reason = .noSGRule
            return
        }
        if let max = conntrackMax, table.count >= max {
            statistics.conntrackAllowanceExceeded += 1
            j.verdict = .lostConntrackExhausted
            j.reason = .conntrackFull
            j.occupancy = table.count
            noteLoss(flow, frame: frame)
            return
        }
        let entry = Connection(key: flow, packet: p, direction: direction, time: now, frame: frame, rule: rule)
        let slot = table.insert(entry, created: now, expiry: timeouts.expiry(of: entry))
        noteInsertion()
        j.reason = .ruleNewEntry
        j.entry = Engine.snapshot(slot, table, timeouts)
    }

    private mutating func noteLoss(_ flow: FlowKey, frame: Int) {
        let since = fullSince ?? now
        if fullSince == nil { fullSince = since }
        if exhaustionEpisodes.last?.start.nanoseconds != since || exhaustionEpisodes.last?.end != nil {
            exhaustionEpisodes.append(ExhaustionEpisode(start: Timestamp(nanoseconds: since), firstLostFrame: frame))
            refusedFlows = FlowSet(capacity: 16)
        }
        let i = exhaustionEpisodes.count - 1
        exhaustionEpisodes[i].lostPackets += 1
        exhaustionEpisodes[i].lastLostFrame = frame
        if refusedFlows.insert(flow) { exhaustionEpisodes[i].refusedFlows += 1 }
    }

    private mutating func noteInsertion() {
        statistics.entriesCreated += 1
        if let max = conntrackMax, table.count >= max, fullSince == nil { fullSince = now }
        if table.count > statistics.peakEntries {
            statistics.peakEntries = table.count
            statistics.peakTime = Timestamp(nanoseconds: now)
        }
    }

    /// SEMANTICS.md 5.2: an ICMP error is related to the flow it quotes; with a live entry for that
    /// flow it passes by tracking (neither refreshing nor creating); otherwise the rules judge it as
    /// plain ICMP, and it creates no entry.
    private mutating func judgeICMPError(_ p: DecodedPacket, direction: Direction, peer: IPAddress) -> Judgement {
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
    private func quotedFlow(_ quote: QuotedPacket) -> FlowKey? {
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
        switch quote.ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            guard quote.hasPorts else { return nil }
            return FlowKey(
                ipProtocol: quote.ipProtocol, instance: instance,
                localPort: sentByInstance ? quote.sourcePort : quote.destinationPort, peer: peer,
                remotePort: sentByInstance ? quote.destinationPort : quote.sourcePort)
        case IPProtocol.icmp, IPProtocol.icmpv6:
            return FlowKey(
                ipProtocol: quote.ipProtocol, instance: instance, localPort: quote.hasICMPIdentifier ? quote.icmpIdentifier : 0,
                peer: peer, remotePort: 0)
        default:
            return FlowKey(ipProtocol: quote.ipProtocol, instance: instance, localPort: 0, peer: peer, remotePort: 0)
        }
    }

    // MARK: Fragments (SEMANTICS.md 5.7)

    struct FragmentKey: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var ipProtocol: UInt8
        var id: UInt32
    }

    private mutating func remember(firstFragment p: DecodedPacket, judgement: Judgement) {
        // Fragments of one datagram arrive within seconds; forget ones older than a minute.
        if fragments.count > 4096 {
            let horizon = now - 60_000_000_000
            fragments = fragments.filter { $0.value.time >= horizon }
        }
        var j = judgement
        j.fragmentOfFrame = currentFrame
        fragments[FragmentKey(src: p.src, dst: p.dst, ipProtocol: p.ipProtocol, id: p.fragmentID)] = (j, now)
    }

    private mutating func judgeLaterFragment(_ p: DecodedPacket, direction: Direction, peer: IPAddress) -> Judgement {
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

    // MARK: Flows established before the capture (SEMANTICS.md 5.3, --assume-established)

    /// Whether a flow's first captured packet marks it as established before the capture.
    private static func qualifiesAsPreexisting(_ p: DecodedPacket, _ mode: EngineOptions.AssumeEstablished) -> Bool {
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
    private mutating func assumePreexisting(_ p: DecodedPacket, flow: FlowKey, direction: Direction, peer: IPAddress) -> Int? {
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
        if captureStart == nil { start(at: time.nanoseconds) }
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

    private static func snapshot(_ slot: Int, _ table: ConnectionTable, _ timeouts: TimeoutTable) -> EntrySnapshot {
        let c = table[slot]
        return EntrySnapshot(
            slot: Int32(slot), createdFrame: Int(c.createdFrame), rule: c.rule, state: c.state,
            lastSeen: Timestamp(nanoseconds: c.lastSeen), expires: Timestamp(nanoseconds: timeouts.expiry(of: c)),
            preexisting: c.isPreexisting, originalDirection: c.originalDirection)
    }

    /// When the entry a judgement used was created (read from the table: valid for the judgement
    /// just made, before the next frame is judged).
    public func entryCreated(_ j: Judgement) -> Timestamp? { Engine.entryCreated(j, in: table) }

    static func entryCreated(_ j: Judgement, in table: ConnectionTable) -> Timestamp? {
        guard let e = j.entry, let flow = j.flow else { return nil }
        let slot = Int(e.slot)
        let c = table[slot]
        guard c.slotState == 1, c.key == flow, Int(c.createdFrame) == e.createdFrame else { return nil }
        return Timestamp(nanoseconds: table.createdTime(slot))
    }

    /// A `RuleClock` that starts where this engine stands, for classifying frames ahead of it.
    public func ruleClock() -> RuleClock {
        RuleClock(
            policy: policy, compiled: compiled, initial: initial, registry: registry, options: options,
            timeline: pendingTimeline, edits: edits, editTimes: editTimes, nextEdit: nextEdit,
            captureStart: captureStart, now: now)
    }

    // MARK: In-memory replay (tests)

    /// Replays frames held in memory, with a first pass when the allowance needs one.
    public static func replay(
        _ frames: [(packet: DecodedPacket, time: Timestamp)], policy: LoadedPolicy, options: EngineOptions
    ) -> [Judgement] {
        var engine = Engine(policy: policy, options: options)
        if engine.firstPassHelps {
            for frame in frames { engine.firstPass(frame.packet, time: frame.time) }
            engine.finishFirstPass()
        }
        var out: [Judgement] = []
        out.reserveCapacity(frames.count)
        for (i, frame) in frames.enumerated() {
            out.append(engine.judge(frame.packet, frame: i + 1, time: frame.time))
        }
        return out
    }
}

extension TimeoutTable: Equatable {
    static func == (a: TimeoutTable, b: TimeoutTable) -> Bool {
        (0..<8).allSatisfy { a[Connection.State(rawValue: UInt8($0))!] == b[Connection.State(rawValue: UInt8($0))!] }
    }
}
