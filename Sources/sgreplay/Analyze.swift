import ArgumentParser
import Capture
import Firewall
import Packets
import PolicyFiles
import Replay
import Reports

/// `sgreplay analyze CAPTURE …`: label every frame and print the summary.
struct Analyze: ParsableCommand, FileArguments {
    static let configuration = CommandConfiguration(
        abstract: "Label every frame of one or more captures and summarise the verdicts.")

    @Argument(help: ArgumentHelp(
        "pcap or pcapng files, plain or gzip-compressed (.pcap.gz, .pcapng.gz), or - for standard input (alone). Several: one per interface or one per hour; captures of one interface are replayed as one timeline, in time order.",
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
    var remedies: RemedyMode = .auto

    @OptionGroup(title: "Connection tracking (the [choice]s of docs/semantics.md; the summary lists the values used)")
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
        let options = Analysis.Options(decapsulateVXLAN: decap == .vxlan)
        let sink = TerminalProgress()
        if captures.count > 1 { return try runSeveral(options, sink) }
        // Policy inputs are checked before the capture is read; a bad one exits 2 with its message.
        let policy = try policyInputs.load()
        // The report's file is opened before the capture is read, so a bad path fails at once; it
        // is discarded on any failure.
        let report = try reportPath.map { try OutputFile(path: $0) }
        defer { report?.discard() }
        var request = ReplayRequest(
            capture: capture, policy: policy, engineOptions: tracking.engineOptions, options: options, sink: sink)
        request.labelsPath = labelsPath
        request.annotatePath = annotatePath
        let result = try CaptureReplay.analyze(request, remedies: remedies)
        if let warning = result.summary.captureErrorWarning { warn(warning) }
        try show(
            format == .json ? result.summary.json().serialized() + "\n" : result.summary.text(), report: report,
            document: { IncidentReport(summary: result.summary, command: $0).render($1) })
    }

    /// Several captures: see `CaptureSet`. One policy, or one per interface when a
    /// NetworkInterfaces input lists several and nothing picks one.
    private func runSeveral(_ options: Analysis.Options, _ sink: TerminalProgress) throws {
        let candidates = try PolicyLoader.unchosenInterfaces(
            policyFiles: policyInputs.policy, eni: policyInputs.eni,
            extraInstanceAddresses: policyInputs.instance.compactMap { IPAddress(parsing: $0) })
        let policies = candidates.isEmpty
            ? [try policyInputs.load()] : try candidates.map { candidate throws(ReplayError) in try policyInputs.load(eni: candidate.id) }
        // Outputs are opened before any capture is read, so a bad path fails at once; whatever ends
        // the run, the ones not committed are discarded.
        var labels: OutputFile?
        var report: OutputFile?
        defer {
            labels?.discard()
            report?.discard()
        }
        labels = try labelsPath.map { try OutputFile(path: $0) }
        report = try reportPath.map { try OutputFile(path: $0) }
        var request = CaptureSet.Request(
            captures: captures, policies: policies, candidates: candidates, options: options,
            engineOptions: tracking.engineOptions, sink: sink)
        request.labelsPath = labelsPath
        request.labels = labels
        request.remedies = remedies
        let combined = try CaptureSet.analyze(request)
        try show(
            format == .json ? combined.json().serialized() + "\n" : combined.text(), report: report,
            document: { CombinedReport(combined: combined, command: $0).render($1) })
    }

    /// Prints the summary (on standard error when labels or the annotated capture take standard
    /// output, so that output stays clean) and writes the report, if asked for.
    private func show(
        _ summary: String, report: OutputFile?, document: ([String], IncidentReport.Format) -> String
    ) throws(OutputError) {
        if labelsPath == "-" || annotatePath == "-" {
            warn(summary)
        } else {
            print(summary, terminator: "")
        }
        if let report, let reportPath, let format = IncidentReport.Format(path: reportPath) {
            report.append(document(IncidentReport.shownCommand(CommandLine.arguments), format).utf8)
            try report.commit()
        }
    }
}

extension RemedyMode: ExpressibleByArgument {}
