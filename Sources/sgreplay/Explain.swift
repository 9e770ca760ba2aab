import ArgumentParser
import Capture
import Firewall
import Replay
import Reports

/// `sgreplay explain CAPTURE --frame N`: the reasoning for one frame, step by step.
struct Explain: ParsableCommand, FileArguments {
    static let configuration = CommandConfiguration(
        abstract: "Explain a frame's verdict step by step, or list a flow's frames with their verdicts.",
        discussion: """
            The capture is replayed up to the frame (the tracking state depends on everything before it); \
            the explanation shows the direction, the NACL entries checked, every security group rule in force \
            and why it matches or not, whether the flow is tracked, the tracking entry found, and the verdict.
            """)

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var capture: String

    @Option(help: ArgumentHelp("A frame to explain (repeatable), numbered as Wireshark does.", valueName: "n"))
    var frame: [Int] = []

    @Option(help: ArgumentHelp("A flow to follow, as labels write it, e.g. 'tcp 203.0.113.1:51514 > 10.0.0.5:22': every frame of it with its verdict and reason.", valueName: "flow"))
    var flow: String?

    @OptionGroup(title: "Policy")
    var policyInputs: PolicyInputOptions

    @OptionGroup(title: "Connection tracking")
    var tracking: TrackingOptions

    @Option(help: "Unwrap encapsulation before analysing: vxlan.")
    var decap: Analyze.Decapsulation?

    func validate() throws {
        if frame.isEmpty && flow == nil { throw ValidationError("give --frame N or --flow FLOW") }
        if let bad = frame.first(where: { $0 < 1 }) { throw ValidationError("--frame \(bad): frames are numbered from 1") }
    }

    var inputFiles: [NamedPath] {
        [NamedPath(capture == "-" ? "standard input" : "the capture", capture)] + policyInputs.inputFiles
    }

    func run() throws {
        let policy = try policyInputs.load()
        var request = ReplayRequest(
            capture: capture, policy: policy, engineOptions: tracking.engineOptions,
            options: Analysis.Options(decapsulateVXLAN: decap == .vxlan), sink: TerminalProgress())
        request.explainFrames = Set(frame)
        request.explainFlow = flow
        let result = try CaptureReplay.run(request)
        let found = Set(result.explanations.map(\.frame))
        for n in frame.sorted() where !found.contains(n) {
            throw ReplayError("\(capture == "-" ? "standard input" : capture): frame \(n): the capture has \(result.summary.frames) frames")
        }
        if !frame.isEmpty {
            for (n, lines) in result.explanations where frame.contains(n) {
                print("frame \(n):")
                for line in lines { print("  " + line) }
                print("")
            }
        }
        if let flow {
            let frames = result.explanations.filter { !frame.contains($0.frame) || $0.lines.count == 1 }
            print("flow \(flow): \(frames.count) frame\(frames.count == 1 ? "" : "s")")
            for (n, lines) in frames where lines.count == 1 { print("  \(n)  \(lines[0])") }
            if frames.isEmpty { print("  (no frame of that flow; flows are written as labels write them)") }
        }
    }
}
