import Foundation
import Testing
import TestSupport

/// The same incident given as AWS CLI JSON and a CloudTrail log gives the same verdicts as the
/// scenario file: the path most users take (describe-* output and CloudTrail).
@Suite struct AWSInputsTests {
    let trace = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ssh-aws")

    func verdicts(_ arguments: [String]) throws -> [String] {
        let r = try runSgreplay(["analyze", "capture.pcap", "--labels", "-", "--remedies", "off"] + arguments, in: trace)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map { line in
            let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return (o?["verdict"] as? String) ?? "?"
        }
    }

    @Test func describeOutputAndCloudTrailGiveTheScenariosVerdicts() throws {
        let scenario = try verdicts(["--policy", "scenario.yaml"])
        let aws = try verdicts([
            "--policy", fixtures.appendingPathComponent("security-groups.json").path,
            "--policy", fixtures.appendingPathComponent("network-interfaces.json").path,
            "--timeline", fixtures.appendingPathComponent("cloudtrail.json").path,
        ])
        #expect(aws.count == 113)
        #expect(aws == scenario)
        #expect(aws.filter { $0 == "allowed-by-tracking" }.count == 32)
    }

    @Test func aSnapshotTakenAfterTheIncidentGivesTheSameVerdicts() throws {
        // describe-security-groups run after the revoke: the SSH rule is gone; --policy-state end
        // rebuilds the start by undoing the CloudTrail revoke.
        let after = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-after-\(UUID().uuidString).json")
        var text = try String(contentsOf: fixtures.appendingPathComponent("security-groups.json"), encoding: .utf8)
        let start = try #require(text.range(of: "\"IpPermissions\": [")), end = try #require(text.range(of: "],\n            \"OwnerId\""))
        text.replaceSubrange(start.upperBound..<end.lowerBound, with: "")
        try text.write(to: after, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: after) }
        let scenario = try verdicts(["--policy", "scenario.yaml"])
        let rebuilt = try verdicts([
            "--policy", after.path, "--policy", fixtures.appendingPathComponent("network-interfaces.json").path,
            "--timeline", fixtures.appendingPathComponent("cloudtrail.json").path, "--policy-state", "end",
        ])
        #expect(rebuilt == scenario)
    }
}
