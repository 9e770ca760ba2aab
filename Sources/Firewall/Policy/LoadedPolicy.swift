/// The policy inputs of a run, loaded and checked: the start state, the timeline, and what the
/// loader has to say about them.
///
///     let loaded = try PolicyLoader.load(policyFiles: ["sg.json"], timelineFiles: ["trail.json.gz"])
///     loaded.policy.rulesInForce(.ingress)
///     loaded.timeline.edits.first?.description
///
/// `policy` is always the state at the start (before the first edit), also with `--policy-state end`.
public struct LoadedPolicy: Hashable, Sendable {
    /// The state before the first timeline edit.
    public var policy: Policy
    /// Edits in time order.
    public var timeline: Timeline
    /// Problems that did not stop the run: edits naming unknown things, edits that could not be undone exactly.
    public var warnings: [PolicyWarning]
    /// Facts worth showing (which interface was chosen, which subnet, rules without ids…).
    public var notes: [String]
    /// Timeline records that did not become edits.
    public var ignoredEvents: IgnoredEvents
    /// Whether the policy files were declared to describe the end state.
    public var derivedFromEndState: Bool

    public init(
        policy: Policy = Policy(), timeline: Timeline = Timeline(), warnings: [PolicyWarning] = [], notes: [String] = [],
        ignoredEvents: IgnoredEvents = IgnoredEvents(), derivedFromEndState: Bool = false
    ) {
        self.policy = policy
        self.timeline = timeline
        self.warnings = warnings
        self.notes = notes
        self.ignoredEvents = ignoredEvents
        self.derivedFromEndState = derivedFromEndState
    }

    /// Counts of CloudTrail records that were not applied, by reason.
    public struct IgnoredEvents: Hashable, Sendable {
        /// Records with an `errorCode`: the call failed and changed nothing.
        public var failed: Int = 0
        /// Events that are not rule edits (Describe*, RunInstances, a description change…).
        public var notEdits: Int = 0
        /// Rule edits for groups, ACLs, interfaces or instances other than the analysed instance's
        /// (a few, easy to mistake for the instance's, are also warnings).
        public var otherResources: Int = 0
        /// Records of an event sgreplay applies that yielded no edit (a field or shape it does not
        /// understand). Not ignored: each is also a warning naming the record; counted apart.
        public var notUnderstood: Int = 0

        public init(failed: Int = 0, notEdits: Int = 0, otherResources: Int = 0, notUnderstood: Int = 0) {
            self.failed = failed
            self.notEdits = notEdits
            self.otherResources = otherResources
            self.notUnderstood = notUnderstood
        }

        /// Records deliberately left out (not counting `notUnderstood`, which are warnings).
        public var total: Int { failed + notEdits + otherResources }
    }
}
