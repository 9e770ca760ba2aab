import Foundation
import Packets
import Testing
import TestSupport

/// tshark, found on the PATH; a missing tshark fails the test with what to do (CI installs it).
func tshark() -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let url = URL(fileURLWithPath: String(directory)).appendingPathComponent("tshark")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    Issue.record("tshark is not installed: the annotated pcapng is checked with it. Install it with SGREPLAY_SETUP_TSHARK=1 Scripts/setup-debian.sh (Scripts/test.sh does)")
    return nil
}

/// Runs tshark on a file and returns its standard output.
func tshark(_ tshark: URL, _ file: String, _ arguments: [String]) throws -> String {
    let result = try runProgram(tshark, ["-n", "-r", file] + arguments)
    #expect(result.status == 0, "tshark -r \(file) \(arguments.joined(separator: " ")): \(result.stderr)")
    return result.stdout
}

/// One frame as tshark reads it: number, lengths, time and encapsulation; its bytes in hex; its
/// comment ("" when there is none).
struct TsharkFrame: Equatable {
    var number: Int
    var fields: String
    var bytes: String
    var comment: String
}

/// Every frame of a file, in one tshark run (JSON with the raw bytes of the frame layer).
func framesRead(_ t: URL, _ file: String) throws -> [TsharkFrame] {
    let json = try tshark(t, file, ["-T", "json", "-x", "-j", "frame pkt_comment"])
    let packets = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    return try packets.map { packet in
        let layers = try #require((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])
        let frame = try #require(layers["frame"] as? [String: Any])
        let fields = ["frame.len", "frame.cap_len", "frame.time_epoch", "frame.encap_type"].map { frame[$0] as? String ?? "-" }
        return TsharkFrame(
            number: Int(frame["frame.number"] as? String ?? "") ?? 0, fields: fields.joined(separator: " "),
            bytes: (layers["frame_raw"] as? [Any])?.first as? String ?? "",
            comment: (layers["pkt_comment"] as? [String: Any])?["frame.comment"] as? String ?? "")
    }
}

func labels(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-\(UUID().uuidString)-\(name)")
}

@Suite struct AnnotateTests {
    /// Every trace: tshark reads the annotated pcapng back with each frame's verdict and reason as its
    /// comment, and the frames (numbers, lengths, times, link types, bytes) exactly as in the input.
    @Test(arguments: Trace.all)
    func tsharkReadsEveryFramesVerdictAndTheSameBytes(trace: Trace) throws {
        guard let t = tshark() else { return }
        let labelsURL = temporaryURL("labels.jsonl"), annotated = temporaryURL("annotated.pcapng")
        let again = temporaryURL("again.jsonl")
        defer { for url in [labelsURL, annotated, again] { try? FileManager.default.removeItem(at: url) } }

        let run = try runSgreplay(trace.arguments(["--labels", labelsURL.path, "--annotate", annotated.path]), in: trace.directory)
        #expect(run.status == 0, "\(run.stderr)")
        let input = trace.directory.appendingPathComponent(trace.capture).path
        let frames = try labels(labelsURL)
        let output = try framesRead(t, annotated.path)
        #expect(output.count == frames.count)
        for (i, label) in frames.enumerated() {
            let number = try #require(label["frame"] as? Int)
            #expect(i < output.count && output[i].number == number)
            let expected = "sgreplay: \(label["verdict"] as? String ?? "?"): \(label["reason"] as? String ?? "?")"
            let comment = i < output.count ? output[i].comment : "<no frame \(number)>"
            if label["timing_ambiguous"] as? Bool == true {
                #expect(comment.hasPrefix(expected) && comment.contains("timing-ambiguous"), "frame \(number)")
            } else {
                #expect(comment == expected, "frame \(number)")
            }
        }
        // The same frames: lengths, times, link types and bytes.
        let original = try framesRead(t, input)
        #expect(output.map { [$0.fields, $0.bytes] } == original.map { [$0.fields, $0.bytes] })
        #expect(output.allSatisfy { !$0.bytes.isEmpty })

        // Read back through libpcap by sgreplay itself, the annotated file gives the same labels.
        let second = try runSgreplay(
            trace.arguments(["--labels", again.path]).map { $0 == trace.capture ? annotated.path : $0 }, in: trace.directory)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOf: again, encoding: .utf8) == String(contentsOf: labelsURL, encoding: .utf8))
    }

    /// A Wireshark-style capture on several interfaces of different link types, with custom blocks:
    /// tshark numbers the frames of the annotated file as it numbers the input's.
    @Test func mixedInterfacesAndCustomBlocksKeepWiresharksFrameNumbers() throws {
        guard let t = tshark() else { return }
        let t0 = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        let ssh = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn]))
        let reply = B.ipv4(src: "10.0.0.5", dst: "203.0.113.1", proto: 6,
            B.tcp(src: "10.0.0.5", dst: "203.0.113.1", sport: 22, dport: 51514, flags: [.syn, .ack]))
        let records: [CaptureFileBuilder.Record] = [
            .init(time: t0, bytes: B.ethernet(type: 0x0800, ssh), interface: 0),
            .init(time: t0 + .seconds(1), bytes: B.linuxCooked(protocolType: 0x0800, reply), interface: 1),
            .init(time: t0 + .seconds(2), bytes: ssh, wireLength: 1500, interface: 2),
            .init(time: t0 + .seconds(3), bytes: B.ethernet(type: 0x0806, [UInt8](repeating: 0, count: 28)), interface: 0),
        ]
        let pen: [UInt8] = [0x59, 0x7E, 0, 0]  // Private Enterprise Number 32473 (for examples)
        let capture = CaptureFileBuilder.pcapng(
            interfaces: [(1, 9), (113, 6), (101, 9)], records,
            customBlocks: [1: (0x0000_0BAD, pen + Array("copy me".utf8)), 3: (0x4000_0BAD, pen + Array("do not copy".utf8))])
        let input = temporaryURL("mixed.pcapng"), annotated = temporaryURL("mixed-annotated.pcapng")
        let labelsURL = temporaryURL("mixed.jsonl")
        defer { for url in [input, annotated, labelsURL] { try? FileManager.default.removeItem(at: url) } }
        try Data(capture).write(to: input)

        let run = try runSgreplay(["analyze", input.path, "--instance", "10.0.0.5", "--labels", labelsURL.path, "--annotate", annotated.path])
        #expect(run.status == 0, "\(run.stderr)")
        let frames = try labels(labelsURL)
        #expect(frames.count == 6)
        var output = try framesRead(t, annotated.path)
        let read = output.map(\.comment)
        #expect(read.count == 6)
        // Frame 2 is the copyable custom block, copied as it was: a custom block cannot carry a comment.
        #expect(read[1] == "")
        // Frame 5 asked not to be copied: it stands as an empty packet with the comment.
        #expect(read[4].hasPrefix("sgreplay: skipped: not-a-packet: pcapng custom block"))
        #expect(read[4].hasSuffix("the block itself is not copied: its type, 0x40000BAD, asks rewriters not to"))
        for n in [1, 3, 4, 6] {
            let label = frames[n - 1]
            #expect(read[n - 1] == "sgreplay: \(label["verdict"] as? String ?? "?"): \(label["reason"] as? String ?? "?")", "frame \(n)")
        }
        // Every frame but the one not copied is the same for tshark: lengths, time, link type, bytes.
        var inputFrames = try framesRead(t, input.path)
        #expect(output.map(\.number) == Array(1...6) && inputFrames.map(\.number) == Array(1...6))
        #expect(output[4].bytes.isEmpty && output[4].fields.hasPrefix("0 0 "))  // the stand-in: an empty packet
        inputFrames.remove(at: 4); output.remove(at: 4)
        #expect(output.map { [$0.fields, $0.bytes] } == inputFrames.map { [$0.fields, $0.bytes] })
        #expect(output[1].bytes == Array("copy me".utf8).map { String(format: "%02x", $0) }.joined() + "00")
        // One interface per link type (the stand-in packet takes the previous frame's), custom block
        // frames have none.
        let interfaces = try tshark(t, annotated.path, ["-T", "fields", "-e", "frame.interface_id", "-e", "frame.encap_type"])
        #expect(interfaces.split(separator: "\n") == ["0\t1", "\t", "1\t25", "2\t7", "2\t7", "0\t1"])
    }

    @Test func annotatedCaptureToStandardOutputSendsTheSummaryToStandardError() throws {
        guard let t = tshark() else { return }
        let trace = try #require(Trace.all.first { $0.name == "ssh-session-continues-after-revoke" })
        let run = try runSgreplay(trace.arguments(["--annotate", "-"]), in: trace.directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Array(run.stdoutBytes.prefix(4)) == [0x0A, 0x0D, 0x0D, 0x0A])
        #expect(run.stderr.contains("allowed-by-tracking"))
        let file = temporaryURL("stdout.pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        try run.stdoutBytes.write(to: file)
        #expect(try framesRead(t, file.path).map(\.bytes)
            == framesRead(t, trace.directory.appendingPathComponent(trace.capture).path).map(\.bytes))

        // The display filter the README promises finds exactly the frames labelled allowed-by-tracking.
        let tracked = try tshark(t, file.path, ["-Y", "frame.comment contains \"allowed-by-tracking\"", "-T", "fields", "-e", "frame.number"])
        let golden = try labels(trace.directory.appendingPathComponent("expected/labels.jsonl"))
        let expected = golden.filter { $0["verdict"] as? String == "allowed-by-tracking" }.compactMap { $0["frame"] as? Int }
        #expect(!expected.isEmpty)
        #expect(tracked.split(separator: "\n").compactMap { Int($0) } == expected)
    }

    @Test func annotateOptionConflictsAreUsageErrors() throws {
        let trace = try #require(Trace.all.first)
        for (arguments, message) in [
            (["--annotate", "-", "--format", "json"], "--annotate - and --format json both write to standard output"),
            (["--annotate", "-", "--labels", "-"], "--annotate - and --labels - both write to standard output"),
            (["--annotate", "x.pcapng", "--labels", "x.pcapng"], "--annotate x.pcapng: is the same file as --labels x.pcapng"),
            (["--annotate", trace.capture], "--annotate \(trace.capture): is the same file as the capture \(trace.capture)"),
        ] {
            let run = try runSgreplay(["analyze", trace.capture] + arguments, in: trace.directory)
            #expect(run.status == 2)
            #expect(run.stderr.contains(message), "\(run.stderr)")
        }
    }

    @Test func anUnwritableAnnotatePathFailsBeforeReading() throws {
        let trace = try #require(Trace.all.first)
        let run = try runSgreplay(trace.arguments(["--annotate", "/nonexistent/out.pcapng"]), in: trace.directory)
        #expect(run.status == 2)
        #expect(run.stderr.contains("/nonexistent/out.pcapng: cannot be written"), "\(run.stderr)")
    }
}
