import Firewall
import Packets

/// An independent, deliberately slow and literal model of the behavioural contract (docs/semantics.md), written from the spec alone,
/// to be compared frame by frame with `Firewall.Engine` over random scenarios.
///
///     let verdicts = ReferenceModel.replay(frames, policy: loaded, options: EngineOptions())
///     verdicts[3].verdict    // .allowedByTracking
///     verdicts[3].reason     // "tracking entry tcp 10.0.1.10:22 <-> 203.0.113.1:51514 created +0.000s by …"
///
/// Everything is a linear scan: the rules of the attached groups, the NACL entries sorted by number,
/// a plain dictionary of tracking entries pruned by an explicit expiry scan before every frame and
/// at every edit instant. Nothing is cached, nothing is indexed. Where the spec leaves a point open
/// the most literal reading is taken and marked `// CHOICE:`.
enum ReferenceModel {
    /// Replays frames in order; returns one verdict per frame (and a short reason string for debugging).
    static func replay(
        _ frames: [(packet: DecodedPacket, time: Timestamp)], policy: LoadedPolicy, options: EngineOptions
    ) -> [(verdict: Verdict, reason: String)] {
        var replayer = Replayer(policy: policy, options: options, capture: frames)
        return replayer.feed(frames)
    }

    /// Deliberate mistakes, for checking that the random scenarios are sharp enough to catch a wrong
    /// engine (`DifferentialTests.generatorCatchesMutants`). Empty in every real use.
    struct Mutations: OptionSet, Hashable, Sendable {
        let rawValue: Int
        /// Entries expire only when `now > expiry` (instead of `>=`).
        static let expiryExclusive = Mutations(rawValue: 1 << 0)
        /// An edit at t applies only to packets after t (instead of at and after).
        static let editsStrictlyAfter = Mutations(rawValue: 1 << 1)
        /// Untracked classification tries only the packet's own orientation.
        static let ownOrientationOnly = Mutations(rawValue: 1 << 2)
        /// ICMP errors are judged by the rules only (no related-to-tracking).
        static let noRelatedICMP = Mutations(rawValue: 1 << 3)
        /// The outbound NACL is checked before the SG (a NACL-dropped packet creates no entry).
        static let outboundNACLFirst = Mutations(rawValue: 1 << 4)
        /// The conntrack allowance is ignored.
        static let unlimitedTable = Mutations(rawValue: 1 << 5)
        /// A RST does not move the entry to the 10 s after-RST state.
        static let ignoreRST = Mutations(rawValue: 1 << 6)
        /// UDP always uses the 30 s timeout (no stream).
        static let noUDPStream = Mutations(rawValue: 1 << 7)
        /// Later fragments are always judged protocol-only (never take the first fragment's verdict).
        static let noFragmentMemory = Mutations(rawValue: 1 << 8)
        /// NACL port ranges are matched against the source port.
        static let naclSourcePort = Mutations(rawValue: 1 << 9)
    }

    // MARK: - Keys and entries

    /// docs/semantics.md §5.2. Which fields are set depends on the protocol: TCP/UDP use the ports, ICMP
    /// the identifier, other protocols only the addresses.
    struct FlowKey: Hashable, CustomStringConvertible {
        var proto: UInt8
        var instance: IPAddress
        var peer: IPAddress
        var localPort: UInt16? = nil
        var remotePort: UInt16? = nil
        var icmpIdentifier: UInt16? = nil

        var description: String {
            let name = IPProtocol.name(proto) ?? "proto \(proto)"
            if let l = localPort, let r = remotePort { return "\(name) \(instance):\(l) <-> \(peer):\(r)" }
            if let id = icmpIdentifier { return "\(name) \(instance) <-> \(peer) id \(id)" }
            return "\(name) \(instance) <-> \(peer)"
        }
    }

    enum TCPState: String {
        case notEstablished = "not-established"
        case established
        case closing
        case afterReset = "after-rst"
    }

    struct Entry {
        var key: FlowKey
        /// The direction of the packet that created it ("the initiator" for TCP, "original" for UDP).
        var originalDirection: Direction
        var createdAt: Timestamp
        var createdBy: String
        var lastPermitted: Timestamp
        // TCP
        var tcpState = TCPState.established
        var synAckSeen = false
        var finFromInbound = false
        var finFromOutbound = false
        // UDP
        var udpTransactions = 0
        var udpLastDirection: Direction? = nil
    }

    /// The facts of one frame the model reasons about, after direction is known.
    struct Facts {
        var direction: Direction
        var instance: IPAddress
        var peer: IPAddress
        var proto: UInt8
        var isIPv6: Bool
        /// nil when the packet carries no ports (a later fragment).
        var sourcePort: UInt16?
        var destinationPort: UInt16?
        /// nil when the packet carries no ICMP header (a later fragment, or not ICMP).
        var icmp: (type: UInt8, code: UInt8)?
        var icmpIdentifier: UInt16?
        var tcpFlags: TCPFlags

        var localPort: UInt16? { direction == .inbound ? destinationPort : sourcePort }
        var remotePort: UInt16? { direction == .inbound ? sourcePort : destinationPort }
    }

    struct FragmentKey: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var proto: UInt8
        var id: UInt32
    }

    // MARK: - The replayer (state carried from frame to frame)

    struct Replayer {
        let loaded: LoadedPolicy
        let options: EngineOptions
        let mutations: Mutations
        /// The capture's first frame time (timeline offsets and pre-existing entries start there).
        let firstFrameTime: Timestamp?
        /// Flows that existed before the capture (`--assume-established`), in first-packet order.
        let preExisting: [(key: FlowKey, direction: Direction, rule: String)]

        var policy: Policy
        var pendingEdits: [(time: Timestamp, edit: TimedEdit)]
        var entries: [FlowKey: Entry] = [:]
        var fragments: [FragmentKey: (verdict: Verdict, reason: String)] = [:]
        var started = false
        var frameIndex = 0

        /// `capture` is the whole capture: the timeline's relative times and the pre-existing flows
        /// are found from it (the engine has to read ahead for the latter too); `feed` may then be
        /// given it in any number of consecutive chunks.
        init(policy loaded: LoadedPolicy, options: EngineOptions, capture: [(packet: DecodedPacket, time: Timestamp)],
             mutations: Mutations = []) {
            self.loaded = loaded
            self.options = options
            self.mutations = mutations
            self.policy = loaded.policy
            // CHOICE: "the first packet" for relative edit times is the first frame of the capture,
            // whatever its verdict (even a skipped one).
            firstFrameTime = capture.first?.time
            if let t0 = firstFrameTime {
                pendingEdits = loaded.timeline.resolved(firstFrame: t0).edits.map { edit in
                    guard case .absolute(let t) = edit.time else { fatalError("resolved timeline has a relative time") }
                    return (t, edit)
                }
            } else {
                pendingEdits = []
            }
            preExisting = Replayer.findPreExisting(capture, loaded: loaded, options: options, mutations: mutations)
        }

        mutating func feed(_ frames: [(packet: DecodedPacket, time: Timestamp)]) -> [(verdict: Verdict, reason: String)] {
            var out: [(verdict: Verdict, reason: String)] = []
            for frame in frames {
                out.append(step(frame.packet, at: frame.time))
                frameIndex += 1
            }
            return out
        }

        // MARK: Time: edits and expiry

        /// Applies every edit due at or before `now` (each after expiring entries up to its instant),
        /// then expires entries at `now`.
        mutating func advance(to now: Timestamp) {
            while let next = pendingEdits.first,
                mutations.contains(.editsStrictlyAfter) ? next.time < now : next.time <= now
            {
                // CHOICE: at an edit's instant, entries whose expiry (under the values in force before
                // the edit) is at or before that instant are already gone: a timeout change only
                // affects entries still live at the edit.
                expire(at: next.time)
                policy.apply(next.edit)
                pendingEdits.removeFirst()
            }
            expire(at: now)
        }

        mutating func expire(at now: Timestamp) {
            for (key, entry) in entries {
                let expiry = entry.lastPermitted + timeout(of: entry)
                let expired = mutations.contains(.expiryExclusive) ? now > expiry : now >= expiry
                if expired { entries[key] = nil }
            }
        }

        func timeout(of entry: Entry) -> Packets.Interval {
            let aws = policy.tracking.timeouts
            switch entry.key.proto {
            case IPProtocol.tcp:
                switch entry.tcpState {
                case .notEstablished: return options.timeouts.tcpNotEstablished
                case .established: return options.tcpEstablishedOverride ?? aws.tcpEstablished
                case .closing: return options.timeouts.tcpClosing
                case .afterReset: return options.timeouts.tcpAfterReset
                }
            case IPProtocol.udp:
                if entry.udpTransactions >= 2 && !mutations.contains(.noUDPStream) {
                    return options.udpStreamOverride ?? aws.udpStream
                }
                return options.udpOverride ?? aws.udp
            case IPProtocol.icmp, IPProtocol.icmpv6:
                return options.timeouts.icmp
            default:
                return options.timeouts.other
            }
        }

        /// `+1.500000000s` after the first frame, for reasons.
        func offset(_ t: Timestamp) -> String {
            let d = t.nanoseconds - (firstFrameTime?.nanoseconds ?? 0)
            let m = d.magnitude, frac = String(m % 1_000_000_000)
            return "\(d < 0 ? "-" : "+")\(m / 1_000_000_000).\(String(repeating: "0", count: 9 - frac.count))\(frac)s"
        }

        var allowance: Int? {
            if mutations.contains(.unlimitedTable) { return nil }
            return options.conntrackMax ?? policy.tracking.conntrackMax
        }

        var tableIsFull: Bool {
            guard let max = allowance else { return false }
            return entries.count >= max
        }

        // MARK: One frame

        mutating func step(_ packet: DecodedPacket, at now: Timestamp) -> (verdict: Verdict, reason: String) {
            advance(to: now)
            if !started {
                started = true
                createPreExistingEntries()
            }

            if let anomaly = packet.anomaly { return (.skipped, "\(anomaly)") }
            let instance = policy.instance
            let inbound = instance.owns(packet.dst), outbound = instance.owns(packet.src)
            if inbound == outbound {
                return (.skipped, inbound ? "both endpoints are the instance" : "not-instance: neither endpoint is the instance")
            }
            // CHOICE: DHCP is recognised by its ports only, so a later fragment (no ports) is never DHCP.
            if let why = Replayer.exemption(packet, policy: policy, options: options) { return (.skipped, "aws-exempt: \(why)") }

            let fragmentKey = FragmentKey(src: packet.src, dst: packet.dst, proto: packet.ipProtocol, id: packet.fragmentID)
            if packet.fragment == .later {
                // CHOICE: a later fragment takes the verdict of the most recent earlier first fragment
                // with the same (src, dst, proto, id) and has no other effect: the datagram was judged
                // once, at its first fragment (like conntrack after reassembly), so it neither creates
                // nor refreshes an entry. The memory of first fragments never expires.
                if !mutations.contains(.noFragmentMemory), let first = fragments[fragmentKey] {
                    return (first.verdict, "later fragment: verdict of its first fragment (\(first.reason))")
                }
                let facts = Replayer.facts(of: packet, inbound: inbound, portsAndICMP: false)
                let keyNeedsHeader = [IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6].contains(facts.proto)
                let result = keyNeedsHeader ? judgeOrphanFragment(facts) : judge(facts, packet: packet, at: now)
                return (result.verdict, "later fragment without a first fragment, judged on the protocol only: \(result.reason)")
            }

            let facts = Replayer.facts(of: packet, inbound: inbound, portsAndICMP: true)
            let result = judge(facts, packet: packet, at: now)
            if packet.fragment == .first { fragments[fragmentKey] = result }
            return result
        }

        /// docs/semantics.md §3: inbound NACL → SG; outbound SG → NACL.
        mutating func judge(_ f: Facts, packet: DecodedPacket, at now: Timestamp) -> (verdict: Verdict, reason: String) {
            if f.direction == .inbound {
                if let deny = naclDenial(f) { return (.dropped, deny) }
                return securityGroupStage(f, packet: packet, at: now)
            }
            if mutations.contains(.outboundNACLFirst), let deny = naclDenial(f) { return (.dropped, deny) }
            let sg = securityGroupStage(f, packet: packet, at: now)
            guard sg.verdict == .allowedByRule || sg.verdict == .allowedByTracking else { return sg }
            // An outbound packet permitted by the SG has already created or refreshed its entry.
            if let deny = naclDenial(f) { return (.dropped, "\(deny) (after the SG: \(sg.reason))") }
            return sg
        }

        /// CHOICE: a TCP, UDP, ICMP or ICMPv6 later fragment with no earlier first fragment is judged
        /// by the rules alone, on its protocol (rules restricting ports or ICMP type/code cannot match
        /// it, for the SG and the NACL alike); it is never matched to a tracking entry (its flow key
        /// needs the ports or identifier it lacks), and creates or refreshes none. A later fragment of
        /// any other protocol has its whole flow key (protocol and addresses) and is judged like any
        /// packet, tracking included.
        func judgeOrphanFragment(_ f: Facts) -> (verdict: Verdict, reason: String) {
            if f.direction == .inbound, let deny = naclDenial(f) { return (.dropped, deny) }
            guard let rule = firstPermittingRule(f) else { return (.dropped, "no-sg-rule") }
            if f.direction == .outbound, let deny = naclDenial(f) { return (.dropped, deny) }
            return (.allowedByRule, "rule \(rule)")
        }

        /// docs/semantics.md §5.3: rule (create/refresh, or lost), else live entry (refresh), else dropped.
        mutating func securityGroupStage(_ f: Facts, packet: DecodedPacket, at now: Timestamp)
            -> (verdict: Verdict, reason: String)
        {
            let rule = firstPermittingRule(f)

            // ICMP errors: related to the flow they quote (docs/semantics.md §5.2 [choice]).
            if Replayer.isICMPError(packet) {
                if !mutations.contains(.noRelatedICMP), let quoted = Replayer.quotedFlowKey(packet, instance: policy.instance),
                    let entry = entries[quoted]
                {
                    return (.allowedByTracking, "icmp error related to tracked \(entry.key) (not refreshed)")
                }
                if let rule { return (.allowedByRule, "rule \(rule) (icmp error, no entry created)") }
                return (.dropped, "no-sg-rule (icmp error)")
            }

            let key = Replayer.flowKey(f)
            let untracked = isUntracked(f)
            if let rule {
                if untracked { return (.allowedByRule, "rule \(rule) (untracked)") }
                if entries[key] != nil {
                    refresh(key, f, at: now)
                    return (.allowedByRule, "rule \(rule) (refreshes \(key))")
                }
                if tableIsFull {
                    return (.lostConntrackExhausted, "conntrack-max \(allowance ?? -1) live entries: no room for \(key)")
                }
                create(key, f, at: now, by: rule)
                return (.allowedByRule, "rule \(rule) (creates \(key))")
            }
            if let entry = entries[key] {
                // (An untracked packet always has a permitting rule, so this is a tracked flow.)
                let reason = "tracking entry \(key) created \(offset(entry.createdAt)) by \(entry.createdBy), "
                    + "last packet \(offset(entry.lastPermitted)), \(entry.key.proto == IPProtocol.tcp ? "\(entry.tcpState.rawValue), " : "")"
                    + "would expire \(offset(entry.lastPermitted + timeout(of: entry)))"
                refresh(key, f, at: now)
                return (.allowedByTracking, reason)
            }
            return (.dropped, "no-sg-rule")
        }

        // MARK: Entries

        mutating func create(_ key: FlowKey, _ f: Facts, at now: Timestamp, by rule: String) {
            var entry = Entry(key: key, originalDirection: f.direction, createdAt: now, createdBy: rule, lastPermitted: now)
            if key.proto == IPProtocol.tcp {
                // docs/semantics.md §5.4: SYN (no ACK) → not yet established; RST → after RST; any other
                // first packet (loose pickup, SYN-ACK included) → established.
                if f.tcpFlags.contains(.rst) && !mutations.contains(.ignoreRST) {
                    entry.tcpState = .afterReset
                } else if f.tcpFlags.contains(.syn) && !f.tcpFlags.contains(.ack) {
                    entry.tcpState = .notEstablished
                } else {
                    entry.tcpState = .established
                }
                // CHOICE: a FIN on the packet that creates the entry counts as that side's FIN.
                if f.tcpFlags.contains(.fin) && entry.tcpState != .afterReset { Replayer.recordFIN(&entry, f) }
            }
            if key.proto == IPProtocol.udp { entry.udpLastDirection = f.direction }
            entries[key] = entry
        }

        mutating func refresh(_ key: FlowKey, _ f: Facts, at now: Timestamp) {
            guard var entry = entries[key] else { return }
            // CHOICE: capture order is the truth: the idle timer restarts at this packet's time even
            // if a timestamp runs backwards.
            entry.lastPermitted = now
            if key.proto == IPProtocol.tcp { Replayer.advanceTCP(&entry, f, mutations: mutations) }
            if key.proto == IPProtocol.udp {
                // CHOICE: a transaction completes when a reply-direction packet's previous permitted
                // packet of the flow (either direction) was in the original direction; reply, reply
                // completes nothing more.
                if f.direction != entry.originalDirection && entry.udpLastDirection == entry.originalDirection {
                    entry.udpTransactions += 1
                }
                entry.udpLastDirection = f.direction
            }
            entries[key] = entry
        }

        /// The TCP state machine of docs/semantics.md §5.4, applied to a permitted packet of an existing entry.
        static func advanceTCP(_ entry: inout Entry, _ f: Facts, mutations: Mutations) {
            let flags = f.tcpFlags
            // RST is sticky: later packets only refresh the 10 s timer.
            if entry.tcpState == .afterReset { return }
            if flags.contains(.rst) && !mutations.contains(.ignoreRST) {
                entry.tcpState = .afterReset
                return
            }
            if entry.tcpState == .notEstablished {
                let fromInitiator = f.direction == entry.originalDirection
                if !fromInitiator && flags.contains(.syn) && flags.contains(.ack) {
                    entry.synAckSeen = true
                } else if fromInitiator && entry.synAckSeen && flags.contains(.ack) && !flags.contains(.syn) {
                    // CHOICE: any packet from the initiator with ACK (and no SYN) after the SYN-ACK
                    // completes the handshake, data and FIN included.
                    entry.tcpState = .established
                }
            }
            // CHOICE: closing is reached from any state but after-RST (also before the handshake
            // completed) and is sticky: no later packet reopens the entry; likewise a SYN seen on an
            // established entry changes nothing (no port-reuse detection).
            if entry.tcpState != .closing {
                let otherSideSentFIN = f.direction == .inbound ? entry.finFromOutbound : entry.finFromInbound
                if flags.contains(.ack) && otherSideSentFIN { entry.tcpState = .closing }
            }
            if flags.contains(.fin) { recordFIN(&entry, f) }
        }

        static func recordFIN(_ entry: inout Entry, _ f: Facts) {
            if f.direction == .inbound { entry.finFromInbound = true } else { entry.finFromOutbound = true }
            if entry.finFromInbound && entry.finFromOutbound { entry.tcpState = .closing }
        }

        // MARK: --assume-established

        /// The flows whose first captured packet says they were established before the capture,
        /// judged under the initial policy (before any edit), in the order of those first packets.
        static func findPreExisting(
            _ capture: [(packet: DecodedPacket, time: Timestamp)], loaded: LoadedPolicy, options: EngineOptions,
            mutations: Mutations
        ) -> [(key: FlowKey, direction: Direction, rule: String)] {
            guard options.assumeEstablished != .none else { return [] }
            let initial = loaded.policy
            // A throwaway replayer whose policy is the initial one, to reuse rule matching.
            var judge = Replayer(bare: loaded, options: options, mutations: mutations)
            judge.policy = initial
            var seen = Set<FlowKey>()
            var result: [(key: FlowKey, direction: Direction, rule: String)] = []
            for (packet, _) in capture {
                // The flows' packets: decoded, to or from the instance, not exempt, carrying a flow key.
                // CHOICE: later fragments and ICMP errors are no flow's "first packet" (errors never
                // create entries; later fragments have no ports).
                guard packet.anomaly == nil else { continue }
                let inbound = initial.instance.owns(packet.dst), outbound = initial.instance.owns(packet.src)
                guard inbound != outbound, exemption(packet, policy: initial, options: options) == nil,
                    packet.fragment != .later, !isICMPError(packet)
                else { continue }
                let f = facts(of: packet, inbound: inbound, portsAndICMP: true)
                let key = flowKey(f)
                guard seen.insert(key).inserted else { continue }
                let midStream: Bool
                if f.proto == IPProtocol.tcp {
                    // "not a SYN (SYN flag without ACK)"
                    midStream = !(f.tcpFlags.contains(.syn) && !f.tcpFlags.contains(.ack))
                } else {
                    // CHOICE: with `all`, a non-TCP flow's first packet always counts as mid-stream
                    // (nothing tells an opening packet apart).
                    midStream = options.assumeEstablished == .all
                }
                guard midStream else { continue }
                // CHOICE: only the initial SG rules are consulted (not the NACL), as the spec says.
                guard let rule = judge.firstPermittingRule(f), !judge.isUntracked(f) else { continue }
                result.append((key, f.direction, rule))
            }
            return result
        }

        /// A replayer shell without a capture (for judging under a given policy).
        private init(bare loaded: LoadedPolicy, options: EngineOptions, mutations: Mutations) {
            self.loaded = loaded
            self.options = options
            self.mutations = mutations
            self.policy = loaded.policy
            self.firstFrameTime = nil
            self.pendingEdits = []
            self.preExisting = []
        }

        mutating func createPreExistingEntries() {
            guard let t0 = firstFrameTime else { return }
            for flow in preExisting {
                // CHOICE: pre-existing entries are admitted in the order of their flows' first packets
                // while the allowance has room; a flow that does not fit has no pre-existing entry.
                if tableIsFull { break }
                var entry = Entry(
                    key: flow.key, originalDirection: flow.direction, createdAt: t0,
                    createdBy: "assume-established (\(flow.rule), initial policy)", lastPermitted: t0)
                entry.tcpState = .established
                // CHOICE: its original direction (TCP initiator, UDP request side) is the direction of
                // the flow's first captured packet, and a pre-existing UDP entry has seen no packet yet
                // (no transaction): that first packet then refreshes it like any other.
                entries[flow.key] = entry
            }
        }

        // MARK: Matching

        /// The first rule in force (attached groups, in order) that permits the packet in its direction.
        func firstPermittingRule(_ f: Facts) -> String? {
            let direction: RuleDirection = f.direction == .inbound ? .ingress : .egress
            for group in policy.attachedGroups {
                for rule in group.rules where rule.direction == direction {
                    if peerMatches(rule.peer, f.peer) && Replayer.traffic(rule.traffic, matches: f) {
                        return rule.description
                    }
                }
            }
            return nil
        }

        func peerMatches(_ peer: Peer, _ address: IPAddress) -> Bool {
            guard let blocks = policy.cidrs(of: peer) else { return false }
            return blocks.contains { $0.contains(address) }
        }

        /// Traffic matching for SG rules and NACL entries: ports are the packet's destination port.
        /// Without ports or ICMP header (a later fragment), only rules that do not restrict them match.
        static func traffic(_ traffic: Traffic, matches f: Facts, naclSourcePort: Bool = false) -> Bool {
            let port = naclSourcePort ? f.sourcePort : f.destinationPort
            switch traffic {
            case .all:
                return true
            case .tcp(let ports):
                return f.proto == IPProtocol.tcp && (port.map(ports.contains) ?? ports.isAll)
            case .udp(let ports):
                return f.proto == IPProtocol.udp && (port.map(ports.contains) ?? ports.isAll)
            case .icmp(let types):
                return f.proto == IPProtocol.icmp && icmp(types, matches: f.icmp)
            case .icmpv6(let types):
                return f.proto == IPProtocol.icmpv6 && icmp(types, matches: f.icmp)
            case .protocolNumber(let n):
                return f.proto == n
            }
        }

        static func icmp(_ types: ICMPTypeCode, matches message: (type: UInt8, code: UInt8)?) -> Bool {
            guard let type = types.type else { return true }
            guard let message else { return false }
            return message.type == type && (types.code == nil || types.code == message.code)
        }

        /// docs/semantics.md §5.1: TCP/UDP, either orientation has a literal all-addresses request rule and
        /// an all-ports all-addresses response rule, and the peer is not automatically tracked.
        func isUntracked(_ f: Facts) -> Bool {
            guard f.proto == IPProtocol.tcp || f.proto == IPProtocol.udp else { return false }
            if options.trackAllPeers || policy.tracking.trackAllPeers { return false }
            let autoTracked = options.automaticallyTrackedPeers + policy.tracking.automaticallyTrackedPeers
            if autoTracked.contains(where: { $0.contains(f.peer) }) { return false }
            let orientations = mutations.contains(.ownOrientationOnly) ? [false] : [false, true]
            for swapped in orientations {
                let requestDirection: RuleDirection = (f.direction == .inbound) != swapped ? .ingress : .egress
                let responseDirection: RuleDirection = requestDirection == .ingress ? .egress : .ingress
                // The request packet: the packet itself, or the packet with source and destination swapped.
                var request = f
                if swapped {
                    request.direction = f.direction == .inbound ? .outbound : .inbound
                    request.sourcePort = f.destinationPort
                    request.destinationPort = f.sourcePort
                }
                let rules = policy.rulesInForce(requestDirection)
                let requestRule = rules.contains { rule in
                    isLiteralAllAddresses(rule.peer, ipv6: f.isIPv6) && Replayer.traffic(rule.traffic, matches: request)
                }
                let responseRule = policy.rulesInForce(responseDirection).contains { rule in
                    guard isLiteralAllAddresses(rule.peer, ipv6: f.isIPv6) else { return false }
                    switch rule.traffic {
                    case .all: return true
                    case .tcp(let ports): return f.proto == IPProtocol.tcp && ports.isAll
                    case .udp(let ports): return f.proto == IPProtocol.udp && ports.isAll
                    default: return false
                    }
                }
                if requestRule && responseRule { return true }
            }
            return false
        }

        /// CHOICE (docs/semantics.md §5.1): only a rule whose peer is the CIDR 0.0.0.0/0 (for IPv4 packets)
        /// or ::/0 (IPv6) counts; prefix lists and referenced groups never do, whatever they hold.
        func isLiteralAllAddresses(_ peer: Peer, ipv6: Bool) -> Bool {
            guard case .cidr(let block) = peer else { return false }
            return block.isAllAddresses && block.network.isIPv6 == ipv6
        }

        /// nil when the NACL lets the packet through; otherwise the reason it is dropped.
        func naclDenial(_ f: Facts) -> String? {
            guard let acl = policy.activeNetworkACL else { return nil }  // none configured: allow all
            if policy.instance.subnetCIDRs.contains(where: { $0.contains(f.peer) }) { return nil }
            let direction: RuleDirection = f.direction == .inbound ? .ingress : .egress
            for entry in acl.entries(direction) {
                // CHOICE: a NACL entry's port range is matched against the packet's destination port
                // in both directions (like the SG rules), and its CIDR against the peer.
                guard entry.cidr.contains(f.peer),
                    Replayer.traffic(entry.traffic, matches: f, naclSourcePort: mutations.contains(.naclSourcePort))
                else { continue }
                return entry.action == .allow ? nil : "nacl-deny:\(entry.ruleNumber)"
            }
            return "nacl-default-deny"
        }

        // MARK: Packet facts (static helpers)

        static func facts(of packet: DecodedPacket, inbound: Bool, portsAndICMP: Bool) -> Facts {
            let hasPorts = portsAndICMP && packet.hasPorts
            let hasICMP = portsAndICMP && packet.hasICMP
            return Facts(
                direction: inbound ? .inbound : .outbound,
                instance: inbound ? packet.dst : packet.src,
                peer: inbound ? packet.src : packet.dst,
                proto: packet.ipProtocol,
                isIPv6: packet.isIPv6,
                sourcePort: hasPorts ? packet.sourcePort : nil,
                destinationPort: hasPorts ? packet.destinationPort : nil,
                icmp: hasICMP ? (packet.icmpType, packet.icmpCode) : nil,
                icmpIdentifier: hasICMP && packet.hasICMPIdentifier ? packet.icmpIdentifier : nil,
                tcpFlags: packet.tcpFlags)
        }

        static func flowKey(_ f: Facts) -> FlowKey {
            var key = FlowKey(proto: f.proto, instance: f.instance, peer: f.peer)
            switch f.proto {
            case IPProtocol.tcp, IPProtocol.udp:
                key.localPort = f.localPort
                key.remotePort = f.remotePort
            case IPProtocol.icmp, IPProtocol.icmpv6:
                // CHOICE: ICMP messages that are neither errors nor identifier-keyed queries (redirect,
                // router/neighbour discovery, …) share one entry per (protocol, instance, peer).
                key.icmpIdentifier = f.icmpIdentifier
            default:
                break
            }
            return key
        }

        static func isICMPError(_ packet: DecodedPacket) -> Bool {
            guard packet.hasICMP, packet.ipProtocol == IPProtocol.icmp || packet.ipProtocol == IPProtocol.icmpv6 else {
                return false
            }
            return ICMPKind.isError(type: packet.icmpType, v6: packet.ipProtocol == IPProtocol.icmpv6)
        }

        /// The flow key of the packet an ICMP error quotes; nil when the quote is missing, names no
        /// (or both) instance address, or is TCP/UDP without ports.
        /// CHOICE: the quoted flow is keyed exactly like a packet of that flow (its instance address is
        /// whichever quoted endpoint is the instance's, whatever the error's own addresses); a quote
        /// that cannot give a key relates to nothing and the error is judged by the rules.
        static func quotedFlowKey(_ packet: DecodedPacket, instance: Instance) -> FlowKey? {
            let q = packet.quoted
            guard q.isPresent else { return nil }
            let srcIsInstance = instance.owns(q.src), dstIsInstance = instance.owns(q.dst)
            guard srcIsInstance != dstIsInstance else { return nil }
            let outbound = srcIsInstance
            var key = FlowKey(proto: q.ipProtocol, instance: outbound ? q.src : q.dst, peer: outbound ? q.dst : q.src)
            switch q.ipProtocol {
            case IPProtocol.tcp, IPProtocol.udp:
                guard q.hasPorts else { return nil }
                key.localPort = outbound ? q.sourcePort : q.destinationPort
                key.remotePort = outbound ? q.destinationPort : q.sourcePort
            case IPProtocol.icmp, IPProtocol.icmpv6:
                key.icmpIdentifier = q.hasICMPIdentifier ? q.icmpIdentifier : nil
            default:
                break
            }
            return key
        }

        /// docs/semantics.md §5.6: link-local services, DHCP, and the exempt CIDRs. nil: not exempt.
        static func exemption(_ packet: DecodedPacket, policy: Policy, options: EngineOptions) -> String? {
            // CHOICE: "to or from" — either endpoint counts, for the built-in addresses and the
            // exempt CIDRs alike.
            for address in [packet.src, packet.dst] where AWSExempt.addresses.contains(address) {
                return "link-local service \(address)"
            }
            if packet.ipProtocol == IPProtocol.udp && packet.hasPorts
                && (AWSExempt.dhcpPorts.contains(packet.sourcePort) || AWSExempt.dhcpPorts.contains(packet.destinationPort))
            {
                return "dhcp"
            }
            for block in options.exemptCIDRs + policy.tracking.exemptCIDRs {
                if block.contains(packet.src) || block.contains(packet.dst) { return "exempt block \(block)" }
            }
            return nil
        }
    }
}
