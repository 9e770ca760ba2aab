/// Which way a security group rule or NACL entry faces.
public enum RuleDirection: String, Hashable, Sendable, CaseIterable {
    /// Inbound: matches a packet's source against the peer.
    case ingress
    /// Outbound: matches a packet's destination against the peer.
    case egress

    /// "inbound" / "outbound", as people say it.
    public var word: String { self == .ingress ? "inbound" : "outbound" }
}

/// One security group rule: it allows `traffic` between the instance and `peer` in `direction`.
///
///     sg-0abc/sgr-0123 inbound tcp 22 from 203.0.113.1/32
///
/// AWS's `IpPermissions` entries with several ranges are split into one rule per peer, as
/// describe-security-group-rules lists them. Rules only allow (docs/semantics.md §4). Ports are the
/// destination ports: local for ingress, remote for egress.
///
/// Equality compares what the rule says (group, id, direction, traffic, peer, description), not
/// where it was written. `samePermission(as:)` is AWS's revoke match, which also ignores id and
/// description.
public struct SecurityGroupRule: Sendable {
    /// The `sgr-…` id when known (describe-security-group-rules, CloudTrail responses, scenario).
    public var id: String?
    /// The `sg-…` group that holds the rule.
    public var groupID: String
    public var direction: RuleDirection
    public var traffic: Traffic
    public var peer: Peer
    public var ruleDescription: String?
    public var source: SourceLocation?

    public init(
        id: String? = nil, groupID: String, direction: RuleDirection, traffic: Traffic, peer: Peer,
        description: String? = nil, source: SourceLocation? = nil
    ) {
        self.id = id
        self.groupID = groupID
        self.direction = direction
        self.traffic = traffic
        self.peer = peer
        self.ruleDescription = description
        self.source = source
    }

    /// AWS's exact-permission match for revoke: same direction, traffic and peer.
    public func samePermission(as other: SecurityGroupRule) -> Bool {
        direction == other.direction && traffic == other.traffic && peer == other.peer
    }

    /// `sg-0abc/sgr-0123`, or the group alone when the rule has no id.
    public var name: String {
        guard let id else { return groupID }
        return "\(groupID)/\(id)"
    }

    /// `inbound tcp 22 from 203.0.113.1/32`: the permission alone.
    public var permission: String {
        "\(direction.word) \(traffic) \(direction == .ingress ? "from" : "to") \(peer)"
    }
}

extension SecurityGroupRule: Hashable {
    public static func == (a: SecurityGroupRule, b: SecurityGroupRule) -> Bool {
        a.id == b.id && a.groupID == b.groupID && a.direction == b.direction && a.traffic == b.traffic
            && a.peer == b.peer && a.ruleDescription == b.ruleDescription
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(groupID)
        hasher.combine(direction)
        hasher.combine(traffic)
        hasher.combine(peer)
        hasher.combine(ruleDescription)
    }
}

extension SecurityGroupRule: CustomStringConvertible {
    /// `sg-0abc/sgr-0123 inbound tcp 22 from 203.0.113.1/32`
    public var description: String { "\(name) \(permission)" }
}
