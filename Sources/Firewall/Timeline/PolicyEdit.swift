/// One change to the policy, as a timeline records it (docs/semantics.md §7).
///
///     .revokeByPermission(groupID: "sg-0web", rules: [ssh])          // RevokeSecurityGroupIngress
///     .deleteNetworkACLEntry(aclID: "acl-0a", direction: .egress, ruleNumber: 100)
///
/// Each case names what it touches the way AWS's API does, so an edit for something the policy
/// does not know can be reported (`Policy.apply` returns a warning and changes nothing).
public enum PolicyEdit: Hashable, Sendable {
    /// Adds rules to a group (AuthorizeSecurityGroupIngress / Egress).
    case authorize(groupID: String, rules: [SecurityGroupRule])
    /// Removes rules by `sgr-` id. `revokedRules` holds what they were when the source says so
    /// (CloudTrail's response), which lets `--policy-state end` put them back exactly.
    case revokeByID(groupID: String, ruleIDs: [String], revokedRules: [SecurityGroupRule])
    /// Removes the rules with exactly these permissions (direction, traffic, peer; description ignored).
    case revokeByPermission(groupID: String, rules: [SecurityGroupRule])
    /// Replaces rules in place, keeping their id and direction (ModifySecurityGroupRules).
    case modify(groupID: String, updates: [RuleUpdate])
    /// Replaces the interface's security groups (ModifyNetworkInterfaceAttribute groupSet).
    /// `eniID` nil: the analysed interface.
    case setGroups(eniID: String?, groupIDs: [String])
    /// Attaches one more group to the interface.
    case attachGroup(String)
    /// Detaches one group from the interface.
    case detachGroup(String)
    /// Adds a NACL entry (CreateNetworkAclEntry).
    case createNetworkACLEntry(aclID: String, entry: NetworkACLEntry)
    /// Replaces the NACL entry with the same direction and number (ReplaceNetworkAclEntry).
    case replaceNetworkACLEntry(aclID: String, entry: NetworkACLEntry)
    /// Deletes a NACL entry (DeleteNetworkAclEntry).
    case deleteNetworkACLEntry(aclID: String, direction: RuleDirection, ruleNumber: Int)
    /// Puts the instance's subnet under another ACL (ReplaceNetworkAclAssociation). `associationID`
    /// nil: the instance's subnet, whatever its association.
    case replaceNetworkACLAssociation(associationID: String?, aclID: String, newAssociationID: String?)
    /// Changes some connection-tracking timeouts (ModifyNetworkInterfaceAttribute
    /// connectionTrackingSpecification). Existing entries use the new values from then on.
    case setTimeouts(eniID: String?, TimeoutChange)
}

/// The new content of one rule in a modify edit: everything but id and direction.
public struct RuleUpdate: Hashable, Sendable {
    public var ruleID: String
    public var traffic: Traffic
    public var peer: Peer
    public var ruleDescription: String?

    public init(ruleID: String, traffic: Traffic, peer: Peer, description: String? = nil) {
        self.ruleID = ruleID
        self.traffic = traffic
        self.peer = peer
        self.ruleDescription = description
    }
}

extension PolicyEdit: CustomStringConvertible {
    /// One line for people: `revoke sg-0web inbound tcp 22 from 203.0.113.1/32`.
    public var description: String {
        switch self {
        case .authorize(let group, let rules):
            return "authorize " + rules.map { "\($0.id.map { "\(group)/\($0)" } ?? group) \($0.permission)" }
                .joined(separator: "; ")
        case .revokeByID(let group, let ids, _):
            return "revoke " + ids.map { "\(group)/\($0)" }.joined(separator: ", ")
        case .revokeByPermission(let group, let rules):
            return "revoke " + rules.map { "\(group) \($0.permission)" }.joined(separator: "; ")
        case .modify(let group, let updates):
            return "modify " + updates.map {
                "\(group)/\($0.ruleID) → \($0.traffic) \($0.peer)" + ($0.ruleDescription.map { " \"\($0)\"" } ?? "")
            }.joined(separator: "; ")
        case .setGroups(let eni, let groups):
            return "set groups\(eni.map { " of \($0)" } ?? "") to " + (groups.isEmpty ? "none" : groups.joined(separator: ", "))
        case .attachGroup(let group):
            return "attach \(group)"
        case .detachGroup(let group):
            return "detach \(group)"
        case .createNetworkACLEntry(let acl, let entry):
            return "create \(acl) \(entry)"
        case .replaceNetworkACLEntry(let acl, let entry):
            return "replace \(acl) \(entry)"
        case .deleteNetworkACLEntry(let acl, let direction, let number):
            return "delete \(acl) \(direction.word) \(number)"
        case .replaceNetworkACLAssociation(let association, let acl, _):
            return "associate the subnet with \(acl)" + (association.map { " (replacing \($0))" } ?? "")
        case .setTimeouts(let eni, let change):
            return "set tracking timeouts\(eni.map { " of \($0)" } ?? ""): \(change)"
        }
    }
}
