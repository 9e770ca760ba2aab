import Foundation
import Packets
import Testing
import TestSupport

/// Issue 12, item 9: the warnings a user needs before reading any verdict come first, in the text
/// summary (before the verdict table), in JSON `warnings` and in the report's answer.
@Suite struct LeadingWarningsTests {
    let trace = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")

    func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-warn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The text lines before the verdict table (its first row is `allowed-by-rule`).
    func headLines(_ text: String) -> [String] {
        Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("  allowed-by-rule") }.map(String.init))
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aTimelineDaysAwayFromTheCaptureIsWarnedBeforeTheVerdicts() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The trace's own scenario, its revoke moved to three days before the capture (21:17:47 on the 21st).
        let edits = dir.appendingPathComponent("edits.yaml")
        try "timeline:\n  - {at: 2026-11-18T21:18:17Z, revoke: sg-admin/sgr-ssh}\n".write(to: edits, atomically: true, encoding: .utf8)
        let policy = dir.appendingPathComponent("policy.yaml")
        let scenario = try String(contentsOf: trace.appendingPathComponent("scenario.yaml"), encoding: .utf8)
        try String(scenario[..<scenario.range(of: "timeline:")!.lowerBound]).write(to: policy, atomically: true, encoding: .utf8)
        let base = ["analyze", "capture.pcap", "--policy", policy.path, "--timeline", edits.path, "--remedies", "off"]

        let text = try runSgreplay(base, in: trace)
        #expect(text.status == 0, "\(text.stderr)")
        let head = headLines(text.stdout)
        let warning = try #require(head.first { $0.hasPrefix("warning: the timeline's edit lies more than a day outside the capture") })
        #expect(warning.contains("(2026-11-21T21:17:47.970813000Z to 2026-11-21T21:18:49.102936000Z)"))
        #expect(warning.contains("the nearest, at 2026-11-18T21:18:17.000000000Z, is 2.9 days before the first frame"))
        #expect(warning.contains("CloudTrail of another incident, or are the times in another zone?"))

        let object = try json(try runSgreplay(base + ["--format", "json"], in: trace).stdout)
        let warnings = try #require(object["warnings"] as? [String])
        #expect(warnings.first?.hasPrefix("the timeline's edit lies more than a day outside the capture") == true)

        let report = dir.appendingPathComponent("r.md")
        #expect(try runSgreplay(base + ["--report", report.path], in: trace).status == 0)
        let markdown = try String(contentsOf: report, encoding: .utf8)
        let answer = try #require(markdown.range(of: "## The answer"))
        let afterAnswer = markdown[answer.upperBound...]
        #expect(afterAnswer.split(separator: "\n").first { $0.hasPrefix("- ") }?.contains("**Warning:** the timeline's edit lies") == true)
    }

    @Test func anEditWithinADayIsNotWarned() throws {
        let r = try runSgreplay(["analyze", "capture.pcap", "--policy", "scenario.yaml", "--remedies", "off"], in: trace)
        #expect(!r.stdout.contains("warning:"))
    }

    @Test func noPolicyIsWarnedBeforeTheVerdicts() throws {
        let r = try runSgreplay(["analyze", "capture.pcap", "--instance", "10.0.0.5", "--remedies", "off"], in: trace)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(headLines(r.stdout).contains(
            "warning: no policy was given (--policy): every frame is judged against no rules, so everything the instance "
                + "sent or received is dropped unless a timeline edit adds rules"))
        let object = try json(try runSgreplay(
            ["analyze", "capture.pcap", "--instance", "10.0.0.5", "--remedies", "off", "--format", "json"], in: trace).stdout)
        #expect((object["warnings"] as? [String])?.first?.hasPrefix("no policy was given") == true)
    }

    @Test func aPolicyWithoutRulesForTheInstanceIsWarned() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let policy = dir.appendingPathComponent("p.yaml")
        try "instance: {addresses: [10.0.0.5], groups: []}\ngroups:\n  sg-other:\n    inbound: [tcp 22 from 0.0.0.0/0]\n"
            .write(to: policy, atomically: true, encoding: .utf8)
        let r = try runSgreplay(["analyze", "capture.pcap", "--policy", policy.path, "--remedies", "off"], in: trace)
        #expect(headLines(r.stdout).contains { $0.hasPrefix("warning: the policy gives the instance no security group rule") })
    }

    /// Two addresses in as many frames: the tool refuses to guess which one is the instance.
    @Test func aTieForTheMostSeenAddressIsAnErrorNamingBoth() throws {
        let tie = try runSgreplay(["analyze", "capture.pcap"], in: trace)
        #expect(tie.status == 2)
        #expect(tie.stderr == "sgreplay: error: capture.pcap: no instance address was given, and 10.0.0.5 and 203.0.113.1 are "
            + "each seen in 97 of the 111 IP frames: cannot tell which is the instance; give --instance ADDR\n")
        #expect(tie.stdout.isEmpty)
    }

    /// A capture whose busiest address is clear: it is taken, and said before the verdicts.
    @Test func anInferredInstanceIsWarnedBeforeTheVerdicts() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let me = "10.0.0.5"
        var records: [CaptureFileBuilder.Record] = []
        for (i, peer) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"].enumerated() {
            let ip = PacketBuilder.ipv4(src: peer, dst: me, proto: 6, PacketBuilder.tcp(src: peer, dst: me, sport: 40000, dport: 22, flags: [.syn]))
            records.append(.init(time: Timestamp(seconds: 1_700_000_000 + Int64(i)), bytes: ip))
        }
        let capture = dir.appendingPathComponent("c.pcap")
        try Data(CaptureFileBuilder.pcap(linkType: 101, records)).write(to: capture)
        let r = try runSgreplay(["analyze", capture.path, "--remedies", "off"])
        #expect(r.status == 0, "\(r.stderr)")
        let inferred = "no instance address was given: taking 10.0.0.5, the address seen in the most frames (3 of 3 IP frames); give --instance to be sure"
        #expect(headLines(r.stdout).contains("warning: " + inferred))
        #expect(r.stderr.contains(inferred))
    }

    /// Addresses no interface has (0.0.0.0, broadcast, multicast, loopback, 169.254/16) are never taken
    /// for the instance, however often they appear.
    @Test func addressesNoInterfaceHasAreNotCandidates() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var records: [CaptureFileBuilder.Record] = []
        for i in 0..<5 {
            let dhcp = PacketBuilder.ipv4(src: "0.0.0.0", dst: "255.255.255.255", proto: 17,
                                          PacketBuilder.udp(src: "0.0.0.0", dst: "255.255.255.255", sport: 68, dport: 67, [1]))
            records.append(.init(time: Timestamp(seconds: 1_700_000_000 + Int64(i)), bytes: dhcp))
        }
        for (i, peer) in ["198.51.100.1", "198.51.100.2"].enumerated() {
            let ip = PacketBuilder.ipv4(src: "10.0.0.5", dst: peer, proto: 6, PacketBuilder.tcp(src: "10.0.0.5", dst: peer, sport: 40000, dport: 443, flags: [.syn]))
            records.append(.init(time: Timestamp(seconds: 1_700_000_010 + Int64(i)), bytes: ip))
        }
        let capture = dir.appendingPathComponent("c.pcap")
        try Data(CaptureFileBuilder.pcap(linkType: 101, records)).write(to: capture)
        let r = try runSgreplay(["analyze", capture.path, "--remedies", "off"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("instance: 10.0.0.5 (inferred"))
    }

    /// The policy lists the instance's IPv4 address; most of the capture is its IPv6 address.
    @Test func aDominantAddressAmongNotInstanceFramesIsNamedWithTheOption() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v6 = "2001:db8::5"
        var records: [CaptureFileBuilder.Record] = []
        for i in 0..<40 {
            let peer = "2001:db8:ffff::\(i % 7 + 1)"
            let segment = PacketBuilder.tcp(src: peer, dst: v6, sport: UInt16(40000 + i), dport: 443, flags: [.syn])
            let ip = PacketBuilder.ipv6(src: peer, dst: v6, proto: 6, segment)
            records.append(.init(time: Timestamp(seconds: 1_700_000_000 + Int64(i)), bytes: ip))
        }
        let v4 = PacketBuilder.ipv4(src: "198.51.100.1", dst: "10.0.0.5", proto: 6,
                                    PacketBuilder.tcp(src: "198.51.100.1", dst: "10.0.0.5", sport: 40000, dport: 22, flags: [.syn]))
        records.append(.init(time: Timestamp(seconds: 1_700_000_100), bytes: v4))
        let capture = dir.appendingPathComponent("c.pcap")
        try Data(CaptureFileBuilder.pcap(linkType: 101, records)).write(to: capture)
        let policy = dir.appendingPathComponent("p.yaml")
        try "instance: 10.0.0.5\ngroups:\n  sg-web:\n    inbound: [tcp 443 from ::/0, tcp 22 from 0.0.0.0/0]\n"
            .write(to: policy, atomically: true, encoding: .utf8)
        let r = try runSgreplay(["analyze", capture.path, "--policy", policy.path, "--remedies", "off"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(headLines(r.stdout).first { $0.contains("skipped as not to or from the instance") })
        #expect(line.hasPrefix("warning: 40 of 41 IP frames (98%) were skipped as not to or from the instance, and 2001:db8::5 is in at least "))
        #expect(line.hasSuffix("add it with --instance 2001:db8::5"))
        // With the address added, nothing is left to warn about.
        let fixed = try runSgreplay(["analyze", capture.path, "--policy", policy.path, "--instance", v6, "--remedies", "off"])
        #expect(!fixed.stdout.contains("warning:"))
    }

    /// Loopback traffic is never an interface's: a capture on `lo` does not suggest 127.0.0.1.
    @Test func loopbackIsNeverSuggested() throws {
        let t = packageRoot.appendingPathComponent("Traces/linux-cooked-capture")
        let r = try runSgreplay(["analyze", "capture.pcap", "--policy", "scenario.yaml", "--remedies", "off"], in: t)
        #expect(r.status == 0)
        #expect(!r.stdout.contains("--instance 127.0.0.1"))
    }

    /// CloudTrail records: how many were ignored, and how many were not understood, in `timeline`.
    @Test func theJSONSummaryCountsTimelineRecordsApartFromEdits() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ssh-aws")
        let r = try runSgreplay([
            "analyze", "capture.pcap", "--remedies", "off", "--format", "json",
            "--policy", fixtures.appendingPathComponent("security-groups.json").path,
            "--policy", fixtures.appendingPathComponent("network-interfaces.json").path,
            "--timeline", fixtures.appendingPathComponent("cloudtrail.json").path,
        ], in: trace)
        #expect(r.status == 0, "\(r.stderr)")
        let timeline = try #require(try json(r.stdout)["timeline"] as? [String: Any])
        #expect(timeline["edits"] as? Int == 1)
        #expect(timeline["not_understood"] as? Int == 0)
        let ignored = try #require(timeline["ignored"] as? [String: Int])
        #expect(ignored == ["failed": 1, "not_edits": 1, "other_resources": 0])
    }

    /// A record of an event sgreplay applies that yields no edit is never silent: it is counted in
    /// `timeline.not_understood`, warned before the verdicts, and named (Records[i], eventID).
    @Test func aRecordNotUnderstoodIsCountedAndNamed() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ssh-aws")
        var trail = try String(contentsOf: fixtures.appendingPathComponent("cloudtrail.json"), encoding: .utf8)
        // An authorize with neither ipPermissions items nor the flat CLI fields: nothing to apply.
        let odd = """
            {"eventTime": "2026-11-21T21:18:30Z", "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
             "requestParameters": {"groupId": "sg-0a1b2c3d4e5f60001", "ipPermissions": {}},
             "responseElements": {"_return": true}, "eventID": "99999999-0000-4000-8000-000000000000"},
            """
        trail = trail.replacingOccurrences(of: "\"Records\": [", with: "\"Records\": [" + odd)
        let path = dir.appendingPathComponent("trail.json")
        try trail.write(to: path, atomically: true, encoding: .utf8)
        let arguments = [
            "analyze", "capture.pcap", "--remedies", "off",
            "--policy", fixtures.appendingPathComponent("security-groups.json").path,
            "--policy", fixtures.appendingPathComponent("network-interfaces.json").path,
            "--timeline", path.path,
        ]
        let r = try runSgreplay(arguments + ["--format", "json"], in: trace)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try json(r.stdout)
        #expect((object["timeline"] as? [String: Any])?["not_understood"] as? Int == 1)
        let warnings = try #require(object["warnings"] as? [String])
        #expect(warnings.first?.hasPrefix("1 CloudTrail record of rule-edit events was not understood") == true)
        #expect(warnings.contains { $0.contains("Records[0]") && $0.contains("99999999-0000-4000-8000-000000000000") }, "\(warnings)")
        let text = try runSgreplay(arguments, in: trace).stdout
        #expect(headLines(text).contains { $0.hasPrefix("warning: 1 CloudTrail record of rule-edit events was not understood") })
        #expect(text.contains("CloudTrail records not applied: 1 failed (errorCode), 1 not rule edits; 1 not understood (see the warnings)"))
    }
}
