/// The five verdicts a frame can get (docs/semantics.md §2). Exactly one per frame.
public enum Verdict: UInt8, CaseIterable, Sendable {
    /// The rules in force at this instant, in this direction, permit it (NACL and SG).
    case allowedByRule
    /// No SG rule permits it, but a live connection-tracking entry does: "why is traffic still flowing".
    case allowedByTracking
    /// A NACL denies it, or neither an SG rule nor a tracking entry permits it.
    case dropped
    /// The rules permit it, it needs a new tracking entry, and the table is full.
    case lostConntrackExhausted
    /// Not evaluated: non-IP, undecodable, not to or from the instance, or AWS-exempt.
    case skipped

    /// The label text, as INTERFACE.md fixes it.
    public var label: String {
        switch self {
        case .allowedByRule: "allowed-by-rule"
        case .allowedByTracking: "allowed-by-tracking"
        case .dropped: "dropped"
        case .lostConntrackExhausted: "lost-conntrack-exhausted"
        case .skipped: "skipped"
        }
    }
}

/// Which way a frame crosses the instance's interface.
public enum Direction: UInt8, Sendable {
    /// Peer → instance.
    case inbound
    /// Instance → peer.
    case outbound

    public var label: String { self == .inbound ? "inbound" : "outbound" }
}
