import Firewall
import Packets

/// Combining the parts of several files into one policy: groups with their rule ids, the chosen
/// interface, its subnet and ACL, prefix lists, referenced groups' members and settings.
extension PolicyLoader {
    static func combine(
        _ parts: PolicyParts, eni: String?, extraAddresses: [IPAddress], notes: inout [String]
    ) throws(InputError) -> Policy {
        var policy = Policy()

        // Security groups: scenario and describe-security-groups, ids from describe-security-group-rules.
        var groups: [SecurityGroup] = []
        for group in parts.scenarios.flatMap(\.groups) + parts.groups {
            if let existing = groups.first(where: { $0.id == group.id }) {
                throw InputError(
                    file: group.source?.file ?? "", line: group.source?.line, path: group.source?.path,
                    message: "security group \(group.id) is defined twice (also in \(existing.source?.file ?? "another file"))")
            }
            groups.append(group)
        }
        attachRuleIDs(&groups, listed: parts.listedRules, notes: &notes)
        policy.securityGroups = groups

        // The interface.
        let interface = try chooseInterface(parts, eni: eni, extraAddresses: extraAddresses, notes: &notes)
        var instance = Instance()
        if let interface {
            instance.eniID = interface.id
            instance.addresses = interface.addresses
            instance.delegatedPrefixes = interface.prefixes
            instance.subnetID = interface.subnetID
            instance.groupIDs = interface.groupIDs
        } else {
            instance.eniID = eni ?? parts.scenarios.lazy.compactMap(\.eniID).first
            if let attached = parts.scenarios.lazy.compactMap(\.attachedGroupIDs).first {
                instance.groupIDs = attached
            } else {
                instance.groupIDs = groups.map(\.id)
                if !groups.isEmpty && !parts.groups.isEmpty {
                    notes.append("no NetworkInterfaces file: every security group given is taken as attached")
                }
            }
        }
        for scenario in parts.scenarios {
            for address in scenario.addresses { instance.add(address, kind: .given) }
            instance.subnetCIDRs += scenario.subnetCIDRs
        }
        for address in extraAddresses { instance.add(address, kind: .given) }

        // The subnet's blocks.
        if let subnet = chooseSubnet(parts, instance: instance, notes: &notes) {
            instance.subnetID = instance.subnetID ?? subnet.id
            for block in subnet.cidrs where !instance.subnetCIDRs.contains(block) { instance.subnetCIDRs.append(block) }
        }
        policy.instance = instance

        // Network ACLs and the one in force.
        policy.networkACLs = parts.scenarios.flatMap(\.acls) + parts.acls
        policy.networkACLID = try chooseACL(parts, policy: policy, notes: &notes)

        // Data that rules refer to.
        for (id, cidrs) in parts.prefixLists { policy.prefixLists[id, default: []] += cidrs }
        for scenario in parts.scenarios {
            for (id, cidrs) in scenario.prefixLists { policy.prefixLists[id, default: []] += cidrs }
            for (id, addresses) in scenario.groupMembers { policy.groupMembers[id, default: []] += addresses }
        }
        for record in parts.interfaces where record.id != instance.eniID {
            let members = record.addresses.filter { $0.kind != .public }.map(\.address)
            for group in record.groupIDs { policy.groupMembers[group, default: []] += members }
        }
        noteUnresolvedPeers(policy, notes: &notes)

        // Tracking settings: the interface's configuration, then the scenario's settings.
        if let interface { applyTimeouts(interface.timeouts, to: &policy.tracking.timeouts) }
        for scenario in parts.scenarios {
            applyTimeouts(scenario.timeouts, to: &policy.tracking.timeouts)
            if let max = scenario.conntrackMax { policy.tracking.conntrackMax = max }
            if let peers = scenario.automaticallyTracked { policy.tracking.automaticallyTrackedPeers = peers }
            if scenario.trackAll { policy.tracking.trackAllPeers = true }
            if let exempt = scenario.exempt { policy.tracking.exemptCIDRs = exempt }
        }
        return policy
    }

    private static func applyTimeouts(_ change: TimeoutChange, to timeouts: inout ConnectionTrackingTimeouts) {
        if let t = change.tcpEstablished { timeouts.tcpEstablished = t }
        if let t = change.udp { timeouts.udp = t }
        if let t = change.udpStream { timeouts.udpStream = t }
    }

    /// Gives the groups' rules the `sgr-` ids describe-security-group-rules lists, matching by
    /// content; listed rules of groups not described otherwise form those groups.
    static func attachRuleIDs(_ groups: inout [SecurityGroup], listed: [SecurityGroupRule], notes: inout [String]) {
        guard !listed.isEmpty else { return }
        var unmatched: [SecurityGroupRule] = []
        for rule in listed {
            guard let g = groups.firstIndex(where: { $0.id == rule.groupID }) else {
                unmatched.append(rule)
                continue
            }
            if let r = groups[g].rules.firstIndex(where: { $0.id == nil && $0.samePermission(as: rule) }) {
                groups[g].rules[r].id = rule.id
                if groups[g].rules[r].ruleDescription == nil { groups[g].rules[r].ruleDescription = rule.ruleDescription }
            } else if !groups[g].rules.contains(where: { $0.id == rule.id }) {
                groups[g].rules.append(rule)
                notes.append("\(rule.description) is in the SecurityGroupRules file only; added")
            }
        }
        for rule in unmatched {
            if let g = groups.firstIndex(where: { $0.id == rule.groupID }) {
                groups[g].rules.append(rule)
            } else {
                groups.append(SecurityGroup(id: rule.groupID, rules: [rule], source: rule.source))
            }
        }
        let listedGroups = Set(listed.map(\.groupID))
        for group in groups where listedGroups.contains(group.id) {
            let missing = group.rules.filter { $0.id == nil }
            if !missing.isEmpty {
                notes.append("\(group.id): \(missing.count) rule(s) have no match in the SecurityGroupRules file, so no sgr- id")
            }
        }
    }

    /// The analysed interface among the NetworkInterfaces files: `--eni`, the only one, or the one
    /// holding an address given with `--instance` or in a scenario.
    static func chooseInterface(
        _ parts: PolicyParts, eni: String?, extraAddresses: [IPAddress], notes: inout [String]
    ) throws(InputError) -> PolicyParts.InterfaceRecord? {
        let all = parts.interfaces
        guard let first = all.first else { return nil }
        let ids = all.map(\.id).joined(separator: ", ")
        if let eni {
            guard let chosen = all.first(where: { $0.id == eni }) else {
                throw InputError(
                    file: first.source.file, message: "--eni \(eni) is not among the network interfaces given (\(ids))")
            }
            return chosen
        }
        if all.count == 1 { return first }
        let holders = holders(parts, extraAddresses: extraAddresses)
        if holders.count == 1, let chosen = holders.first {
            notes.append("analysing \(chosen.id): it holds the instance address given")
            return chosen
        }
        throw InputError(
            file: first.source.file, path: "NetworkInterfaces",
            message: "several network interfaces (\(ids)): choose the analysed one with --eni")
    }

    /// The interfaces holding an address given with `--instance` or in a scenario.
    static func holders(_ parts: PolicyParts, extraAddresses: [IPAddress]) -> [PolicyParts.InterfaceRecord] {
        let known = extraAddresses + parts.scenarios.flatMap(\.addresses)
        return parts.interfaces.filter { record in record.addresses.contains { known.contains($0.address) } }
    }

    /// The instance's subnet among describe-subnets' records: by id, else the one holding an
    /// instance address.
    static func chooseSubnet(_ parts: PolicyParts, instance: Instance, notes: inout [String]) -> PolicyParts.SubnetRecord? {
        if let id = instance.subnetID {
            if let record = parts.subnets.first(where: { $0.id == id }) { return record }
            if !parts.subnets.isEmpty { notes.append("subnet \(id) is not in the Subnets file: its CIDR is unknown") }
            return nil
        }
        let holding = parts.subnets.filter { record in
            instance.addresses.contains { address in record.cidrs.contains { $0.contains(address.address) } }
        }
        if holding.count == 1 { return holding[0] }
        if parts.subnets.count > 1 { notes.append("cannot tell the instance's subnet among the Subnets given: its CIDR is unknown") }
        return parts.subnets.count == 1 ? parts.subnets[0] : nil
    }

    /// The ACL in force: the scenario's choice, the one associated with the subnet, the default ACL
    /// of the interface's own VPC, or the only one. Never another VPC's default: a subnet that no
    /// given ACL lists uses its VPC's default, and when that is not given the NACL stage allows
    /// everything (docs/semantics.md §6: no NACL configured), with a note saying so.
    static func chooseACL(_ parts: PolicyParts, policy: Policy, notes: inout [String]) throws(InputError) -> String? {
        if let chosen = parts.scenarios.lazy.compactMap(\.activeACL).first { return chosen }
        let acls = parts.acls
        guard let first = acls.first else { return nil }
        if let subnet = policy.instance.subnetID {
            if let associated = acls.first(where: { $0.associations[subnet] != nil }) { return associated.id }
            let defaults = acls.filter { parts.defaultACLs.contains($0.id) }
            if let vpc = instanceVPC(parts, policy: policy) {
                if let byDefault = defaults.first(where: { parts.aclVPCs[$0.id] == vpc }) {
                    notes.append("no network ACL lists subnet \(subnet): using \(vpc)'s default ACL \(byDefault.id)")
                    return byDefault.id
                }
                let unplaced = acls.filter { parts.aclVPCs[$0.id] == nil }.map(\.id)
                notes.append(
                    "no network ACL of \(vpc) is given for subnet \(subnet) (none lists it, and \(vpc)'s default ACL is not among them): "
                        + "the NACL stage allows everything (as if the subnet used a default ACL that allows all); "
                        + "give describe-network-acls for \(vpc)"
                        + (unplaced.isEmpty ? "" : " (\(unplaced.joined(separator: ", ")) have no VpcId, so cannot be \(vpc)'s)"))
                return nil
            }
            let vpcs = Set(defaults.map { parts.aclVPCs[$0.id] ?? "" })
            if vpcs.count > 1 {
                throw InputError(
                    file: first.source?.file ?? "", path: "NetworkAcls",
                    message: "no network ACL lists subnet \(subnet) and the default ACLs given belong to several VPCs (\(defaults.map(\.id).joined(separator: ", "))): the interface's VPC is unknown, so its default ACL cannot be told; give describe-subnets or describe-network-interfaces (their VpcId)")
            }
            if let byDefault = defaults.first {
                notes.append(
                    "no network ACL lists subnet \(subnet) and its VPC is unknown: assuming it is in \(parts.aclVPCs[byDefault.id] ?? "the VPC") of the only default ACL given, \(byDefault.id)")
                return byDefault.id
            }
            if acls.count == 1 {
                notes.append("no network ACL lists subnet \(subnet): assuming the only ACL given, \(first.id), is in force")
                return first.id
            }
        }
        if acls.count == 1 {
            if let vpc = instanceVPC(parts, policy: policy), let other = parts.aclVPCs[first.id], other != vpc {
                notes.append("the only network ACL given, \(first.id), is \(other)'s, not \(vpc)'s: the NACL stage allows everything")
                return nil
            }
            return first.id
        }
        throw InputError(
            file: first.source?.file ?? "", path: "NetworkAcls",
            message: "several network ACLs (\(acls.map(\.id).joined(separator: ", "))) and no way to tell which is the instance's subnet's: give the NetworkInterfaces file (or --eni)")
    }

    /// The analysed interface's VPC: its own VpcId, else its subnet's (describe-subnets).
    static func instanceVPC(_ parts: PolicyParts, policy: Policy) -> String? {
        if let eni = policy.instance.eniID, let vpc = parts.interfaces.first(where: { $0.id == eni })?.vpcID { return vpc }
        guard let subnet = policy.instance.subnetID else { return nil }
        return parts.subnets.first { $0.id == subnet }?.vpcID
    }

    /// Notes for rules that match nothing because the policy lacks their peer's data.
    static func noteUnresolvedPeers(_ policy: Policy, notes: inout [String]) {
        var seen: Set<String> = []
        for rule in policy.attachedGroups.flatMap(\.rules) where policy.cidrs(of: rule.peer) == nil {
            guard seen.insert(rule.peer.description).inserted else { continue }
            switch rule.peer {
            case .prefixList(let id):
                notes.append("prefix list \(id) has no entries given (get-managed-prefix-list-entries): its rules match nothing")
            case .securityGroup(let id):
                notes.append("the addresses of group \(id)'s members are unknown: rules referencing it match nothing")
            case .cidr: break
            }
        }
    }
}
