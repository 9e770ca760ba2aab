import Foundation
import Testing
import TestSupport

/// `sgreplay explain`: the reasoning chain of one frame, and a flow's frames.
@Suite struct ExplainTests {
    let trace = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")

    @Test func aFrameAfterTheRevokeIsExplainedByItsTrackingEntry() throws {
        let r = try runSgreplay(["explain", "capture.pcap", "--policy", "scenario.yaml", "--frame", "64"], in: trace)
        #expect(r.status == 0, "\(r.stderr)")
        let text = r.stdout
        #expect(text.contains("frame 64:"))
        #expect(text.contains("direction: inbound (10.0.0.5 is the instance; the peer is 203.0.113.1)"))
        #expect(text.contains("revoke sg-admin/sgr-ssh"))
        #expect(text.contains("0 inbound rules in force"))
        #expect(text.contains("tracking entry tcp 10.0.0.5:22 ~ 203.0.113.1:39611: live; created at frame 8"))
        #expect(text.contains("verdict: allowed-by-tracking"))
        #expect(text.contains("reason: tracking-entry: created at frame 8"))
    }

    @Test func rulesThatDoNotMatchSayWhy() throws {
        let other = packageRoot.appendingPathComponent("Traces/http-reply-without-outbound-rule")
        let labels = try runSgreplay(["analyze", "capture.pcap", "--policy", "scenario.yaml", "--labels", "-"], in: other)
        // The first dropped frame: the instance's ping to 8.8.8.8 has no outbound rule.
        let dropped = labels.stdout.split(separator: "\n").first { $0.contains("\"verdict\":\"dropped\"") }
        let frame = try #require(dropped.flatMap { line in
            line.split(separator: ",").first { $0.hasPrefix("{\"frame\":") }.map { Int($0.dropFirst(9))! }
        })
        let r = try runSgreplay(["explain", "capture.pcap", "--policy", "scenario.yaml", "--frame", String(frame)], in: other)
        #expect(r.stdout.contains("verdict: dropped"))
        #expect(r.stdout.contains("reason: no-sg-rule"))
    }

    @Test func aFlowListsEveryFrameWithItsVerdict() throws {
        let r = try runSgreplay(["explain", "capture.pcap", "--policy", "scenario.yaml", "--flow", "tcp 203.0.113.1:39611 > 10.0.0.5:22"], in: trace)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("flow tcp 203.0.113.1:39611 > 10.0.0.5:22: 97 frames"))
        #expect(r.stdout.contains("  64  "))
    }

    @Test func aFrameBeyondTheCaptureIsAnError() throws {
        let r = try runSgreplay(["explain", "capture.pcap", "--policy", "scenario.yaml", "--frame", "5000"], in: trace)
        #expect(r.status == 2)
        #expect(r.stderr.contains("capture.pcap: frame 5000: the capture has"))
    }
}
