import Foundation
import Packets
import Testing
import TestSupport

/// No run overwrites or damages an input, and nothing is left behind on failure: an output that is
/// the same file as an input or another output — by any spelling, through a symbolic or a hard
/// link — is a usage error before anything is written; temporary files (`--edit`, spooled standard
/// input, label parts) are removed whatever ends the run.
@Suite struct OutputSafetyTests {
    static let source = packageRoot.appendingPathComponent("Traces/http-open-to-world-cut-at-revoke")
    static let timelineText = "timeline:\n  - {at: +25s, revoke: sg-web/sgr-out4}\n"

    /// How the colliding output names the file.
    enum Spelling: String, CaseIterable, CustomTestStringConvertible {
        case same, dot, dotDot, symlink, hardLink
        var testDescription: String { rawValue }

        /// The path to give for `name` (in the scratch folder, which has an empty `sub/`); makes the link.
        func spell(_ name: String, in dir: URL) throws -> String {
            let fm = FileManager.default
            switch self {
            case .same: return name
            case .dot: return "./" + name
            case .dotDot: return "sub/../" + name
            case .symlink:
                let link = "link-to-" + name
                try fm.createSymbolicLink(atPath: dir.appendingPathComponent(link).path, withDestinationPath: name)
                return link
            case .hardLink:
                let link = "hard-" + name
                try fm.linkItem(atPath: dir.appendingPathComponent(name).path, toPath: dir.appendingPathComponent(link).path)
                return link
            }
        }
    }

    /// A scratch folder with the capture, the policy, a timeline file and an empty `sub/`. With
    /// `suffix` every input's name ends in it (`--report` takes only .md or .html names, and inputs
    /// are recognised by content, not name).
    static func scratch(suffix: String = "") throws -> (dir: URL, capture: String, policy: String, timeline: String) {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("sgreplay-safety-\(UUID().uuidString)")
        try fm.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let capture = "capture.pcap" + suffix, policy = "scenario.yaml" + suffix, timeline = "timeline.yaml" + suffix
        try fm.copyItem(at: source.appendingPathComponent("capture.pcap"), to: dir.appendingPathComponent(capture))
        try fm.copyItem(at: source.appendingPathComponent("scenario.yaml"), to: dir.appendingPathComponent(policy))
        try Data(timelineText.utf8).write(to: dir.appendingPathComponent(timeline))
        return (dir, capture, policy, timeline)
    }

    /// Every file under `dir` (links as links) with its bytes.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let fm = FileManager.default
        for name in try fm.subpathsOfDirectory(atPath: dir.path) {
            let path = dir.appendingPathComponent(name).path
            if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
                files[name] = Data(("-> " + target).utf8)
            } else {
                var isDirectory: ObjCBool = false
                _ = fm.fileExists(atPath: path, isDirectory: &isDirectory)
                files[name] = isDirectory.boolValue ? Data() : try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return files
    }

    static func expectUsageError(_ run: CommandResult, naming texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 2, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("sgreplay: error: "), sourceLocation: sourceLocation)
        #expect(run.stderr.split(separator: "\n").count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        for text in texts {
            #expect(run.stderr.contains(text), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        }
        #expect(run.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    enum Input: String, CaseIterable, CustomTestStringConvertible {
        case capture, policy, timeline
        var testDescription: String { rawValue }
    }

    /// Each output option against each input, each spelling: exit 2, the message names the option,
    /// the path given and the input, and the folder is exactly as before (inputs byte-identical, no
    /// temporary or other file left).
    @Test(arguments: ["--labels", "--annotate", "--report"], Input.allCases)
    func anOutputThatIsAnInputIsRefused(option: String, input: Input) throws {
        for spelling in Spelling.allCases {
            let s = try Self.scratch(suffix: option == "--report" ? ".md" : "")
            defer { try? FileManager.default.removeItem(at: s.dir) }
            let name = [Input.capture: s.capture, .policy: s.policy, .timeline: s.timeline][input]!
            let role = [Input.capture: "the capture", .policy: "--policy", .timeline: "--timeline"][input]!
            let spelled = try spelling.spell(name, in: s.dir)
            let before = try Self.snapshot(s.dir)
            let run = try runSgreplay(
                ["analyze", s.capture, "--policy", s.policy, "--timeline", s.timeline, "--remedies", "off", option, spelled],
                in: s.dir)
            Self.expectUsageError(run, naming: ["\(option) \(spelled): is the same file as \(role) \(name)"])
            #expect(try Self.snapshot(s.dir) == before, "\(spelling): the folder changed")
        }
    }

    /// Two outputs that are one file, whether it exists already (an earlier run's output) or not.
    @Test(arguments: [("--labels", "--annotate"), ("--labels", "--report"), ("--annotate", "--report")])
    func twoOutputsThatAreOneFileAreRefused(first: String, second: String) throws {
        for exists in [false, true] {
            for spelling in Spelling.allCases where exists || (spelling != .hardLink) {
                let s = try Self.scratch()
                defer { try? FileManager.default.removeItem(at: s.dir) }
                let out = "out.md"
                if exists { try Data("an earlier output\n".utf8).write(to: s.dir.appendingPathComponent(out)) }
                // A symbolic link to a file not there yet dangles: writing through it would create `out`.
                let spelled = try spelling.spell(out, in: s.dir)
                let before = try Self.snapshot(s.dir)
                let run = try runSgreplay(
                    ["analyze", s.capture, "--policy", s.policy, "--remedies", "off", first, out, second, spelled], in: s.dir)
                Self.expectUsageError(run, naming: ["\(second) \(spelled): is the same file as \(first) \(out)"])
                #expect(try Self.snapshot(s.dir) == before, "\(spelling), exists: \(exists): the folder changed")
            }
        }
    }

    /// Several captures and `explain` get the same check (`explain` has no outputs; `policy` neither).
    @Test func severalCapturesGetTheCheckToo() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        try FileManager.default.copyItem(at: s.dir.appendingPathComponent(s.capture), to: s.dir.appendingPathComponent("second.pcap"))
        try FileManager.default.createSymbolicLink(atPath: s.dir.appendingPathComponent("labels.jsonl").path, withDestinationPath: "second.pcap")
        let before = try Self.snapshot(s.dir)
        let run = try runSgreplay(["analyze", s.capture, "second.pcap", "--policy", s.policy, "--labels", "labels.jsonl"], in: s.dir)
        Self.expectUsageError(run, naming: ["--labels labels.jsonl: is the same file as the capture second.pcap"])
        let report = try runSgreplay(
            ["analyze", s.capture, "second.pcap", "--policy", s.policy, "--labels", "r.md", "--report", "./r.md"], in: s.dir)
        Self.expectUsageError(report, naming: ["--report ./r.md: is the same file as --labels r.md"])
        #expect(try Self.snapshot(s.dir) == before)
    }

    /// `-` is not a file, but when the shell made standard input or output an input file
    /// (`- < capture.pcap`, `>> capture.pcap`), that file is never written either (as `cat` refuses).
    @Test func standardStreamsRedirectedToAnInputAreRefused() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        func run(_ arguments: [String], stdin: String? = nil, appendingTo stdout: String) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = productsDirectory.appendingPathComponent("sgreplay")
            process.arguments = arguments
            process.currentDirectoryURL = s.dir
            if let stdin { process.standardInput = try FileHandle(forReadingFrom: s.dir.appendingPathComponent(stdin)) }
            let out = try FileHandle(forWritingTo: s.dir.appendingPathComponent(stdout))
            try out.seekToEnd()
            process.standardOutput = out
            let err = Pipe()
            process.standardError = err
            try process.run()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        try Data().write(to: s.dir.appendingPathComponent("summary.txt"))
        let before = try Self.snapshot(s.dir)
        let (status, stderr) = try run(["analyze", "-", "--policy", s.policy, "--labels", s.capture], stdin: s.capture, appendingTo: "summary.txt")
        #expect(status == 2)
        #expect(stderr.contains("--labels \(s.capture): is the same file as standard input; an input is never overwritten"), "\(stderr)")
        let (status2, stderr2) = try run(["analyze", s.capture, "--policy", s.policy], appendingTo: s.capture)
        #expect(status2 == 2)
        #expect(stderr2.contains("standard output: is the same file as the capture \(s.capture)"), "\(stderr2)")
        let (status3, stderr3) = try run(["policy", s.policy], appendingTo: s.policy)
        #expect(status3 == 2)
        #expect(stderr3.contains("standard output: is the same file as the policy file \(s.policy)"), "\(stderr3)")
        #expect(try Self.snapshot(s.dir) == before)
    }

    /// An output that is a symbolic link to another file is written through: the file it points to
    /// gets the output, the link stays a link. A dangling link creates its target. Inputs untouched.
    @Test func anOutputLinkIsWrittenThrough() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let fm = FileManager.default
        try Data("old labels\n".utf8).write(to: s.dir.appendingPathComponent("sub/labels.jsonl"))
        try fm.createSymbolicLink(atPath: s.dir.appendingPathComponent("labels.jsonl").path, withDestinationPath: "sub/labels.jsonl")
        try fm.createSymbolicLink(atPath: s.dir.appendingPathComponent("report.md").path, withDestinationPath: "sub/new-report.md")
        let capture = try Data(contentsOf: s.dir.appendingPathComponent(s.capture))
        let run = try runSgreplay(
            ["analyze", s.capture, "--policy", s.policy, "--timeline", s.timeline, "--remedies", "off",
             "--labels", "labels.jsonl", "--report", "report.md"], in: s.dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fm.destinationOfSymbolicLink(atPath: s.dir.appendingPathComponent("labels.jsonl").path) == "sub/labels.jsonl")
        #expect(try fm.destinationOfSymbolicLink(atPath: s.dir.appendingPathComponent("report.md").path) == "sub/new-report.md")
        let labels = try String(contentsOfFile: s.dir.appendingPathComponent("sub/labels.jsonl").path, encoding: .utf8)
        #expect(labels.split(separator: "\n").count == 94)
        #expect(fm.fileExists(atPath: s.dir.appendingPathComponent("sub/new-report.md").path))
        #expect(try Data(contentsOf: s.dir.appendingPathComponent(s.capture)) == capture)
        let names = try fm.subpathsOfDirectory(atPath: s.dir.path).filter { $0.contains("sgreplay-") }
        #expect(names.isEmpty, "\(names)")
    }

    // MARK: Nothing left in $TMPDIR

    static func freshTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-tmpdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aBadEditLeavesNothingInTheTemporaryDirectory() throws {
        let s = try Self.scratch()
        let tmp = try Self.freshTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: s.dir)
            try? FileManager.default.removeItem(at: tmp)
        }
        for (edit, message) in [
            ("{at: +1s, nacl-create: sideways}", "--edit 2: timeline[0].nacl-create: sideways is not a direction"),
            ("{at: +1s", "--edit 2: invalid YAML"),
            ("{at: yesterday, revoke: sg-web/sgr-http4}", "--edit 2: timeline[0].at: yesterday is not a time"),
        ] {
            let run = try runSgreplay(
                ["analyze", s.capture, "--policy", s.policy, "--edit", "{at: +1s, revoke: sg-web/sgr-http4}", "--edit", edit],
                in: s.dir, environment: ["TMPDIR": tmp.path])
            Self.expectUsageError(run, naming: [message])
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        }
        // A good one names itself in the summary, and leaves nothing either.
        let good = try runSgreplay(
            ["analyze", s.capture, "--policy", s.policy, "--remedies", "off", "--edit", "{at: +1s, revoke: sg-web/sgr-http4}"],
            in: s.dir, environment: ["TMPDIR": tmp.path])
        #expect(good.status == 0 && good.stdout.contains("--edit 1: timeline[0]"), "\(good.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }

    /// Standard input is spooled to $TMPDIR when it must be read twice (an allowance needs the
    /// first pass); a run that fails after that leaves nothing there.
    @Test func aFailingRunWithStandardInputSpooledLeavesNothing() throws {
        let s = try Self.scratch()
        let tmp = try Self.freshTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: s.dir)
            try? FileManager.default.removeItem(at: tmp)
        }
        let capture = try Data(contentsOf: s.dir.appendingPathComponent(s.capture))
        let env = ["TMPDIR": tmp.path]
        let notACapture = try runSgreplay(["analyze", "-"], in: s.dir, stdin: Data("not a capture at all\n".utf8), environment: env)
        Self.expectUsageError(notACapture, naming: ["sgreplay: error: standard input: not a pcap or pcapng capture"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        // Read in full, then a failure: explain of a frame past the end.
        // (An allowance needs the first pass, so standard input is spooled.)
        let explain = try runSgreplay(
            ["explain", "-", "--frame", "999", "--instance", "10.0.0.5", "--conntrack-max", "1000000"], in: s.dir, stdin: capture,
            environment: env)
        #expect(explain.status == 2)
        #expect(explain.stderr.hasSuffix("sgreplay: error: standard input: frame 999: the capture has 94 frames\n"), "\(explain.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        // The report cannot be written (its folder is missing): fails before spooling, nothing left.
        let report = try runSgreplay(["analyze", "-", "--report", "missing/r.md"], in: s.dir, stdin: capture, environment: env)
        Self.expectUsageError(report, naming: ["missing/r.md: cannot be written"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }

    /// Half a million identical frames: long enough to interrupt, quick to write.
    static func longCapture(in dir: URL) throws -> URL {
        let record = CaptureFileBuilder.pcap(linkType: 1, [.init(time: .init(seconds: 1_700_000_000), bytes: B.ethernet(type: 0x0800, synIPv4))])
        let one = Array(record[24...])
        var bytes = Array(record[..<24])
        bytes.reserveCapacity(24 + one.count * 500_000)
        for _ in 0..<500_000 { bytes.append(contentsOf: one) }
        let capture = dir.appendingPathComponent("long.pcap")
        try Data(bytes).write(to: capture)
        return capture
    }

    /// A reader of the labels that goes away (`… --labels - | head`): the process is ended by
    /// SIGPIPE as before, but the spooled standard input and the report's temporary file are removed.
    @Test func aBrokenPipeLeavesNothing() throws {
        let tmp = try Self.freshTemporaryDirectory()
        let dir = try Self.freshTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: tmp)
            try? FileManager.default.removeItem(at: dir)
        }
        let capture = try Self.longCapture(in: dir)
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("sgreplay")
        process.arguments = [
            "analyze", "-", "--labels", "-", "--report", dir.appendingPathComponent("report.md").path, "--instance", "10.0.0.5",
            "--conntrack-max", "1000000",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp.path]) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: capture)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        _ = out.fileHandleForReading.readData(ofLength: 1000)
        try out.fileHandleForReading.close()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["long.pcap"])
    }

    /// Ctrl-C after standard input was spooled: exit 130, nothing left in $TMPDIR or next to the output.
    @Test func anInterruptedRunWithStandardInputSpooledLeavesNothing() throws {
        let tmp = try Self.freshTemporaryDirectory()
        let dir = try Self.freshTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: tmp)
            try? FileManager.default.removeItem(at: dir)
        }
        let capture = try Self.longCapture(in: dir)

        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("sgreplay")
        process.arguments = [
            "analyze", "-", "--labels", dir.appendingPathComponent("labels.jsonl").path, "--instance", "10.0.0.5",
            "--conntrack-max", "1000000",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp.path]) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: capture)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the spool exists (standard input copied), then interrupt.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? FileManager.default.contentsOfDirectory(atPath: tmp.path))?.isEmpty ?? true {
            usleep(5_000)
        }
        usleep(100_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("no output was written"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["long.pcap"])
    }

    /// Several captures with `--labels -`: the parts are in $TMPDIR; a failure after one was
    /// written (two copies of one capture overlap in time) removes them.
    @Test func severalCapturesLeaveNoLabelPartsOnFailure() throws {
        let s = try Self.scratch()
        let tmp = try Self.freshTemporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: s.dir)
            try? FileManager.default.removeItem(at: tmp)
        }
        try FileManager.default.copyItem(at: s.dir.appendingPathComponent(s.capture), to: s.dir.appendingPathComponent("copy.pcap"))
        let run = try runSgreplay(
            ["analyze", s.capture, "copy.pcap", "--policy", s.policy, "--labels", "-"], in: s.dir, environment: ["TMPDIR": tmp.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("overlap in time"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }
}
