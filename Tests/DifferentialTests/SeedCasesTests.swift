import Firewall
import Packets
import Testing

// docs/semantics.md §8 ("what the seeds say, as checks") as tests of the reference model, plus
// the finer points of sections 5–7 the random scenarios lean on. Every frame's verdict is asserted.

private let instance4 = "10.0.1.10"
private let instance6 = "2001:db8:1::10"
private let office = "203.0.113.1"
private let home = "198.51.100.7"
private let client6 = "2001:db8:2::1"
private let t0 = Timestamp(seconds: 1_700_000_000)

private typealias R = PolicyKit

/// One frame of a test capture: what it is and when (seconds after t0).
private struct At {
    var frame: FrameKit.Frame
    var seconds: Double
    init(_ seconds: Double, _ frame: FrameKit.Frame) {
        self.seconds = seconds
        self.frame = frame
    }
}

private func time(_ seconds: Double) -> Timestamp {
    t0 + Packets.Interval(nanoseconds: Int64((seconds * 1_000_000_000).rounded()))
}

private func replay(_ capture: [At], _ loaded: LoadedPolicy, _ options: EngineOptions = EngineOptions()) -> [Verdict] {
    for at in capture { precondition(at.frame.packet.anomaly == nil || at.frame.summary == "arp", "bad frame \(at.frame.summary)") }
    let frames = capture.map { (packet: $0.frame.packet, time: time($0.seconds)) }
    return ReferenceModel.replay(frames, policy: loaded, options: options).map(\.verdict)
}

private func reasons(_ capture: [At], _ loaded: LoadedPolicy, _ options: EngineOptions = EngineOptions()) -> [String] {
    let frames = capture.map { (packet: $0.frame.packet, time: time($0.seconds)) }
    return ReferenceModel.replay(frames, policy: loaded, options: options).map(\.reason)
}

private func edit(_ seconds: Double, _ e: PolicyEdit) -> TimedEdit {
    TimedEdit(time: .afterFirstFrame(Packets.Interval(nanoseconds: Int64(seconds * 1_000_000_000))), edit: e)
}

/// Seed 000's example group: SSH from one address, HTTP from everywhere (v4 and v6), ICMP from
/// everywhere; all outbound traffic open (v4 and v6).
private func seed000Group() -> SecurityGroup {
    SecurityGroup(id: "sg-web", rules: [
        R.rule("sgr-ssh", "sg-web", .ingress, .tcp(PortRange(22)), "\(office)/32"),
        R.rule("sgr-http4", "sg-web", .ingress, .tcp(PortRange(80)), "0.0.0.0/0"),
        R.rule("sgr-http6", "sg-web", .ingress, .tcp(PortRange(80)), "::/0"),
        R.rule("sgr-icmp", "sg-web", .ingress, .icmp(.any), "0.0.0.0/0"),
        R.rule("sgr-out4", "sg-web", .egress, .all, "0.0.0.0/0"),
        R.rule("sgr-out6", "sg-web", .egress, .all, "::/0"),
    ])
}

private func policy(_ groups: [SecurityGroup], timeline: [TimedEdit] = [], acl: NetworkACL? = nil) -> LoadedPolicy {
    var p = Policy()
    p.instance = R.instance([instance4, instance6], subnets: ["10.0.1.0/24"], groups: groups.map(\.id))
    p.securityGroups = groups
    if let acl {
        p.networkACLs = [acl]
        p.networkACLID = acl.id
    }
    return LoadedPolicy(policy: p, timeline: Timeline(timeline))
}

private let T = FrameKit.self

/// A TCP handshake and a request/response from `client`:`port` to the instance on `service`.
private func handshake(_ client: String, _ server: String, _ cport: UInt16, _ sport: UInt16, from start: Double) -> [At] {
    [
        At(start, T.tcp(client, server, cport, sport, [.syn])),
        At(start + 0.01, T.tcp(server, client, sport, cport, [.syn, .ack])),
        At(start + 0.02, T.tcp(client, server, cport, sport, [.ack])),
        At(start + 0.03, T.tcp(client, server, cport, sport, [.psh, .ack], payload: [1, 2, 3])),
        At(start + 0.04, T.tcp(server, client, sport, cport, [.psh, .ack], payload: [4, 5, 6])),
    ]
}

// MARK: - Section 8, row by row

@Test func seed000SSHFromOneAddressIsTrackedAndSurvivesItsRuleBeingRevoked() {
    let loaded = policy([seed000Group()], timeline: [edit(5, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-ssh"], revokedRules: []))])
    let capture = handshake(office, instance4, 51514, 22, from: 0) + [
        At(10, T.tcp(office, instance4, 51514, 22, [.psh, .ack], payload: [7])),
        At(10.01, T.tcp(instance4, office, 22, 51514, [.psh, .ack], payload: [8])),
        At(20, T.tcp(office, instance4, 51514, 22, [.ack])),
        // A new SSH connection after the revoke has no rule and no entry.
        At(21, T.tcp(office, instance4, 51515, 22, [.syn])),
    ]
    #expect(replay(capture, loaded) == [
        .allowedByRule, .allowedByRule, .allowedByRule, .allowedByRule, .allowedByRule,
        .allowedByTracking, .allowedByRule, .allowedByTracking,
        .dropped,
    ])
}

@Test func seed000HTTPFromEverywhereIsUntrackedAndDroppedAtOnceWhenRevoked() {
    let loaded = policy([seed000Group()], timeline: [
        edit(5, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-http4", "sgr-http6"], revokedRules: [])),
    ])
    let capture = handshake(home, instance4, 40000, 80, from: 0) + handshake(client6, instance6, 40001, 80, from: 1) + [
        At(6, T.tcp(home, instance4, 40000, 80, [.psh, .ack], payload: [9])),
        At(6.5, T.tcp(client6, instance6, 40001, 80, [.ack])),
    ]
    #expect(replay(capture, loaded) == Array(repeating: .allowedByRule, count: 10) + [.dropped, .dropped])
    // Untracked: the conntrack allowance is not consumed (a table of size 0 loses nothing).
    var options = EngineOptions()
    options.conntrackMax = 0
    #expect(replay(Array(capture.prefix(10)), loaded, options) == Array(repeating: .allowedByRule, count: 10))
}

@Test func seed000And001ICMPIsTrackedEvenWhenOpenToAllAndAgesOutAfter30Seconds() {
    let loaded = policy([seed000Group()], timeline: [edit(2.5, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-icmp"], revokedRules: []))])
    var capture: [At] = []
    for seq in 0..<5 {
        let s = Double(seq)
        capture.append(At(s, T.echo(home, instance4, request: true, id: 77, seq: UInt16(seq))))
        capture.append(At(s + 0.01, T.echo(instance4, home, request: false, id: 77, seq: UInt16(seq))))
    }
    // A second ping (another identifier) started after the revoke: no rule, no entry.
    capture.append(At(5, T.echo(home, instance4, request: true, id: 78)))
    // ping stopped, restarted 29.99 s after the last reply: still alive; then idle ≥ 30 s: dropped.
    capture.append(At(4.01 + 29.99, T.echo(home, instance4, request: true, id: 77, seq: 5)))
    capture.append(At(4.01 + 29.99 + 30, T.echo(home, instance4, request: true, id: 77, seq: 6)))
    let ruled: [Verdict] = [.allowedByRule, .allowedByRule]
    let tracked: [Verdict] = [.allowedByTracking, .allowedByRule]
    #expect(replay(capture, loaded) == ruled + ruled + ruled + tracked + tracked + [.dropped, .allowedByTracking, .dropped])
}

@Test func seed000RemovingTheOutboundAllRuleMakesHTTPTrackedAndRepliesFlowByTracking() {
    let loaded = policy([seed000Group()], timeline: [
        edit(5, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-out4", "sgr-out6"], revokedRules: [])),
    ])
    let capture = handshake(home, instance4, 40000, 80, from: 0) + [
        At(6, T.tcp(home, instance4, 40000, 80, [.psh, .ack], payload: [1])),  // now tracked: creates an entry
        At(6.01, T.tcp(instance4, home, 80, 40000, [.psh, .ack], payload: [2])),
        At(6.02, T.tcp(home, instance4, 40000, 80, [.fin, .ack])),
        At(6.03, T.tcp(instance4, home, 80, 40000, [.fin, .ack])),
        // Another client's reply-direction packet with no entry: no outbound rule, dropped.
        At(7, T.tcp(instance4, office, 80, 40002, [.ack])),
    ]
    #expect(replay(capture, loaded) == [
        .allowedByRule, .allowedByRule, .allowedByRule, .allowedByRule, .allowedByRule,
        .allowedByRule, .allowedByTracking, .allowedByRule, .allowedByTracking, .dropped,
    ])
}

@Test func seed001SSHOpenToAllWithOutboundOpenIsUntrackedAndDroppedImmediately() {
    let group = SecurityGroup(id: "sg-wbc", rules: [
        R.rule("sgr-ssh", "sg-wbc", .ingress, .tcp(PortRange(22)), "0.0.0.0/0"),
        R.rule("sgr-out", "sg-wbc", .egress, .all, "0.0.0.0/0"),
    ])
    let loaded = policy([group], timeline: [edit(3, .revokeByID(groupID: "sg-wbc", ruleIDs: ["sgr-ssh"], revokedRules: []))])
    let capture = handshake(home, instance4, 50000, 22, from: 0) + [
        At(3, T.tcp(home, instance4, 50000, 22, [.psh, .ack], payload: [1])),  // at the revoke instant: gone
        At(3.5, T.tcp(home, instance4, 50000, 22, [.ack])),
    ]
    #expect(replay(capture, loaded) == Array(repeating: .allowedByRule, count: 5) + [.dropped, .dropped])
}

@Test func seed002RepliesToAllowedInboundLeaveByTrackingAndOutboundPingIsDropped() {
    let group = SecurityGroup(id: "sg-app", rules: [R.rule("sgr-http", "sg-app", .ingress, .tcp(PortRange(80)), "\(home)/32")])
    let loaded = policy([group])
    let capture = handshake(home, instance4, 61000, 80, from: 0) + [
        At(1, T.echo(instance4, "8.8.8.8", request: true, id: 1)),
        At(2, T.echo(instance4, "8.8.8.8", request: true, id: 1, seq: 2)),
        // Another address is not allowed in.
        At(3, T.tcp(office, instance4, 61001, 80, [.syn])),
    ]
    #expect(replay(capture, loaded) == [
        .allowedByRule, .allowedByTracking, .allowedByRule, .allowedByRule, .allowedByTracking,
        .dropped, .dropped, .dropped,
    ])
}

@Test func seed002NACLOutboundDenyOnEphemeralPortsDropsRepliesDespiteTracking() {
    let group = SecurityGroup(id: "sg-app", rules: [R.rule("sgr-http", "sg-app", .ingress, .tcp(PortRange(80)), "\(home)/32")])
    var acl = NetworkACL(id: "acl-1")
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all, cidr: R.cidr("0.0.0.0/0"), action: .allow))
    acl.set(NetworkACLEntry(ruleNumber: 90, direction: .egress, traffic: .tcp(PortRange(1024, 65535)!), cidr: R.cidr("0.0.0.0/0"), action: .deny))
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .egress, traffic: .all, cidr: R.cidr("0.0.0.0/0"), action: .allow))
    let loaded = policy([group], acl: acl)
    let capture = handshake(home, instance4, 61000, 80, from: 0)
    #expect(replay(capture, loaded) == [.allowedByRule, .dropped, .allowedByRule, .allowedByRule, .dropped])
    #expect(reasons(capture, loaded)[1].hasPrefix("nacl-deny:90"))
    // Without the deny entry the same replies leave by tracking.
    var open = acl
    open.remove(.egress, 90)
    #expect(replay(capture, policy([group], acl: open)) == [
        .allowedByRule, .allowedByTracking, .allowedByRule, .allowedByRule, .allowedByTracking,
    ])
}

@Test func seed000OtherProtocolsAreTrackedByAddressesAndProtocolFor600Seconds() {
    let group = SecurityGroup(id: "sg-gre", rules: [R.rule("sgr-out", "sg-gre", .egress, .protocolNumber(47), "0.0.0.0/0")])
    let loaded = policy([group])
    let peer = "192.0.2.50"
    let capture = [
        At(0, T.other(instance4, peer, proto: 47)),
        At(100, T.other(peer, instance4, proto: 47)),  // answered within 600 s: accepted by tracking
        At(100 + 599.9, T.other(peer, instance4, proto: 47)),  // refreshed at 100: still alive
        At(100 + 599.9 + 600, T.other(peer, instance4, proto: 47)),  // idle 600 s: expired
        At(1400, T.other(peer, instance4, proto: 50)),  // ESP: another protocol, no entry
    ]
    #expect(replay(capture, loaded) == [.allowedByRule, .allowedByTracking, .allowedByTracking, .dropped, .dropped])
}

@Test func seed000ConntrackMaxLosesTheFirstPacketsOfTheExtraFlows() {
    let group = SecurityGroup(id: "sg-ssh", rules: [R.rule("sgr-ssh", "sg-ssh", .ingress, .tcp(PortRange(22)), "203.0.113.0/24")])
    let loaded = policy([group])
    var options = EngineOptions()
    options.conntrackMax = 3
    var capture: [At] = []
    for i in 0..<5 { capture.append(At(Double(i) * 0.1, T.tcp("203.0.113.\(i + 1)", instance4, 40000, 22, [.syn]))) }
    // Replies of the admitted flows pass by tracking; a retried SYN of a lost flow is lost again.
    capture.append(At(1, T.tcp(instance4, "203.0.113.1", 22, 40000, [.syn, .ack])))
    capture.append(At(1.1, T.tcp("203.0.113.5", instance4, 40000, 22, [.syn])))
    // The not-yet-established entries expire after 120 s: their slots free up exactly then.
    capture.append(At(120.2, T.tcp("203.0.113.5", instance4, 40000, 22, [.syn])))  // 0.1, 0.2 expired by now
    capture.append(At(120.25, T.tcp("203.0.113.4", instance4, 40000, 22, [.syn])))
    capture.append(At(120.3, T.tcp("203.0.113.6", instance4, 40000, 22, [.syn])))
    #expect(replay(capture, loaded, options) == [
        .allowedByRule, .allowedByRule, .allowedByRule, .lostConntrackExhausted, .lostConntrackExhausted,
        .allowedByTracking, .lostConntrackExhausted,
        .allowedByRule, .allowedByRule, .lostConntrackExhausted,
    ])
    // The policy's allowance applies when the option is not given.
    var limited = loaded
    limited.policy.tracking.conntrackMax = 3
    #expect(replay(Array(capture.prefix(5)), limited).suffix(2) == [.lostConntrackExhausted, .lostConntrackExhausted])
}

// MARK: - Finer points of sections 1 and 5–7

@Test func framesNotToOrFromTheInstanceAndAWSExemptFramesAreSkipped() {
    let loaded = policy([seed000Group()])
    var options = EngineOptions()
    options.exemptCIDRs = [R.cidr("10.0.0.2/32")]
    let capture = [
        At(0, T.arp()),
        At(1, T.tcp(home, "10.0.1.99", 1000, 80, [.syn])),  // neither endpoint
        At(2, T.tcp(instance4, instance4, 1000, 80, [.syn])),  // both
        At(3, T.tcp(instance4, "169.254.169.254", 40000, 80, [.syn])),  // metadata
        At(4, T.udp(instance4, "10.0.1.1", 68, 67)),  // DHCP
        At(5, T.udp(instance4, "10.0.0.2", 40000, 53)),  // exempt CIDR (VPC resolver)
        At(6, T.udp(instance4, "10.0.0.3", 40000, 53)),  // not exempt: outbound all open
    ]
    #expect(replay(capture, loaded, options) == [.skipped, .skipped, .skipped, .skipped, .skipped, .skipped, .allowedByRule])
}

@Test func tcpStatesUseTheirOwnTimeouts() {
    let group = SecurityGroup(id: "sg-ssh", rules: [R.rule("sgr-ssh", "sg-ssh", .ingress, .tcp(PortRange(22)), "\(office)/32")])
    var options = EngineOptions()
    options.tcpEstablishedOverride = .seconds(100)
    let loaded = policy([group])
    let c = office, s = instance4
    // Not established (SYN only): 120 s.
    let synOnly = [At(0, T.tcp(c, s, 1, 22, [.syn])), At(119.999, T.tcp(s, c, 22, 1, [.syn, .ack])),
                   At(119.999 + 120, T.tcp(s, c, 22, 1, [.ack]))]
    #expect(replay(synOnly, loaded, options) == [.allowedByRule, .allowedByTracking, .dropped])
    // SYN-ACK then the initiator's ACK: established (100 s here): idle 100 s exactly expires it.
    let established = handshake(c, s, 2, 22, from: 0) + [At(0.04 + 99.999, T.tcp(s, c, 22, 2, [.ack])),
                                                         At(0.04 + 99.999 + 100, T.tcp(s, c, 22, 2, [.ack]))]
    #expect(replay(established, loaded, options) == [
        .allowedByRule, .allowedByTracking, .allowedByRule, .allowedByRule, .allowedByTracking, .allowedByTracking, .dropped,
    ])
    // A SYN-ACK without the final ACK keeps it not established: 120 s, not 100.
    let halfOpen = [At(0, T.tcp(c, s, 3, 22, [.syn])), At(0.01, T.tcp(s, c, 22, 3, [.syn, .ack])),
                    At(110, T.tcp(s, c, 22, 3, [.syn, .ack]))]
    #expect(replay(halfOpen, loaded, options) == [.allowedByRule, .allowedByTracking, .allowedByTracking])
    // Closing (FIN then the other side's ACK): 120 s, even though established is 100 s.
    let closing = handshake(c, s, 4, 22, from: 0) + [At(1, T.tcp(c, s, 4, 22, [.fin, .ack])),
                                                     At(1.01, T.tcp(s, c, 22, 4, [.ack])),
                                                     At(1.01 + 110, T.tcp(s, c, 22, 4, [.fin, .ack])),
                                                     At(1.01 + 110 + 120, T.tcp(s, c, 22, 4, [.ack]))]
    #expect(replay(closing, loaded, options).suffix(4) == [.allowedByRule, .allowedByTracking, .allowedByTracking, .dropped])
    // RST: 10 s, sticky (later packets refresh the 10 s timer; a SYN does not reopen it).
    let reset = handshake(c, s, 5, 22, from: 0) + [At(1, T.tcp(s, c, 22, 5, [.rst])),
                                                   At(10.99, T.tcp(s, c, 22, 5, [.ack])),
                                                   At(15, T.tcp(s, c, 22, 5, [.syn, .ack])),
                                                   At(25, T.tcp(s, c, 22, 5, [.ack]))]
    #expect(replay(reset, loaded, options).suffix(4) == [.allowedByTracking, .allowedByTracking, .allowedByTracking, .dropped])
    // A RST as a flow's first permitted packet creates an after-RST entry.
    let firstRST = [At(0, T.tcp(c, s, 6, 22, [.rst, .ack])), At(9.9, T.tcp(s, c, 22, 6, [.ack])),
                    At(19.85, T.tcp(s, c, 22, 6, [.ack]))]
    #expect(replay(firstRST, loaded, options) == [.allowedByRule, .allowedByTracking, .allowedByTracking])
    let firstRSTLate = [At(0, T.tcp(c, s, 6, 22, [.rst, .ack])), At(10, T.tcp(s, c, 22, 6, [.ack]))]
    #expect(replay(firstRSTLate, loaded, options) == [.allowedByRule, .dropped])
}

@Test func udpBecomesAStreamFromTheSecondCompletedTransaction() {
    let group = SecurityGroup(id: "sg-out", rules: [R.rule("sgr-dns", "sg-out", .egress, .udp(PortRange(53)), "0.0.0.0/0")])
    let loaded = policy([group])
    let s = instance4, d = "8.8.8.8"
    // One transaction: 30 s.
    let single = [At(0, T.udp(s, d, 5000, 53)), At(0.1, T.udp(d, s, 53, 5000)), At(30.1, T.udp(d, s, 53, 5000))]
    #expect(replay(single, loaded) == [.allowedByRule, .allowedByTracking, .dropped])
    // Reply, reply: still one transaction.
    let twoReplies = [At(0, T.udp(s, d, 5001, 53)), At(0.1, T.udp(d, s, 53, 5001)), At(0.2, T.udp(d, s, 53, 5001)),
                      At(30.15, T.udp(d, s, 53, 5001)), At(60.2, T.udp(d, s, 53, 5001))]
    #expect(replay(twoReplies, loaded) == [.allowedByRule, .allowedByTracking, .allowedByTracking, .allowedByTracking, .dropped])
    // Two transactions: a stream, 180 s.
    let stream = [At(0, T.udp(s, d, 5002, 53)), At(0.1, T.udp(d, s, 53, 5002)), At(1, T.udp(s, d, 5002, 53)),
                  At(1.1, T.udp(d, s, 53, 5002)), At(1.1 + 179.9, T.udp(d, s, 53, 5002)), At(1.1 + 179.9 + 180, T.udp(d, s, 53, 5002))]
    #expect(replay(stream, loaded) == [.allowedByRule, .allowedByTracking, .allowedByRule, .allowedByTracking, .allowedByTracking, .dropped])
    // The policy's timeouts (ConnectionTrackingConfiguration) and the CLI override both apply.
    var slow = loaded
    slow.policy.tracking.timeouts.udp = .seconds(60)
    #expect(replay(single, slow) == [.allowedByRule, .allowedByTracking, .allowedByTracking])
    var options = EngineOptions()
    options.udpOverride = .seconds(30)
    #expect(replay(single, slow, options) == [.allowedByRule, .allowedByTracking, .dropped])
}

@Test func aTimeoutEditAppliesToLiveEntriesFromThenOnCountedFromTheirLastPacket() {
    let group = SecurityGroup(id: "sg-out", rules: [R.rule("sgr-dns", "sg-out", .egress, .udp(PortRange(53)), "0.0.0.0/0")])
    let s = instance4, d = "8.8.8.8"
    let capture = [At(0, T.udp(s, d, 5000, 53)), At(45, T.udp(d, s, 53, 5000))]
    // Raised to 60 s at +20 s (the entry is live then): the reply at +45 s passes.
    let raised = policy([group], timeline: [edit(20, .setTimeouts(eniID: nil, TimeoutChange(udp: .seconds(60))))])
    #expect(replay(capture, raised) == [.allowedByRule, .allowedByTracking])
    // Raised at +35 s: the entry had expired at +30 s and is not brought back.
    let late = policy([group], timeline: [edit(35, .setTimeouts(eniID: nil, TimeoutChange(udp: .seconds(60))))])
    #expect(replay(capture, late) == [.allowedByRule, .dropped])
}

@Test func untrackedNeedsLiteralAllAddressesInBothDirectionsAndTriesBothOrientations() {
    let s = instance4, c = home
    let capture = [At(0, T.tcp(c, s, 40000, 443, [.syn])), At(0.1, T.tcp(s, c, 443, 40000, [.syn, .ack]))]
    var options = EngineOptions()
    options.conntrackMax = 0  // an untracked flow loses nothing; a tracked one loses its first packet
    // Inbound 443 from 0.0.0.0/0, outbound tcp 0-65535 to 0.0.0.0/0: untracked.
    let open = SecurityGroup(id: "sg-a", rules: [
        R.rule("r1", "sg-a", .ingress, .tcp(PortRange(443)), "0.0.0.0/0"),
        R.rule("r2", "sg-a", .egress, .tcp(.all), "0.0.0.0/0"),
    ])
    #expect(replay(capture, policy([open]), options) == [.allowedByRule, .allowedByRule])
    // Outbound ports 1024-65535 only: not "exactly 0-65535": tracked.
    let narrow = SecurityGroup(id: "sg-a", rules: [
        R.rule("r1", "sg-a", .ingress, .tcp(PortRange(443)), "0.0.0.0/0"),
        R.rule("r2", "sg-a", .egress, .tcp(PortRange(1024, 65535)!), "0.0.0.0/0"),
    ])
    #expect(replay(capture, policy([narrow]), options) == [.lostConntrackExhausted, .lostConntrackExhausted])
    // A prefix list holding 0.0.0.0/0 is not the literal CIDR: tracked.
    var viaList = policy([SecurityGroup(id: "sg-a", rules: [
        R.rule("r1", "sg-a", .ingress, .tcp(PortRange(443)), "pl-all"),
        R.rule("r2", "sg-a", .egress, .all, "0.0.0.0/0"),
    ])])
    viaList.policy.prefixLists["pl-all"] = [R.cidr("0.0.0.0/0")]
    #expect(replay(capture, viaList, options) == [.lostConntrackExhausted, .lostConntrackExhausted])
    // ::/0 rules do not pair with IPv4 traffic.
    let wrongFamily = SecurityGroup(id: "sg-a", rules: [
        R.rule("r1", "sg-a", .ingress, .tcp(PortRange(443)), "0.0.0.0/0"),
        R.rule("r2", "sg-a", .egress, .all, "::/0"),
    ])
    #expect(replay(Array(capture.prefix(1)), policy([wrongFamily]), options) == [.lostConntrackExhausted])
    // An automatically tracked peer is tracked whatever the rules.
    var auto = options
    auto.automaticallyTrackedPeers = [R.cidr("\(home)/32")]
    #expect(replay(capture, policy([open]), auto) == [.lostConntrackExhausted, .lostConntrackExhausted])
    // The opposite orientation: the instance's outbound SYN to port 443 (egress 443 to 0.0.0.0/0,
    // ingress all to 0.0.0.0/0) and the reply, whose swap is the request, are both untracked.
    let client = SecurityGroup(id: "sg-a", rules: [
        R.rule("r1", "sg-a", .egress, .tcp(PortRange(443)), "0.0.0.0/0"),
        R.rule("r2", "sg-a", .ingress, .all, "0.0.0.0/0"),
    ])
    let outgoing = [At(0, T.tcp(s, c, 40000, 443, [.syn])), At(0.1, T.tcp(c, s, 443, 40000, [.syn, .ack]))]
    #expect(replay(outgoing, policy([client]), options) == [.allowedByRule, .allowedByRule])
}

@Test func icmpErrorsAreRelatedToTheFlowTheyQuoteAndNeverCreateOrRefresh() {
    let group = SecurityGroup(id: "sg-out", rules: [
        R.rule("sgr-dns", "sg-out", .egress, .udp(PortRange(53)), "0.0.0.0/0"),
        R.rule("sgr-icmp-out", "sg-out", .egress, .icmp(.any), "0.0.0.0/0"),
    ])
    let loaded = policy([group])
    let s = instance4, d = "8.8.8.8", router = "192.0.2.254"
    let query = T.udp(s, d, 5000, 53)
    let inboundQuery = T.udp(d, s, 53, 5001)
    let capture = [
        At(0, query),
        At(1, T.icmpError(d, s, type: 3, code: 3, quoting: query)),  // port unreachable from the peer
        At(2, T.icmpError(router, s, type: 11, code: 0, quoting: query)),  // time exceeded from a router
        At(29.9, T.icmpError(d, s, type: 3, code: 3, quoting: query)),  // does not refresh…
        At(30, T.icmpError(d, s, type: 3, code: 3, quoting: query)),  // …so the entry expired at 30 s
        At(31, T.icmpError(s, d, type: 3, code: 3, quoting: inboundQuery)),  // outbound: an ICMP rule permits
    ]
    #expect(replay(capture, loaded) == [
        .allowedByRule, .allowedByTracking, .allowedByTracking, .allowedByTracking, .dropped, .allowedByRule,
    ])
    // The outbound error created no entry: a reply-direction error to it is dropped.
    let back = [At(0, T.icmpError(s, d, type: 3, code: 3, quoting: inboundQuery)),
                At(1, T.echo(d, s, request: false, id: 0))]
    #expect(replay(back, loaded) == [.allowedByRule, .dropped])
}

@Test func laterFragmentsTakeTheirFirstFragmentsVerdictOrAreJudgedOnTheProtocolOnly() {
    let group = SecurityGroup(id: "sg-in", rules: [
        R.rule("sgr-ping", "sg-in", .ingress, .icmp(ICMPTypeCode(type: 8, code: nil)), "0.0.0.0/0"),
        R.rule("sgr-tcp", "sg-in", .ingress, .tcp(PortRange(22)), "0.0.0.0/0"),
    ])
    let loaded = policy([group])
    let c = home, s = instance4
    let ping = T.echoFragments(c, s, request: true, id: 9, seq: 1, fragmentID: 0x4444)
    let ssh = T.tcpFragments(c, s, 40000, 22, [.psh, .ack], id: 0x5555)
    let sshBlocked = T.tcpFragments(c, s, 40000, 23, [.psh, .ack], id: 0x6666)
    #expect(ping.first.packet.fragment == .first && ping.later.packet.fragment == .later)
    let capture = [
        At(0, ping.first), At(0.001, ping.later),
        At(1, ssh.first), At(1.001, ssh.later),
        At(2, sshBlocked.first), At(2.001, sshBlocked.later),
        // Orphans (no first fragment seen): an ICMP type-8 rule and a tcp-22 rule restrict what the
        // fragment does not carry, so neither matches.
        At(3, T.echoFragments(c, s, request: true, id: 9, seq: 2, fragmentID: 0x7777).later),
        At(4, T.tcpFragments(c, s, 40000, 22, [.ack], id: 0x8888).later),
    ]
    #expect(replay(capture, loaded) == [
        .allowedByRule, .allowedByRule, .allowedByRule, .allowedByRule, .dropped, .dropped, .dropped, .dropped,
    ])
    // With rules that do not restrict ports or types, orphans pass by rule.
    let wide = SecurityGroup(id: "sg-in", rules: [
        R.rule("sgr-icmp", "sg-in", .ingress, .icmp(.any), "0.0.0.0/0"),
        R.rule("sgr-tcp", "sg-in", .ingress, .tcp(.all), "0.0.0.0/0"),
    ])
    #expect(replay(Array(capture.suffix(2)), policy([wide])) == [.allowedByRule, .allowedByRule])
    // A GRE later fragment has its whole flow key (protocol and addresses): it is judged like any
    // GRE packet, tracking included.
    let gre = SecurityGroup(id: "sg-gre", rules: [R.rule("sgr-out", "sg-gre", .egress, .protocolNumber(47), "0.0.0.0/0")])
    let greCapture = [At(0, T.other(s, c, proto: 47)),
                      At(1, T.otherFragments(c, s, proto: 47, id: 0x9999).later),
                      At(2, T.otherFragments(c, "10.0.1.11", proto: 47, id: 0x9998).later),  // not the instance
                      At(3, T.otherFragments(c, s, proto: 50, id: 0x9997).later)]
    #expect(replay(greCapture, policy([gre])) == [.allowedByRule, .allowedByTracking, .skipped, .dropped])
    // IPv6 fragments the same way.
    let ping6 = T.echoFragments(client6, instance6, request: true, id: 3, seq: 1, fragmentID: 0x1001)
    let v6group = SecurityGroup(id: "sg-in", rules: [R.rule("sgr-ping6", "sg-in", .ingress, .icmpv6(.any), "::/0")])
    #expect(replay([At(0, ping6.first), At(0.1, ping6.later)], policy([v6group])) == [.allowedByRule, .allowedByRule])
}

@Test func assumeEstablishedJudgesMidStreamFlowsUnderTheInitialPolicy() {
    let group = SecurityGroup(id: "sg-ssh", rules: [
        R.rule("sgr-ssh", "sg-ssh", .ingress, .tcp(PortRange(22)), "\(office)/32"),
        R.rule("sgr-ping", "sg-ssh", .ingress, .icmp(.any), "\(office)/32"),
    ])
    // The SSH rule is revoked before the first frame: the start state has no SSH rule, but the
    // pre-existing flows are judged under the policy before any edit.
    let loaded = policy([group], timeline: [edit(-10, .revokeByID(groupID: "sg-ssh", ruleIDs: ["sgr-ssh", "sgr-ping"], revokedRules: []))])
    let c = office, s = instance4
    let capture = [
        At(0, T.tcp(c, s, 40000, 22, [.psh, .ack], payload: [1])),  // mid-stream: pre-existing entry
        At(0.1, T.tcp(s, c, 22, 40000, [.ack])),
        At(1, T.tcp(c, s, 40001, 22, [.syn])),  // a SYN opens a new flow: no rule now
        At(2, T.echo(c, s, request: true, id: 5)),
    ]
    var options = EngineOptions()
    #expect(options.assumeEstablished == .tcp)
    #expect(replay(capture, loaded, options) == [.allowedByTracking, .allowedByTracking, .dropped, .dropped])
    options.assumeEstablished = .all
    #expect(replay(capture, loaded, options) == [.allowedByTracking, .allowedByTracking, .dropped, .allowedByTracking])
    options.assumeEstablished = .none
    #expect(replay(capture, loaded, options) == [.dropped, .dropped, .dropped, .dropped])
    // The pre-existing entry's idle timer starts at the first frame, and it holds a slot from then on.
    options.assumeEstablished = .tcp
    options.tcpEstablishedOverride = .seconds(60)
    let lateFlow = [At(0, T.echo(c, s, request: true, id: 6)),
                    At(59.9, T.tcp(c, s, 40002, 22, [.ack])),
                    At(59.9 + 60, T.tcp(c, s, 40003, 22, [.ack]))]
    #expect(replay(lateFlow, loaded, options) == [.dropped, .allowedByTracking, .dropped])
    var initial = loaded
    initial.timeline = Timeline()
    options.conntrackMax = 1
    // 40003's pre-existing entry (first packet at +70 s) fills the single slot from +0 s until +60 s:
    // the ping's new entry at +1 s is lost; at +60 s the slot is free again.
    let slot = [At(0, T.tcp(s, "192.0.2.9", 40000, 443, [.syn])),  // no egress rule: dropped, no entry
                At(1, T.echo(c, s, request: true, id: 7)), At(60, T.echo(c, s, request: true, id: 7)),
                At(70, T.tcp(c, s, 40003, 22, [.ack]))]
    #expect(replay(slot, initial, options) == [.dropped, .lostConntrackExhausted, .allowedByRule, .lostConntrackExhausted])
}

@Test func editsApplyAtTheirInstantInInputOrderAndNACLSubnetAndGroupChangesTakeEffect() {
    let a = SecurityGroup(id: "sg-a", rules: [R.rule("ra", "sg-a", .ingress, .tcp(PortRange(80)), "\(home)/32")])
    let b = SecurityGroup(id: "sg-b", rules: [R.rule("rb", "sg-b", .ingress, .udp(PortRange(53)), "\(home)/32")])
    var acl = NetworkACL(id: "acl-1")
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all, cidr: R.cidr("0.0.0.0/0"), action: .allow))
    let deny50 = NetworkACLEntry(ruleNumber: 50, direction: .ingress, traffic: .udp(.all), cidr: R.cidr("\(home)/32"), action: .deny)
    var loaded = policy([a, b], acl: acl)
    loaded.policy.instance.groupIDs = ["sg-a"]
    loaded.timeline = Timeline([
        edit(1, .attachGroup("sg-b")),
        edit(2, .createNetworkACLEntry(aclID: "acl-1", entry: deny50)),
        edit(2, .deleteNetworkACLEntry(aclID: "acl-1", direction: .ingress, ruleNumber: 50)),  // same instant, after
        edit(3, .createNetworkACLEntry(aclID: "acl-1", entry: deny50)),
        edit(4, .detachGroup("sg-a")),
    ])
    let c = home, s = instance4
    let capture = [
        At(0, T.udp(c, s, 1, 53)),  // sg-b not attached yet
        At(1, T.udp(c, s, 2, 53)),  // attached at exactly +1 s
        At(2, T.udp(c, s, 3, 53)),  // create and delete at +2 s: no deny
        At(3, T.udp(c, s, 4, 53)),  // nacl-deny:50
        At(3.5, T.udp("10.0.1.77", s, 5, 53)),  // inside the subnet: the NACL does not apply; no SG rule
        At(3.6, T.tcp(c, s, 6, 80, [.syn])),
        At(4, T.tcp(c, s, 7, 80, [.syn])),  // sg-a detached
        At(4.1, T.tcp(c, s, 6, 80, [.ack])),  // its entry from +3.6 s lives on
    ]
    #expect(replay(capture, loaded) == [
        .dropped, .allowedByRule, .allowedByRule, .dropped, .dropped, .allowedByRule, .dropped, .allowedByTracking,
    ])
    #expect(reasons(capture, loaded)[3] == "nacl-deny:50")
    #expect(reasons(capture, loaded)[4] == "no-sg-rule")
}

@Test func anOutboundPacketDroppedByTheNACLStillCreatesItsEntry() {
    let group = SecurityGroup(id: "sg-a", rules: [R.rule("r", "sg-a", .egress, .udp(PortRange(53)), "8.8.8.8/32")])
    var acl = NetworkACL(id: "acl-1")
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all, cidr: R.cidr("0.0.0.0/0"), action: .allow))
    let loaded = policy([group], acl: acl)  // no outbound NACL entry: default deny outbound
    let s = instance4, d = "8.8.8.8"
    let capture = [At(0, T.udp(s, d, 5000, 53)), At(0.1, T.udp(d, s, 53, 5000))]
    #expect(replay(capture, loaded) == [.dropped, .allowedByTracking])
    #expect(reasons(capture, loaded)[0].hasPrefix("nacl-default-deny"))
}
