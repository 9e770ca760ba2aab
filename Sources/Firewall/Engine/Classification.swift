import Packets

/// The part of a frame's judgement that depends only on the packet and the rules in force at its
/// instant, not on the tracking table: whether it is skipped, its direction and flow, the rule that
/// permits it, whether its flow is tracked, what the NACL says. `Engine` makes one for every frame;
/// `RuleClock` makes the same on another thread ahead of the engine, which then does only the
/// table's part (`Engine.judge(_:frame:time:classified:into:)`).
public struct Classification: Sendable {
    public enum Kind: UInt8, Sendable {
        /// Not worked out here: the engine judges the frame from the start (ICMP errors and later
        /// fragments, whose judgement depends on remembered state, or frames not classified yet).
        case unclassified
        /// Skipped for `reason` (not decoded, AWS exempt, not the instance's).
        case skipped
        /// A packet of a flow: the table decides the rest.
        case flow
    }

    public var kind = Kind.unclassified
    var reason = Judgement.Reason.notDecoded
    var direction = Direction.inbound
    var flow = FlowKey(ipProtocol: 0, instance: IPAddress(v4: 0), localPort: 0, peer: IPAddress(v4: 0), remotePort: 0)
    /// `flow.fastHash` once worked out (0: not yet): the table's and the seen-set's index.
    var hash: UInt64 = 0
    /// The first security group rule that permits the packet (`RuleRegistry` index), or -1.
    var rule: Int32 = -1
    var tracked = false
    /// Whether the flow was tracked under the initial policy; worked out only for an untracked flow
    /// after an edit (the one case `--assume-established` asks).
    var trackedInitially = false
    /// Whether a NACL entry (or the `*` rule) denies the packet, and which.
    var naclDenies = false
    var naclReason = Judgement.Reason.naclDeny
    var naclRule: Int32 = -1
    /// The edits in force when it was made: the engine uses it only under the same ones.
    var editsApplied = 0

    public init() {}
}

extension Engine {
    /// Fills `c` for `p` under `compiled` (`initial`: the policy before any edit).
    static func classify(
        _ p: DecodedPacket, _ compiled: CompiledPolicy, initial: CompiledPolicy, editsApplied: Int,
        into c: inout Classification
    ) {
        c.editsApplied = editsApplied
        c.kind = .skipped
        guard p.anomaly == nil else {
            c.reason = .notDecoded
            return
        }
        if Engine.isExempt(p, compiled) {
            c.reason = .awsExempt
            return
        }
        let srcMine = compiled.owns(p.src), dstMine = compiled.owns(p.dst)
        if srcMine == dstMine {
            c.reason = srcMine ? .bothInstance : .notInstance
            return
        }
        let direction: Direction = dstMine ? .inbound : .outbound
        c.direction = direction
        // Later fragments and ICMP errors take their verdict from remembered state: judged whole.
        if p.fragment == .later || (p.hasICMP && ICMPKind.isError(type: p.icmpType, v6: p.ipProtocol == IPProtocol.icmpv6)) {
            c.kind = .unclassified
            return
        }
        let instance = dstMine ? p.dst : p.src
        let peer = dstMine ? p.src : p.dst
        classifyFlow(p, compiled, initial: initial, direction: direction, instance: instance, peer: peer, into: &c)
    }

    /// The flow part of `classify`, for a packet whose direction is known.
    static func classifyFlow(
        _ p: DecodedPacket, _ compiled: CompiledPolicy, initial: CompiledPolicy, direction: Direction,
        instance: IPAddress, peer: IPAddress, into c: inout Classification
    ) {
        c.kind = .flow
        c.direction = direction
        let q = Engine.query(p, peer: peer)
        c.flow = Engine.key(p, direction: direction, instance: instance, peer: peer)
        // Worked out by whoever looks the flow up first (the judging thread's prefetch, or the lookup).
        c.hash = 0
        c.rule = compiled.firstMatch(direction, q)
        c.tracked = c.rule < 0 || Engine.isTracked(p, direction: direction, peer: peer, under: compiled)
        c.trackedInitially = !c.tracked && c.editsApplied > 0
            && Engine.isTracked(p, direction: direction, peer: peer, under: initial)
        if let denied = Engine.naclDenial(direction, q, compiled) {
            c.naclDenies = true
            c.naclReason = denied.reason
            c.naclRule = denied.naclRule
        } else {
            c.naclDenies = false
        }
    }
}

/// The rules in force as packet time advances, without the tracking table: applies the timeline's
/// edits at the same instants as `Engine` (the first frame starts the clock; time never goes back)
/// and classifies frames under them. Lets a second thread do the rule matching for the engine.
///
///     var clock = engine.ruleClock()
///     clock.classify(packet, time: t, into: &classification)   // then engine.judge(…, classified: &classification, …)
public struct RuleClock: Sendable {
    private var policy: Policy
    private var compiled: CompiledPolicy
    private let initial: CompiledPolicy
    // Compiling an edited policy registers its rules: in the same order as the engine, hence under
    // the same indexes.
    private var registry: RuleRegistry
    private let options: EngineOptions
    private let timeline: Timeline
    private var edits: [TimedEdit]
    private var editTimes: [Int64]
    private var nextEdit: Int
    private var captureStart: Int64?
    private var now: Int64
    /// When the next edit is due (`Int64.max`: none, or not resolved yet): one comparison per frame.
    private var nextEditTime: Int64 = .max

    init(
        policy: Policy, compiled: CompiledPolicy, initial: CompiledPolicy, registry: RuleRegistry,
        options: EngineOptions, timeline: Timeline, edits: [TimedEdit], editTimes: [Int64], nextEdit: Int,
        captureStart: Int64?, now: Int64
    ) {
        self.policy = policy
        self.compiled = compiled
        self.initial = initial
        self.registry = registry
        self.options = options
        self.timeline = timeline
        self.edits = edits
        self.editTimes = editTimes
        self.nextEdit = nextEdit
        self.captureStart = captureStart
        self.now = now
        nextEditTime = nextEdit < editTimes.count ? editTimes[nextEdit] : .max
    }

    /// Classifies `p`, seen at `time`, under the rules in force then.
    public mutating func classify(_ p: inout DecodedPacket, time: Timestamp, into c: inout Classification) {
        advance(to: time.nanoseconds)
        Engine.classify(p, compiled, initial: initial, editsApplied: nextEdit, into: &c)
    }

    /// A frame that holds no packet still moves the clock.
    public mutating func observe(time: Timestamp) {
        advance(to: time.nanoseconds)
    }

    @inline(__always)
    private mutating func advance(to time: Int64) {
        if time > now { now = time }
        if now >= nextEditTime || captureStart == nil { applyDueEdits(time) }
    }

    private mutating func applyDueEdits(_ time: Int64) {
        if captureStart == nil {
            captureStart = time
            now = time
            edits = timeline.resolved(firstFrame: Timestamp(nanoseconds: time)).edits
            editTimes = edits.map { $0.time.resolved(firstFrame: Timestamp(nanoseconds: time)).nanoseconds }
        }
        while nextEdit < edits.count, editTimes[nextEdit] <= now {
            _ = policy.apply(edits[nextEdit].edit)
            compiled = CompiledPolicy(policy, registry: &registry, options: options)
            nextEdit += 1
        }
        nextEditTime = nextEdit < editTimes.count ? editTimes[nextEdit] : .max
    }
}
