import Firewall
import Packets
import TestSupport

/// SplitMix64: a tiny, fast, well-mixed generator. The same seed gives the same scenario on every
/// machine and every run (nothing here reads the clock or the system's random source).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<n, n > 0.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    /// A uniform Double in [a, b).
    mutating func real(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(next() >> 11) / Double(1 << 53) }
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        if a.count < 2 { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
        return a
    }
}

/// One random scenario: a capture, the policy with its timeline, and the options.
struct Scenario: Sendable {
    var seed: UInt64
    var frames: [(packet: DecodedPacket, time: Timestamp)]
    var policy: LoadedPolicy
    var options: EngineOptions
    /// One line per frame, for reports.
    var frameSummaries: [String]

    var firstTime: Timestamp { frames.first?.time ?? Timestamp(nanoseconds: 0) }

    /// `+12.345000000s` relative to the first frame.
    func offset(_ t: Timestamp) -> String {
        let d = t.nanoseconds - firstTime.nanoseconds
        let sign = d < 0 ? "-" : "+"
        let m = d.magnitude
        let frac = String(m % 1_000_000_000)
        return "\(sign)\(m / 1_000_000_000).\(String(repeating: "0", count: 9 - frac.count))\(frac)s"
    }

    /// The whole scenario in text: policy, timeline, options, and (around `focus`, or all) frames.
    func summary(focus: Int? = nil, context: Int = 40) -> String {
        var out: [String] = ["scenario seed \(seed) (reproduce: SGREPLAY_DIFF_SEED=\(seed) swift test --filter DifferentialTests)"]
        let p = policy.policy
        out.append("instance: \(p.instance.addresses.map { "\($0.address)" }.joined(separator: ", ")); subnets: \(p.instance.subnetCIDRs.map(\.description).joined(separator: ", ")); groups: \(p.instance.groupIDs.joined(separator: ", "))")
        for group in p.securityGroups {
            out.append("  \(group.id)\(p.instance.groupIDs.contains(group.id) ? " (attached)" : ""):")
            for rule in group.rules { out.append("    \(rule)") }
        }
        if !p.prefixLists.isEmpty {
            out.append("  prefix lists: " + p.prefixLists.keys.sorted().map { "\($0)=\(p.prefixLists[$0]!.map(\.description))" }.joined(separator: " "))
        }
        if !p.groupMembers.isEmpty {
            out.append("  group members: " + p.groupMembers.keys.sorted().map { "\($0)=\(p.groupMembers[$0]!.map(\.description))" }.joined(separator: " "))
        }
        for acl in p.networkACLs {
            out.append("  \(acl.id)\(p.networkACLID == acl.id ? " (active)" : ""):")
            for direction in RuleDirection.allCases {
                for entry in acl.entries(direction) { out.append("    \(entry)") }
            }
        }
        out.append("  tracking: \(p.tracking.timeouts); conntrack-max \(p.tracking.conntrackMax.map(String.init) ?? "unlimited"); auto-tracked \(p.tracking.automaticallyTrackedPeers)\(p.tracking.trackAllPeers ? " (all)" : ""); exempt \(p.tracking.exemptCIDRs)")
        out.append("timeline (\(policy.timeline.count) edits):")
        for edit in policy.timeline.resolved(firstFrame: firstTime).edits {
            if case .absolute(let t) = edit.time { out.append("  \(offset(t)) \(edit.edit)") }
        }
        let o = options
        out.append("options: assume-established \(o.assumeEstablished.rawValue); conntrack-max \(o.conntrackMax.map(String.init) ?? "-"); overrides tcp-established \(o.tcpEstablishedOverride.map { "\($0.nanoseconds / 1_000_000_000)" } ?? "-") udp \(o.udpOverride.map { "\($0.nanoseconds / 1_000_000_000)" } ?? "-") udp-stream \(o.udpStreamOverride.map { "\($0.nanoseconds / 1_000_000_000)" } ?? "-"); other timeouts not-established \(o.timeouts.tcpNotEstablished.nanoseconds / 1_000_000_000) closing \(o.timeouts.tcpClosing.nanoseconds / 1_000_000_000) after-rst \(o.timeouts.tcpAfterReset.nanoseconds / 1_000_000_000) icmp \(o.timeouts.icmp.nanoseconds / 1_000_000_000) other \(o.timeouts.other.nanoseconds / 1_000_000_000); exempt \(o.exemptCIDRs); auto-tracked \(o.automaticallyTrackedPeers)\(o.trackAllPeers ? " (all)" : "")")
        out.append("frames (\(frames.count)):")
        let range: Range<Int> = focus.map { max(0, $0 - context)..<min(frames.count, $0 + 3) } ?? 0..<frames.count
        for i in range {
            out.append("  \(i == focus ? ">" : " ")#\(i) \(offset(frames[i].time)) \(frameSummaries[i])")
        }
        return out.joined(separator: "\n")
    }
}

/// Builds random scenarios from a seed (see `make(seed:)`).
///
///     let scenario = ScenarioGenerator.make(seed: 42)
///     ReferenceModel.replay(scenario.frames, policy: scenario.policy, options: scenario.options)
enum ScenarioGenerator {
    static let t0Seconds: Int64 = 1_700_000_000

    static func make(seed: UInt64) -> Scenario {
        var g = Generator(seed: seed)
        return g.build()
    }

    // Addresses used by every scenario.
    static let instance4 = "10.0.1.10", secondary4 = "10.0.1.11", public4 = "54.240.0.10", instance6 = "2001:db8:1::10"
    static let peers4 = ["203.0.113.1", "203.0.113.2", "198.51.100.7", "8.8.8.8", "192.0.2.50", "10.0.1.20", "10.0.2.30"]
    static let peers6 = ["2001:db8:2::1", "2001:db8:2::2", "2001:db8:1::20", "2600::5"]
    static let router4 = "192.0.2.254", router6 = "2001:db8:ffff::1"

    struct Flow {
        var steps: [FrameKit.Frame]
        var next = 0
        var last: Int64? = nil
        var kind: String
        /// Step index → an idle length to leave before it (measured from the flow's previous packet).
        var pauses: [Int: Int64] = [:]
        var done: Bool { next >= steps.count }
    }

    struct Generator {
        var rng: SplitMix64
        let seed: UInt64
        var ruleCounter = 0
        var policy = Policy()
        var options = EngineOptions()
        var instanceAddresses: [String] = []
        var peers: [String] = []
        var hasV6 = false
        /// Idle lengths worth landing on exactly (seconds).
        var thresholds: [Double] = [10, 30, 60, 120, 180, 600]
        /// The timeouts in force per flow kind ("tcp", "udp", "icmp", "other").
        var kindThresholds: [String: [Double]] = [:]

        var frames: [(packet: DecodedPacket, time: Timestamp)] = []
        var summaries: [String] = []
        /// Frames to or from the instance that an ICMP error may quote.
        var quotable: [FrameKit.Frame] = []
        var now: Int64 = 0  // nanoseconds after t0

        init(seed: UInt64) {
            self.seed = seed
            rng = SplitMix64(seed: seed ^ 0x5eed_5eed_5eed_5eed)
        }

        mutating func build() -> Scenario {
            makeInstance()
            makeGroups()
            makeNACL()
            makeTracking()
            makeTraffic()
            let timeline = makeTimeline()
            let loaded = LoadedPolicy(policy: policy, timeline: Timeline(timeline))
            return Scenario(seed: seed, frames: frames, policy: loaded, options: options, frameSummaries: summaries)
        }

        // MARK: Instance and policy

        mutating func makeInstance() {
            instanceAddresses = [ScenarioGenerator.instance4]
            if rng.chance(0.3) { instanceAddresses.append(ScenarioGenerator.secondary4) }
            if rng.chance(0.2) { instanceAddresses.append(ScenarioGenerator.public4) }
            hasV6 = rng.chance(0.4)
            if hasV6 { instanceAddresses.append(ScenarioGenerator.instance6) }
            var subnets: [String] = []
            if rng.chance(0.7) {
                subnets.append("10.0.1.0/24")
                if hasV6 { subnets.append("2001:db8:1::/64") }
            }
            peers = rng.shuffled(ScenarioGenerator.peers4).prefix(rng.int(2...4)).map { $0 }
            if hasV6 { peers += rng.shuffled(ScenarioGenerator.peers6).prefix(rng.int(1...2)) }
            policy.instance = PolicyKit.instance(instanceAddresses, subnets: subnets, groups: [])
            policy.prefixLists = [
                "pl-1": [PolicyKit.cidr("203.0.113.0/24"), PolicyKit.cidr("2001:db8:2::/48")],
                "pl-2": [PolicyKit.cidr("192.0.2.0/24"), PolicyKit.cidr("8.8.8.8/32")],
                "pl-all": [PolicyKit.cidr("0.0.0.0/0"), PolicyKit.cidr("::/0")],
            ]
            policy.groupMembers = ["sg-ref": [PolicyKit.address("10.0.2.30"), PolicyKit.address("198.51.100.7")]]
        }

        mutating func randomTraffic() -> Traffic {
            switch rng.below(22) {
            case 0, 1: return .tcp(PortRange(UInt16(rng.pick([22, 80, 443, 8080]))))
            case 2: return .tcp(PortRange(1024, 65535)!)
            case 3: return .tcp(.all)
            case 4: return .tcp(PortRange(20, 25)!)
            case 5: return .udp(PortRange(UInt16(rng.pick([53, 123, 500]))))
            case 6: return .udp(.all)
            case 7: return .udp(PortRange(1024, 65535)!)
            case 8: return .icmp(.any)
            case 9: return .icmp(ICMPTypeCode(type: 8, code: nil))
            case 10: return .icmp(ICMPTypeCode(type: 0, code: nil))
            case 11: return .icmp(ICMPTypeCode(type: 3, code: rng.chance(0.5) ? 3 : nil))
            case 12: return .icmp(ICMPTypeCode(type: 11, code: 0))
            case 13: return .icmpv6(.any)
            case 14: return .icmpv6(ICMPTypeCode(type: rng.pick([128, 129, 1]), code: nil))
            case 15, 16, 17: return .all
            case 18: return .protocolNumber(47)
            case 19: return .protocolNumber(50)
            case 20: return .tcp(PortRange(UInt16(rng.pick([22, 80, 443]))))
            default: return .udp(PortRange(UInt16(rng.pick([53, 5000]))))
            }
        }

        mutating func randomPeerText() -> String {
            switch rng.below(20) {
            case 0, 1, 2, 3, 4: return "0.0.0.0/0"
            case 5, 6: return hasV6 || rng.chance(0.3) ? "::/0" : "0.0.0.0/0"
            case 7, 8, 9: return rng.pick(peers)
            case 10: return "203.0.113.0/24"
            case 11: return "198.51.100.0/24"
            case 12: return "10.0.0.0/16"
            case 13: return "2001:db8:2::/64"
            case 14: return "pl-1"
            case 15: return "pl-2"
            case 16: return "pl-all"
            case 17: return rng.chance(0.5) ? "pl-missing" : "sg-missing"
            default: return "sg-ref"
            }
        }

        mutating func peer(_ text: String) -> Peer {
            if text.hasPrefix("pl-") { return .prefixList(text) }
            if text.hasPrefix("sg-") { return .securityGroup(text) }
            return .cidr(PolicyKit.cidr(text.contains("/") ? text : text + (text.contains(":") ? "/128" : "/32")))
        }

        mutating func randomRule(_ group: String, _ direction: RuleDirection? = nil) -> SecurityGroupRule {
            ruleCounter += 1
            let peerText = randomPeerText()
            return SecurityGroupRule(
                id: "sgr-\(ruleCounter)", groupID: group, direction: direction ?? (rng.chance(0.55) ? .ingress : .egress),
                traffic: randomTraffic(), peer: peer(peerText))
        }

        mutating func makeGroups() {
            let all = ["sg-a", "sg-b", "sg-c"]
            let attached = Array(all.prefix(rng.int(1...3)))
            var groups: [SecurityGroup] = []
            for id in all + ["sg-x"] {
                var group = SecurityGroup(id: id)
                for _ in 0..<rng.int(0...5) { group.rules.append(randomRule(id)) }
                groups.append(group)
            }
            // Templates that make the interesting cases common: outbound all open (untracked pairs),
            // services open to everyone, or narrow to one peer.
            func add(_ i: Int, _ direction: RuleDirection, _ traffic: Traffic, _ peerText: String) {
                ruleCounter += 1
                groups[i].rules.append(SecurityGroupRule(
                    id: "sgr-\(ruleCounter)", groupID: groups[i].id, direction: direction, traffic: traffic, peer: peer(peerText)))
            }
            let target = rng.below(attached.count)
            if rng.chance(0.55) {
                add(target, .egress, .all, "0.0.0.0/0")
                if hasV6 && rng.chance(0.7) { add(target, .egress, .all, "::/0") }
            }
            if rng.chance(0.4) { add(rng.below(attached.count), .ingress, .tcp(PortRange(UInt16(rng.pick([22, 80, 443])))), "0.0.0.0/0") }
            if rng.chance(0.3) { add(rng.below(attached.count), .ingress, .tcp(PortRange(22)), rng.pick(peers)) }
            if rng.chance(0.3) { add(rng.below(attached.count), .ingress, .icmp(.any), "0.0.0.0/0") }
            if rng.chance(0.25) { add(rng.below(attached.count), .egress, .udp(PortRange(53)), "0.0.0.0/0") }
            if rng.chance(0.2) { add(rng.below(attached.count), .ingress, .all, "0.0.0.0/0") }
            if rng.chance(0.15) { add(rng.below(attached.count), .egress, .tcp(.all), "0.0.0.0/0") }
            if hasV6 && rng.chance(0.3) { add(rng.below(attached.count), .ingress, .all, "::/0") }
            policy.securityGroups = groups
            policy.instance.groupIDs = attached
        }

        mutating func randomACLEntry(_ number: Int, _ direction: RuleDirection) -> NetworkACLEntry {
            let cidrText = rng.pick(
                ["0.0.0.0/0", "0.0.0.0/0", "::/0", "203.0.113.0/24", rng.pick(peers), "10.0.0.0/8"])
            let cidr = PolicyKit.cidr(cidrText)
            let traffic: Traffic = rng.chance(0.3) ? .all : randomTraffic()
            return NetworkACLEntry(
                ruleNumber: number, direction: direction, traffic: traffic, cidr: cidr, action: rng.chance(0.5) ? .allow : .deny)
        }

        mutating func makeNACL() {
            guard rng.chance(0.4) else { return }
            var acl = NetworkACL(id: "acl-1")
            for direction in RuleDirection.allCases {
                let numbers = rng.shuffled(Array(stride(from: 10, through: 190, by: 10))).prefix(rng.int(0...3))
                for n in numbers { acl.set(randomACLEntry(n, direction)) }
                if direction == .egress && rng.chance(0.15) {
                    acl.set(NetworkACLEntry(ruleNumber: 5, direction: .egress, traffic: .tcp(PortRange(1024, 65535)!),
                                            cidr: PolicyKit.cidr("0.0.0.0/0"), action: .deny))
                }
                if rng.chance(0.8) {
                    acl.set(NetworkACLEntry(ruleNumber: 200, direction: direction, traffic: .all, cidr: PolicyKit.cidr("0.0.0.0/0"), action: .allow))
                    if hasV6 {
                        acl.set(NetworkACLEntry(ruleNumber: 201, direction: direction, traffic: .all, cidr: PolicyKit.cidr("::/0"), action: .allow))
                    }
                }
            }
            policy.networkACLs = [acl]
            policy.networkACLID = "acl-1"
            if rng.chance(0.2) {
                var other = NetworkACL(id: "acl-2")
                for direction in RuleDirection.allCases {
                    other.set(NetworkACLEntry(ruleNumber: 100, direction: direction, traffic: .all, cidr: PolicyKit.cidr("0.0.0.0/0"), action: .allow))
                }
                policy.networkACLs.append(other)
            }
        }

        mutating func makeTracking() {
            var t = ConnectionTrackingTimeouts()
            if rng.chance(0.5) { t.tcpEstablished = .seconds(Int64(rng.int(60...120))) }
            if rng.chance(0.3) { t.udp = .seconds(Int64(rng.int(30...60))) }
            if rng.chance(0.3) { t.udpStream = .seconds(Int64(rng.int(60...180))) }
            policy.tracking.timeouts = t
            if rng.chance(0.15) { options.tcpEstablishedOverride = .seconds(Int64(rng.int(60...120))) }
            if rng.chance(0.15) { options.udpOverride = .seconds(Int64(rng.int(30...60))) }
            if rng.chance(0.15) { options.udpStreamOverride = .seconds(Int64(rng.int(60...180))) }
            if rng.chance(0.1) { options.timeouts.icmp = .seconds(Int64(rng.int(10...60))) }
            if rng.chance(0.1) { options.timeouts.other = .seconds(Int64(rng.int(60...600))) }
            if rng.chance(0.1) { options.timeouts.tcpAfterReset = .seconds(Int64(rng.int(5...15))) }
            if rng.chance(0.1) { options.timeouts.tcpNotEstablished = .seconds(Int64(rng.int(30...120))) }
            if rng.chance(0.1) { options.timeouts.tcpClosing = .seconds(Int64(rng.int(30...120))) }
            if rng.chance(0.25) {
                let max = rng.int(1...5)
                if rng.chance(0.5) { options.conntrackMax = max } else { policy.tracking.conntrackMax = max }
            }
            options.assumeEstablished = rng.pick(EngineOptions.AssumeEstablished.allCases)
            if rng.chance(0.1) {
                let block = PolicyKit.cidr(rng.pick(peers))
                if rng.chance(0.5) { options.automaticallyTrackedPeers = [block] } else { policy.tracking.automaticallyTrackedPeers = [block] }
            }
            if rng.chance(0.05) {
                if rng.chance(0.5) { options.trackAllPeers = true } else { policy.tracking.trackAllPeers = true }
            }
            if rng.chance(0.2) { options.exemptCIDRs = [PolicyKit.cidr("10.0.0.2/32")] }
            if rng.chance(0.1) { policy.tracking.exemptCIDRs = [PolicyKit.cidr("10.0.0.3/32")] }
            // The timeouts in force, to land idle gaps on them.
            func secs(_ d: Packets.Interval) -> Double { Double(d.nanoseconds) / 1e9 }
            thresholds += [
                secs(options.tcpEstablishedOverride ?? t.tcpEstablished), secs(options.udpOverride ?? t.udp),
                secs(options.udpStreamOverride ?? t.udpStream), secs(options.timeouts.icmp), secs(options.timeouts.other),
                secs(options.timeouts.tcpAfterReset), secs(options.timeouts.tcpNotEstablished), secs(options.timeouts.tcpClosing),
            ].filter { $0 <= 1000 }
            kindThresholds = [
                "tcp": [secs(options.tcpEstablishedOverride ?? t.tcpEstablished), secs(options.timeouts.tcpAfterReset),
                        secs(options.timeouts.tcpNotEstablished), secs(options.timeouts.tcpClosing)].filter { $0 <= 1000 },
                "udp": [secs(options.udpOverride ?? t.udp), secs(options.udpStreamOverride ?? t.udpStream)],
                "icmp": [secs(options.timeouts.icmp)],
                "other": [secs(options.timeouts.other)],
            ]
        }

        // MARK: Traffic

        mutating func emit(_ frame: FrameKit.Frame) {
            frames.append((frame.packet, Timestamp(seconds: ScenarioGenerator.t0Seconds, nanoseconds: Int64(seed % 1000) * 1_000_000 + now)))
            summaries.append(frame.summary)
            if frame.packet.anomaly == nil && frame.packet.fragment != .later { quotable.append(frame) }
        }

        /// An instance address and a peer of the same family.
        mutating func endpoints() -> (instance: String, peer: String) {
            let v6 = hasV6 && rng.chance(0.35)
            let mine = instanceAddresses.filter { $0.contains(":") == v6 }
            let theirs = peers.filter { $0.contains(":") == v6 }
            return (rng.pick(mine), theirs.isEmpty ? (v6 ? "2001:db8:2::1" : "203.0.113.1") : rng.pick(theirs))
        }

        mutating func newFlow() -> Flow {
            if rng.chance(0.5), let flow = ruleDirectedFlow() { return flow }
            let (mine, theirs) = endpoints()
            let inbound = rng.chance(0.55)
            let (initiator, responder) = inbound ? (theirs, mine) : (mine, theirs)
            switch rng.below(10) {
            case 0, 1, 2, 3: return tcpFlow(initiator, responder)
            case 4, 5: return udpFlow(initiator, responder)
            case 6, 7: return pingFlow(initiator, responder)
            case 8: return otherFlow(initiator, responder)
            default: return rng.chance(0.5) ? tcpFlow(initiator, responder) : pingFlow(initiator, responder)
            }
        }

        /// A flow that a rule in force permits (so that tracking, expiry and loss get exercised, not
        /// just drops): its direction, protocol, port and peer are taken from a random attached rule.
        mutating func ruleDirectedFlow() -> Flow? {
            let rules = policy.rulesInForce(.ingress) + policy.rulesInForce(.egress)
            guard !rules.isEmpty else { return nil }
            let rule = rng.pick(rules)
            var family: Bool? = nil  // true: IPv6 only
            switch rule.traffic {
            case .icmp: family = false
            case .icmpv6: family = true
            default: break
            }
            let blocks = policy.cidrs(of: rule.peer) ?? []
            let candidates = peers.filter { p in
                let a = PolicyKit.address(p)
                return (family == nil || family == a.isIPv6) && blocks.contains { $0.contains(a) }
            }
            guard !candidates.isEmpty else { return nil }
            let theirs = rng.pick(candidates)
            let mine = rng.pick(instanceAddresses.filter { $0.contains(":") == theirs.contains(":") })
            let (i, r) = rule.direction == .ingress ? (theirs, mine) : (mine, theirs)
            func port(_ range: PortRange) -> UInt16 {
                rng.chance(0.5) ? range.lower : UInt16(rng.int(Int(range.lower)...Int(range.upper)))
            }
            switch rule.traffic {
            case .tcp(let range): return tcpFlow(i, r, service: port(range))
            case .udp(let range): return udpFlow(i, r, service: port(range))
            case .icmp, .icmpv6: return pingFlow(i, r)
            case .protocolNumber(let n): return otherFlow(i, r, proto: n)
            case .all:
                switch rng.below(4) {
                case 0: return tcpFlow(i, r)
                case 1: return udpFlow(i, r)
                case 2: return pingFlow(i, r)
                default: return otherFlow(i, r)
                }
            }
        }

        mutating func tcpFlow(_ i: String, _ r: String, service: UInt16? = nil) -> Flow {
            let T = FrameKit.self
            let cport = UInt16(rng.pick([40000, 40001, 40002, 50000, 33000]))
            let sport = service ?? UInt16(rng.pick([22, 22, 80, 80, 443, 8080, 3389, 1024, 60000]))
            var s: [FrameKit.Frame] = []
            func fromI(_ flags: TCPFlags) -> FrameKit.Frame { T.tcp(i, r, cport, sport, flags) }
            func fromR(_ flags: TCPFlags) -> FrameKit.Frame { T.tcp(r, i, sport, cport, flags) }
            switch rng.below(10) {
            case 0, 1, 2, 3, 4:  // full handshake
                s = [fromI([.syn]), fromR([.syn, .ack]), fromI([.ack])]
            case 5, 6:  // mid-stream
                s = [rng.chance(0.5) ? fromI([.psh, .ack]) : fromR([.psh, .ack])]
            case 7:  // SYN only, retransmitted, maybe answered without the final ACK
                s = [fromI([.syn])]
                if rng.chance(0.5) { s.append(fromI([.syn])) }
                if rng.chance(0.5) { s.append(fromR([.syn, .ack])) }
                return Flow(steps: s, kind: "tcp")
            case 8:  // RST first
                s = [rng.chance(0.5) ? fromI([.rst, .ack]) : fromR([.rst])]
            default:  // answered by RST
                s = [fromI([.syn]), fromR([.rst, .ack])]
            }
            for _ in 0..<rng.int(0...4) {
                if rng.chance(0.1) {
                    let (a, b) = rng.chance(0.5) ? (i, r) : (r, i)
                    let (pa, pb) = a == i ? (cport, sport) : (sport, cport)
                    let pieces = T.tcpFragments(a, b, pa, pb, [.psh, .ack], id: UInt16(rng.int(1...9)))
                    s.append(pieces.first)
                    if rng.chance(0.85) { s.append(pieces.later) }
                } else {
                    s.append(rng.chance(0.5) ? fromI([.psh, .ack]) : fromR([.psh, .ack]))
                }
            }
            switch rng.below(6) {
            case 0, 1: s += [fromI([.fin, .ack]), fromR([.ack]), fromR([.fin, .ack]), fromI([.ack])]
            case 2: s += [fromR([.fin, .ack]), fromI([.fin, .ack]), fromR([.ack])]
            case 3: s += [rng.chance(0.5) ? fromI([.rst]) : fromR([.rst, .ack])] + (rng.chance(0.5) ? [fromR([.ack])] : [])
            case 4: s += [fromI([.fin, .ack])]
            default: break
            }
            return Flow(steps: s, kind: "tcp")
        }

        mutating func udpFlow(_ i: String, _ r: String, service: UInt16? = nil) -> Flow {
            let cport = UInt16(rng.pick([5000, 5353, 40000, 33434]))
            let sport = service ?? UInt16(rng.pick([53, 123, 500, 5000, 4500]))
            var s: [FrameKit.Frame] = []
            if rng.chance(0.45), let times = kindThresholds["udp"], times.count == 2 {
                // A stream (two or more transactions), then a pause between the two UDP timeouts.
                let (single, stream) = (times[0], times[1])
                for k in 0..<rng.int(4...6) {
                    s.append(k % 2 == 0 ? FrameKit.udp(i, r, cport, sport) : FrameKit.udp(r, i, sport, cport))
                }
                let pause = rng.pick([single + 0.5, (single + stream) / 2, stream - 0.001, stream - 1e-9, stream, stream + 0.001, single])
                var flow = Flow(steps: s, kind: "udp")
                flow.pauses[s.count - 1] = Int64((pause * 1e9).rounded())
                return flow
            }
            var fromInitiator = true
            for _ in 0..<rng.int(1...8) {
                if rng.chance(0.04) {
                    // UDP fragments (the decoder currently flags a first UDP fragment: both sides skip it).
                    let pieces = fromInitiator
                        ? FrameKit.udpFragments(i, r, cport, sport, id: UInt16(rng.int(1...9)))
                        : FrameKit.udpFragments(r, i, sport, cport, id: UInt16(rng.int(1...9)))
                    s += [pieces.first, pieces.later]
                } else {
                    s.append(fromInitiator ? FrameKit.udp(i, r, cport, sport) : FrameKit.udp(r, i, sport, cport))
                }
                if rng.chance(0.7) { fromInitiator.toggle() }
            }
            return Flow(steps: s, kind: "udp")
        }

        mutating func pingFlow(_ i: String, _ r: String) -> Flow {
            let id = UInt16(rng.pick([1, 2, 77, 1000]))
            var s: [FrameKit.Frame] = []
            for seq in 0..<UInt16(rng.int(1...5)) {
                if rng.chance(0.08) {
                    let pieces = FrameKit.echoFragments(i, r, request: true, id: id, seq: seq, fragmentID: UInt16(rng.int(1...9)))
                    s.append(pieces.first)
                    if rng.chance(0.85) { s.append(pieces.later) }
                } else {
                    s.append(FrameKit.echo(i, r, request: true, id: id, seq: seq))
                }
                if rng.chance(0.8) { s.append(FrameKit.echo(r, i, request: false, id: id, seq: seq)) }
            }
            return Flow(steps: s, kind: "icmp")
        }

        mutating func otherFlow(_ i: String, _ r: String, proto fixed: UInt8? = nil) -> Flow {
            let proto = fixed ?? UInt8(rng.pick([47, 47, 50, 132]))
            var s: [FrameKit.Frame] = []
            for _ in 0..<rng.int(1...5) {
                let (a, b) = rng.chance(0.5) ? (i, r) : (r, i)
                if rng.chance(0.1) {
                    let pieces = FrameKit.otherFragments(a, b, proto: proto, id: UInt16(rng.int(1...9)))
                    if rng.chance(0.85) { s.append(pieces.first) }
                    s.append(pieces.later)
                } else {
                    s.append(FrameKit.other(a, b, proto: proto))
                }
            }
            return Flow(steps: s, kind: "other")
        }

        /// One frame that belongs to no flow: an ICMP error, a frame not for the instance, an exempt
        /// frame, a non-IP frame, an unpaired ICMP message.
        mutating func oneOff() -> FrameKit.Frame {
            let (mine, theirs) = endpoints()
            let v6 = mine.contains(":")
            switch rng.below(12) {
            case 0, 1, 2, 3, 4:
                guard !quotable.isEmpty else { return FrameKit.echo(theirs, mine, request: true, id: 1) }
                // An error about a recent frame: from its receiver or from a router, to its sender.
                let original = quotable[max(0, quotable.count - 1 - rng.below(min(8, quotable.count)))]
                let src = original.packet.src.description, dst = original.packet.dst.description
                let origV6 = original.packet.isIPv6
                let router = origV6 ? ScenarioGenerator.router6 : ScenarioGenerator.router4
                let from = rng.chance(0.6) ? dst : router
                let (type, code): (UInt8, UInt8) = origV6
                    ? rng.pick([(1, 4), (1, 1), (3, 0), (2, 0)])
                    : rng.pick([(3, 3), (3, 1), (3, 13), (11, 0), (12, 0)])
                return FrameKit.icmpError(from, src, type: type, code: code, quoting: original)
            case 5:
                return FrameKit.tcp(theirs, v6 ? "2001:db8:1::99" : "10.0.1.99", 1234, 80, [.syn])  // not for the instance
            case 6:
                return rng.pick([
                    FrameKit.tcp(ScenarioGenerator.instance4, "169.254.169.254", 40000, 80, [.syn]),
                    FrameKit.udp(ScenarioGenerator.instance4, "10.0.1.1", 68, 67),
                    FrameKit.udp("10.0.1.1", ScenarioGenerator.instance4, 67, 68),
                    FrameKit.udp(ScenarioGenerator.instance4, "169.254.169.123", 123, 123),
                ])
            case 7:
                // The VPC resolver: exempt only when the options or policy say so.
                return rng.chance(0.5)
                    ? FrameKit.udp(ScenarioGenerator.instance4, "10.0.0.2", 40000, 53)
                    : FrameKit.udp("10.0.0.3", ScenarioGenerator.instance4, 53, 40000)
            case 8:
                return FrameKit.arp()
            case 9:
                // An ICMP message with neither identifier nor quote (router solicitation / neighbour solicitation).
                if v6 {
                    let message = PacketBuilder.icmp(type: 135, body: [UInt8](repeating: 0, count: 16), v6: theirs, dst: mine)
                    return FrameKit.frame(ip: FrameKit.ipPacket(theirs, mine, proto: 58, message), v6: true, summary: "icmpv6 135 \(theirs) > \(mine)")
                }
                let (a, b) = rng.chance(0.5) ? (theirs, mine) : (mine, theirs)
                let message = PacketBuilder.icmp(type: 10)
                return FrameKit.frame(ip: FrameKit.ipPacket(a, b, proto: 1, message), v6: false, summary: "icmp 10 \(a) > \(b)")
            case 10:
                // A frame between the instance's own addresses, or to a peer from a peer.
                return FrameKit.tcp(theirs, rng.pick(peers.filter { $0.contains(":") == v6 }), 1, 2, [.syn])
            default:
                // An orphan later fragment.
                let (a, b) = rng.chance(0.5) ? (theirs, mine) : (mine, theirs)
                switch rng.below(3) {
                case 0: return FrameKit.tcpFragments(a, b, 40000, 22, [.ack], id: UInt16(rng.int(100...120))).later
                case 1: return FrameKit.echoFragments(a, b, request: true, id: 5, seq: 1, fragmentID: UInt16(rng.int(100...120))).later
                default: return FrameKit.otherFragments(a, b, proto: 47, id: UInt16(rng.int(100...120))).later
                }
            }
        }

        mutating func smallGap() -> Int64 {
            if rng.chance(0.05) { return 0 }
            return Int64(rng.real(0.0001, 2.0) * 1e9)
        }

        /// An idle length on (or a hair either side of) one of the timeouts: mostly one that matters
        /// to the flow's protocol.
        mutating func idle(kind: String? = nil) -> Int64 {
            var base = rng.pick(thresholds)
            if let kind, rng.chance(0.7), let own = kindThresholds[kind], !own.isEmpty { base = rng.pick(own) }
            let delta = rng.pick([-1.0, -0.001, -1e-9, 0, 0, 1e-9, 0.001, 1.0])
            return Int64((base * 1e9).rounded()) + Int64((delta * 1e9).rounded())
        }

        mutating func makeTraffic() {
            var flows: [Flow] = []
            let events = rng.int(15...90)
            for _ in 0..<events {
                let roll = rng.below(100)
                if roll < 15 {
                    now += smallGap()
                    emit(oneOff())
                    continue
                }
                if roll < 40 || flows.isEmpty {
                    if flows.count < 6 {
                        var flow = newFlow()
                        if rng.chance(0.1) { now += idle() } else { now += smallGap() }
                        emit(flow.steps[0])
                        flow.next = 1
                        flow.last = now
                        if !flow.done { flows.append(flow) }
                        continue
                    }
                }
                let k = rng.below(flows.count)
                if let pause = flows[k].pauses[flows[k].next], let last = flows[k].last {
                    now = max(now, last + pause)
                } else if rng.chance(0.2), let last = flows[k].last {
                    // Land this flow's next packet on an idle boundary, measured from its own last packet.
                    now = max(now, last + idle(kind: flows[k].kind))
                } else {
                    now += smallGap()
                }
                emit(flows[k].steps[flows[k].next])
                flows[k].next += 1
                flows[k].last = now
                if flows[k].done { flows.remove(at: k) }
            }
        }

        // MARK: Timeline

        mutating func makeTimeline() -> [TimedEdit] {
            let count = rng.chance(0.3) ? 0 : rng.int(1...4)
            guard count > 0, !frames.isEmpty else { return [] }
            let t0 = frames[0].time.nanoseconds
            let end = frames[frames.count - 1].time.nanoseconds - t0
            var times: [Int64] = []
            for _ in 0..<count {
                switch rng.below(10) {
                case 0, 1, 2: times.append(frames[rng.below(frames.count)].time.nanoseconds - t0)  // exactly on a frame
                case 3: times.append(-Int64(rng.int(1...10)) * 1_000_000_000)  // before the capture
                case 4: times.append(end + 1_000_000_000)  // after it
                default: times.append(Int64(rng.real(0, Double(max(end, 1)))))
                }
            }
            times.sort()
            var simulated = policy
            var edits: [TimedEdit] = []
            for offset in times {
                let e = randomEdit(simulated)
                simulated.apply(e)
                let time: EditTime = rng.chance(0.5)
                    ? .afterFirstFrame(Packets.Interval(nanoseconds: offset))
                    : .absolute(Timestamp(nanoseconds: t0 + offset))
                edits.append(TimedEdit(time: time, edit: e))
            }
            return edits
        }

        mutating func randomEdit(_ p: Policy) -> PolicyEdit {
            let attached = p.instance.groupIDs
            let known = p.securityGroups.map(\.id)
            let withRules = p.securityGroups.filter { !$0.rules.isEmpty && attached.contains($0.id) }
            switch rng.below(20) {
            case 0, 1, 2, 3, 4, 5:  // revoke (by id or by permission)
                guard let group = withRules.isEmpty ? nil : rng.pick(withRules) else { return .detachGroup("sg-none") }
                let rule = rng.pick(group.rules)
                if rng.chance(0.6) { return .revokeByID(groupID: group.id, ruleIDs: [rule.id!], revokedRules: [rule]) }
                var permission = rule
                permission.id = nil
                return .revokeByPermission(groupID: group.id, rules: [permission])
            case 6, 7, 8:
                let group = rng.pick(attached.isEmpty ? known : attached)
                return .authorize(groupID: group, rules: [randomRule(group)])
            case 9, 10:
                guard let group = withRules.isEmpty ? nil : rng.pick(withRules) else { return .attachGroup("sg-x") }
                let rule = rng.pick(group.rules)
                return .modify(groupID: group.id, updates: [RuleUpdate(ruleID: rule.id!, traffic: randomTraffic(), peer: peer(randomPeerText()))])
            case 11:
                let unattached = known.filter { !attached.contains($0) }
                return unattached.isEmpty ? .detachGroup(rng.pick(attached.isEmpty ? known : attached)) : .attachGroup(rng.pick(unattached))
            case 12:
                return attached.isEmpty ? .attachGroup("sg-x") : .detachGroup(rng.pick(attached))
            case 13:
                return .setGroups(eniID: nil, groupIDs: rng.shuffled(known).prefix(rng.int(0...3)).map { $0 })
            case 14, 15, 16:
                guard let acl = p.activeNetworkACL else { return .setTimeouts(eniID: nil, randomTimeoutChange()) }
                let direction = rng.pick(RuleDirection.allCases)
                let existing = acl.entries(direction)
                switch rng.below(3) {
                case 0: return .createNetworkACLEntry(aclID: acl.id, entry: randomACLEntry(rng.int(1...19) * 10 + 5, direction))
                case 1:
                    guard let e = existing.isEmpty ? nil : rng.pick(existing) else {
                        return .createNetworkACLEntry(aclID: acl.id, entry: randomACLEntry(rng.int(1...19) * 10 + 5, direction))
                    }
                    return .replaceNetworkACLEntry(aclID: acl.id, entry: randomACLEntry(e.ruleNumber, direction))
                default:
                    guard let e = existing.isEmpty ? nil : rng.pick(existing) else { return .deleteNetworkACLEntry(aclID: acl.id, direction: direction, ruleNumber: 1) }
                    return .deleteNetworkACLEntry(aclID: acl.id, direction: direction, ruleNumber: e.ruleNumber)
                }
            case 17:
                if p.networkACL("acl-2") != nil, p.networkACLID != "acl-2" {
                    return .replaceNetworkACLAssociation(associationID: nil, aclID: "acl-2", newAssociationID: "aclassoc-2")
                }
                return .setTimeouts(eniID: nil, randomTimeoutChange())
            default:
                return .setTimeouts(eniID: nil, randomTimeoutChange())
            }
        }

        mutating func randomTimeoutChange() -> TimeoutChange {
            var change = TimeoutChange()
            if rng.chance(0.5) { change.tcpEstablished = .seconds(Int64(rng.int(60...120))) }
            if rng.chance(0.5) { change.udp = .seconds(Int64(rng.int(30...60))) }
            if rng.chance(0.4) { change.udpStream = .seconds(Int64(rng.int(60...180))) }
            if change.isEmpty { change.udp = .seconds(Int64(rng.int(30...60))) }
            return change
        }
    }
}
