import Packets
import Synchronization

/// The policy in force after some number of timeline edits, compiled once. Immutable and shared by
/// reference: the engine and every `RuleClock` made from it (on another thread) walk the same
/// states, so each edit is applied and compiled by whichever side reaches it first, never twice,
/// and a classification made under state `index` is the engine's state `index` too.
final class PolicyState: Sendable {
    /// Edits applied (0: the initial policy); what `Classification.editsApplied` records.
    let index: Int
    let policy: Policy
    let compiled: CompiledPolicy
    /// Every rule registered up to this state. Compiling registers rules in edit order, so a rule
    /// keeps its index whichever thread compiled it.
    let registry: RuleRegistry
    let timeouts: TimeoutTable
    /// What `Policy.apply` said about the edit that made this state (none for the initial one).
    let warnings: [PolicyWarning]
    /// The timeline this state's edits come from (nil for the initial state, which precedes any).
    let timeline: ResolvedTimeline?
    private let options: EngineOptions
    /// The state after the next edit, once one side has built it. Only ever read or written under
    /// the lock, once per edit per side: nothing per packet.
    private let next = Mutex<PolicyState?>(nil)

    init(initial policy: Policy, options: EngineOptions) {
        index = 0
        self.policy = policy
        self.options = options
        var registry = RuleRegistry()
        compiled = CompiledPolicy(policy, registry: &registry, options: options)
        self.registry = registry
        timeouts = TimeoutTable(Engine.timeouts(policy, options))
        warnings = []
        timeline = nil
    }

    private init(after previous: PolicyState, in timeline: ResolvedTimeline) {
        index = previous.index + 1
        options = previous.options
        var policy = previous.policy
        // The edit alone, without its source: the warnings the engine has always recorded.
        warnings = policy.apply(timeline.edits[previous.index].edit)
        var registry = previous.registry
        compiled = CompiledPolicy(policy, registry: &registry, options: options)
        self.policy = policy
        self.registry = registry
        timeouts = TimeoutTable(Engine.timeouts(policy, options))
        self.timeline = timeline
    }

    /// The state after `timeline`'s next edit: built by the first side to ask, shared from then on.
    /// Only the initial state can be asked under two timelines (engine copies started at different
    /// first frames); the one built under another than the cached one is not kept.
    func successor(in timeline: ResolvedTimeline) -> PolicyState {
        precondition(index < timeline.edits.count, "no edit left to apply")
        return next.withLock { cached in
            if let built = cached, built.timeline === timeline { return built }
            let built = PolicyState(after: self, in: timeline)
            if cached == nil { cached = built }
            return built
        }
    }
}

/// A timeline with every edit time made absolute against the capture's first frame
/// (docs/semantics.md §7): edits sorted stably by time, equal times in input order. Made once per first
/// frame, shared by the engine and its rule clocks.
final class ResolvedTimeline: Sendable {
    let firstFrame: Int64
    let edits: [TimedEdit]
    /// `edits[i]`'s instant, in nanoseconds.
    let times: [Int64]

    init(_ timeline: Timeline, firstFrame: Int64) {
        self.firstFrame = firstFrame
        let start = Timestamp(nanoseconds: firstFrame)
        edits = timeline.resolved(firstFrame: start).edits
        times = edits.map { $0.time.resolved(firstFrame: start).nanoseconds }
    }
}

/// Where an engine's clocks start before the first frame: the initial state, and the timeline to
/// resolve once that frame's time is known. Whichever clock sees the first frame first resolves
/// it; the others get the same `ResolvedTimeline`, hence the same chain of states.
final class PolicyOrigin: Sendable {
    let initial: PolicyState
    private let timeline: Timeline
    private let resolved = Mutex<ResolvedTimeline?>(nil)

    init(_ policy: Policy, timeline: Timeline, options: EngineOptions) {
        initial = PolicyState(initial: policy, options: options)
        self.timeline = timeline
    }

    /// The timeline resolved against a first frame at `firstFrame`. A copy of an engine started at
    /// another first frame gets a timeline of its own (not kept).
    func resolved(firstFrame: Int64) -> ResolvedTimeline {
        resolved.withLock { cached in
            if let made = cached, made.firstFrame == firstFrame { return made }
            let made = ResolvedTimeline(timeline, firstFrame: firstFrame)
            if cached == nil { cached = made }
            return made
        }
    }
}
