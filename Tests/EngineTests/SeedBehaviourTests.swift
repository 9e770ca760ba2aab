import Firewall
import Packets
import Testing
import TestSupport

/// docs/semantics.md §8: what the seeds say, each row as frames with their expected verdicts.
@Suite struct SeedBehaviourTests {
    let peer = "203.0.113.1", me = "10.0.0.5"

    @Test func trackedSSHKeepsFlowingAfterItsRuleIsRevoked() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [{id: sgr-ssh, rule: tcp 22 from 203.0.113.1/32}]
                outbound: [all to 0.0.0.0/0]
            timeline:
              - {at: +30s, revoke: sg-web/sgr-ssh}
            """)
        let frames = session(client: peer, cport: 51514, server: me, sport: 22, from: 0, exchanges: 6, gap: 10)
        let v = verdicts(policy, frames)
        // Handshake and exchanges before +30 s by rule; after it, inbound packets by tracking only.
        #expect(Array(v.prefix(9)) == [R, R, R, R, R, R, R, R, R])
        #expect(Array(v.suffix(6)) == [T, R, T, R, T, R])
        let j = judge(policy, frames)
        #expect(j[9].reason == .trackingEntry)
        #expect(j[9].entry?.createdFrame == 1 && j[9].entry?.state == .tcpEstablished)
    }

    @Test func untrackedHTTPIsCutTheMomentItsRuleIsRevoked() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [{id: sgr-http, rule: tcp 80 from 0.0.0.0/0}, {id: sgr-http6, rule: tcp 80 from ::/0}]
                outbound: [all to 0.0.0.0/0, all to ::/0]
            timeline:
              - {at: +30s, revoke: sg-web/sgr-http}
            """)
        // The client's requests after +30 s never reach the server, so it retransmits them unanswered.
        var frames = session(client: peer, cport: 40000, server: me, sport: 80, from: 0, exchanges: 3, gap: 10)
        frames += [30.5, 31.5, 33.5].map { tcp(peer, 40000, me, 80, [.psh, .ack], at: $0) }
        let j = judge(policy, frames)
        #expect(j.prefix(9).allSatisfy { $0.verdict == R && $0.reason == .ruleUntracked && !$0.tracked })
        #expect(j.suffix(3).map(\.verdict) == [D, D, D])
        #expect(j[9].reason == .noSGRule)
    }

    @Test func afterTheRevokeAnOutboundPacketCreatesAnEntryThatLetsRepliesBackIn() {
        // With the inbound all-open rule gone the flow is tracked (docs/semantics.md §5.1 is re-evaluated per
        // packet), so a server packet permitted by the outbound rule picks the flow up (5.3).
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [{id: sgr-http, rule: tcp 80 from 0.0.0.0/0}]
                outbound: [all to 0.0.0.0/0]
            timeline:
              - {at: +30s, revoke: sg-web/sgr-http}
            """)
        var frames = session(client: peer, cport: 40000, server: me, sport: 80, from: 0, exchanges: 3, gap: 10)
        frames.append(tcp(peer, 40000, me, 80, [.psh, .ack], at: 31))
        frames.append(tcp(me, 80, peer, 40000, [.psh, .ack], at: 32))
        frames.append(tcp(peer, 40000, me, 80, [.ack], at: 32.1))
        let j = judge(policy, frames)
        #expect(j.suffix(3).map(\.verdict) == [D, R, T])
        #expect(j[10].reason == .ruleNewEntry && j[10].tracked)
    }

    @Test func icmpIsTrackedEvenWhenOpenToAllAndPingsOutliveTheRevoke() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [{id: sgr-icmp, rule: icmp from 0.0.0.0/0}]
                outbound: [all to 0.0.0.0/0]
            timeline:
              - {at: +10s, revoke: sg-web/sgr-icmp}
            """)
        var frames: [Frame] = []
        for s in 0..<20 {
            frames.append(ping(peer, me, type: 8, id: 7, at: Double(s)))
            frames.append(ping(me, peer, type: 0, id: 7, at: Double(s) + 0.001))
        }
        // The user stops pinging for 30 s (the [choice] ICMP timeout), then pings again: dropped.
        frames.append(ping(peer, me, type: 8, id: 7, at: 19.001 + 30))
        // A new ping flow (another identifier) right after the revoke is dropped too.
        frames.append(ping(peer, me, type: 8, id: 8, at: 12))
        let v = verdicts(policy, frames.sorted { $0.time < $1.time })
        let ordered = frames.sorted { $0.time < $1.time }
        for (i, f) in ordered.enumerated() {
            let s = Double(f.time.nanoseconds - t0.nanoseconds) / 1e9
            if f.packet.icmpIdentifier == 8 { #expect(v[i] == D) }
            else if s >= 49 { #expect(v[i] == D, "frame at \(s) s") }
            else if f.packet.icmpType == 0 { #expect(v[i] == R) }  // replies match the outbound rule
            else if s < 10 { #expect(v[i] == R) }
            else { #expect(v[i] == T, "frame at \(s) s") }
        }
    }

    @Test func removingTheOutboundAllRuleMakesHTTPTrackedAndRepliesPassByTracking() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [tcp 80 from 0.0.0.0/0]
                outbound: [{id: sgr-out, rule: all to 0.0.0.0/0}]
            timeline:
              - {at: +30s, revoke: sg-web/sgr-out}
            """)
        let frames = session(client: peer, cport: 40000, server: me, sport: 80, from: 0, exchanges: 6, gap: 10)
        let j = judge(policy, frames)
        #expect(j.prefix(9).allSatisfy { $0.verdict == R && !$0.tracked })
        // Now tracked: the request creates an entry (loose pickup), the reply passes by tracking.
        #expect(j.suffix(6).map(\.verdict) == [R, T, R, T, R, T])
        #expect(j[9].reason == .ruleNewEntry && j[9].entry?.state == .tcpEstablished)
    }

    @Test func sshOpenToTheWorldIsCutImmediately() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [{id: sgr-ssh, rule: tcp 22 from 0.0.0.0/0}]
                outbound: [all to 0.0.0.0/0]
            timeline:
              - {at: +30s, revoke: sg-web/sgr-ssh}
            """)
        var frames = session(client: peer, cport: 50000, server: me, sport: 22, from: 0, exchanges: 3, gap: 10)
        frames += [30.5, 31, 32, 34].map { tcp(peer, 50000, me, 22, [.psh, .ack], at: $0) }
        #expect(verdicts(policy, frames).suffix(4) == [D, D, D, D])
    }

    @Test func repliesLeaveWithoutAnOutboundRuleButInstanceInitiatedPingIsDropped() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [tcp 80 from 198.51.100.7]
            """)
        var frames = session(client: "198.51.100.7", cport: 40000, server: me, sport: 80, from: 0, exchanges: 2, gap: 1)
        frames.append(ping(me, "8.8.8.8", at: 5))
        #expect(verdicts(policy, frames) == [R, T, R, R, T, R, T, D])
    }

    @Test func naclOutboundDenyOnEphemeralPortsDropsRepliesDespiteTracking() {
        let policy = scenario("""
            instance: {addresses: [10.0.0.5], subnet: 10.0.0.0/24}
            groups:
              sg-web:
                inbound: [tcp 80 from 198.51.100.7]
            nacl:
              inbound:
                - 100 allow tcp 80 from 0.0.0.0/0
              outbound:
                - 100 deny tcp 1024-65535 to 0.0.0.0/0
                - 200 allow all to 0.0.0.0/0
            """)
        let frames = session(client: "198.51.100.7", cport: 40000, server: me, sport: 80, from: 0, exchanges: 2, gap: 1)
        let j = judge(policy, frames)
        #expect(j.map(\.verdict) == [R, D, R, R, D, R, D])
        #expect(j[1].reason == .naclDeny && j[1].naclRule == 100)
    }

    @Test func greAnsweredWithinSixHundredSecondsIsAcceptedByTracking() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-app:
                outbound: [all to 0.0.0.0/0]
            """)
        let frames = [gre(me, "198.51.100.9", at: 0), gre("198.51.100.9", me, at: 599.9), gre("198.51.100.9", me, at: 1199.8),
                      gre("198.51.100.9", me, at: 1199.8 + 600)]
        #expect(verdicts(policy, frames) == [R, T, T, D])
    }

    @Test func newFlowsBeyondTheAllowanceAreLost() {
        let policy = scenario("""
            instance: 10.0.0.5
            groups:
              sg-web:
                inbound: [tcp 443 from 198.51.0.0/16]
                outbound: [all to 0.0.0.0/0]
            settings:
              conntrack-max: 3
            """)
        var frames: [Frame] = []
        for i in 0..<5 { frames.append(tcp("198.51.100.\(i + 1)", 40000, me, 443, [.syn], at: Double(i) * 0.1)) }
        // The established flows keep working; a lost flow's retransmitted SYN is lost again.
        frames.append(tcp(me, 443, "198.51.100.1", 40000, [.syn, .ack], at: 1))
        frames.append(tcp("198.51.100.5", 40000, me, 443, [.syn], at: 2))
        let j = judge(policy, frames)
        #expect(j.map(\.verdict) == [R, R, R, L, L, R, L])
        #expect(j[3].reason == .conntrackFull && j[3].occupancy == 3)
    }
}
