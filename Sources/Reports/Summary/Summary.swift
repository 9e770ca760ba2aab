import Firewall
import Packets

/// Counts gathered while frames stream past, rendered once at the end as text or JSON. Updating it
/// is a few integer increments per frame, plus a dictionary update for packets that only tracking
/// let through (bounded: at most `flowLimit` flows per period are itemised).
public struct Summary: Sendable {
    public var captureName: String
    public var linkTypeName = ""
    public var frames = 0
    public var verdicts = [Int](repeating: 0, count: Verdict.allCases.count)
    /// Frames with an IP header decoded.
    public var ipFrames = 0
    /// Skipped frames by decode anomaly class, with the first example of each.
    public var anomalies = [Int](repeating: 0, count: DecodeAnomaly.Category.allCases.count)
    public var anomalyExamples = [String?](repeating: nil, count: DecodeAnomaly.Category.allCases.count)
    /// Other skipped frames (not-instance, aws-exempt) by `Judgement.Reason` raw value.
    public var otherSkips = [Int](repeating: 0, count: 32)
    /// pcapng custom blocks, labelled as frames the way Wireshark numbers them.
    public var nonPackets = 0
    /// UDP 4789 frames carrying VXLAN that were left wrapped.
    public var vxlanFrames = 0
    public var decapsulatedFrames = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// libpcap stopped early at a corrupt or truncated record.
    public var captureError: String?

    /// The instance's addresses, and whether they were inferred from the capture.
    public var instanceAddresses: [String] = []
    public var instanceInferred = false
    /// Lines shown under the instance (several captures: the timeline this capture belongs to).
    public var context: [String] = []
    /// Notes and warnings from loading the policy and applying the timeline.
    public var warnings: [String] = []
    /// The [choice]s and settings in force, in order, as (name, value).
    public var assumptions: [(String, String)] = []

    /// Period i runs from the i-th timeline edit to the next (period 0: before any edit).
    public var periods: [Period] = [Period()]
    public var edits: [EditInfo] = []
    public var conntrack = ConntrackFigures()
    public var exhaustion: [Engine.ExhaustionEpisode] = []
    /// Proposals that would have stopped the flows still flowing after an edit, checked by replay.
    public var remedies: [Remedy] = []
    /// What the warnings shown before any verdict are made from (Summary+Warnings.swift).
    public var alerts = Alerts()
    /// CloudTrail records of the timeline that did not become edits, by reason.
    public var ignoredEvents = LoadedPolicy.IgnoredEvents()

    public var timeSeries = TimeSeries()
    public static let flowLimit = 200

    public init(captureName: String) {
        self.captureName = captureName
    }
}
