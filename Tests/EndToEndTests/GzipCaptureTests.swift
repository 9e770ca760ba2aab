import Capture
import Foundation
import Packets
import Testing
import TestSupport

/// The test018 captures (custom blocks among packets), kept with the capture reader's tests.
func customBlockFixture(_ byteOrder: String) -> URL {
    packageRoot.appendingPathComponent("Tests/CaptureTests/Fixtures/test018-\(byteOrder).pcapng")
}

/// Captures as users keep them: gzip-compressed, given as a file or on standard input, give the
/// labels of the uncompressed capture; and frame numbers are Wireshark's whichever reader is used.
@Suite struct GzipCaptureTests {
    /// Runs `analyze` on a trace with its capture replaced by `capture` (a path, or `-` with `stdin`),
    /// and returns the run and its labels.
    func analyze(
        _ trace: Trace, capture: String, stdin: Data? = nil, _ extra: [String] = []
    ) throws -> (run: CommandResult, labels: String) {
        let labels = temporaryURL("labels.jsonl")
        defer { try? FileManager.default.removeItem(at: labels) }
        let arguments = trace.arguments(["--labels", labels.path] + extra).map { $0 == trace.capture ? capture : $0 }
        let run = try runSgreplay(arguments, in: trace.directory, stdin: stdin)
        return (run, (try? String(contentsOf: labels, encoding: .utf8)) ?? "")
    }

    func golden(_ trace: Trace) throws -> String {
        try String(contentsOf: trace.directory.appendingPathComponent("expected/labels.jsonl"), encoding: .utf8)
    }

    func gzippedCapture(_ trace: Trace) throws -> (url: URL, bytes: Data) {
        let plain = try [UInt8](Data(contentsOf: trace.directory.appendingPathComponent(trace.capture)))
        let bytes = Data(gzipped(plain))
        let url = temporaryURL("\(trace.name).pcap.gz")
        try bytes.write(to: url)
        return (url, bytes)
    }

    @Test(arguments: Trace.all)
    func aPcapGzFromAFileOrStandardInputGivesTheLabelsOfTheCapture(trace: Trace) throws {
        let (url, bytes) = try gzippedCapture(trace)
        defer { try? FileManager.default.removeItem(at: url) }
        let expected = try golden(trace)
        let fromFile = try analyze(trace, capture: url.path)
        #expect(fromFile.run.status == 0, "\(fromFile.run.stderr)")
        #expect(fromFile.labels == expected)
        let fromStdin = try analyze(trace, capture: "-", stdin: bytes)
        #expect(fromStdin.run.status == 0, "\(fromStdin.run.stderr)")
        #expect(fromStdin.labels == expected)
    }

    /// pcapng: the trace rewritten by `--annotate` (the same frames, as the annotate tests check),
    /// then compressed.
    @Test(arguments: Trace.all.filter { ["ssh-open-to-world-cut-at-revoke", "linux-cooked-capture", "vxlan-traffic-mirroring"].contains($0.name) })
    func aPcapngGzFromAFileOrStandardInputGivesTheLabelsOfTheCapture(trace: Trace) throws {
        let pcapng = temporaryURL("\(trace.name).pcapng"), compressed = temporaryURL("\(trace.name).pcapng.gz")
        defer { for url in [pcapng, compressed] { try? FileManager.default.removeItem(at: url) } }
        let annotate = try analyze(trace, capture: trace.capture, ["--annotate", pcapng.path])
        #expect(annotate.run.status == 0, "\(annotate.run.stderr)")
        let bytes = Data(gzipped(try [UInt8](Data(contentsOf: pcapng))))
        try bytes.write(to: compressed)
        let expected = try golden(trace)
        let fromFile = try analyze(trace, capture: compressed.path)
        #expect(fromFile.run.status == 0, "\(fromFile.run.stderr)")
        #expect(fromFile.labels == expected)
        let fromStdin = try analyze(trace, capture: "-", stdin: bytes)
        #expect(fromStdin.run.status == 0, "\(fromStdin.run.stderr)")
        #expect(fromStdin.labels == expected)
    }

    @Test func aCutGzipCaptureGivesTheFramesBeforeTheCutAndTheCaptureError() throws {
        let trace = try #require(Trace.all.first { $0.name == "ssh-open-to-world-cut-at-revoke" })
        let plain = try [UInt8](Data(contentsOf: trace.directory.appendingPathComponent(trace.capture)))
        // Stored blocks (level 0): a cut at 60% of the file falls at 60% of the capture.
        let compressed = gzipped(plain, level: 0)
        let cut = Data(compressed.prefix(compressed.count * 6 / 10))
        let url = temporaryURL("cut.pcap.gz")
        defer { try? FileManager.default.removeItem(at: url) }
        try cut.write(to: url)
        let expected = try golden(trace).split(separator: "\n")
        for (capture, stdin, name) in [(url.path, nil, url.path), ("-", cut, "standard input")] {
            let result = try analyze(trace, capture: capture, stdin: stdin, ["--format", "json"])
            #expect(result.run.status == 0, "\(result.run.stderr)")
            let labels = result.labels.split(separator: "\n")
            #expect(labels.count > 10 && labels.count < expected.count)
            #expect(Array(labels) == Array(expected.prefix(labels.count)))
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.run.stdout.utf8)) as? [String: Any])
            let error = try #require(summary["capture_error"] as? String)
            #expect(error.hasPrefix("\(name): frame \(labels.count + 1): the gzip stream is cut short"), "\(error)")
            #expect(summary["frames"] as? Int == labels.count)
            #expect(result.run.stderr.contains("the gzip stream is cut short"), "\(result.run.stderr)")
        }
    }

    @Test func aGzipFileThatHoldsNoCaptureIsTheUsualError() throws {
        let url = temporaryURL("notes.txt.gz")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(gzipped(Array("these are notes, not a capture\n".utf8))).write(to: url)
        let run = try runSgreplay(["analyze", url.path, "--instance", "10.0.0.5"])
        #expect(run.status == 2)
        #expect(run.stderr == "sgreplay: error: \(url.path): not a pcap or pcapng capture (unknown file format)\n")
    }

    /// The custom blocks of test018 (either byte order, plain or compressed, from a file or standard
    /// input) are labelled as the frames tshark lists them as, and every other frame keeps tshark's
    /// number: libpcap reads these files, and the reader slots the blocks libpcap skips.
    @Test(arguments: ["le", "be"])
    func customBlocksAreNumberedAsTsharkNumbersThem(byteOrder: String) throws {
        guard let t = tshark() else { return }
        let input = customBlockFixture(byteOrder)
        let listing = try tshark(t, input.path, ["-T", "fields", "-e", "frame.number", "-e", "frame.cb_pen", "-e", "frame.len"])
        let rows = listing.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 8)
        let tsharkCustom = rows.filter { !$0[1].isEmpty }.compactMap { Int($0[0]) }
        #expect(tsharkCustom == [1, 4, 6, 8])
        let plain = try Data(contentsOf: input)
        let compressed = Data(gzipped([UInt8](plain)))
        let file = temporaryURL("test018.pcapng.gz"), labelsURL = temporaryURL("test018.jsonl")
        defer { for url in [file, labelsURL] { try? FileManager.default.removeItem(at: url) } }
        try compressed.write(to: file)
        for (capture, stdin) in [(input.path, nil), (file.path, nil), ("-", plain), ("-", compressed)] {
            let run = try runSgreplay(["analyze", capture, "--instance", "192.168.0.10", "--labels", labelsURL.path], stdin: stdin)
            #expect(run.status == 0, "\(run.stderr)")
            let frames = try labels(labelsURL)
            #expect(frames.compactMap { $0["frame"] as? Int } == Array(1...8), "\(capture)")
            let custom = frames.filter { ($0["reason"] as? String ?? "").hasPrefix("not-a-packet: pcapng custom block") }
            #expect(custom.compactMap { $0["frame"] as? Int } == tsharkCustom, "\(capture)")
            // The packets are the DHCP exchange, in tshark's order.
            let dhcp = frames.filter { ($0["reason"] as? String ?? "").hasPrefix("aws-exempt: DHCP") }
            #expect(dhcp.compactMap { $0["frame"] as? Int } == [2, 3, 5, 7], "\(capture)")
        }
    }

    /// `--annotate` of a capture libpcap reads with custom blocks: the copyable ones (0x00000BAD,
    /// frames 1 and 6) are copied as they were, the others stand as empty packets with the comment,
    /// and tshark numbers the output as it numbers the input.
    @Test(arguments: ["le", "be"])
    func annotatingKeepsCustomBlocksCopied(byteOrder: String) throws {
        guard let t = tshark() else { return }
        let input = customBlockFixture(byteOrder)
        let compressed = temporaryURL("test018.pcapng.gz"), annotated = temporaryURL("test018-annotated.pcapng")
        defer { for url in [compressed, annotated] { try? FileManager.default.removeItem(at: url) } }
        try Data(gzipped([UInt8](try Data(contentsOf: input)))).write(to: compressed)
        let original = try framesRead(t, input.path)
        for capture in [input.path, compressed.path] {
            let run = try runSgreplay(["analyze", capture, "--instance", "192.168.0.10", "--annotate", annotated.path])
            #expect(run.status == 0, "\(run.stderr)")
            let output = try framesRead(t, annotated.path)
            #expect(output.map(\.number) == Array(1...8))
            let pens = try tshark(t, annotated.path, ["-T", "fields", "-e", "frame.cb_pen"]).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(pens.prefix(8).map(String.init) == ["32473", "", "", "", "", "36724", "", ""], "\(capture)")
            // Copied custom blocks and packets: the same bytes and lengths for tshark.
            for n in [1, 2, 3, 5, 6, 7] {
                #expect(output[n - 1].bytes == original[n - 1].bytes, "frame \(n) of \(capture)")
            }
            for n in [2, 3, 5, 7] {
                #expect(output[n - 1].comment.hasPrefix("sgreplay: skipped: aws-exempt: DHCP"), "frame \(n): \(output[n - 1].comment)")
            }
            for n in [4, 8] {
                #expect(output[n - 1].bytes.isEmpty, "frame \(n)")
                #expect(output[n - 1].comment.hasPrefix("sgreplay: skipped: not-a-packet: pcapng custom block"), "frame \(n)")
                #expect(output[n - 1].comment.hasSuffix("its type, 0x40000BAD, asks rewriters not to"), "frame \(n)")
            }
        }
    }

    /// Interfaces of several link types (libpcap gives up at the second; sgreplay's own pcapng reader
    /// rereads the file): read whole from a .pcapng.gz file; on standard input, which cannot be
    /// reread, the frames before the second interface and an error that says what to do.
    @Test func severalLinkTypesFromAGzipFileAndFromStandardInput() throws {
        let t0 = Packets.Timestamp(seconds: 1_700_000_000)
        let ssh = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn]))
        var out: [UInt8] = []
        var writer = PcapngWriter()
        writer.appendSectionHeader(application: "sgreplay tests", to: &out)
        let input: [(Int32, [UInt8])] = [(1, B.ethernet(type: 0x0800, ssh)), (1, B.ethernet(type: 0x0800, ssh)), (113, B.linuxCooked(protocolType: 0x0800, ssh))]
        for (i, (number, bytes)) in input.enumerated() {
            let id = writer.interface(linkTypeNumber: number, snapshotLength: 65535, to: &out)
            bytes.withUnsafeBytes {
                writer.appendEnhancedPacket(
                    interface: id, timestamp: t0 + .seconds(Int64(i)), packet: RawSpan(_unsafeBytes: $0),
                    originalLength: bytes.count, comment: [], to: &out)
            }
        }
        let compressed = Data(gzipped(out))
        let file = temporaryURL("mixed.pcapng.gz"), labelsURL = temporaryURL("mixed.jsonl")
        defer { for url in [file, labelsURL] { try? FileManager.default.removeItem(at: url) } }
        try compressed.write(to: file)
        let arguments = ["--instance", "10.0.0.5", "--labels", labelsURL.path, "--format", "json"]
        let whole = try runSgreplay(["analyze", file.path] + arguments)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try labels(labelsURL).compactMap { $0["frame"] as? Int } == [1, 2, 3])
        #expect(whole.stdout.contains("\"capture_error\":null"))

        let piped = try runSgreplay(["analyze", "-"] + arguments, stdin: compressed)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try labels(labelsURL).compactMap { $0["frame"] as? Int } == [1, 2])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any])
        let error = try #require(summary["capture_error"] as? String)
        #expect(error.hasPrefix("standard input: frame 3: an interface has a type 113 different from the type of the first interface"), "\(error)")
        #expect(error.hasSuffix("standard input cannot be reread, give the capture as a file"), "\(error)")
    }
}
