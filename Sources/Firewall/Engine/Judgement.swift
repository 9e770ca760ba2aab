import Packets

/// One frame's verdict and everything needed to explain it. A plain value: the reason is a code
/// plus small integers, rendered into text only when labels or reports ask (`Engine.reasonText`).
public struct Judgement: Sendable {
    public var verdict: Verdict
    public var direction: Direction?
    public var reason: Reason
    /// The SG rule (`RuleRegistry` index) that permitted the packet, or -1.
    public var rule: Int32 = -1
    /// The NACL entry number that decided (deny, or allow when relevant), -1 for the `*` rule or none.
    public var naclRule: Int32 = -1
    /// The tracking entry consulted, created or refreshed, as it stands after this packet.
    public var entry: EntrySnapshot? = nil
    /// The flow evaluated (nil for skipped frames and fragments judged by protocol only).
    public var flow: FlowKey? = nil
    /// Whether the flow counted as tracked for this packet (docs/semantics.md §5.1).
    public var tracked = false
    /// For a later fragment: the frame of the first fragment whose verdict it took (0 if none).
    public var fragmentOfFrame = 0
    /// A later fragment without its first: judged by protocol only.
    public var protocolOnly = false
    /// Live entries in the table when a packet was lost, and the allowance.
    public var occupancy = 0
    /// How many timeline edits were in force when the packet was judged.
    public var editsApplied = 0
    /// Within a couple of seconds of an edit: AWS applies edits after a short delay, and CloudTrail
    /// times have one-second precision, so the verdict may be the other side's.
    public var timingAmbiguous = false
    /// Dropped, where the policy before the latest edit(s) would have let it through.
    public var causedByEdit = false

    public init(verdict: Verdict, direction: Direction? = nil, reason: Reason) {
        self.verdict = verdict
        self.direction = direction
        self.reason = reason
    }

    /// What decided, one case per kind of reason (the label's `reason` key starts with its `key`).
    public enum Reason: UInt8, Sendable {
        /// The decoder could not read the headers the engine needs (the anomaly is the reason).
        case notDecoded
        /// Neither endpoint is an instance address.
        case notInstance
        /// Both endpoints are instance addresses.
        case bothInstance
        /// Link-local AWS services or DHCP, which security groups do not filter.
        case awsExempt
        /// A pcapng block that holds no packet.
        case notAPacket
        /// An SG rule permits it and the flow is untracked.
        case ruleUntracked
        /// An SG rule permits it; its tracking entry was created by this packet.
        case ruleNewEntry
        /// An SG rule permits it; its live tracking entry was refreshed.
        case ruleRefreshedEntry
        /// An SG rule permits an ICMP error whose quoted flow has no entry; errors create none.
        case ruleICMPError
        /// No SG rule permits it; a live tracking entry does.
        case trackingEntry
        /// An ICMP error about a flow with a live entry (related traffic).
        case relatedICMPError
        /// A NACL entry denies it.
        case naclDeny
        /// No NACL entry matches: the `*` rule denies it.
        case naclDefaultDeny
        /// No SG rule and no live tracking entry permit it.
        case noSGRule
        /// Permitted, but a new tracking entry was needed and the table was full.
        case conntrackFull

        /// The stable key a label's reason starts with.
        public var key: String {
            switch self {
            case .notDecoded: "not-decoded"
            case .notInstance: "not-instance"
            case .bothInstance: "not-instance"
            case .awsExempt: "aws-exempt"
            case .notAPacket: "not-a-packet"
            case .ruleUntracked: "sg-rule"
            case .ruleNewEntry: "sg-rule"
            case .ruleRefreshedEntry: "sg-rule"
            case .ruleICMPError: "sg-rule"
            case .trackingEntry: "tracking-entry"
            case .relatedICMPError: "related-icmp-error"
            case .naclDeny: "nacl-deny"
            case .naclDefaultDeny: "nacl-default-deny"
            case .noSGRule: "no-sg-rule"
            case .conntrackFull: "conntrack-full"
            }
        }
    }
}

/// A tracking entry as it stood when a packet used it.
public struct EntrySnapshot: Sendable {
    /// Where it lives in the table (its creation time is read from there on demand: `Engine.entryCreated`).
    public var slot: Int32
    public var createdFrame: Int
    public var rule: Int32
    public var state: Connection.State
    public var lastSeen: Timestamp
    /// When it expires if no further permitted packet comes.
    public var expires: Timestamp
    public var preexisting: Bool
    public var originalDirection: Direction
}
