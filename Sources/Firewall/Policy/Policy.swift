import Packets

/// Everything in force for the instance at one instant: its interface, every known security group
/// and network ACL, the data rules refer to, and the tracking settings.
///
///     var policy = Policy()
///     policy.instance.groupIDs = ["sg-0web"]
///     policy.securityGroups = [SecurityGroup(id: "sg-0web", rules: [...])]
///     policy.rulesInForce(.ingress)        // the attached groups' inbound rules
///
/// Groups and ACLs that are known but not attached stay here: a timeline edit may attach them
/// later. Timeline edits change a policy through `apply(_:)` (Policy+Apply.swift).
public struct Policy: Hashable, Sendable {
    public var instance: Instance
    /// Every known group, in input order; the attached ones are `instance.groupIDs`.
    public var securityGroups: [SecurityGroup]
    /// Every known network ACL, in input order.
    public var networkACLs: [NetworkACL]
    /// The ACL of the instance's subnet; nil when none applies (all traffic passes the NACL stage).
    public var networkACLID: String?
    /// Managed prefix list id → its CIDRs (get-managed-prefix-list-entries, scenario `prefix-lists`).
    public var prefixLists: [String: [CIDR]]
    /// Security group id → addresses of the interfaces that carry it, for rules that reference it.
    public var groupMembers: [String: [IPAddress]]
    public var tracking: TrackingSettings

    public init(
        instance: Instance = Instance(), securityGroups: [SecurityGroup] = [], networkACLs: [NetworkACL] = [],
        networkACLID: String? = nil, prefixLists: [String: [CIDR]] = [:], groupMembers: [String: [IPAddress]] = [:],
        tracking: TrackingSettings = TrackingSettings()
    ) {
        self.instance = instance
        self.securityGroups = securityGroups
        self.networkACLs = networkACLs
        self.networkACLID = networkACLID
        self.prefixLists = prefixLists
        self.groupMembers = groupMembers
        self.tracking = tracking
    }

    /// The known group with this id.
    public func group(_ id: String) -> SecurityGroup? {
        securityGroups.first { $0.id == id }
    }

    /// The attached groups that are known, in the interface's order.
    public var attachedGroups: [SecurityGroup] {
        instance.groupIDs.compactMap { group($0) }
    }

    /// The known ACL with this id.
    public func networkACL(_ id: String) -> NetworkACL? {
        networkACLs.first { $0.id == id }
    }

    /// The ACL in force for the instance's subnet.
    public var activeNetworkACL: NetworkACL? {
        networkACLID.flatMap { networkACL($0) }
    }

    /// The union of the attached groups' rules in one direction (docs/semantics.md §4).
    public func rulesInForce(_ direction: RuleDirection) -> [SecurityGroupRule] {
        attachedGroups.flatMap { $0.rules(direction) }
    }

    /// The blocks a peer stands for; nil when the policy does not know them (a prefix list without
    /// entries, a referenced group without member addresses): such a rule matches nothing.
    public func cidrs(of peer: Peer) -> [CIDR]? {
        switch peer {
        case .cidr(let block): [block]
        case .prefixList(let id): prefixLists[id]
        case .securityGroup(let id): groupMembers[id].map { $0.map(CIDR.init(host:)) }
        }
    }

    mutating func updateGroup(_ id: String, _ body: (inout SecurityGroup) -> Void) {
        guard let i = securityGroups.firstIndex(where: { $0.id == id }) else { return }
        body(&securityGroups[i])
    }

    mutating func updateACL(_ id: String, _ body: (inout NetworkACL) -> Void) {
        guard let i = networkACLs.firstIndex(where: { $0.id == id }) else { return }
        body(&networkACLs[i])
    }
}
