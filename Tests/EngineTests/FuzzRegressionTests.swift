import Firewall
import Foundation
import Packets
import PolicyFiles
import Testing
import TestSupport

/// Inputs the fuzzers found, replayed the way the harness does (Fuzz/Sources). Each must load or
/// throw an InputError, then replay without trapping.
@Suite struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")

    static var findings: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test(arguments: findings)
    func policyFilesFinding(name: String) throws {
        let data = try Data(contentsOf: FuzzRegressionTests.folder.appendingPathComponent(name))
        let kinds = ["scenario.yaml", "policy.json", "trail.json", "trail.json.gz", "pl-0abc.json"]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-regression-\(UUID().uuidString)-\(kinds[Int(data[0]) % kinds.count])")
        try data.dropFirst().write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let asTimeline = data[0] & 0x80 != 0
        do {
            let loaded = try PolicyLoader.load(
                policyFiles: asTimeline ? [] : [path.path], timelineFiles: asTimeline ? [path.path] : [], eni: nil,
                policyState: data[0] & 0x40 != 0 ? .end : .start)
            var engine = Engine(policy: loaded, options: EngineOptions())
            _ = engine.judge(DecodedPacket(), frame: 1, time: Timestamp(seconds: 1_700_000_000))
            engine.finish()
        } catch {
            #expect(!error.description.isEmpty)
        }
    }

    @Test func editsAtTheEndsOfTimeDoNotTrap() {
        for extreme in [Int64.max - 1, Int64.min + 1] {
            let policy = scenario("""
                instance: 10.0.0.5
                groups:
                  sg-a: {inbound: [{id: sgr-1, rule: udp 53 from 0.0.0.0/0}]}
                """)
            var loaded = policy
            loaded.timeline = Timeline([TimedEdit(time: .absolute(Timestamp(nanoseconds: extreme)), edit: .attachGroup("sg-a"))])
            var engine = Engine(policy: loaded, options: EngineOptions())
            let j = engine.judge(udp("203.0.113.1", 1, "10.0.0.5", 53, at: 0).packet, frame: 1, time: t0)
            #expect(!j.timingAmbiguous)
        }
    }
}
