import Packets

// Judging: the tracking table's part of a frame's verdict, after classification.
extension Engine {
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
        Engine.classify(p, compiled, initial: initial, editsApplied: clock.editsApplied, into: &c)
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
        // A clock made by `ruleClock()` and given this engine's frames stands on the engine's state
        // at every frame (same timeline, same states, same rule for moving): this never happens
        // then. It does for a classification made under other edits than the engine's: a clock fed
        // other frames, or a frame judged after `finish()` applied the edits left. The engine's own
        // state decides then, as it would without a classification.
        if c.editsApplied != clock.editsApplied {
            framesReclassified += 1
            Engine.classify(p, compiled, initial: initial, editsApplied: clock.editsApplied, into: &c)
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

    mutating func judgeClassified(
        _ p: DecodedPacket, frame: Int, time: Timestamp, _ c: inout Classification, into j: inout Judgement
    ) {
        j = Judgement(verdict: .skipped, reason: .notDecoded)
        judgeAtCurrentTime(p, frame: frame, &c, into: &j)
        j.editsApplied = clock.editsApplied
        liveAfterLastFrame = table.count
        if !editTimes.isEmpty {
            j.timingAmbiguous = Engine.isNearAnEdit(time.nanoseconds, editTimes, clock.editsApplied, options.editUncertainty.nanoseconds)
            if j.verdict == .dropped, let before = beforeEdits {
                j.causedByEdit = Engine.wouldPermit(p, before)
            }
        }
    }

    /// Whether `time` is within `options.editUncertainty` of an edit (either side): AWS applies edits
    /// after a short, undocumented delay, and CloudTrail times have one-second precision.
    // Static: calling a non-mutating method from a mutating one copies the whole engine first.
    static func isNearAnEdit(_ time: Int64, _ editTimes: [Int64], _ nextEdit: Int, _ window: Int64) -> Bool {
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
    static func wouldPermit(_ p: DecodedPacket, _ policy: CompiledPolicy) -> Bool {
        guard p.anomaly == nil, p.fragment != .later else { return false }
        let dstMine = policy.owns(p.dst)
        guard dstMine != policy.owns(p.src) else { return false }
        let direction: Direction = dstMine ? .inbound : .outbound
        let q = Engine.query(p, peer: dstMine ? p.src : p.dst)
        if Engine.naclDenial(direction, q, policy) != nil { return false }
        return policy.firstMatch(direction, q) >= 0
    }

    mutating func judgeAtCurrentTime(
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
                whole.editsApplied = clock.editsApplied
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

    mutating func judgeFlowPacket(
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

    /// docs/semantics.md §5.3: a rule permits (creating or refreshing a tracked flow's entry), else a live
    /// entry permits, else dropped.
    mutating func judgeAtSecurityGroup(
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

    mutating func noteLoss(_ flow: FlowKey, frame: Int) {
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

    mutating func noteInsertion() {
        statistics.entriesCreated += 1
        if let max = conntrackMax, table.count >= max, fullSince == nil { fullSince = now }
        if table.count > statistics.peakEntries {
            statistics.peakEntries = table.count
            statistics.peakTime = Timestamp(nanoseconds: now)
        }
    }

    static func snapshot(_ slot: Int, _ table: ConnectionTable, _ timeouts: TimeoutTable) -> EntrySnapshot {
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
}
