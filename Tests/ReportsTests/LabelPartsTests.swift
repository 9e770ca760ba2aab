import Foundation
import Reports
import Testing

/// Joining per-capture label parts: every line gains the capture key, whatever the buffer size,
/// including lines cut across reads and names that need escaping.
@Suite struct LabelPartsTests {
    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func everyLineGainsTheCaptureKeyAcrossReadBoundaries(chunkSize: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-parts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = (1...50).map { n in
            "{\"frame\":\(n),\"reason\":\"" + String(repeating: "x", count: n * 3 % 17) + "}\\n{\",\"timing_ambiguous\":false}"
        }
        let part = directory.appendingPathComponent("part").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: part, atomically: true, encoding: .utf8)
        let joined = directory.appendingPathComponent("joined.jsonl").path
        let output = try OutputFile(path: joined)
        let name = "dir/hour \"1\".pcap"
        try LabelParts.append(from: part, capture: name, to: output, chunkSize: chunkSize)
        try LabelParts.append(from: part, capture: "b.pcap", to: output, chunkSize: chunkSize)
        try output.commit()
        let out = try String(contentsOfFile: joined, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(out.count == 101 && out.last == "")
        for (i, line) in out.dropLast().enumerated() {
            let original = lines[i % 50]
            let key = i < 50 ? ",\"capture\":\"dir/hour \\\"1\\\".pcap\"}" : ",\"capture\":\"b.pcap\"}"
            #expect(line == original.dropLast() + key, "chunk \(chunkSize), line \(i + 1): \(line)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["capture"] as? String == (i < 50 ? name : "b.pcap"))
            #expect(object["frame"] as? Int == i % 50 + 1)
        }
    }
}
