import Foundation
import Testing
import TestSupport

/// Every folder in Traces/ with a capture is replayed through the built binary and compared with its
/// expected/ outputs (re-record with RECORD_SNAPSHOTS=1). Adding a trace means adding a folder.
struct Trace: CustomTestStringConvertible, Sendable {
    var directory: URL
    var name: String { directory.lastPathComponent }
    var testDescription: String { name }

    /// The capture file in the folder (capture.pcap or capture.pcapng).
    var capture: String {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("capture.pcapng").path)
            ? "capture.pcapng" : "capture.pcap"
    }

    /// `analyze` arguments: the capture, the scenario if there is one, and any extra lines of args.txt.
    func arguments(_ extra: [String]) -> [String] {
        var arguments = ["analyze", capture]
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("scenario.yaml").path) {
            arguments += ["--policy", "scenario.yaml"]
        }
        if let text = try? String(contentsOf: directory.appendingPathComponent("args.txt"), encoding: .utf8) {
            arguments += text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        return arguments + extra
    }

    static var all: [Trace] {
        let root = packageRoot.appendingPathComponent("Traces")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { Trace(directory: root.appendingPathComponent($0)) }.filter {
            FileManager.default.fileExists(atPath: $0.directory.appendingPathComponent($0.capture).path)
        }
    }
}

@Suite struct TracesTests {
    @Test func thereAreTraces() {
        #expect(!Trace.all.isEmpty)
    }

    @Test(arguments: Trace.all)
    func labelsAndSummariesMatchTheGoldenFiles(trace: Trace) throws {
        let labels = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: labels) }

        let json = try runSgreplay(trace.arguments(["--format", "json", "--labels", labels.path]), in: trace.directory)
        #expect(json.status == 0, "\(json.stderr)")
        let text = try runSgreplay(trace.arguments([]), in: trace.directory)
        #expect(text.status == 0, "\(text.stderr)")

        let expected = trace.directory.appendingPathComponent("expected")
        let labelText = try String(contentsOf: labels, encoding: .utf8)
        for (actual, file) in [(labelText, "labels.jsonl"), (json.stdout, "summary.json"), (text.stdout, "summary.txt")] {
            if let difference = try assertSnapshot(actual, matches: expected.appendingPathComponent(file)) {
                Issue.record("\(trace.name): \(difference)")
            }
        }

        // Every frame is labelled exactly once, in order, and the verdict counts add up.
        let frames = labelText.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(frames.map { $0["frame"] as? Int } == Array(1...max(frames.count, 1)).map { Optional($0) }.prefix(frames.count).map { $0 })
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let verdicts = try #require(summary["verdicts"] as? [String: Int])
        #expect(summary["frames"] as? Int == frames.count)
        #expect(verdicts.values.reduce(0, +) == frames.count)
    }

    /// The two threads with a ring of two slots: each waits for the other at nearly every frame, so
    /// any slip in how frames are handed over shows in the outputs.
    @Test(arguments: Trace.all)
    func aTwoSlotRingGivesTheSameOutputs(trace: Trace) throws {
        try expectGoldenLabelsAndSummary(trace, environment: ["SGREPLAY_PIPELINE": "1", "SGREPLAY_PIPELINE_SLOTS": "2"])
    }

    /// The goldens above come from the two-thread run (reading and judging apart) on any machine with
    /// two cores; judging on the reading thread must give the very same outputs.
    @Test(arguments: Trace.all)
    func judgingOnOneThreadGivesTheSameOutputs(trace: Trace) throws {
        try expectGoldenLabelsAndSummary(trace, environment: ["SGREPLAY_PIPELINE": "0"])
    }

    private func expectGoldenLabelsAndSummary(_ trace: Trace, environment: [String: String]) throws {
        let labels = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: labels) }
        let json = try runSgreplay(
            trace.arguments(["--format", "json", "--labels", labels.path]), in: trace.directory, environment: environment)
        #expect(json.status == 0, "\(json.stderr)")
        let expected = trace.directory.appendingPathComponent("expected")
        let labelText = try String(contentsOf: labels, encoding: .utf8)
        #expect(labelText == (try String(contentsOf: expected.appendingPathComponent("labels.jsonl"), encoding: .utf8)))
        #expect(json.stdout == (try String(contentsOf: expected.appendingPathComponent("summary.json"), encoding: .utf8)))
    }
}
