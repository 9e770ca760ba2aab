import ArgumentParser
import Capture
import Firewall
import Reports

/// `sgreplay analyze CAPTURE …`: label every frame and print the summary.
struct Analyze: ParsableCommand, FileArguments {
    static let configuration = CommandConfiguration(
        abstract: "Label every frame of one or more captures and summarise the verdicts.")

    @Argument(help: ArgumentHelp(
        "pcap or pcapng files, or - for standard input (alone). Several: one per interface or one per hour; captures of one interface are replayed as one timeline, in time order.",
        valueName: "capture"))
    var captures: [String]

    /// The capture, when there is one.
    var capture: String { captures[0] }

    @OptionGroup(title: "Policy")
    var policyInputs: PolicyInputOptions

    @Option(name: .customLong("labels"), help: "Write one JSON label per frame here (- for standard output).")
    var labelsPath: String?

    @Option(
        name: .customLong("annotate"),
        help: ArgumentHelp(
            "Write the capture as pcapng with each frame's verdict and reason as a packet comment (- for standard output).",
            valueName: "out.pcapng"))
    var annotatePath: String?

    @Option(
        name: .customLong("report"),
        help: "Write an incident report: FILE.md (Markdown) or FILE.html (one self-contained page with a timeline chart).")
    var reportPath: String?

    @Option(help: "Summary format on standard output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Unwrap encapsulation before analysing: vxlan (AWS Traffic Mirroring, UDP 4789).")
    var decap: Decapsulation?

    @Option(help: "Check remedies by replaying the capture with each (auto: for files up to 256 MiB).")
    var remedies: RemediesMode = .auto

    enum RemediesMode: String, ExpressibleByArgument, CaseIterable {
        case auto, on, off
    }

    @OptionGroup(title: "Connection tracking (SEMANTICS.md [choice]s; the summary lists the values used)")
    var tracking: TrackingOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum Decapsulation: String, ExpressibleByArgument, CaseIterable {
        case vxlan
    }

    func validate() throws {
        if captures.isEmpty {
            throw ValidationError("Missing expected argument '<capture> ...'")
        }
        if captures.count > 1 {
            if captures.contains("-") {
                throw ValidationError("- (standard input) can be the only capture: with several, give files")
            }
            if annotatePath != nil {
                throw ValidationError(
                    "--annotate writes one annotated capture: give one capture (run analyze once per capture to annotate each)")
            }
        }
        if labelsPath == "-" && format == .json {
            throw ValidationError("--labels - and --format json both write to standard output; send the labels to a file")
        }
        if annotatePath == "-" && (labelsPath == "-" || format == .json) {
            throw ValidationError(
                "--annotate - and \(labelsPath == "-" ? "--labels -" : "--format json") both write to standard output; send one to a file")
        }
        if let reportPath, IncidentReport.Format(path: reportPath) == nil {
            throw ValidationError("--report \(reportPath): the file name must end in .md or .markdown (Markdown), or .html or .htm (HTML)")
        }
    }

    /// Outputs that are an input or each other are refused before anything is read (`FilePaths`).
    var inputFiles: [NamedPath] {
        captures.map { NamedPath($0 == "-" ? "standard input" : "the capture", $0) } + policyInputs.inputFiles
    }
    var outputFiles: [NamedPath] {
        [NamedPath("--labels", labelsPath), NamedPath("--annotate", annotatePath), NamedPath("--report", reportPath)].compactMap { $0 }
    }

    func run() throws {
        if captures.count > 1 { return try runSeveral() }
        let options = Analysis.Options(decapsulateVXLAN: decap == .vxlan)
        // Policy inputs are checked before the capture is read; a bad one exits 2 with its message.
        let policy = try policyInputs.load()
        // The report's file is opened before the capture is read, so a bad path fails at once. It is
        // discarded on any failure (also when the object goes away: every error is thrown, never exit).
        var report: OutputFile?
        if let reportPath {
            do { report = try OutputFile(path: reportPath) } catch { throw RunError(error) }
        }
        var result: Replay.Result
        do {
            result = try Replay.run(
                capture: capture, labelsPath: labelsPath, annotatePath: annotatePath, options: options,
                engineOptions: tracking.engineOptions, policy: policy)
            let checkRemedies = remedies == .on
                || (remedies == .auto && capture != "-" && Replay.fileSize(capture) <= 256 << 20)
            if checkRemedies {
                result.summary.remedies = try Remedies.evaluate(
                    baseline: result.summary, capture: capture, options: options, engineOptions: tracking.engineOptions,
                    policy: policy)
            }
        } catch let error as CaptureError {
            report?.discard()
            throw RunError(error)
        } catch let error as OutputError {
            report?.discard()
            throw RunError(error)
        } catch let error as SpoolError {
            report?.discard()
            throw RunError(error)
        } catch let interrupted as Replay.Interrupted {
            report?.discard()
            warn("interrupted after about \(interrupted.frames) frames; no output was written")
            throw ExitCodeError(code: 130)
        }
        if let captureError = result.summary.captureError {
            warn("warning: \(captureError); the \(result.summary.frames) frames before it were analysed")
        }
        let summaryText = format == .json ? result.summary.json().serialized() + "\n" : result.summary.text()
        // With labels or the annotated capture on standard output, the summary goes to standard error
        // so that output stays clean.
        if labelsPath == "-" || annotatePath == "-" {
            warn(summaryText)
        } else {
            print(summaryText, terminator: "")
        }
        if let report, let reportPath, let format = IncidentReport.Format(path: reportPath) {
            let document = IncidentReport(summary: result.summary, command: IncidentReport.shownCommand(CommandLine.arguments))
            report.append(document.render(format).utf8)
            do { try report.commit() } catch { throw RunError(error) }
        }
    }
}
