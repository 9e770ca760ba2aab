/// Applying timeline edits to a policy (docs/semantics.md §7).
///
///     var policy = start
///     let warnings = policy.apply(.detachGroup("sg-0web"))
///
/// An edit that names something the policy does not know (a group, rule, ACL or NACL entry) changes
/// nothing and comes back as a warning with the edit's source; nothing else is skipped. An edit
/// never touches tracking entries: only the rules change.
extension Policy {
    @discardableResult
    public mutating func apply(_ timed: TimedEdit) -> [PolicyWarning] {
        apply(timed.edit, source: timed.source)
    }

    @discardableResult
    public mutating func apply(_ edit: PolicyEdit, source: SourceLocation? = nil) -> [PolicyWarning] {
        var warnings: [PolicyWarning] = []
        func warn(_ message: String) { warnings.append(PolicyWarning(message, at: source)) }

        switch edit {
        case .authorize(let groupID, let rules):
            guard group(groupID) != nil else {
                warn("authorize names security group \(groupID), which is not in the policy; ignored")
                break
            }
            updateGroup(groupID) { group in
                for rule in rules {
                    if group.rules.contains(where: { $0.samePermission(as: rule) }) {
                        warn("authorize: \(groupID) already has \(rule.permission); ignored")
                    } else {
                        group.rules.append(rule)
                    }
                }
            }

        case .revokeByID(let groupID, let ruleIDs, _):
            guard group(groupID) != nil else {
                warn("revoke names security group \(groupID), which is not in the policy; ignored")
                break
            }
            updateGroup(groupID) { group in
                for id in ruleIDs {
                    if let i = group.rules.firstIndex(where: { $0.id == id }) {
                        group.rules.remove(at: i)
                    } else {
                        warn("revoke names rule \(groupID)/\(id), which is not in the group; ignored")
                    }
                }
            }

        case .revokeByPermission(let groupID, let rules):
            guard group(groupID) != nil else {
                warn("revoke names security group \(groupID), which is not in the policy; ignored")
                break
            }
            updateGroup(groupID) { group in
                for rule in rules {
                    if let i = group.rules.firstIndex(where: { $0.samePermission(as: rule) }) {
                        group.rules.remove(at: i)
                    } else {
                        warn("revoke: \(groupID) has no rule \(rule.permission); ignored")
                    }
                }
            }

        case .modify(let groupID, let updates):
            guard group(groupID) != nil else {
                warn("modify names security group \(groupID), which is not in the policy; ignored")
                break
            }
            updateGroup(groupID) { group in
                for update in updates {
                    guard let i = group.rules.firstIndex(where: { $0.id == update.ruleID }) else {
                        warn("modify names rule \(groupID)/\(update.ruleID), which is not in the group; ignored")
                        continue
                    }
                    group.rules[i].traffic = update.traffic
                    group.rules[i].peer = update.peer
                    group.rules[i].ruleDescription = update.ruleDescription
                    group.rules[i].source = source ?? group.rules[i].source
                }
            }

        case .setGroups(let eniID, let groupIDs):
            guard isThisInterface(eniID) else {
                warn("the group change is for \(eniID ?? "?"), not the analysed interface \(instance.eniID ?? "?"); ignored")
                break
            }
            for id in groupIDs where group(id) == nil {
                warn("security group \(id) is attached but not in the policy: it contributes no rules")
            }
            instance.groupIDs = groupIDs

        case .attachGroup(let id):
            if instance.groupIDs.contains(id) {
                warn("attach: \(id) is already attached; ignored")
            } else {
                if group(id) == nil { warn("security group \(id) is attached but not in the policy: it contributes no rules") }
                instance.groupIDs.append(id)
            }

        case .detachGroup(let id):
            if let i = instance.groupIDs.firstIndex(of: id) {
                instance.groupIDs.remove(at: i)
            } else {
                warn("detach names security group \(id), which is not attached; ignored")
            }

        case .createNetworkACLEntry(let aclID, let entry):
            guard let acl = networkACL(aclID) else {
                warn("the entry is for \(Policy.aclName(aclID)), which is not in the policy; ignored")
                break
            }
            if acl.entry(entry.direction, entry.ruleNumber) != nil {
                warn("create: \(aclID) already has \(entry.direction.word) rule \(entry.ruleNumber); ignored")
            } else {
                updateACL(aclID) { $0.set(entry) }
            }

        case .replaceNetworkACLEntry(let aclID, let entry):
            guard let acl = networkACL(aclID) else {
                warn("the entry is for \(Policy.aclName(aclID)), which is not in the policy; ignored")
                break
            }
            if acl.entry(entry.direction, entry.ruleNumber) == nil {
                warn("replace: \(aclID) has no \(entry.direction.word) rule \(entry.ruleNumber); ignored")
            } else {
                updateACL(aclID) { $0.set(entry) }
            }

        case .deleteNetworkACLEntry(let aclID, let direction, let number):
            guard networkACL(aclID) != nil else {
                warn("the entry is for \(Policy.aclName(aclID)), which is not in the policy; ignored")
                break
            }
            var removed: NetworkACLEntry?
            updateACL(aclID) { removed = $0.remove(direction, number) }
            if removed == nil { warn("delete: \(aclID) has no \(direction.word) rule \(number); ignored") }

        case .replaceNetworkACLAssociation(let associationID, let aclID, let newAssociationID):
            guard networkACL(aclID) != nil else {
                warn("the subnet is associated with network ACL \(aclID), which is not in the policy; ignored")
                break
            }
            let subnet = instance.subnetID ?? "subnet"
            if let associationID, let current = activeNetworkACL?.associations[subnet], current != associationID {
                // Another subnet's association: not the instance's concern.
                break
            }
            if let old = networkACLID { updateACL(old) { $0.associations[subnet] = nil } }
            networkACLID = aclID
            updateACL(aclID) { $0.associations[subnet] = newAssociationID ?? associationID ?? "" }

        case .setTimeouts(let eniID, let change):
            guard isThisInterface(eniID) else {
                warn("the timeout change is for \(eniID ?? "?"), not the analysed interface; ignored")
                break
            }
            if let t = change.tcpEstablished { tracking.timeouts.tcpEstablished = t }
            if let t = change.udp { tracking.timeouts.udp = t }
            if let t = change.udpStream { tracking.timeouts.udpStream = t }
        }
        return warnings
    }

    /// `network ACL acl-0a`, or a sentence for scenario edits made when no ACL is defined.
    static func aclName(_ id: String) -> String {
        id.isEmpty ? "the instance's network ACL (none is defined)" : "network ACL \(id)"
    }

    /// Whether an edit naming `eniID` is about the analysed interface (nil on either side: yes).
    func isThisInterface(_ eniID: String?) -> Bool {
        guard let eniID, let own = instance.eniID else { return true }
        return eniID == own
    }
}
