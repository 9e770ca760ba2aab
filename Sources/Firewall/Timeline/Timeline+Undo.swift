/// Deriving the start state from a snapshot taken after the timeline (`--policy-state end`).
///
///     let (start, notes) = timeline.startState(fromEnd: snapshot)
///
/// Edits are undone from the last to the first. An edit whose previous state the timeline itself
/// does not tell (a replaced NACL entry, a revoked rule known only by id, a modified rule, a group
/// set or timeouts with no earlier edit) cannot be undone exactly: the start state keeps what the
/// snapshot has, and the edit is reported by name in the returned warnings.
extension Timeline {
    public func startState(fromEnd end: Policy) -> (Policy, [PolicyWarning]) {
        var policy = end
        var warnings: [PolicyWarning] = []
        for i in edits.indices.reversed() {
            let earlier = edits[..<i].map(\.edit)
            for message in policy.undo(edits[i].edit, earlier: earlier) {
                warnings.append(PolicyWarning("cannot undo \(edits[i].time) \(edits[i].edit): \(message)", at: edits[i].source))
            }
        }
        return (policy, warnings.reversed())
    }
}

extension Policy {
    /// Undoes one edit; returns why it could not be undone exactly (empty when it was).
    /// `earlier` are the edits before it, where previous values may be found.
    mutating func undo(_ edit: PolicyEdit, earlier: [PolicyEdit]) -> [String] {
        var problems: [String] = []
        switch edit {
        case .authorize(let groupID, let rules):
            guard group(groupID) != nil else { return ["security group \(groupID) is not in the snapshot"] }
            updateGroup(groupID) { group in
                for rule in rules {
                    let byID = rule.id.flatMap { id in group.rules.firstIndex { $0.id == id } }
                    if let i = byID ?? group.rules.firstIndex(where: { $0.samePermission(as: rule) }) {
                        group.rules.remove(at: i)
                    } else {
                        problems.append("the snapshot has no rule \(rule.permission) to remove")
                    }
                }
            }

        case .revokeByID(let groupID, let ruleIDs, let revokedRules):
            guard group(groupID) != nil else { return ["security group \(groupID) is not in the snapshot"] }
            for id in ruleIDs {
                if let rule = revokedRules.first(where: { $0.id == id }) ?? Policy.lastAuthorized(id, in: groupID, earlier) {
                    updateGroup(groupID) { $0.rules.append(rule) }
                } else {
                    problems.append("what rule \(id) allowed is unknown, so the start state lacks it")
                }
            }

        case .revokeByPermission(let groupID, let rules):
            guard group(groupID) != nil else { return ["security group \(groupID) is not in the snapshot"] }
            updateGroup(groupID) { group in
                for rule in rules where !group.rules.contains(where: { $0.samePermission(as: rule) }) {
                    group.rules.append(rule)
                }
            }

        case .modify(let groupID, let updates):
            guard group(groupID) != nil else { return ["security group \(groupID) is not in the snapshot"] }
            for update in updates {
                guard let previous = Policy.lastContent(of: update.ruleID, in: groupID, earlier) else {
                    problems.append("the earlier content of rule \(update.ruleID) is unknown, so the start state keeps the modified one")
                    continue
                }
                updateGroup(groupID) { group in
                    if let i = group.rules.firstIndex(where: { $0.id == update.ruleID }) {
                        group.rules[i].traffic = previous.traffic
                        group.rules[i].peer = previous.peer
                        group.rules[i].ruleDescription = previous.ruleDescription
                    }
                }
            }

        case .setGroups(let eniID, _):
            guard isThisInterface(eniID) else { break }
            if let previous = Policy.groupSet(before: earlier) {
                instance.groupIDs = previous
            } else {
                problems.append("the groups attached before it are unknown, so the start state keeps \(instance.groupIDs.joined(separator: ", "))")
            }

        case .attachGroup(let id):
            instance.groupIDs.removeAll { $0 == id }

        case .detachGroup(let id):
            if !instance.groupIDs.contains(id) { instance.groupIDs.append(id) }

        case .createNetworkACLEntry(let aclID, let entry):
            guard networkACL(aclID) != nil else { return ["network ACL \(aclID) is not in the snapshot"] }
            var removed: NetworkACLEntry?
            updateACL(aclID) { removed = $0.remove(entry.direction, entry.ruleNumber) }
            if removed == nil { problems.append("the snapshot has no \(entry.direction.word) rule \(entry.ruleNumber) to remove") }

        case .replaceNetworkACLEntry(let aclID, let entry):
            guard networkACL(aclID) != nil else { return ["network ACL \(aclID) is not in the snapshot"] }
            if let previous = Policy.lastEntry(aclID, entry.direction, entry.ruleNumber, earlier) {
                updateACL(aclID) { $0.set(previous) }
            } else {
                problems.append("the entry it replaced is unknown, so the start state keeps the new one")
            }

        case .deleteNetworkACLEntry(let aclID, let direction, let number):
            guard networkACL(aclID) != nil else { return ["network ACL \(aclID) is not in the snapshot"] }
            if let previous = Policy.lastEntry(aclID, direction, number, earlier) {
                updateACL(aclID) { $0.set(previous) }
            } else {
                problems.append("the deleted entry is unknown, so the start state lacks it")
            }

        case .replaceNetworkACLAssociation:
            let previous = earlier.last { if case .replaceNetworkACLAssociation = $0 { true } else { false } }
            if case .replaceNetworkACLAssociation(_, let aclID, _) = previous {
                networkACLID = aclID
            } else {
                problems.append("the ACL the subnet used before is unknown, so the start state keeps \(networkACLID ?? "none")")
            }

        case .setTimeouts(let eniID, let change):
            guard isThisInterface(eniID) else { break }
            let before = Policy.timeouts(before: earlier)
            var unknown: [String] = []
            if change.tcpEstablished != nil {
                if let t = before.tcpEstablished { tracking.timeouts.tcpEstablished = t } else { unknown.append("tcp-established") }
            }
            if change.udp != nil {
                if let t = before.udp { tracking.timeouts.udp = t } else { unknown.append("udp") }
            }
            if change.udpStream != nil {
                if let t = before.udpStream { tracking.timeouts.udpStream = t } else { unknown.append("udp-stream") }
            }
            if !unknown.isEmpty {
                problems.append("the earlier \(unknown.joined(separator: ", ")) timeout is unknown, so the start state keeps the later value")
            }
        }
        return problems
    }

    /// The rule with this id as the last earlier authorize or modify left it.
    static func lastContent(of ruleID: String, in groupID: String, _ earlier: [PolicyEdit]) -> SecurityGroupRule? {
        for edit in earlier.reversed() {
            switch edit {
            case .authorize(let g, let rules) where g == groupID:
                if let rule = rules.first(where: { $0.id == ruleID }) { return rule }
            case .modify(let g, let updates) where g == groupID:
                if let u = updates.first(where: { $0.ruleID == ruleID }) {
                    return SecurityGroupRule(
                        id: ruleID, groupID: groupID, direction: .ingress, traffic: u.traffic, peer: u.peer,
                        description: u.ruleDescription)
                }
            default: continue
            }
        }
        return nil
    }

    /// The rule an earlier authorize added with this id (for re-adding a rule revoked by id).
    static func lastAuthorized(_ ruleID: String, in groupID: String, _ earlier: [PolicyEdit]) -> SecurityGroupRule? {
        for case .authorize(let g, let rules) in earlier.reversed() where g == groupID {
            if let rule = rules.first(where: { $0.id == ruleID }) { return rule }
        }
        return nil
    }

    /// The NACL entry an earlier create or replace left at (direction, number); nil if none did.
    static func lastEntry(_ aclID: String, _ direction: RuleDirection, _ number: Int, _ earlier: [PolicyEdit]) -> NetworkACLEntry? {
        for edit in earlier.reversed() {
            switch edit {
            case .createNetworkACLEntry(let acl, let entry), .replaceNetworkACLEntry(let acl, let entry):
                if acl == aclID && entry.direction == direction && entry.ruleNumber == number { return entry }
            case .deleteNetworkACLEntry(let acl, let d, let n) where acl == aclID && d == direction && n == number:
                return nil
            default: continue
            }
        }
        return nil
    }

    /// The group set after the earlier edits, when an earlier edit set it outright.
    static func groupSet(before earlier: [PolicyEdit]) -> [String]? {
        guard let start = earlier.lastIndex(where: { if case .setGroups = $0 { true } else { false } }),
            case .setGroups(_, var groups) = earlier[start]
        else { return nil }
        for edit in earlier[(start + 1)...] {
            switch edit {
            case .attachGroup(let id): if !groups.contains(id) { groups.append(id) }
            case .detachGroup(let id): groups.removeAll { $0 == id }
            default: continue
            }
        }
        return groups
    }

    /// Each timeout as the last earlier edit set it (nil: no earlier edit did).
    static func timeouts(before earlier: [PolicyEdit]) -> TimeoutChange {
        var result = TimeoutChange()
        for case .setTimeouts(_, let change) in earlier {
            if let t = change.tcpEstablished { result.tcpEstablished = t }
            if let t = change.udp { result.udp = t }
            if let t = change.udpStream { result.udpStream = t }
        }
        return result
    }
}
