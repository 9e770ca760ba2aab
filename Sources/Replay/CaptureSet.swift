#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Firewall
import Packets
import PolicyFiles
import Reports

/// `analyze A.pcap B.pcap …`: several captures in one run.
///
/// 1. Each capture belongs to an interface: the one analysed (`--eni`, the only one, or no
///    NetworkInterfaces input), or — when a NetworkInterfaces input lists several and nothing picks
///    one — the interface whose private addresses appear in the most of its frames
///    (`InterfaceMatching`).
/// 2. The captures of one interface are one timeline: ordered by their first frame's time and
///    replayed one after another through the same engine, so tracking entries and applied edits
///    carry over (`TimelinePlan`, `TimelineReplay`). Captures of one interface must not overlap.
/// 3. Timelines are independent and replayed in parallel, one thread each, up to the number of
///    cores (`ParallelTimelines`).
/// 4. Labels are written per capture to temporary parts and joined in argument order, each line
///    with a `capture` key (`LabelJoin`); the summary holds the totals, then each capture's own.
public enum CaptureSet {
    /// What `analyze` on several captures needs.
    public struct Request {
        public var captures: [String]
        /// The policy, or one per candidate interface (in the candidates' order).
        public var policies: [LoadedPolicy]
        /// The interfaces of a NetworkInterfaces input that nothing picked (empty: one policy).
        public var candidates: [InterfaceCandidate] = []
        /// Where the labels go, and that output, opened by the caller before anything is read.
        public var labelsPath: String?
        public var labels: OutputFile?
        public var options: Analysis.Options
        public var engineOptions: EngineOptions
        public var remedies: RemedyMode = .auto
        public var sink: any ProgressSink

        public init(
            captures: [String], policies: [LoadedPolicy], candidates: [InterfaceCandidate] = [],
            options: Analysis.Options = Analysis.Options(), engineOptions: EngineOptions = EngineOptions(),
            sink: any ProgressSink = SilentProgress()
        ) {
            self.captures = captures
            self.policies = policies
            self.candidates = candidates
            self.options = options
            self.engineOptions = engineOptions
            self.sink = sink
        }
    }

    /// One capture as given, opened and its first frame read.
    public struct Input: Sendable {
        public var path: String
        public var firstTime: Timestamp?
        /// The last frame's time, when a pass over the whole capture has read it (matching).
        public var lastTime: Timestamp?
        public var size: Int
    }

    /// Replays every capture (see the type's comment); the labels, when asked for, are committed.
    /// Leading warnings go to the request's sink.
    public static func analyze(_ request: Request) throws(ReplayError) -> CombinedSummary {
        let inputs = try open(request.captures)
        let (plans, known) = try TimelinePlan.plans(for: inputs, request)
        let parts = LabelJoin(labelsPath: request.labelsPath, captures: inputs.count)
        defer { parts.remove() }
        let outcomes = try ParallelTimelines.run(plans, inputs: known, labels: parts.paths, request)

        // Assemble: captures in argument order.
        var summaries = [Summary?](repeating: nil, count: inputs.count)
        var timelineOf = [Int](repeating: 0, count: inputs.count)
        var timelines: [CombinedSummary.Timeline] = []
        for (p, plan) in plans.enumerated() {
            for (k, i) in plan.captures.enumerated() {
                summaries[i] = outcomes[p].summaries[k]
                timelineOf[i] = p
            }
            timelines.append(CombinedSummary.Timeline(
                interface: plan.interface, addresses: outcomes[p].addresses, captures: plan.captures,
                matchedFrames: plan.matchedFrames, remedies: outcomes[p].remedies))
            for warning in outcomes[p].warnings { request.sink.note(warning) }
        }
        let combined = CombinedSummary(
            captures: inputs.indices.map { CombinedSummary.Capture(summary: summaries[$0]!, timeline: timelineOf[$0]) },
            timelines: timelines)
        for capture in combined.captures {
            if let warning = capture.summary.captureErrorWarning { request.sink.note(warning) }
        }
        if let labels = request.labels {
            try parts.join(into: labels, names: combined.captures.map(\.summary.captureName))
        }
        return combined
    }

    /// Opens every capture and reads its first frame's time. An unreadable one ends the run (exit 2)
    /// before anything is written; so does the same file given twice.
    static func open(_ paths: [String]) throws(ReplayError) -> [Input] {
        var inputs: [Input] = []
        var seen: [String: String] = [:]
        for path in paths {
            let reader: CaptureReader
            do { reader = try CaptureReader(path: path) } catch { throw ReplayError(error) }
            var info = stat()
            if stat(path, &info) == 0 {
                let id = "\(info.st_dev):\(info.st_ino)"
                if let other = seen[id] {
                    throw .failed(other == path
                        ? "\(path) is given twice; give each capture once"
                        : "\(other) and \(path) are the same file; give each capture once")
                }
                seen[id] = path
            }
            var first: Timestamp?
            _ = reader.forEachPacket { record, _ in
                first = record.timestamp
                reader.stop()
            }
            inputs.append(Input(path: path, firstTime: first, size: FrameLoop.fileSize(path)))
        }
        return inputs
    }
}
