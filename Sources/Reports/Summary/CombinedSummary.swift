import Firewall
import Packets

/// Several captures analysed in one run (`analyze A.pcap B.pcap …`): each capture's own `Summary`
/// and the totals over all of them. Captures of one interface form a timeline, replayed in time
/// order through one engine; timelines of different interfaces are independent.
///
///     let combined = CombinedSummary(captures: [...], timelines: [...])
///     print(combined.text())            // the totals first, then each capture's own summary
///     combined.json().serialized()      // {"frames": …, "verdicts": …, …, "captures": [ … ]}
public struct CombinedSummary: Sendable {
    public struct Capture: Sendable {
        public var summary: Summary
        /// Index in `timelines`.
        public var timeline: Int

        public init(summary: Summary, timeline: Int) {
            self.summary = summary
            self.timeline = timeline
        }
    }

    /// The captures of one interface, replayed one after another in time order through one engine.
    public struct Timeline: Sendable {
        /// The interface's id, when known (`--eni`, the NetworkInterfaces input, the scenario).
        public var interface: String?
        public var addresses: [String]
        /// Indices in `captures`, in replay (time) order.
        public var captures: [Int]
        /// When the captures were matched to interfaces by their addresses: for each capture of
        /// `captures`, the frames that carry one of this interface's addresses, among the frames
        /// read to match (the first million at most).
        public var matchedFrames: [(matched: Int, read: Int)]?
        /// Remedies checked over the whole timeline when it has several captures (`afterEdit`
        /// indexes the edits of its last capture's summary); a capture alone has them in its summary.
        public var remedies: [Summary.Remedy]

        public init(
            interface: String?, addresses: [String], captures: [Int], matchedFrames: [(matched: Int, read: Int)]? = nil,
            remedies: [Summary.Remedy] = []
        ) {
            self.interface = interface
            self.addresses = addresses
            self.captures = captures
            self.matchedFrames = matchedFrames
            self.remedies = remedies
        }

        /// "eni-0abc (10.0.0.5)", "10.0.0.5", "the instance".
        public var name: String {
            let addressText = addresses.joined(separator: ", ")
            if let interface { return addressText.isEmpty ? interface : "\(interface) (\(addressText))" }
            return addressText.isEmpty ? "the instance" : addressText
        }
    }

    /// In the order the captures were given.
    public var captures: [Capture]
    public var timelines: [Timeline]

    public init(captures: [Capture], timelines: [Timeline]) {
        self.captures = captures
        self.timelines = timelines
    }

    var summaries: [Summary] { captures.map(\.summary) }

    // MARK: Totals

    public var frames: Int { summaries.reduce(0) { $0 + $1.frames } }

    public var verdicts: [Int] { Self.sum(summaries.map(\.verdicts)) }

    public func count(of verdict: Verdict) -> Int { verdicts[Int(verdict.rawValue)] }

    public var firstTime: Timestamp? { summaries.compactMap(\.firstTime).min() }
    public var lastTime: Timestamp? { summaries.compactMap(\.lastTime).max() }

    /// Skipped frames by reason key, with the first example of each decode anomaly (captures in order).
    var skippedReasons: [SkippedReason] {
        var out: [SkippedReason] = []
        for category in DecodeAnomaly.Category.allCases {
            let n = summaries.reduce(0) { $0 + $1.anomalies[category.rawValue] }
            guard n > 0 else { continue }
            out.append(SkippedReason(
                key: category.key, count: n, example: summaries.lazy.compactMap { $0.anomalyExamples[category.rawValue] }.first))
        }
        var other: [String: Int] = [:]
        for summary in summaries {
            for (key, n) in summary.otherSkipCounts { other[key, default: 0] += n }
        }
        for key in other.keys.sorted() { out.append(SkippedReason(key: key, count: other[key]!)) }
        let nonPackets = summaries.reduce(0) { $0 + $1.nonPackets }
        // Without the single summary's note: the totals' lines are the short ones.
        if nonPackets > 0 { out.append(SkippedReason(key: "not-a-packet", count: nonPackets)) }
        return out
    }

    static func sum(_ rows: [[Int]]) -> [Int] {
        var total = [Int](repeating: 0, count: Verdict.allCases.count)
        for row in rows {
            for i in total.indices where i < row.count { total[i] += row[i] }
        }
        return total
    }

    /// Packets lost to a full tracking table, over every capture.
    public var conntrackLost: Int { summaries.reduce(0) { $0 + $1.conntrack.lost } }
}
