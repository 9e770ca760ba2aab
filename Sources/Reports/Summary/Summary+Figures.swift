import Firewall
import Packets

/// The figures a `Summary` keeps: per period, per flow, per edit, of the tracking table, and the
/// remedies checked by replay.
extension Summary {
    public struct Remedy: Sendable {
        /// The (last) edit of the instant after which the flows kept flowing.
        public var afterEdit: Int
        public var proposal: String
        /// Packets that passed only by tracking after the edit, and how many the proposal stops.
        public var trackedPackets: Int
        public var stoppedPackets: Int
        public var flows: Int
        public var flowsStopped: Int
        /// Packets of other traffic the proposal would also have dropped.
        public var otherDrops: Int

        public init(afterEdit: Int, proposal: String, trackedPackets: Int, stoppedPackets: Int, flows: Int, flowsStopped: Int, otherDrops: Int) {
            self.afterEdit = afterEdit
            self.proposal = proposal
            self.trackedPackets = trackedPackets
            self.stoppedPackets = stoppedPackets
            self.flows = flows
            self.flowsStopped = flowsStopped
            self.otherDrops = otherDrops
        }

        /// "would have stopped 30 of the 32 packets (1 of 1 flows); nothing else affected"
        public var outcome: String {
            var text: String
            if stoppedPackets <= 0 {
                text = "would not have stopped them"
            } else if stoppedPackets >= trackedPackets {
                text = "would have stopped all \(trackedPackets) packets (\(flowsStopped) of \(flows) flow\(flows == 1 ? "" : "s") entirely)"
            } else {
                text = "would have stopped \(stoppedPackets) of the \(trackedPackets) packets (\(flowsStopped) of \(flows) flow\(flows == 1 ? "" : "s") entirely)"
            }
            text += otherDrops > 0 ? "; it would also have dropped \(otherDrops) other packets" : "; no other traffic affected"
            return text
        }
    }

    public struct Period: Sendable {
        public var verdicts = [Int](repeating: 0, count: Verdict.allCases.count)
        /// Flows with packets that only a tracking entry let through.
        public var trackingFlows: [FlowKey: FlowFigures] = [:]
        public var moreTrackingFlows = 0
        /// Flows the edit cut: dropped packets the policy before the edit would have let through
        /// (an untracked flow stops at once), and new connections (TCP SYNs) it blocked.
        public var cutFlows: [FlowKey: FlowFigures] = [:]
        public var blockedFlows: [FlowKey: FlowFigures] = [:]
        public var moreCutFlows = 0
        /// Frames within the edit's timing uncertainty.
        public var timingAmbiguous = 0
        public init() {}
    }

    public struct FlowFigures: Sendable, AccumulatedFlow {
        public var flow: String
        public var packets = 0
        public var bytes = 0
        public var firstFrame = 0
        public var lastFrame = 0
        public var firstTime = Timestamp(nanoseconds: 0)
        public var lastTime = Timestamp(nanoseconds: 0)
        /// Where the entry came from ("entry created at frame 5 (…)"), and its last state.
        public var entry: String
        public var state = ""
        public var expires = Timestamp(nanoseconds: 0)

        mutating func count(packetOf bytes: Int, frame: Int, time: Timestamp, entry: EntrySnapshot?) {
            packets += 1
            self.bytes += bytes
            lastFrame = frame
            lastTime = time
            if let entry {
                // The state's text is looked up when the report is written, not per packet.
                if entry.state != lastState {
                    lastState = entry.state
                    state = entry.state.label
                }
                expires = entry.expires
            }
        }
        var lastState: Connection.State? = nil
    }

    public struct EditInfo: Sendable {
        public var time: Timestamp
        public var description: String
        public var source: String
        public var firstFrame: Int
        public var warnings: [String]
        /// The capture `firstFrame` belongs to, when it is an earlier capture of the same timeline
        /// (several captures of one interface replayed one after another); nil: this capture.
        public var capture: String? = nil

        /// "from frame 64", "from frame 64 of hour1.pcap", "after the last frame".
        public var appliedText: String {
            guard firstFrame > 0 else { return "after the last frame" }
            return "from frame \(firstFrame)" + (capture.map { " of \($0)" } ?? "")
        }
    }

    public struct ConntrackFigures: Sendable {
        public var allowance: Int?
        public var lost = 0
        public var peak = 0
        public var peakTime: Timestamp?
        public var created = 0
        public var preexisting = 0
        public var liveAtEnd = 0
        public var bytesPerEntry = 0
    }
}
