import Firewall
import Foundation
import Packets
import PolicyFiles
import Testing
import TestSupport

/// Real AWS input shapes, judged: what a file says must be what the engine applies.
@Suite struct AWSInputVerdictTests {
    /// Loads files written to a scratch folder, as `analyze --policy …` does.
    func load(_ files: [(String, String)]) throws -> LoadedPolicy {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            paths.append(url.path)
        }
        return try PolicyLoader.load(policyFiles: paths)
    }

    /// A rule naming S3's AWS-managed prefix list permits traffic to its blocks, as describe-prefix-lists prints them.
    @Test func aRuleReferencingADescribedPrefixListMatchesItsBlocks() throws {
        let policy = try load([
            ("scenario.yaml", """
                instance: 10.0.0.5
                groups:
                  sg-app:
                    outbound: [{id: sgr-s3, rule: tcp 443 to pl-63a5400a}]
                """),
            ("prefix-lists.json", """
                {"PrefixLists": [{"PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["54.231.0.0/17"], "PrefixListId": "pl-63a5400a"}]}
                """),
        ])
        let j = judge(policy, [
            tcp("10.0.0.5", 40000, "54.231.10.20", 443, [.syn], at: 0),
            tcp("10.0.0.5", 40001, "8.8.8.8", 443, [.syn], at: 1),
        ])
        #expect(j.map(\.verdict) == [R, D])
        #expect(j[0].reason == .ruleNewEntry)
    }
}
