import Packets

/// Replays frames, in capture order, through the NACL and security groups in force at each frame's
/// instant, with AWS's connection tracking, and gives each one verdict (docs/semantics.md).
///
///     var engine = Engine(policy: loaded, options: EngineOptions())
///     for (packet, time) in frames { let j = engine.judge(packet, frame: n, time: time) }
///
/// The one place where rules, time and tracking meet. Packet time is the only clock: timeline edits
/// apply when a frame's time reaches them, entries expire at `lastSeen + timeout` exactly, before the
/// frame at or after that instant is judged. Judging a packet allocates nothing.
public struct Engine: Sendable {
    public let options: EngineOptions
    /// Where the engine stands on the policy timeline: the state in force and packet time. Its
    /// states are shared with every `RuleClock` made from it (`ruleClock()`).
    var clock: PolicyClock
    /// Copies of the state in force's parts (sharing its storage): read for every packet or label
    /// without going through the shared reference.
    public internal(set) var registry: RuleRegistry
    var compiled: CompiledPolicy
    var timeouts: TimeoutTable
    /// The policy before any edit (for `--assume-established`).
    let initial: CompiledPolicy
    /// The policy in force now.
    public var policy: Policy { clock.state.policy }
    /// The resolved edit times (nanoseconds), for timing ambiguity; empty until the first frame.
    var editTimes: [Int64] = []
    var nextReset = 0
    /// Flows ended by a what-if reset: the instance sends nothing more on them.
    var endedFlows: Set<FlowKey> = []
    /// Edits applied so far, with when they took effect.
    public internal(set) var appliedEdits: [AppliedEdit] = []
    var table = ConnectionTable()
    let conntrackMax: Int?
    var currentFrame = 0
    /// Packet time: the latest frame's (the clock's; it never goes back).
    var now: Int64 {
        get { clock.now }
        set { clock.now = newValue }
    }
    var captureStart: Int64? { clock.captureStart }
    /// The frame being judged, for explanations.
    var currentFrameForText: Int { currentFrame }
    var captureStartTime: Timestamp? { captureStart.map { Timestamp(nanoseconds: $0) } }
    var timeoutsForText: TimeoutTable { timeouts }
    /// Flows already seen, for "is this the flow's first captured packet" (`--assume-established`).
    var seen = FlowSet()
    /// True when a first pass already created the pre-existing entries.
    var preexistingFromFirstPass = false
    var fragments: [FragmentKey: (judgement: Judgement, time: Int64)] = [:]
    public internal(set) var statistics = Statistics()
    /// Frames judged from a classification made under another policy state than the engine's, and
    /// so classified again (0 whenever the `RuleClock` was made from this engine and given its frames).
    public internal(set) var framesReclassified = 0
    /// The policy just before the latest batch of edits, to tell which drops an edit caused.
    var beforeEdits: CompiledPolicy?
    /// Periods when the table was full and packets were lost (docs/semantics.md §5.5), oldest first.
    public internal(set) var exhaustionEpisodes: [ExhaustionEpisode] = []
    var fullSince: Int64?
    var refusedFlows = FlowSet(capacity: 16)

    /// From when to when the tracking table was full and new tracked flows were lost.
    public struct ExhaustionEpisode: Sendable {
        public var start: Timestamp
        /// When a slot freed again (nil: still full at the end of the capture).
        public var end: Timestamp?
        public var lostPackets = 0
        public var refusedFlows = 0
        public var firstLostFrame = 0
        public var lastLostFrame = 0
    }

    public struct AppliedEdit: Sendable {
        public var edit: TimedEdit
        public var time: Timestamp
        /// The first frame judged under it (0 if it applied after the last frame).
        public var frame: Int
        public var warnings: [PolicyWarning]
    }

    public struct Statistics: Sendable {
        /// Packets lost because the table was full (the ENA `conntrack_allowance_exceeded` metric).
        public var conntrackAllowanceExceeded = 0
        public var peakEntries = 0
        public var peakTime: Timestamp? = nil
        public var entriesCreated = 0
        public var entriesExpired = 0
        public var preexistingEntries = 0
        public var liveEntries = 0
    }

    public init(policy loaded: LoadedPolicy, options: EngineOptions) {
        self.options = options
        let origin = PolicyOrigin(loaded.policy, timeline: loaded.timeline, options: options)
        clock = PolicyClock(origin)
        compiled = origin.initial.compiled
        initial = compiled
        registry = origin.initial.registry
        timeouts = origin.initial.timeouts
        conntrackMax = options.conntrackMax ?? loaded.policy.tracking.conntrackMax
    }

    /// The timeouts in force: the AWS three from the policy unless overridden, the rest from options.
    static func timeouts(_ policy: Policy, _ options: EngineOptions) -> EngineOptions.Timeouts {
        var t = options.timeouts
        t.tcpEstablished = options.tcpEstablishedOverride ?? policy.tracking.timeouts.tcpEstablished
        t.udp = options.udpOverride ?? policy.tracking.timeouts.udp
        t.udpStream = options.udpStreamOverride ?? policy.tracking.timeouts.udpStream
        return t
    }

    /// The allowance in force (nil: unlimited).
    public var allowance: Int? { conntrackMax }
    /// Live entries now.
    public var liveEntries: Int { table.count }
    /// Live entries after the last judged frame: a stored copy, cheap to read from the capture loop.
    public internal(set) var liveAfterLastFrame = 0
    public var bytesPerEntry: Int { table.bytesPerEntry }

    /// A `RuleClock` that starts where this engine stands, for classifying frames ahead of it: a
    /// second clock on the same timeline and states.
    public func ruleClock() -> RuleClock {
        RuleClock(clock, initial: initial)
    }

    // MARK: In-memory replay (tests)

    /// Replays frames held in memory, with a first pass when the allowance needs one.
    public static func replay(
        _ frames: [(packet: DecodedPacket, time: Timestamp)], policy: LoadedPolicy, options: EngineOptions
    ) -> [Judgement] {
        var engine = Engine(policy: policy, options: options)
        if engine.firstPassHelps {
            for frame in frames { engine.firstPass(frame.packet, time: frame.time) }
            engine.finishFirstPass()
        }
        var out: [Judgement] = []
        out.reserveCapacity(frames.count)
        for (i, frame) in frames.enumerated() {
            out.append(engine.judge(frame.packet, frame: i + 1, time: frame.time))
        }
        return out
    }
}

extension TimeoutTable: Equatable {
    static func == (a: TimeoutTable, b: TimeoutTable) -> Bool {
        (0..<8).allSatisfy { a[Connection.State(rawValue: UInt8($0))!] == b[Connection.State(rawValue: UInt8($0))!] }
    }
}
