/// One side's position on an engine's policy timeline: packet time, and the `PolicyState` in force
/// then. The engine holds one, and so does every `RuleClock` made from it; all share the same
/// `ResolvedTimeline` and states, and move by the same rule, so given the same frames they stand
/// on the same state at every frame (docs/semantics.md §7):
///
/// - the first frame starts the clock, and relative edit times count from it;
/// - time never goes back: a frame stamped earlier than one before it counts at the later time;
/// - an edit at time t is in force for every frame at or after t, edits before the first frame
///   before it.
///
/// Only moving onto the next state touches anything shared (once per edit); reading the state
/// in force is a field read.
struct PolicyClock: Sendable {
    /// Until the first frame: where the timeline is resolved. Dropped then, so that states behind
    /// every clock can be freed.
    private var origin: PolicyOrigin?
    private(set) var state: PolicyState
    private(set) var timeline: ResolvedTimeline?
    /// `state.index`, kept here: read for every frame.
    private(set) var editsApplied = 0
    /// The latest frame's time (`Int64.min` before the first).
    var now: Int64 = .min
    /// When the next edit is due (`Int64.max`: none left, or not started): one comparison per frame.
    private(set) var nextEditTime: Int64 = .max

    init(_ origin: PolicyOrigin) {
        self.origin = origin
        state = origin.initial
    }

    var isStarted: Bool { timeline != nil }
    /// The first frame's time, once there was one.
    var captureStart: Int64? { timeline?.firstFrame }
    var hasEditLeft: Bool { timeline.map { editsApplied < $0.edits.count } ?? false }

    /// Starts the clock at the first frame's time, resolving the timeline against it.
    mutating func start(at time: Int64) {
        let resolved = origin!.resolved(firstFrame: time)
        origin = nil
        timeline = resolved
        now = time
        nextEditTime = resolved.times.first ?? .max
    }

    /// Moves time to `time` unless that is earlier than now.
    @inline(__always)
    mutating func move(to time: Int64) {
        if time > now { now = time }
    }

    /// Whether an edit may be due now (`dueEdit` says exactly).
    @inline(__always)
    var mayHaveEditDue: Bool { now >= nextEditTime }

    /// The next edit's time when it is due now, else nil.
    var dueEdit: Int64? {
        guard hasEditLeft, nextEditTime <= now else { return nil }
        return nextEditTime
    }

    /// Moves onto the state after the next edit (due or not: `Engine.finish` applies those after
    /// the last frame).
    mutating func applyNextEdit() {
        let timeline = self.timeline!
        state = state.successor(in: timeline)
        editsApplied = state.index
        nextEditTime = editsApplied < timeline.times.count ? timeline.times[editsApplied] : .max
    }
}
