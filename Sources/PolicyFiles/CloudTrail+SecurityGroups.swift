import Firewall

/// CloudTrail's security group edits. Authorize and Revoke come in two shapes: `ipPermissions`
/// items, and the API's older top-level parameters (`ipProtocol`, `fromPort`, `toPort`, `cidrIp`,
/// or `sourceSecurityGroupName` / `sourceSecurityGroupOwnerId`) next to an empty `ipPermissions`,
/// as SDK callers passing `CidrIp` write them. A group may be named by `groupName` (default VPC).
/// Names are resolved among the policy's groups or from AWS's response, never guessed.
extension CloudTrail {
    /// An answer, or the outcome that replaces the edit.
    enum Resolved<T> {
        case value(T)
        case outcome(Outcome)
    }

    /// The request parameters of Authorize/Revoke that sgreplay reads or knows to be irrelevant.
    private static let ruleEditParameters: Set<String> = [
        "groupId", "groupName", "ipPermissions", "ipProtocol", "fromPort", "toPort", "cidrIp", "cidrIpv6",
        "sourceSecurityGroupName", "sourceSecurityGroupOwnerId", "securityGroupRuleIds", "securityGroupRuleId",
        "tagSpecificationSet", "tagSpecifications", "dryRun", "clientToken",
    ]
    private static let permissionKeys: Set<String> = [
        "ipProtocol", "fromPort", "toPort", "groups", "userIdGroupPairs", "ipRanges", "ipv6Ranges", "prefixListIds",
    ]
    /// The top-level rule parameters (AWS documents no top-level IPv6 block; `cidrIpv6` is read
    /// the same way should a record carry it).
    private static let flatKeys = [
        "ipProtocol", "fromPort", "toPort", "cidrIp", "cidrIpv6", "sourceSecurityGroupName", "sourceSecurityGroupOwnerId",
    ]

    static func authorize(_ name: String, _ record: Item, _ request: Item, _ response: Item?, scope: Scope) throws(InputError) -> Outcome {
        let direction: RuleDirection = name.hasSuffix("Egress") ? .egress : .ingress
        // Another group's record is skipped before its response is read.
        if let id = try request.field("groupId")?.string(), !scope.groupIDs.contains(id) { return .otherResource }
        let created = try responseRules(response?.field("securityGroupRuleSet"), direction: direction)
        let group: String
        switch try targetGroup(request, answered: created, scope: scope) {
        case .value(let id): group = id
        case .outcome(let outcome): return outcome
        }
        let unknown = unknownKeys(request, known: ruleEditParameters)
        if !unknown.isEmpty { return .notUnderstood("it has \(unknown.joined(separator: ", ")), which sgreplay does not read") }
        var names: [String: String] = [:]
        var rules: [SecurityGroupRule]
        switch try requestedRules(request, record, group: group, direction: direction, answered: created, scope: scope, names: &names) {
        case .value(let read): rules = read
        case .outcome(let outcome): return outcome
        }
        // The sgr- ids AWS gave the new rules, so that a later revoke by id finds them.
        for i in rules.indices where rules[i].id == nil {
            rules[i].id = created.first { $0.samePermission(as: rules[i]) }?.id
        }
        return .edit(.authorize(groupID: group, rules: rules))
    }

    static func revoke(_ name: String, _ record: Item, _ request: Item, _ response: Item?, scope: Scope) throws(InputError) -> Outcome {
        let direction: RuleDirection = name.hasSuffix("Egress") ? .egress : .ingress
        if let id = try request.field("groupId")?.string(), !scope.groupIDs.contains(id) { return .otherResource }
        let revoked = try responseRules(response?.field("revokedSecurityGroupRuleSet"), direction: direction)
        let group: String
        switch try targetGroup(request, answered: revoked, scope: scope) {
        case .value(let id): group = id
        case .outcome(let outcome): return outcome
        }
        if let item = request.field("securityGroupRuleIds") ?? request.field("securityGroupRuleId") {
            let ids = try ruleIDs(item)
            // CloudTrail writes an unused list as {}: then the permissions say what was revoked.
            if !ids.isEmpty {
                return .edit(.revokeByID(groupID: group, ruleIDs: ids, revokedRules: revoked.map { rule in
                    var copy = rule
                    copy.groupID = group
                    return copy
                }))
            }
        }
        let unknown = unknownKeys(request, known: ruleEditParameters)
        if !unknown.isEmpty { return .notUnderstood("it has \(unknown.joined(separator: ", ")), which sgreplay does not read") }
        var names: [String: String] = [:]
        var rules: [SecurityGroupRule]
        switch try requestedRules(request, record, group: group, direction: direction, answered: revoked, scope: scope, names: &names) {
        case .value(let read): rules = read
        case .outcome(let outcome): return outcome
        }
        // Permissions AWS reports as unknown were not revoked: they changed nothing.
        var unknownRules: [SecurityGroupRule] = []
        for permission in try response?.field("unknownIpPermissionSet")?.items() ?? [] {
            for pair in try permission.field(anyOf: ["groups", "userIdGroupPairs"])?.items() ?? [] where pair.field("groupId") == nil {
                guard let name = try pair.field("groupName")?.string(), names[name] != nil else {
                    return .notUnderstood("unknownIpPermissionSet names a group sgreplay cannot identify, so what was revoked is unclear")
                }
            }
            unknownRules += try AWSFields.rules(fromPermission: permission, groupID: group, direction: direction, groupIDsByName: names)
        }
        rules.removeAll { rule in unknownRules.contains { $0.samePermission(as: rule) } }
        if rules.isEmpty {
            return .noOp("AWS lists every permission in unknownIpPermissionSet: \(group) had no such rule")
        }
        return .edit(.revokeByPermission(groupID: group, rules: rules))
    }

    static func modifyRules(_ request: Item, scope: Scope) throws(InputError) -> Outcome {
        let body = request.field("ModifySecurityGroupRulesRequest") ?? request
        guard let group = try body.field("GroupId")?.string(), scope.groupIDs.contains(group) else { return .otherResource }
        guard let list = body.field(anyOf: ["SecurityGroupRule", "SecurityGroupRules"]) else {
            throw body.error("SecurityGroupRule is missing")
        }
        var updates: [RuleUpdate] = []
        for entry in try list.oneOrMany() {
            let id = try entry.required("SecurityGroupRuleId").string()
            let content = try entry.required("SecurityGroupRule")
            guard let protocolItem = content.field("IpProtocol") else { throw content.error("IpProtocol is missing") }
            let traffic = try AWSFields.securityGroupTraffic(
                protocol: protocolItem, fromPort: content.field("FromPort"), toPort: content.field("ToPort"), at: content)
            updates.append(RuleUpdate(
                ruleID: id, traffic: traffic, peer: try AWSFields.flatPeer(content),
                description: try content.field("Description")?.string()))
        }
        guard !updates.isEmpty else { return .notUnderstood("SecurityGroupRule lists no rule") }
        return .edit(.modify(groupID: group, updates: updates))
    }

    // MARK: Which group

    /// The rules of a response's `securityGroupRuleSet` / `revokedSecurityGroupRuleSet`, each with
    /// the `groupId` AWS gives it.
    private static func responseRules(_ set: Item?, direction: RuleDirection) throws(InputError) -> [SecurityGroupRule] {
        try set?.items().map { (i) throws(InputError) in
            try AWSFields.flatRule(i, groupID: try i.field("groupId")?.string() ?? "", direction: direction)
        } ?? []
    }

    /// The edited group: `groupId`, else `groupName` resolved by AWS's response or among the
    /// policy's groups. A name the policy does not know is another resource's, unless some of the
    /// policy's groups have no name (then it cannot be told).
    private static func targetGroup(_ request: Item, answered: [SecurityGroupRule], scope: Scope) throws(InputError) -> Resolved<String> {
        if let id = try request.field("groupId")?.string() {
            return scope.groupIDs.contains(id) ? .value(id) : .outcome(.otherResource)
        }
        guard let name = try request.field("groupName")?.string() else {
            return .outcome(.notUnderstood("it names no security group: neither groupId nor groupName"))
        }
        let fromResponse = Set(answered.map(\.groupID).filter { !$0.isEmpty })
        if fromResponse.count == 1, let id = fromResponse.first {
            return scope.groupIDs.contains(id) ? .value(id) : .outcome(.otherResource)
        }
        let named = scope.groupsByName[name] ?? []
        if named.count == 1 { return .value(named[0]) }
        if named.count > 1 {
            return .outcome(.notUnderstood(
                "groupName \(name) is the name of several of the policy's groups (\(named.joined(separator: ", "))) and the record does not say which"))
        }
        if !scope.unnamedGroupIDs.isEmpty {
            return .outcome(.notUnderstood(
                "it names group \(name) by name, and sgreplay cannot tell whether that is one of \(scope.unnamedGroupIDs.joined(separator: ", ")), whose names are unknown (give describe-security-groups)"))
        }
        return .outcome(.otherResource)
    }

    /// A source group named by name only: the policy's group of that name (not for another
    /// account's), else the one group the response's rules reference.
    private static func sourceGroup(
        named name: String, owner: String?, _ record: Item, answered: [SecurityGroupRule], scope: Scope
    ) -> Resolved<String> {
        let account = (try? record.field("recipientAccountId")?.string()) ?? (try? record.field("userIdentity")?.field("accountId")?.string())
        let foreign = owner != nil && account != nil && owner != account
        var referenced: Set<String> = []
        for rule in answered { if case .securityGroup(let id) = rule.peer { referenced.insert(id) } }
        if !foreign {
            let named = scope.groupsByName[name] ?? []
            if named.count == 1 { return .value(named[0]) }
            if named.count > 1 {
                if referenced.count == 1, let id = referenced.first, named.contains(id) { return .value(id) }
                return .outcome(.notUnderstood(
                    "source group \(name) is the name of several of the policy's groups (\(named.joined(separator: ", "))) and the record does not say which"))
            }
        }
        if referenced.count == 1, let id = referenced.first { return .value(id) }
        let whose = foreign ? " of account \(owner ?? "")" : ""
        return .outcome(.notUnderstood(
            "it names source group \(name)\(whose) by name only; no group of the policy has that name\(foreign ? " in that account" : "") and the response gives no rule to tell its id"))
    }

    // MARK: Which rules

    /// The rules a record names, from `ipPermissions` items or from the top-level parameters.
    private static func requestedRules(
        _ request: Item, _ record: Item, group: String, direction: RuleDirection, answered: [SecurityGroupRule], scope: Scope,
        names: inout [String: String]
    ) throws(InputError) -> Resolved<[SecurityGroupRule]> {
        let permissions = try request.field("ipPermissions")?.items() ?? []
        let flat = flatKeys.filter { request.field($0) != nil }
        if !permissions.isEmpty && !flat.isEmpty {
            return .outcome(.notUnderstood(
                "it has both ipPermissions items and \(flat.joined(separator: ", ")), which AWS's API does not combine"))
        }
        if !flat.isEmpty { return try flatRules(request, record, group: group, direction: direction, answered: answered, scope: scope) }
        guard !permissions.isEmpty else {
            return .outcome(.notUnderstood(
                "it names no rule: ipPermissions has no items and there is no ipProtocol, cidrIp or sourceSecurityGroupName"))
        }
        var rules: [SecurityGroupRule] = []
        for permission in permissions {
            let place = relativePath(permission, in: record)
            let unknown = unknownKeys(permission, known: permissionKeys)
            if !unknown.isEmpty {
                return .outcome(.notUnderstood("\(place) has \(unknown.joined(separator: ", ")), which sgreplay does not read"))
            }
            for pair in try permission.field(anyOf: ["groups", "userIdGroupPairs"])?.items() ?? [] where pair.field("groupId") == nil {
                guard let name = try pair.field("groupName")?.string() else {
                    return .outcome(.notUnderstood("\(relativePath(pair, in: record)) names no group: neither groupId nor groupName"))
                }
                switch sourceGroup(named: name, owner: try pair.field("userId")?.string(), record, answered: answered, scope: scope) {
                case .value(let id): names[name] = id
                case .outcome(let outcome): return .outcome(outcome)
                }
            }
            let read = try AWSFields.rules(fromPermission: permission, groupID: group, direction: direction, groupIDsByName: names)
            if read.isEmpty {
                return .outcome(.notUnderstood("\(place) names no peer: no ipRanges, ipv6Ranges, prefixListIds or groups"))
            }
            rules += read
        }
        return .value(rules)
    }

    /// The top-level form: one rule for `cidrIp` (or `cidrIpv6`) with `ipProtocol`/`fromPort`/
    /// `toPort`; for `sourceSecurityGroupName`, the three rules AWS documents that it grants
    /// (all TCP, all UDP, all ICMP from that group).
    private static func flatRules(
        _ request: Item, _ record: Item, group: String, direction: RuleDirection, answered: [SecurityGroupRule], scope: Scope
    ) throws(InputError) -> Resolved<[SecurityGroupRule]> {
        let v4 = request.field("cidrIp"), v6 = request.field("cidrIpv6")
        let sourceName = request.field("sourceSecurityGroupName"), owner = request.field("sourceSecurityGroupOwnerId")
        let protocolItem = request.field("ipProtocol")
        let ports = ["ipProtocol", "fromPort", "toPort"].filter { request.field($0) != nil }
        if [v4, v6, sourceName].compactMap({ $0 }).count > 1 {
            return .outcome(.notUnderstood("it gives more than one of cidrIp, cidrIpv6 and sourceSecurityGroupName; AWS's API takes one"))
        }
        if let block = v4 ?? v6 {
            if owner != nil {
                return .outcome(.notUnderstood("it gives sourceSecurityGroupOwnerId with a CIDR block, which AWS's API does not combine"))
            }
            guard let protocolItem else { return .outcome(.notUnderstood("it gives \(v4 != nil ? "cidrIp" : "cidrIpv6") without ipProtocol")) }
            let traffic = try AWSFields.securityGroupTraffic(
                protocol: protocolItem, fromPort: request.field("fromPort"), toPort: request.field("toPort"), at: request)
            let peer = Peer.cidr(try AWSFields.cidr(block, v4 != nil ? .v4 : .v6))
            return .value([SecurityGroupRule(groupID: group, direction: direction, traffic: traffic, peer: peer, source: request.location)])
        }
        guard let sourceName else {
            if owner != nil { return .outcome(.notUnderstood("it gives sourceSecurityGroupOwnerId without sourceSecurityGroupName")) }
            return .outcome(.notUnderstood("it gives \(ports.joined(separator: ", ")) but no peer: neither cidrIp nor sourceSecurityGroupName"))
        }
        if !ports.isEmpty {
            return .outcome(.notUnderstood(
                "it gives sourceSecurityGroupName with \(ports.joined(separator: ", ")), which AWS's API does not combine (the name alone grants all TCP, UDP and ICMP)"))
        }
        let id: String
        switch sourceGroup(named: try sourceName.string(), owner: try owner?.string(), record, answered: answered, scope: scope) {
        case .value(let resolved): id = resolved
        case .outcome(let outcome): return .outcome(outcome)
        }
        let everything: [Traffic] = [.tcp(.all), .udp(.all), .icmp(ICMPTypeCode(type: nil, code: nil))]
        return .value(everything.map { traffic in
            SecurityGroupRule(groupID: group, direction: direction, traffic: traffic, peer: .securityGroup(id), source: request.location)
        })
    }

    /// `requestParameters.ipPermissions.items[0]`: a place inside the record, for messages.
    private static func relativePath(_ item: Item, in record: Item) -> String {
        guard !record.path.isEmpty, item.path.hasPrefix(record.path + ".") else { return item.path }
        return String(item.path.dropFirst(record.path.count + 1))
    }

    /// `securityGroupRuleIds`: plain strings, or `{"items": [...]}`, of strings or of
    /// `{"securityGroupRuleId": …}` objects (AWS documents no sample, so every shape is accepted).
    private static func ruleIDs(_ item: Item) throws(InputError) -> [String] {
        if case .string(let s) = item.node.value { return [s] }
        return try item.items().map { (i) throws(InputError) in
            if case .string(let s) = i.node.value { return s }
            return try i.required("securityGroupRuleId").string()
        }
    }
}
