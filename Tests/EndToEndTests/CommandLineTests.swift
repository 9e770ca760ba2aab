import Foundation
import Packets
import Testing
import TestSupport

/// The fixed parts of INTERFACE.md: exit statuses, one-line errors naming the file, labels for every
/// frame, standard input.
@Suite struct CommandLineTests {
    let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A small valid capture: a SYN, a SYN-ACK and an ARP frame.
    func threeFrames() -> [UInt8] {
        let t = Packets.Timestamp(seconds: 1_700_000_000)
        let synAck = B.ipv4(src: "10.0.0.5", dst: "203.0.113.1", proto: 6,
            B.tcp(src: "10.0.0.5", dst: "203.0.113.1", sport: 22, dport: 51514, seq: 5000, ack: 1001, flags: [.syn, .ack]))
        return CaptureFileBuilder.pcap(linkType: 1, [
            .init(time: t, bytes: B.ethernet(type: 0x0800, synIPv4)),
            .init(time: t + .seconds(1), bytes: B.ethernet(type: 0x0800, synAck)),
            .init(time: t + .seconds(2), bytes: B.ethernet(type: 0x0806, [UInt8](repeating: 0, count: 28))),
        ])
    }

    func expectOneLineError(_ result: CommandResult, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 2, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("sgreplay: error: "), sourceLocation: sourceLocation)
        #expect(result.stderr.contains(text), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func badCapturesExitTwoWithOneLineNamingTheFile() throws {
        let empty = try write([], "empty.pcap")
        let text = try write(Array("not a capture at all\n".utf8), "notes.txt")
        let header = try write(Array(threeFrames().prefix(12)), "short-header.pcap")
        let radiotap = try write(CaptureFileBuilder.pcap(linkType: 127, [.init(time: .init(seconds: 1), bytes: [0, 0, 8, 0])]), "wifi.pcap")
        expectOneLineError(try runSgreplay(["analyze", "/nonexistent/x.pcap"]), contains: "/nonexistent/x.pcap: no such file or directory")
        expectOneLineError(try runSgreplay(["analyze", scratch.path]), contains: "\(scratch.path): is a directory")
        expectOneLineError(try runSgreplay(["analyze", empty]), contains: "\(empty): is empty")
        expectOneLineError(try runSgreplay(["analyze", text]), contains: "\(text): not a pcap or pcapng capture")
        expectOneLineError(try runSgreplay(["analyze", header]), contains: "\(header): truncated dump file")
        expectOneLineError(try runSgreplay(["analyze", radiotap]), contains: "link type IEEE802_11_RADIO (127")
    }

    @Test func usageErrorsExitTwo() throws {
        let capture = try write(threeFrames(), "ok.pcap")
        expectOneLineError(try runSgreplay(["analyze", capture, "--bogus"]), contains: "--bogus")
        expectOneLineError(try runSgreplay(["analyze", capture, "--format", "xml"]), contains: "xml")
        expectOneLineError(try runSgreplay(["analyze"]), contains: "<capture>")
    }

    @Test func unwritableLabelsPathExitsTwo() throws {
        let capture = try write(threeFrames(), "ok.pcap")
        expectOneLineError(try runSgreplay(["analyze", capture, "--labels", "/nonexistent/dir/labels.jsonl"]),
            contains: "/nonexistent/dir/labels.jsonl: cannot be written")
    }

    @Test func everyFrameGetsOneLabelWithTheDecodeKeys() throws {
        let capture = try write(threeFrames(), "ok.pcap")
        // Two frames between two addresses: a tie for the most-seen address, so the instance is given.
        let result = try runSgreplay(["analyze", capture, "--labels", "-", "--instance", "10.0.0.5"])
        #expect(result.status == 0)
        let labels = result.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(labels.count == 3)
        let first = try #require(labels[0])
        #expect(first["frame"] as? Int == 1)
        #expect(first["time"] as? String == "2023-11-14T22:13:20.000000000Z")
        #expect(first["src"] as? String == "203.0.113.1" && first["dst"] as? String == "10.0.0.5")
        #expect(first["protocol"] as? Int == 6 && first["sport"] as? Int == 51514 && first["dport"] as? Int == 22)
        let arp = try #require(labels[2])
        #expect(arp["verdict"] as? String == "skipped")
        #expect(arp["reason"] as? String == "not-ip: EtherType 0x0806 (ARP)")
        #expect(arp["src"] is NSNull && arp["direction"] is NSNull && arp["flow"] is NSNull)
        // With labels on standard output, the summary goes to standard error.
        #expect(result.stderr.contains("3 frames"))
    }

    @Test func standardInputGivesTheSameLabelsAsTheFile() throws {
        let bytes = threeFrames()
        let capture = try write(bytes, "ok.pcap")
        let fromFile = try runSgreplay(["analyze", capture, "--labels", "-", "--instance", "10.0.0.5"])
        let fromStdin = try runSgreplay(["analyze", "-", "--labels", "-", "--instance", "10.0.0.5"], stdin: Data(bytes))
        #expect(fromStdin.status == 0)
        #expect(fromStdin.stdout == fromFile.stdout)
        #expect(!fromStdin.stdout.isEmpty)
    }

    @Test func aTruncatedLastRecordIsAnalysedUpToItAndReported() throws {
        let capture = try write(Array(threeFrames().dropLast(5)), "cut.pcap")
        let labels = scratch.appendingPathComponent("cut.jsonl").path
        let result = try runSgreplay(["analyze", capture, "--labels", labels, "--format", "json", "--instance", "10.0.0.5"])
        #expect(result.status == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["frames"] as? Int == 2)
        let error = try #require(summary["capture_error"] as? String)
        #expect(error.contains("frame 3: truncated dump file"))
        #expect(result.stderr.contains("frame 3"))
        #expect(try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func helpAndVersionExitZero() throws {
        #expect(try runSgreplay(["--help"]).status == 0)
        #expect(try runSgreplay(["analyze", "--help"]).stdout.contains("--labels"))
        #expect(try runSgreplay(["--version"]).status == 0)
    }
}
