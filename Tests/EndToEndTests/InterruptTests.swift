import Foundation
import Packets
import Testing
import TestSupport

/// Ctrl-C during a long run stops cleanly, says how far it got, and leaves no half-written output.
@Suite struct InterruptTests {
    @Test func sigintStopsTheRunWithoutLeavingOutput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let capture = try OutputSafetyTests.longCapture(in: dir)
        let labels = dir.appendingPathComponent("labels.jsonl")

        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("sgreplay")
        process.arguments = ["analyze", capture.path, "--instance", "10.0.0.5", "--labels", labels.path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("interrupted after about"))
        #expect(stderr.contains("no output was written"))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "long.pcap" }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
