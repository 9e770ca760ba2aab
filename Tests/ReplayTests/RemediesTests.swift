import Firewall
import Packets
import PolicyFiles
@testable import Replay
import Reports
import Testing

/// Remedies, each checked by replaying the capture with it applied: called as a library, no process.
@Suite struct RemediesTests {
    func request(remedies: Bool = true) throws -> ReplayRequest {
        let policy = try PolicyLoader.load(policyFiles: [Captures.ssh.appendingPathComponent("scenario.yaml").path])
        return ReplayRequest(capture: Captures.ssh.appendingPathComponent("capture.pcap").path, policy: policy)
    }

    @Test func theSSHRevokeGetsThreeRemediesEachCheckedByReplay() throws {
        let result = try CaptureReplay.analyze(try request(), remedies: .on)
        let remedies = result.summary.remedies
        #expect(remedies.count == 3)
        let nacl = try #require(remedies.first { $0.proposal.hasPrefix("add NACL deny entries for 203.0.113.1/32") })
        #expect(nacl.trackedPackets == 32 && nacl.stoppedPackets == 32 && nacl.otherDrops == 0)
        // The session never idles for 60 s: the shortest TCP timeout would not have stopped it.
        let timeout = try #require(remedies.first { $0.proposal.contains("TcpEstablishedTimeout") })
        #expect(timeout.stoppedPackets == 0)
        let end = try #require(remedies.first { $0.proposal.hasPrefix("end the connection") })
        #expect(end.stoppedPackets == 32 && end.flowsStopped == 1)
    }

    @Test func offChecksNoneAndAutoChecksSmallFiles() throws {
        #expect(try CaptureReplay.analyze(try request(), remedies: .off).summary.remedies.isEmpty)
        #expect(try CaptureReplay.analyze(try request(), remedies: .auto).summary.remedies.count == 3)
        #expect(RemedyMode.auto.applies(toBytes: 256 << 20) && !RemedyMode.auto.applies(toBytes: (256 << 20) + 1))
        #expect(!RemedyMode.auto.applies(toBytes: Int.max) && RemedyMode.on.applies(toBytes: Int.max))
    }

    @Test func eachProposalIsOneReplayWithItApplied() throws {
        let request = try request()
        let baseline = try CaptureReplay.run(request).summary
        var replays: [(acl: Int, resets: Int, edits: Int)] = []
        let remedies = try Remedies.evaluate(baseline: baseline, engineOptions: request.engineOptions, policy: request.policy) {
            policy, options throws(ReplayError) in
            replays.append((policy.policy.networkACLs.count, options.connectionResets.count, policy.timeline.count))
            var again = request
            again.policy = policy
            again.engineOptions = options
            return try CaptureReplay.run(again).summary
        }
        #expect(remedies.count == replays.count && replays.count == 3)
        let edits = request.policy.timeline.count
        // The NACL (the default one, made explicit) with its deny entries; the timeout; the reset.
        #expect(replays[0].acl == 1 && replays[0].edits > edits)
        #expect(replays[1].edits == edits + 1 && replays[1].resets == 0)
        #expect(replays[2].resets == 1 && replays[2].edits == edits)
    }

    @Test func peersInsideTheSubnetGetNoNACLProposal() throws {
        var policy = try request().policy.policy
        let inside = try #require(IPAddress(parsing: "10.0.0.9"))
        policy.instance.subnetCIDRs = [try #require(CIDR(parsing: "10.0.0.0/24"))]
        let flow = FlowKey(ipProtocol: IPProtocol.udp, instance: try #require(IPAddress(parsing: "10.0.0.5")), localPort: 53,
            peer: inside, remotePort: 40000)
        let texts = Remedies.proposals(for: [flow], at: Timestamp(seconds: 100), policy: policy).map(\.text)
        #expect(texts.count == 1 && texts[0].hasPrefix("end the connection"))
    }
}
