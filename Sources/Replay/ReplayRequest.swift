import Firewall
import PolicyFiles
import Reports

/// Everything one capture's replay needs (`CaptureReplay.run`): the capture, the outputs, the
/// policy and options, and how it is run.
public struct ReplayRequest {
    /// A pcap or pcapng file, or `-` for standard input.
    public var capture: String
    /// Set when `capture` is a spool of standard input (`Spool`): the capture is named "standard
    /// input" and errors about the spool are about standard input.
    public var isSpooledStandardInput = false
    /// Where the labels go (`-`: standard output), if asked for.
    public var labelsPath: String?
    /// Where the annotated pcapng goes (`-`: standard output), if asked for.
    public var annotatePath: String?
    public var options: Analysis.Options
    public var engineOptions: EngineOptions
    public var policy: LoadedPolicy
    /// `sgreplay explain`: the frames to explain step by step, and a flow whose frames to list.
    public var explainFrames: Set<Int> = []
    public var explainFlow: String?
    /// A remedy's check: no leading warnings, and its progress line says so.
    public var quiet = false
    /// Where progress and leading warnings go.
    public var sink: any ProgressSink
    /// false: no progress line (captures replayed in parallel).
    public var showsProgress = true
    /// false: judge on this thread only (the other cores are busy with other captures).
    public var pipeline = true
    /// Continue the timeline of an earlier capture of the same interface: no address inference and
    /// no first pass here (the caller did them over every capture of the timeline).
    public var engine: Engine?
    /// false: leave the edits after the last frame for the next capture of the timeline.
    public var finishTimeline = true

    public init(
        capture: String, policy: LoadedPolicy, engineOptions: EngineOptions = EngineOptions(),
        options: Analysis.Options = Analysis.Options(), sink: any ProgressSink = SilentProgress()
    ) {
        self.capture = capture
        self.policy = policy
        self.engineOptions = engineOptions
        self.options = options
        self.sink = sink
    }

    /// The capture's name in the summary and in messages.
    public var captureName: String { capture == "-" || isSpooledStandardInput ? "standard input" : capture }
}

/// What replaying one capture gave.
public struct ReplayResult {
    public var summary: Summary
    public var explanations: [(frame: Int, lines: [String])] = []
    /// The engine after the last frame (its timeline still open when `finishTimeline` was false).
    public var engine: Engine?
}

extension Summary {
    /// The warning for a capture that ended in an error after some frames, if it did.
    public var captureErrorWarning: String? {
        captureError.map { "warning: \($0); the \(frames) frames before it were analysed" }
    }
}
