import Foundation
import Packets
import Testing
import TestSupport

/// `analyze A.pcap B.pcap …`: captures of one interface replayed as one timeline (a capture split
/// in two gives the verdicts of the whole), captures of different interfaces analysed independently
/// and in parallel (each as a run on it alone), totals that add up, labels with a capture key.
@Suite struct MultiCaptureTests {
    let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-multi-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
    static let ssh = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")
    static let twoENIs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/two-enis")
    static let eniA = "eni-0aaaaaaaaaaaaaaa1"
    static let eniB = "eni-0bbbbbbbbbbbbbbb2"

    /// The AWS inputs of the two-interface fixture: eni-a (10.0.0.5, SSH from the admin's /32, revoked
    /// by CloudTrail at +30 s: tracked) and eni-b (10.0.1.7, SSH from anywhere: untracked).
    var awsPolicy: [String] {
        ["--policy", Self.twoENIs.appendingPathComponent("security-groups.json").path,
         "--policy", Self.twoENIs.appendingPathComponent("network-interfaces.json").path,
         "--timeline", Self.twoENIs.appendingPathComponent("cloudtrail.json").path]
    }

    // MARK: Captures for the tests

    /// A classic pcap file read back into records (what tcpdump and the traces write).
    struct Pcap {
        var linkType: UInt32
        var nanosecond: Bool
        var records: [CaptureFileBuilder.Record]

        init(_ url: URL) throws {
            let b = [UInt8](try Data(contentsOf: url))
            func u32(_ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }
            let magic = u32(0)
            guard magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d else { throw CocoaError(.fileReadCorruptFile) }
            nanosecond = magic == 0xa1b2_3c4d
            linkType = u32(20)
            records = []
            var i = 24
            while i + 16 <= b.count {
                let fraction = Int64(u32(i + 4)) * (nanosecond ? 1 : 1000)
                let captured = Int(u32(i + 8)), wire = Int(u32(i + 12))
                records.append(.init(
                    time: Timestamp(seconds: Int64(u32(i)), nanoseconds: fraction),
                    bytes: Array(b[(i + 16)..<(i + 16 + captured)]), wireLength: wire))
                i += 16 + captured
            }
        }

        func bytes(_ range: Range<Int>) -> [UInt8] {
            CaptureFileBuilder.pcap(linkType: linkType, nanosecond: nanosecond, Array(records[range]))
        }
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The capture cut into parts at the given frame indices (0-based: `[80]` → frames 1–80 and 81–).
    func split(_ capture: URL, at cuts: [Int], name: String) throws -> [String] {
        let pcap = try Pcap(capture)
        let bounds = [0] + cuts + [pcap.records.count]
        return try zip(bounds, bounds.dropFirst()).enumerated().map { k, range in
            try write(pcap.bytes(range.0..<range.1), "\(name)-part\(k + 1).pcap")
        }
    }

    /// The SSH trace with the instance's address 10.0.0.5 replaced by `address` (another interface's
    /// capture of the same session). Checksums are not checked by the decoder.
    func sshCapture(as address: [UInt8], name: String) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: Self.ssh.appendingPathComponent("capture.pcap")))
        let from: [UInt8] = [10, 0, 0, 5]
        var i = 24
        while i + 4 <= bytes.count {
            if Array(bytes[i..<(i + 4)]) == from { bytes.replaceSubrange(i..<(i + 4), with: address) }
            i += 1
        }
        return try write(bytes, name)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func labels(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try json(String($0)) }
    }

    func run(_ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        let result = try runSgreplay(arguments, in: directory)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result
    }

    // MARK: One timeline

    /// The key property: every trace cut in two (and the SSH session in three) inside its flows, the
    /// parts given in reverse order, gives frame for frame the verdicts and reasons of the whole
    /// capture — tracking entries, applied edits, the first pass and the allowance carry over.
    @Test(arguments: Trace.all)
    func aCaptureSplitByTimeGivesTheVerdictsOfTheWhole(trace: Trace) throws {
        let whole = trace.directory.appendingPathComponent(trace.capture)
        let count = try Pcap(whole).records.count
        var splits = [[count / 2]]
        if trace.name == Self.ssh.lastPathComponent { splits += [[80], [40, 80], [63, 64]] }
        for cuts in splits {
            let parts = try split(whole, at: cuts, name: "\(trace.name)-\(cuts.map(String.init).joined(separator: "-"))")
            let wholeLabels = scratch.appendingPathComponent("\(trace.name)-whole.jsonl").path
            let partLabels = scratch.appendingPathComponent("\(trace.name)-parts.jsonl").path
            var arguments = trace.arguments(["--format", "json", "--remedies", "off"])
            let single = try json(try run(arguments + ["--labels", wholeLabels], in: trace.directory).stdout)
            arguments.replaceSubrange(1...1, with: parts.reversed())
            let several = try json(try run(arguments + ["--labels", partLabels], in: trace.directory).stdout)

            // Totals: the whole capture's.
            #expect(several["frames"] as? Int == single["frames"] as? Int, "\(trace.name) \(cuts)")
            #expect(several["verdicts"] as? [String: Int] == single["verdicts"] as? [String: Int], "\(trace.name) \(cuts)")
            #expect(several["skipped_reasons"] as? [String: Int] == single["skipped_reasons"] as? [String: Int])
            #expect(several["ip_frames"] as? Int == single["ip_frames"] as? Int)
            let conntrack = try #require(single["conntrack"] as? [String: Any])
            let total = try #require(several["conntrack"] as? [String: Int])
            for key in ["conntrack_allowance_exceeded", "entries_created", "entries_assumed_established"] {
                #expect(total[key] == conntrack[key] as? Int, "\(trace.name) \(cuts): \(key)")
            }

            // Frame for frame: the parts' labels in time order are the whole's, renumbered. Reasons
            // are the same but for the frame numbers of the entries they cite, which are numbered in
            // the capture that created them (the time next to them tells which).
            let wholeFrames = try labels(wholeLabels)
            let partFrames = try labels(partLabels)
            #expect(partFrames.count == wholeFrames.count)
            let byCapture = Dictionary(grouping: partFrames) { $0["capture"] as? String ?? "" }
            let inTimeOrder = parts.flatMap { byCapture[$0] ?? [] }
            func withoutFrames(_ reason: Any?) -> String {
                (reason as? String ?? "").replacing(/(, )?created at frame \d+/, with: "")
            }
            var first = true
            for (n, (a, b)) in zip(wholeFrames, inTimeOrder).enumerated() {
                #expect(a["verdict"] as? String == b["verdict"] as? String, "\(trace.name) \(cuts): \(a) vs \(b)")
                #expect(a["time"] as? String == b["time"] as? String)
                #expect(a["flow"] as? String == b["flow"] as? String)
                #expect(b["frame"] as? Int == n + 1 - ([0] + cuts).last { $0 <= n }!)
                if n < (cuts.first ?? 0) {
                    #expect(a["reason"] as? String == b["reason"] as? String, "\(trace.name) \(cuts): frame \(n + 1)")
                } else if withoutFrames(a["reason"]) != withoutFrames(b["reason"]) && first {
                    first = false
                    Issue.record("\(trace.name) \(cuts): frame \(n + 1): \(a["reason"] ?? "") vs \(b["reason"] ?? "")")
                }
            }

            // Each part's own summary: they add up to the totals, and the edits are listed once.
            let captures = try #require(several["captures"] as? [[String: Any]])
            #expect(captures.map { $0["capture"] as? String } == parts.reversed().map { $0 })
            // Each capture's `timeline` holds its place in the interface's timeline and the record counts.
            for capture in captures {
                let timeline = try #require(capture["timeline"] as? [String: Any], "\(trace.name)")
                #expect(Set(timeline.keys) == ["edits", "ignored", "not_understood", "position", "captures"], "\(trace.name)")
            }
            #expect((several["timeline"] as? [String: Any])?["not_understood"] as? Int == 0)
            #expect(captures.reduce(0) { $0 + ($1["frames"] as? Int ?? 0) } == single["frames"] as? Int)
            let editCount = (single["edits"] as? [Any])?.count ?? 0
            #expect((several["edits"] as? [Any])?.count == editCount)
        }
    }

    @Test func theSummaryNamesTheTimelineAndCountsTheTrackedFlowOnce() throws {
        let parts = try split(Self.ssh.appendingPathComponent("capture.pcap"), at: [80], name: "ssh-text")
        let text = try run(["analyze", parts[1], parts[0], "--policy", "scenario.yaml"], in: Self.ssh).stdout
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Answer first: the totals, then each capture under a heading naming it, in argument order.
        #expect(lines[0].hasPrefix("2 captures, 1 interface: 113 frames"))
        #expect(lines[1].contains("\(parts[0]), then \(parts[1]) (one timeline, in time order"))
        #expect(lines.contains("  allowed-by-tracking        32"))
        #expect(text.contains("still flowing only because of connection tracking: 1 flow, 32 packets, 2307 bytes"))
        #expect(text.contains("from frame 64 of \(parts[0])"))
        let headings = lines.filter { $0.hasPrefix("=== ") }
        #expect(headings.count == 2)
        #expect(headings[0].contains("1/2: \(parts[1])") && headings[0].contains("capture 2 of 2 of its timeline"))
        #expect(headings[1].contains("2/2: \(parts[0])"))
        #expect(text.contains("timeline: capture 2 of 2 of this interface"))
        // Remedies are checked by replaying the whole timeline with each: the same outcomes as for
        // the capture before it was split.
        #expect(text.contains("what would have stopped them (each checked by replaying \(parts[0]), \(parts[1]) with it):"))
        let whole = try run(["analyze", "capture.pcap", "--policy", "scenario.yaml"], in: Self.ssh).stdout
        let proposals = whole.split(separator: "\n").filter { $0.hasPrefix("      - ") }
        #expect(proposals.count == 3)
        for proposal in proposals { #expect(lines.contains(String(proposal)), "\(proposal)") }
        // Each part's own summary has none (the figures are the timeline's).
        #expect(text.components(separatedBy: "what would have stopped them").count == 2)
    }

    // MARK: Several interfaces

    /// Two interfaces of one NetworkInterfaces file, no --eni: each capture is matched to the interface
    /// whose addresses it carries, and its summary is exactly that of a run on it alone with --eni.
    @Test func independentInterfacesGiveEachCaptureTheRunOfItAlone() throws {
        let a = Self.ssh.appendingPathComponent("capture.pcap").path
        let b = try sshCapture(as: [10, 0, 1, 7], name: "eni-b.pcap")
        let labelsPath = scratch.appendingPathComponent("two.jsonl").path
        let several = try run(["analyze", b, a, "--format", "json", "--labels", labelsPath] + awsPolicy)
        let combined = try json(several.stdout)
        let captures = try #require(combined["captures"] as? [[String: Any]])
        #expect(captures.map { $0["interface"] as? String } == [Self.eniB, Self.eniA])

        var frames = 0
        var verdicts: [String: Int] = [:]
        var singleLabels: [String] = []
        for (capture, eni, object) in [(b, Self.eniB, captures[0]), (a, Self.eniA, captures[1])] {
            let single = scratch.appendingPathComponent("single-\(eni).jsonl").path
            let alone = try json(try run(["analyze", capture, "--format", "json", "--eni", eni, "--labels", single] + awsPolicy).stdout)
            var mine = object
            mine["interface"] = nil
            #expect(NSDictionary(dictionary: mine).isEqual(to: alone), "\(eni): \(mine) vs \(alone)")
            frames += alone["frames"] as? Int ?? 0
            for (k, v) in alone["verdicts"] as? [String: Int] ?? [:] { verdicts[k, default: 0] += v }
            singleLabels += try String(contentsOfFile: single, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        // The two interfaces' verdicts differ (tracked after the revoke on one, untracked on the other).
        #expect((captures[1]["verdicts"] as? [String: Int])?["allowed-by-tracking"] == 32)
        #expect((captures[0]["verdicts"] as? [String: Int])?["allowed-by-tracking"] == 0)
        // Totals are the sums.
        #expect(combined["frames"] as? Int == frames)
        #expect(combined["verdicts"] as? [String: Int] == verdicts)
        #expect(verdicts.values.reduce(0, +) == frames)
        let interfaces = try #require(combined["interfaces"] as? [[String: Any]])
        #expect(interfaces.map { $0["interface"] as? String } == [Self.eniB, Self.eniA])
        #expect(interfaces.map { $0["captures"] as? [String] } == [[b], [a]])
        #expect(interfaces[0]["matched_frames"] as? [Int] == [111 - 14])

        // Labels: every frame of every capture once, in argument order, each line the single run's
        // with the capture key added as its last key.
        let lines = try String(contentsOfFile: labelsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == singleLabels.count)
        for (line, alone) in zip(lines, singleLabels) {
            let capture = line.contains("\"capture\":\"\(b)\"") ? b : a
            #expect(line == alone.dropLast() + ",\"capture\":\"\(capture)\"}", "\(line)")
        }
        let objects = try labels(labelsPath)
        for capture in [b, a] {
            let numbers = objects.filter { $0["capture"] as? String == capture }.compactMap { $0["frame"] as? Int }
            #expect(numbers == Array(1...113))
        }
        #expect(objects.prefix(113).allSatisfy { $0["capture"] as? String == b })

        let text = try run(["analyze", b, a] + awsPolicy).stdout
        #expect(text.hasPrefix("2 captures, 2 interfaces: 226 frames"))
        #expect(text.contains("  \(Self.eniA) (10.0.0.5): \(a); matched by its addresses in 97 of 113 frames"))
        #expect(text.contains("(\(Self.eniB): from frame 64 of \(b); \(Self.eniA): from frame 64 of \(a);"))
    }

    /// Parallel timelines and joined labels: the same inputs give the same bytes every time, and
    /// with every replay on one thread (`SGREPLAY_PIPELINE=0`).
    @Test func resultsAreTheSameFromRunToRun() throws {
        let parts = try split(Self.ssh.appendingPathComponent("capture.pcap"), at: [70], name: "ssh-repeat")
        let b = try sshCapture(as: [10, 0, 1, 7], name: "eni-b-repeat.pcap")
        var outputs: Set<String> = []
        for n in 0..<4 {
            let labelsPath = scratch.appendingPathComponent("repeat-\(n).jsonl").path
            let result = try runSgreplay(
                ["analyze", parts[1], b, parts[0], "--format", "json", "--labels", labelsPath] + awsPolicy,
                environment: n == 3 ? ["SGREPLAY_PIPELINE": "0"] : [:])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.insert(result.stdout + (try String(contentsOfFile: labelsPath, encoding: .utf8)))
            let combined = try json(result.stdout)
            #expect(combined["frames"] as? Int == 226)
            #expect((combined["verdicts"] as? [String: Int])?["allowed-by-tracking"] == 32)
        }
        #expect(outputs.count == 1)
    }

    /// On a terminal, one progress line redrawn as each capture finishes (workers never interleave
    /// their writes), cleared at the end; the summary on standard output is untouched.
    @Test func progressOnATerminalIsOneLinePerCaptureDoneThenCleared() throws {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            Issue.record("script (util-linux) is needed to run sgreplay on a terminal")
            return
        }
        let parts = try split(Self.ssh.appendingPathComponent("capture.pcap"), at: [70], name: "ssh-progress")
        let b = try sshCapture(as: [10, 0, 1, 7], name: "eni-b-progress.pcap")
        let summary = scratch.appendingPathComponent("progress-summary.txt").path
        let binary = productsDirectory.appendingPathComponent("sgreplay").path
        let command = ([binary, "analyze", parts[0], b, parts[1]] + awsPolicy).map { "'\($0)'" }.joined(separator: " ")
            + " > '\(summary)'"
        let run = try runProgram(script, ["-qefc", command, "/dev/null"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let shown = run.stdout
        #expect(shown.contains("\rsgreplay: matching captures to interfaces: 3 of 3 done ("))
        #expect(shown.contains("\rsgreplay: analysed: 1 of 3 done ("))
        #expect(shown.contains("\rsgreplay: analysed: 3 of 3 done ("))
        #expect(shown.hasSuffix("\r\u{1B}[K"), "cleared at the end: \(shown.debugDescription)")
        // Every piece is a whole line: "sgreplay: …" ending in the clear-to-end-of-line sequence.
        for piece in shown.split(separator: "\r") where piece != "\u{1B}[K" {
            #expect(piece.hasPrefix("sgreplay: ") && piece.hasSuffix("\u{1B}[K") && !piece.contains("\n"), "\(piece.debugDescription)")
        }
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.hasPrefix("3 captures, 2 interfaces: 226 frames") && !text.contains("\r"))
    }

    // MARK: Reports

    @Test func theReportHasTheTotalsThenOneSectionPerCapture() throws {
        let parts = try split(Self.ssh.appendingPathComponent("capture.pcap"), at: [80], name: "ssh-report")
        let b = try sshCapture(as: [10, 0, 1, 7], name: "eni-b-report.pcap")
        let markdown = scratch.appendingPathComponent("report.md").path
        let html = scratch.appendingPathComponent("report.html").path
        _ = try run(["analyze", parts[0], parts[1], b, "--report", markdown] + awsPolicy)
        _ = try run(["analyze", parts[0], parts[1], b, "--report", html] + awsPolicy)
        let md = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(md.hasPrefix("# Incident report: 3 captures\n"))
        let headings = md.split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        #expect(headings.prefix(3) == ["## The answer, over all captures", "## Captures", "## Verdicts, all captures"])
        #expect(headings.filter { $0.hasPrefix("## Capture ") }.count == 3)
        #expect(md.contains("**1 flow kept flowing only because of connection tracking**: 32 packets"))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let ids = page.matches(of: /id="([^"]+)"/).map { String($0.output.1) }
        #expect(Set(ids).count == ids.count, "duplicate ids")
        for id in ["answer", "captures", "capture-1", "capture-3", "c1-answer", "c3-timeline", "c2-still-flowing"] {
            #expect(ids.contains(id), "\(id)")
        }
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"))
    }

    // MARK: Bad inputs

    func expectOneLineError(_ result: CommandResult, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 2, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("sgreplay: error: "), sourceLocation: sourceLocation)
        #expect(result.stderr.contains(text), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func badInputsExitTwoWithOneLineAndWriteNothing() throws {
        let capture = Self.ssh.appendingPathComponent("capture.pcap").path
        let scenario = Self.ssh.appendingPathComponent("scenario.yaml").path
        let parts = try split(URL(fileURLWithPath: capture), at: [60], name: "ssh-bad")
        let labelsPath = scratch.appendingPathComponent("never.jsonl").path
        let reportPath = scratch.appendingPathComponent("never.md").path
        let outputs = ["--labels", labelsPath, "--report", reportPath]

        expectOneLineError(try runSgreplay(["analyze", "-", capture, "--policy", scenario]), contains: "- (standard input) can be the only capture")
        expectOneLineError(try runSgreplay(["analyze", parts[0], parts[1], "--policy", scenario, "--annotate", scratch.appendingPathComponent("a.pcapng").path]),
            contains: "--annotate writes one annotated capture: give one capture")
        expectOneLineError(try runSgreplay(["analyze", parts[0], "/nonexistent/x.pcap", "--policy", scenario] + outputs),
            contains: "/nonexistent/x.pcap: no such file or directory")
        let notACapture = try write(Array("not a capture\n".utf8), "notes.txt")
        expectOneLineError(try runSgreplay(["analyze", parts[0], notACapture, "--policy", scenario] + outputs),
            contains: "\(notACapture): not a pcap or pcapng capture")
        expectOneLineError(try runSgreplay(["analyze", parts[0], parts[0], "--policy", scenario]), contains: "is given twice")
        // The whole capture and its first part: the same interface at the same time.
        expectOneLineError(try runSgreplay(["analyze", capture, parts[0], "--policy", scenario] + outputs),
            contains: "overlap in time, and both are captures of the instance")
        let overlap = try runSgreplay(["analyze", capture, parts[1], "--policy", scenario] + outputs)
        expectOneLineError(overlap, contains: "\(capture) (2026-11-21T21:17:47.970813000Z to 2026-11-21T21:18:49.102936000Z) and \(parts[1])")
        // With two interfaces, a capture of neither.
        let stranger = try sshCapture(as: [10, 9, 9, 9], name: "stranger.pcap")
        expectOneLineError(try runSgreplay(["analyze", capture, stranger] + awsPolicy + outputs),
            contains: "\(stranger): no frame carries an address of the network interfaces given")
        let b = try sshCapture(as: [10, 0, 1, 7], name: "eni-b-overlap.pcap")
        expectOneLineError(try runSgreplay(["analyze", capture, b, parts[1]] + awsPolicy + outputs),
            contains: "both are captures of \(Self.eniA)")
        expectOneLineError(try runSgreplay(["analyze", parts[0], parts[1], "--policy", scenario, "--labels", parts[1]]),
            contains: "--labels \(parts[1]): is the same file as the capture \(parts[1])")
        // Nothing was written, no part left behind.
        #expect(!FileManager.default.fileExists(atPath: labelsPath) && !FileManager.default.fileExists(atPath: reportPath))
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains("sgreplay-") }
        #expect(left.isEmpty, "\(left)")
    }

    /// A capture that ends in a truncated record: analysed up to it, reported for that capture, exit 0.
    @Test func aTruncatedCaptureAmongSeveralIsAnalysedUpToItsBadRecord() throws {
        let parts = try split(Self.ssh.appendingPathComponent("capture.pcap"), at: [80], name: "ssh-cut")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: parts[1])))
        bytes.removeLast(5)
        try Data(bytes).write(to: URL(fileURLWithPath: parts[1]))
        let labelsPath = scratch.appendingPathComponent("cut.jsonl").path
        let result = try run(["analyze", parts[0], parts[1], "--policy", "scenario.yaml", "--format", "json", "--labels", labelsPath], in: Self.ssh)
        let combined = try json(result.stdout)
        #expect(combined["frames"] as? Int == 112)
        let errors = try #require(combined["capture_errors"] as? [[String: String]])
        #expect(errors.count == 1 && errors[0]["capture"] == parts[1])
        #expect(errors[0]["error"]?.contains("frame 33: truncated dump file") == true)
        let captures = try #require(combined["captures"] as? [[String: Any]])
        #expect(captures[0]["capture_error"] is NSNull)
        #expect((captures[1]["capture_error"] as? String)?.contains("frame 33") == true)
        #expect(result.stderr.contains("\(parts[1])") && result.stderr.contains("the 32 frames before it were analysed"))
        #expect(try labels(labelsPath).count == 112)
    }
}
