import Packets

/// The rules in force as packet time advances, without the tracking table: a second `PolicyClock`
/// on the engine's timeline, classifying frames under the state in force at each one. Lets another
/// thread do the rule matching ahead of the engine; the states it moves onto are the engine's own
/// (built once, by whichever side gets there first), so a frame it classified under state k is
/// judged under that same state.
///
///     var clock = engine.ruleClock()
///     clock.classify(packet, time: t, into: &classification)   // then engine.judge(…, classified: &classification, …)
public struct RuleClock: Sendable {
    private var clock: PolicyClock
    /// `clock.state.compiled` and the initial policy, by value: read for every frame.
    private var compiled: CompiledPolicy
    private let initial: CompiledPolicy

    var clockForTests: PolicyClock { clock }

    init(_ clock: PolicyClock, initial: CompiledPolicy) {
        self.clock = clock
        compiled = clock.state.compiled
        self.initial = initial
    }

    /// Classifies `p`, seen at `time`, under the rules in force then.
    public mutating func classify(_ p: inout DecodedPacket, time: Timestamp, into c: inout Classification) {
        advance(to: time.nanoseconds)
        Engine.classify(p, compiled, initial: initial, editsApplied: clock.editsApplied, into: &c)
    }

    /// A frame that holds no packet still moves the clock.
    public mutating func observe(time: Timestamp) {
        advance(to: time.nanoseconds)
    }

    @inline(__always)
    private mutating func advance(to time: Int64) {
        if !clock.isStarted { clock.start(at: time) }
        clock.move(to: time)
        if clock.mayHaveEditDue { applyDueEdits() }
    }

    private mutating func applyDueEdits() {
        while clock.dueEdit != nil { clock.applyNextEdit() }
        compiled = clock.state.compiled
    }
}
