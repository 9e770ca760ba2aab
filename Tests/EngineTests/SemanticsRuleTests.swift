import Firewall
import Packets
import Testing
import TestSupport

/// One test (or a few) per rule of docs/semantics.md, sections 1–7.
@Suite struct SemanticsRuleTests {
    let me = "10.0.0.5", peer = "203.0.113.1"
    let openPolicy = scenario("""
        instance: 10.0.0.5
        groups:
          sg-a:
            inbound: [tcp 22 from 203.0.113.0/24, udp 53 from 203.0.113.0/24, icmp from 203.0.113.0/24]
            outbound: [all to 0.0.0.0/0]
        """)

    // MARK: 1. Vantage point

    @Test func framesNotToOrFromTheInstanceAreSkipped() {
        let frames = [tcp("198.51.100.1", 1, "198.51.100.2", 22, [.syn], at: 0), tcp(me, 1, me, 22, [.syn], at: 1),
                      at(2, [0x45])]  // a truncated IPv4 header
        let j = judge(openPolicy, frames)
        #expect(j.map(\.verdict) == [S, S, S])
        #expect(j[0].reason == .notInstance && j[1].reason == .bothInstance && j[2].reason == .notDecoded)
        #expect(j[0].direction == nil)
    }

    @Test func directionComesFromWhichEndpointIsTheInstance() {
        let j = judge(openPolicy, [tcp(peer, 1000, me, 22, [.syn], at: 0), tcp(me, 22, peer, 1000, [.syn, .ack], at: 0.1)])
        #expect(j[0].direction == .inbound && j[1].direction == .outbound)
    }

    @Test func aDroppedPacketCreatesNothing() {
        // An inbound SYN to a closed port is dropped; the instance's later packet to that peer port
        // is allowed by the outbound rule and not by a phantom entry.
        let j = judge(openPolicy, [tcp(peer, 1000, me, 80, [.syn], at: 0), tcp(peer, 1000, me, 80, [.ack], at: 1)])
        #expect(j.map(\.verdict) == [D, D])
    }

    // MARK: 3. Order of evaluation; 6. NACL

    let naclPolicy = scenario("""
        instance: {addresses: [10.0.0.5, "2001:db8::5"], subnet: [10.0.0.0/24]}
        groups:
          sg-a:
            inbound: [tcp 22 from 0.0.0.0/8, all from ::/0]
            outbound: [tcp 443 to 0.0.0.0/0]
        nacl:
          inbound:
            - 100 deny tcp 22 from 203.0.113.66/32
            - 110 allow tcp 22 from 203.0.113.0/24
            - 120 allow tcp 1024-65535 from 0.0.0.0/0
          outbound:
            - 100 deny tcp 443 to 198.51.100.9/32
            - 200 allow all to 0.0.0.0/0
        """)

    @Test func naclEntriesAreCheckedInRuleNumberOrderFirstMatchWins() {
        let j = judge(naclPolicy, [tcp("203.0.113.66", 1000, me, 22, [.syn], at: 0), tcp("203.0.113.7", 1000, me, 22, [.syn], at: 1),
                                   tcp("198.51.100.1", 1000, me, 80, [.syn], at: 2)])
        #expect(j[0].verdict == D && j[0].reason == .naclDeny && j[0].naclRule == 100)
        // 203.0.113.7 passes NACL 110 but no SG rule permits it (the SG allows 0.0.0.0/8 only).
        #expect(j[1].verdict == D && j[1].reason == .noSGRule)
        #expect(j[2].verdict == D && j[2].reason == .naclDefaultDeny)
    }

    @Test func theNACLDoesNotApplyInsideTheSubnet() {
        let j = judge(naclPolicy, [tcp("10.0.0.9", 1000, me, 80, [.syn], at: 0)])
        #expect(j[0].reason == .noSGRule)  // reached the SG: the NACL was skipped
    }

    @Test func ipv4EntriesNeverMatchIPv6() {
        // The NACL has no IPv6 entries: IPv6 from outside the (IPv4-only) subnet hits the * rule.
        let frame = at(0, B.ipv6(src: "2001:db8:20::1", dst: "2001:db8::5", proto: 6,
            B.tcp(src: "2001:db8:20::1", dst: "2001:db8::5", sport: 1000, dport: 22, flags: [.syn])))
        #expect(judge(naclPolicy, [frame])[0].reason == .naclDefaultDeny)
    }

    @Test func anOutboundPacketPermittedBySGCreatesItsEntryEvenWhenTheNACLDropsIt() {
        let j = judge(naclPolicy, [tcp(me, 40000, "198.51.100.9", 443, [.syn], at: 0), tcp("198.51.100.9", 443, me, 40000, [.syn, .ack], at: 0.1)])
        #expect(j[0].verdict == D && j[0].reason == .naclDeny && j[0].entry != nil)
        // The reply passes NACL 120 (ephemeral ports) and the SG by the entry the dropped SYN created.
        #expect(j[1].verdict == T)
    }

    @Test func anInboundPacketDroppedByTheNACLNeverReachesTheSG() {
        let policy = scenario("""
            instance: {addresses: [10.0.0.5], subnet: 10.0.0.0/24}
            groups:
              sg-a:
                inbound: [tcp 22 from 0.0.0.0/0]
            nacl:
              inbound: [100 deny tcp 22 from 0.0.0.0/0]
              outbound: [100 allow all to 0.0.0.0/0]
            """)
        // No entry was created by the denied SYN, so the instance's packet back is dropped (no outbound rule).
        #expect(verdicts(policy, [tcp(peer, 1000, me, 22, [.syn], at: 0), tcp(me, 22, peer, 1000, [.syn, .ack], at: 0.1)]) == [D, D])
    }

    @Test func noNACLConfiguredAllowsEverything() {
        #expect(verdicts(openPolicy, [tcp(peer, 1000, me, 22, [.syn], at: 0)]) == [R])
    }

    // MARK: 4. Security group rules

    @Test func rulesOfEveryAttachedGroupAreUnited() {
        let policy = scenario("""
            instance: {addresses: [10.0.0.5], groups: [sg-a, sg-b]}
            groups:
              sg-a: {inbound: [tcp 22 from 203.0.113.1]}
              sg-b: {inbound: [tcp 443 from 0.0.0.0/0]}
              sg-c: {inbound: [tcp 80 from 0.0.0.0/0]}
            """)
        #expect(verdicts(policy, [tcp(peer, 1, me, 22, [.syn], at: 0), tcp(peer, 2, me, 443, [.syn], at: 0), tcp(peer, 3, me, 80, [.syn], at: 0)])
            == [R, R, D])
    }

    @Test func ingressMatchesSourceAndLocalPortEgressMatchesDestinationAndRemotePort() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 1000-2000 from 203.0.113.0/24]
                outbound: [udp 53 to 198.51.100.53/32]
            """)
        let j = verdicts(policy, [
            tcp(peer, 5000, me, 1500, [.syn], at: 0),  // local port 1500 in range
            tcp(peer, 1500, me, 5000, [.syn], at: 0),  // source port in range does not count
            udp(me, 5353, "198.51.100.53", 53, at: 0), udp(me, 53, "198.51.100.54", 53, at: 0),
        ])
        #expect(j == [R, D, R, D])
    }

    @Test func icmpTypeAndCodeRules() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [icmp 8 from 0.0.0.0/0, icmp 3:4 from 0.0.0.0/0]
            """)
        let frames = [ping(peer, me, type: 8, at: 0), ping(peer, me, type: 13, id: 9, at: 0),
                      at(0, B.ipv4(src: peer, dst: me, proto: 1, B.icmp(type: 3, code: 4))),
                      at(0, B.ipv4(src: peer, dst: me, proto: 1, B.icmp(type: 3, code: 1)))]
        #expect(verdicts(policy, frames) == [R, D, R, D])
    }

    @Test func protocolAllMatchesIPv6AndICMPRulesKeepToTheirFamily() {
        let policy = scenario("""
            instance: {addresses: [10.0.0.5, "2001:db8::5"]}
            groups:
              sg-a:
                inbound: [all from ::/0, icmp from 0.0.0.0/0]
            """)
        let echo6 = at(0, B.ipv6(src: "2001:db8:20::1", dst: "2001:db8::5", proto: 58,
            B.icmp(type: 128, identifier: 1, v6: "2001:db8:20::1", dst: "2001:db8::5")))
        let udp6 = at(0, B.ipv6(src: "2001:db8:20::1", dst: "2001:db8::5", proto: 17,
            B.udp(src: "2001:db8:20::1", dst: "2001:db8::5", sport: 1, dport: 2)))
        #expect(verdicts(policy, [echo6, udp6, ping(peer, me, at: 0), udp(peer, 1, me, 2, at: 0)]) == [R, R, R, D])

        let v6only = scenario("""
            instance: {addresses: ["2001:db8::5"]}
            groups:
              sg-a: {inbound: [icmp from ::/0]}
            """)
        #expect(verdicts(v6only, [echo6]) == [D])  // icmp (1) is not icmpv6 (58)
    }

    @Test func prefixListsAndReferencedGroupsResolveToTheirAddresses() {
        let policy = scenario("""
            instance: 10.0.0.5
            prefix-lists:
              pl-office: [203.0.113.0/28]
            group-members:
              sg-lb: [10.0.1.20, 10.0.1.21]
            groups:
              sg-a:
                inbound: [tcp 22 from pl-office, tcp 8080 from sg-lb]
            """)
        let v = verdicts(policy, [tcp("203.0.113.5", 1, me, 22, [.syn], at: 0), tcp("203.0.113.20", 1, me, 22, [.syn], at: 0),
                                  tcp("10.0.1.21", 1, me, 8080, [.syn], at: 0), tcp("10.0.1.22", 1, me, 8080, [.syn], at: 0)])
        #expect(v == [R, D, R, D])
    }

    // MARK: 5.1 Tracked and untracked

    @Test func untrackedWhenTheInstanceIsTheClientToo() {
        // Outbound tcp 443 to 0.0.0.0/0 (narrow ports) with inbound all from 0.0.0.0/0: the request
        // orientation is outbound; both directions of the flow are untracked.
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [all from 0.0.0.0/0]
                outbound: [tcp 443 to 0.0.0.0/0]
            """)
        let j = judge(policy, [tcp(me, 40000, peer, 443, [.syn], at: 0), tcp(peer, 443, me, 40000, [.syn, .ack], at: 0.1)])
        #expect(j.map(\.tracked) == [false, false])
        #expect(j.map(\.verdict) == [R, R])
    }

    @Test func theResponseRuleMustCoverAllPortsForTheFlowToBeUntracked() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 80 from 0.0.0.0/0]
                outbound: [tcp 1024-65535 to 0.0.0.0/0]
            """)
        #expect(judge(policy, [tcp(peer, 40000, me, 80, [.syn], at: 0)])[0].tracked)
    }

    @Test func onlyLiteralAllAddressRulesMakeAFlowUntracked() {
        // Two halves covering every IPv4 address are not 0.0.0.0/0 ([choice]).
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 80 from 0.0.0.0/1, tcp 80 from 128.0.0.0/1]
                outbound: [all to 0.0.0.0/0]
            """)
        #expect(judge(policy, [tcp(peer, 40000, me, 80, [.syn], at: 0)])[0].tracked)
    }

    @Test func automaticallyTrackedPeersAreAlwaysTracked() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 80 from 0.0.0.0/0]
                outbound: [all to 0.0.0.0/0]
            """)
        var options = EngineOptions()
        options.automaticallyTrackedPeers = [CIDR(parsing: "203.0.113.0/24")!]
        let j = judge(policy, [tcp(peer, 40000, me, 80, [.syn], at: 0), tcp("198.51.100.1", 40000, me, 80, [.syn], at: 0)], options: options)
        #expect(j.map(\.tracked) == [true, false])
    }

    @Test func otherProtocolsAreAlwaysTrackedByAddressesAndProtocol() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [all from 0.0.0.0/0]
                outbound: [all to 0.0.0.0/0]
            """)
        let j = judge(policy, [gre(peer, me, at: 0)])
        #expect(j[0].tracked && j[0].reason == .ruleNewEntry)
        #expect(j[0].flow?.localPort == 0 && j[0].flow?.remotePort == 0)
    }

    // MARK: 5.2 ICMP errors

    @Test func anICMPErrorAboutATrackedFlowIsRelatedAndRefreshesNothing() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                outbound: [udp 33434-33534 to 0.0.0.0/0]
            """)
        let probe = B.ipv4(src: me, dst: "198.51.100.9", proto: 17, B.udp(src: me, dst: "198.51.100.9", sport: 40000, dport: 33434))
        let frames = [
            at(0, probe),
            // Time exceeded from a router on the path, quoting the probe.
            at(1, B.ipv4(src: "192.0.2.1", dst: me, proto: 1, B.icmpError(type: 11, code: 0, quoting: probe))),
            at(29.5, B.ipv4(src: "192.0.2.1", dst: me, proto: 1, B.icmpError(type: 11, code: 0, quoting: probe))),
            // The entry (udp 30 s from frame 1) was not refreshed by the errors: gone at 30 s.
            at(30, B.ipv4(src: "192.0.2.1", dst: me, proto: 1, B.icmpError(type: 11, code: 0, quoting: probe))),
        ]
        let j = judge(policy, frames)
        #expect(j.map(\.verdict) == [R, T, T, D])
        #expect(j[1].reason == .relatedICMPError)
        #expect(j[2].entry?.lastSeen == t0)
    }

    @Test func anICMPErrorWithoutATrackedFlowIsJudgedByRulesAndCreatesNoEntry() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [icmp 3 from 0.0.0.0/0]
            """)
        let quoted = B.ipv4(src: me, dst: peer, proto: 17, B.udp(src: me, dst: peer, sport: 1, dport: 2))
        let error = at(0, B.ipv4(src: peer, dst: me, proto: 1, B.icmpError(type: 3, code: 3, quoting: quoted)))
        let j = judge(policy, [error, ping(me, peer, type: 0, id: 0, at: 1)])
        #expect(j[0].verdict == R && j[0].reason == .ruleICMPError)
        #expect(j[1].verdict == D)
    }

    // MARK: 5.3–5.4 Entries, states and timeouts

    @Test func entriesExpireAtTheExactInstant() {
        // udp 30 s: alive at 29.999999999 s after the last permitted packet, gone at 30 s.
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {outbound: [udp 53 to 0.0.0.0/0]}
            """)
        let v = verdicts(policy, [udp(me, 5000, peer, 53, at: 0), udp(peer, 53, me, 5000, at: 29.999999999), udp(peer, 53, me, 5000, at: 59.999999999 + 0.000000001)])
        #expect(v == [R, T, D])
    }

    @Test func udpBecomesAStreamFromTheSecondTransaction() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {outbound: [udp 4000 to 0.0.0.0/0]}
            """)
        let frames = [udp(me, 5000, peer, 4000, at: 0), udp(peer, 4000, me, 5000, at: 1),
                      udp(me, 5000, peer, 4000, at: 2), udp(peer, 4000, me, 5000, at: 3),
                      // 170 s idle: a stream (180 s) is still live; a single transaction (30 s) would not be.
                      udp(peer, 4000, me, 5000, at: 173)]
        let j = judge(policy, frames)
        #expect(j.map(\.verdict) == [R, T, R, T, T])
        #expect(j[1].entry?.state == .udp && j[3].entry?.state == .udpStream)

        let single = [udp(me, 5000, peer, 4000, at: 0), udp(peer, 4000, me, 5000, at: 1), udp(peer, 4000, me, 5000, at: 40)]
        #expect(verdicts(policy, single) == [R, T, D])
    }

    @Test func tcpStatesTakeTheirOwnTimeouts() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [{id: sgr-1, rule: tcp 22 from 203.0.113.0/24}]
                outbound: [tcp 1024-65535 to 203.0.113.0/24]
            timeline:
              - {at: +1s, revoke: sg-a/sgr-1}
            """)
        // A SYN alone: not established, 120 s.
        let synOnly = judge(policy, [tcp(peer, 1000, me, 22, [.syn], at: 0), tcp(peer, 1000, me, 22, [.syn], at: 119.9),
                                     tcp(peer, 1000, me, 22, [.syn], at: 239.95)])
        #expect(synOnly.map(\.verdict) == [R, T, D])
        #expect(synOnly[0].entry?.state == .tcpNotEstablished)

        // SYN, SYN-ACK, ACK: established (432000 s).
        let est = judge(policy, [tcp(peer, 1000, me, 22, [.syn], at: 0), tcp(me, 22, peer, 1000, [.syn, .ack], at: 0.1),
                                 tcp(peer, 1000, me, 22, [.ack], at: 0.2), tcp(peer, 1000, me, 22, [.ack], at: 100_000)])
        #expect(est[2].entry?.state == .tcpEstablished)
        #expect(est[3].verdict == T)

        // A RST: 10 s, and later packets refresh that 10 s.
        let reset = judge(policy, [tcp(peer, 40000, me, 22, [.ack], at: 0), tcp(me, 22, peer, 40000, [.rst], at: 0.5),
                                   tcp(peer, 40000, me, 22, [.ack], at: 9), tcp(peer, 40000, me, 22, [.ack], at: 18.9),
                                   tcp(peer, 40000, me, 22, [.ack], at: 28.95)])
        #expect(reset.map(\.verdict) == [R, R, T, T, D])
        #expect(reset[1].entry?.state == .tcpAfterReset)

        // FIN then the other side's ACK: closing, 120 s.
        let fin = judge(policy, [tcp(peer, 1000, me, 22, [.ack], at: 0), tcp(peer, 1000, me, 22, [.fin, .ack], at: 0.5),
                                 tcp(me, 22, peer, 1000, [.ack], at: 0.6), tcp(peer, 1000, me, 22, [.ack], at: 120.5),
                                 tcp(peer, 1000, me, 22, [.ack], at: 240.55)])
        #expect(fin[2].entry?.state == .tcpClosing)
        #expect(fin.map(\.verdict)[3...] == [T, D])
    }

    @Test func aNonSYNFirstPacketIsPickedUpAsEstablished() {
        let j = judge(openPolicy, [tcp(peer, 1000, me, 22, [.ack], at: 0)], options: { var o = EngineOptions(); o.assumeEstablished = .none; return o }())
        #expect(j[0].reason == .ruleNewEntry && j[0].entry?.state == .tcpEstablished)
    }

    @Test func trackingIsNotUsedWhenARulePermits() {
        let j = judge(openPolicy, [tcp(peer, 1000, me, 22, [.syn], at: 0), tcp(peer, 1000, me, 22, [.ack], at: 1)])
        #expect(j[1].verdict == R && j[1].reason == .ruleRefreshedEntry)
    }

    // MARK: 5.3 Flows established before the capture

    let revokedAtOne = scenario("""
        instance: 10.0.0.5
        groups:
          sg-a:
            inbound: [{id: sgr-1, rule: tcp 22 from 203.0.113.0/24}]
            outbound: [all to 0.0.0.0/0]
        timeline:
          - {at: +1s, revoke: sg-a/sgr-1}
        """)

    @Test func assumeEstablishedTCPUsesTheInitialPolicyAndStartsAtTheFirstFrame() {
        // The flow's first packet arrives after the revoke, mid-stream: under the initial policy it was
        // permitted, so its entry has existed since the first frame.
        let frames = [ping(peer, me, at: 0), tcp(peer, 1000, me, 22, [.psh, .ack], at: 5)]
        let tcpMode = judge(revokedAtOne, frames)
        #expect(tcpMode[1].verdict == T && tcpMode[1].entry?.preexisting == true)
        var none = EngineOptions()
        none.assumeEstablished = .none
        #expect(judge(revokedAtOne, frames, options: none)[1].verdict == D)
        // A SYN is a new flow, never pre-existing.
        #expect(judge(revokedAtOne, [ping(peer, me, at: 0), tcp(peer, 1000, me, 22, [.syn], at: 5)])[1].verdict == D)
    }

    @Test func anAssumedEntryIdlesFromTheFirstFrame() {
        var options = EngineOptions()
        options.tcpEstablishedOverride = .seconds(60)
        let frames = [ping(peer, me, at: 0), tcp(peer, 1000, me, 22, [.ack], at: 60)]
        #expect(judge(revokedAtOne, frames, options: options)[1].verdict == D)
    }

    @Test func assumedEntriesCountAgainstTheAllowanceFromTheFirstFrame() {
        var options = EngineOptions()
        options.conntrackMax = 1
        // Flow A (first seen mid-stream at 5 s) holds the only slot from 0 s: flow B's SYN at 1 s is lost.
        let frames = [ping("198.51.100.1", me, at: 0), tcp(peer, 2000, me, 22, [.syn], at: 0.5),
                      tcp("203.0.113.2", 1000, me, 22, [.ack], at: 5)]
        #expect(verdicts(revokedAtOne, frames, options: options) == [D, L, T])
    }

    @Test func assumeEstablishedAllCoversEveryProtocol() {
        var options = EngineOptions()
        options.assumeEstablished = .all
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [{id: sgr-1, rule: udp 53 from 203.0.113.0/24}]
            timeline:
              - {at: +1s, revoke: sg-a/sgr-1}
            """)
        let frames = [ping("198.51.100.1", me, at: 0), udp(peer, 5000, me, 53, at: 10)]
        #expect(verdicts(policy, frames, options: options) == [D, T])
        #expect(verdicts(policy, frames) == [D, D])
    }

    // MARK: 5.5 The allowance

    @Test func expiredEntriesFreeTheirSlotAtTheirInstant() {
        var options = EngineOptions()
        options.conntrackMax = 1
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [udp 53 from 0.0.0.0/0]}
            """)
        let frames = [udp(peer, 1, me, 53, at: 0), udp(peer, 2, me, 53, at: 29.9), udp(peer, 3, me, 53, at: 30)]
        #expect(verdicts(policy, frames, options: options) == [R, L, R])
    }

    @Test func flowsWithEntriesAndUntrackedFlowsAreNotAffectedByAFullTable() {
        var options = EngineOptions()
        options.conntrackMax = 1
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 22 from 203.0.113.0/24, tcp 80 from 0.0.0.0/0]
                outbound: [all to 0.0.0.0/0]
            """)
        let frames = [tcp(peer, 1, me, 22, [.syn], at: 0), tcp(peer, 2, me, 80, [.syn], at: 1), tcp(peer, 1, me, 22, [.ack], at: 2),
                      tcp(peer, 3, me, 22, [.syn], at: 3)]
        #expect(verdicts(policy, frames, options: options) == [R, R, R, L])
    }

    // MARK: 5.6 Exempt traffic; 5.7 fragments

    @Test func linkLocalServicesAndDHCPAreExempt() {
        let frames = [tcp(me, 40000, "169.254.169.254", 80, [.syn], at: 0), udp("0.0.0.0", 68, "255.255.255.255", 67, at: 0),
                      udp(me, 1000, "169.254.169.123", 123, at: 0)]
        let j = judge(openPolicy, frames)
        #expect(j.allSatisfy { $0.verdict == S && $0.reason == .awsExempt })
    }

    @Test func moreExemptBlocksCanBeGiven() {
        var options = EngineOptions()
        options.exemptCIDRs = [CIDR(parsing: "10.0.0.2/32")!]
        #expect(judge(openPolicy, [udp(me, 5000, "10.0.0.2", 53, at: 0)], options: options)[0].reason == .awsExempt)
    }

    @Test func laterFragmentsTakeTheFirstFragmentsVerdict() {
        let first = at(0, B.ipv4(src: peer, dst: me, proto: 17, id: 99, dontFragment: false, moreFragments: true,
            B.udp(src: peer, dst: me, sport: 5000, dport: 53, length: 2000, [UInt8](repeating: 0, count: 32))))
        let later = at(0.001, B.ipv4(src: peer, dst: me, proto: 17, id: 99, dontFragment: false, fragmentOffset: 5, [UInt8](repeating: 0, count: 64)))
        let firstToClosedPort = at(1, B.ipv4(src: peer, dst: me, proto: 17, id: 100, dontFragment: false, moreFragments: true,
            B.udp(src: peer, dst: me, sport: 5000, dport: 54, length: 2000, [UInt8](repeating: 0, count: 32))))
        let laterOfIt = at(1.001, B.ipv4(src: peer, dst: me, proto: 17, id: 100, dontFragment: false, fragmentOffset: 5, [UInt8](repeating: 0, count: 64)))
        let j = judge(openPolicy, [first, later, firstToClosedPort, laterOfIt])
        #expect(j.map(\.verdict) == [R, R, D, D])
        #expect(j[1].fragmentOfFrame == 1 && j[3].fragmentOfFrame == 3)
    }

    @Test func aLaterFragmentWithoutItsFirstIsJudgedByProtocolOnly() {
        let orphan = at(0, B.ipv4(src: peer, dst: me, proto: 17, id: 7, dontFragment: false, fragmentOffset: 5, [UInt8](repeating: 0, count: 64)))
        // udp 53 restricts ports: it cannot match. A protocol-wide rule can.
        let j = judge(openPolicy, [orphan])
        #expect(j[0].verdict == D && j[0].protocolOnly)
        let wide = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [udp 0-65535 from 0.0.0.0/0]}
            """)
        #expect(judge(wide, [orphan])[0].verdict == R)
    }

    // MARK: 7. The timeline

    @Test func anEditAtTAppliesToPacketsAtOrAfterT() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [{id: sgr-1, rule: udp 53 from 0.0.0.0/0}]}
            timeline:
              - {at: +10s, revoke: sg-a/sgr-1}
            """)
        let v = verdicts(policy, [udp(peer, 1, me, 53, at: 0), udp(peer, 2, me, 53, at: 9.999999999), udp(peer, 3, me, 53, at: 10)])
        #expect(v == [R, R, D])
    }

    @Test func editsWithEqualTimesApplyInInputOrder() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: []}
            timeline:
              - {at: +5s, authorize: "sg-a inbound udp 53 from 0.0.0.0/0"}
              - {at: +5s, revoke: "sg-a inbound udp 53 from 0.0.0.0/0"}
              - {at: +6s, revoke: "sg-a inbound udp 53 from 0.0.0.0/0"}
              - {at: +6s, authorize: "sg-a inbound udp 53 from 0.0.0.0/0"}
            """)
        let v = verdicts(policy, [ping(peer, me, at: 0), udp(peer, 1, me, 53, at: 5.5), udp(peer, 2, me, 53, at: 6.5)])
        #expect(v.suffix(2) == [D, R])
    }

    @Test func editsNeverTouchExistingEntriesButTimeoutChangesApplyToThemFromThenOn() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {outbound: [udp 4000 to 0.0.0.0/0]}
            timeline:
              - {at: +20s, timeouts: {udp: 60}}
            """)
        // The entry from 0 s would expire at 30 s; from 20 s on the timeout is 60 s, counted from 0 s.
        #expect(verdicts(policy, [udp(me, 5000, peer, 4000, at: 0), udp(peer, 4000, me, 5000, at: 45), udp(peer, 4000, me, 5000, at: 105.5)])
            == [R, T, D])
    }

    @Test func aLoweredTimeoutExpiresEntriesAtTheEditInstant() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [{id: sgr-1, rule: tcp 22 from 0.0.0.0/8}]
                outbound: [tcp 1024-65535 to 203.0.113.0/24]
            timeline:
              - {at: +100s, timeouts: {tcp-established: 60}}
            """)
        let frames = [tcp(me, 22, peer, 40000, [.ack], at: 0), tcp(peer, 40000, me, 22, [.ack], at: 50), tcp(peer, 40000, me, 22, [.ack], at: 111)]
        #expect(verdicts(policy, frames) == [R, T, D])
    }
}

@Suite struct ConnectionLayoutTests {
    @Test func anEntryFillsOneCacheLine() {
        #expect(MemoryLayout<Connection>.stride == 64)
    }
}

/// What the reports say about edits and the allowance.
@Suite struct EditEffectTests {
    let me = "10.0.0.5", peer = "203.0.113.1"

    @Test func dropsTheEditCausedAreMarkedAndOthersAreNot() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [{id: sgr-1, rule: tcp 80 from 0.0.0.0/0}]
                outbound: [all to 0.0.0.0/0]
            timeline:
              - {at: +10s, revoke: sg-a/sgr-1}
            """)
        let j = judge(policy, [tcp(peer, 1000, me, 80, [.ack], at: 0), tcp(peer, 1000, me, 80, [.ack], at: 20),
                               tcp(peer, 1000, me, 8080, [.syn], at: 21)])
        #expect(j.map(\.verdict) == [R, D, D])
        #expect(j[1].causedByEdit)
        #expect(!j[2].causedByEdit)  // port 8080 was never open
    }

    @Test func framesNearAnEditAreTimingAmbiguous() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [{id: sgr-1, rule: udp 53 from 0.0.0.0/0}]}
            timeline:
              - {at: +10s, revoke: sg-a/sgr-1}
            """)
        let j = judge(policy, [udp(peer, 1, me, 53, at: 0), udp(peer, 1, me, 53, at: 8.5), udp(peer, 1, me, 53, at: 11.5),
                               udp(peer, 1, me, 53, at: 12.5)])
        #expect(j.map(\.timingAmbiguous) == [false, true, true, false])
    }

    @Test func exhaustionEpisodesRunFromFullToTheFirstExpiry() {
        var options = EngineOptions()
        options.conntrackMax = 1
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [udp 53 from 0.0.0.0/0]}
            """)
        var engine = Engine(policy: policy, options: options)
        let frames = [udp(peer, 1, me, 53, at: 0), udp(peer, 2, me, 53, at: 5), udp(peer, 3, me, 53, at: 6),
                      udp(peer, 2, me, 53, at: 7), udp(peer, 4, me, 53, at: 31)]
        for (i, f) in frames.enumerated() { _ = engine.judge(f.packet, frame: i + 1, time: f.time) }
        let episodes = engine.exhaustionEpisodes
        #expect(episodes.count == 1)
        #expect(episodes.first?.start == t0)
        #expect(episodes.first?.end == t0 + .seconds(30))
        #expect(episodes.first?.lostPackets == 3 && episodes.first?.refusedFlows == 2)
        #expect(episodes.first?.firstLostFrame == 2 && episodes.first?.lastLostFrame == 4)
    }
}
