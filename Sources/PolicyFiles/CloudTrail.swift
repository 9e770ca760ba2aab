import Firewall
import Packets

/// CloudTrail as a timeline: log files (`{"Records": [...]}`, gzip or not) and
/// `aws cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent": "<json>"}]}`).
///
/// Records are sorted by eventTime (log files are not in order). A record with an `errorCode`
/// changed nothing and is skipped; events that are not rule edits, and edits of groups, ACLs or
/// interfaces other than the analysed instance's, are skipped too; all three are counted.
enum CloudTrail {
    /// What the policy knows, to tell the instance's edits from the rest of the account's.
    struct Scope {
        var groupIDs: Set<String>
        var aclIDs: Set<String>
        var eniID: String?
        /// The association ids of the instance's subnet (grows as replaced associations get new ids).
        var associationIDs: Set<String>
    }

    struct Result {
        var edits: [TimedEdit] = []
        var ignored = LoadedPolicy.IgnoredEvents()
        var notes: [String] = []
    }

    static func recognises(_ root: Item) -> Bool {
        root.field("Records") != nil || root.field("Events") != nil
    }

    /// The records of a file, each with the path that locates it.
    static func records(_ root: Item) throws(InputError) -> [Item] {
        if let records = root.field("Records") { return try records.array() }
        var out: [Item] = []
        for event in try root.required("Events").array() {
            let embedded = try event.required("CloudTrailEvent")
            if case .object = embedded.node.value {
                out.append(embedded)
                continue
            }
            let text = try embedded.string()
            out.append(try ParsedFile.parse(Array(text.utf8), name: root.file.name, pathPrefix: embedded.path).root)
        }
        return out
    }

    static func edits(from records: [Item], scope: inout Scope) throws(InputError) -> Result {
        var result = Result()
        // Sort by eventTime, stably: equal times keep file order.
        var timed: [(Timestamp, Int, Item)] = []
        for (index, record) in records.enumerated() {
            let timeItem = try record.required("eventTime")
            guard let time = TimeText.instant(try timeItem.string()) else {
                throw timeItem.error("\(try timeItem.string().quotedIfOdd) is not an RFC 3339 time")
            }
            timed.append((time, index, record))
        }
        timed.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var unknownENI = false
        for (time, _, record) in timed {
            if let code = record.field("errorCode"), !((try? code.string()) ?? "").isEmpty {
                result.ignored.failed += 1
                continue
            }
            if let source = try record.field("eventSource")?.string(), source != "ec2.amazonaws.com" {
                result.ignored.notEdits += 1
                continue
            }
            let name = try record.field("eventName")?.string() ?? ""
            let outcome = try edit(name, record, scope: &scope, unknownENI: &unknownENI)
            switch outcome {
            case .notAnEdit: result.ignored.notEdits += 1
            case .otherResource: result.ignored.otherResources += 1
            case .edit(let edit):
                var origin = "CloudTrail \(name)"
                if let who = try record.field("userIdentity")?.field("arn")?.string() { origin += " by \(who)" }
                result.edits.append(TimedEdit(time: .absolute(time), edit: edit, source: record.location, origin: origin))
            }
        }
        if unknownENI {
            result.notes.append(
                "ModifyNetworkInterfaceAttribute events were applied to the instance although its interface id is unknown; give --eni or a NetworkInterfaces file")
        }
        return result
    }

    enum Outcome {
        case edit(PolicyEdit)
        case notAnEdit
        case otherResource
    }

    private static func edit(_ name: String, _ record: Item, scope: inout Scope, unknownENI: inout Bool) throws(InputError) -> Outcome {
        guard let request = record.field("requestParameters") else {
            return name.isEmpty ? .notAnEdit : (editNames.contains(name) ? .otherResource : .notAnEdit)
        }
        let response = record.field("responseElements")
        switch name {
        case "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress":
            guard let group = try request.field("groupId")?.string(), scope.groupIDs.contains(group) else { return .otherResource }
            let direction: RuleDirection = name.hasSuffix("Egress") ? .egress : .ingress
            var rules = try permissions(request, group: group, direction: direction)
            let created = try response?.field("securityGroupRuleSet")?.items().map { (i) throws(InputError) in
                try AWSFields.flatRule(i, groupID: group, direction: direction)
            } ?? []
            for i in rules.indices where rules[i].id == nil {
                rules[i].id = created.first { $0.samePermission(as: rules[i]) }?.id
            }
            return rules.isEmpty ? .notAnEdit : .edit(.authorize(groupID: group, rules: rules))

        case "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress":
            guard let group = try request.field("groupId")?.string(), scope.groupIDs.contains(group) else { return .otherResource }
            let direction: RuleDirection = name.hasSuffix("Egress") ? .egress : .ingress
            if let ids = request.field("securityGroupRuleIds") ?? request.field("securityGroupRuleId") {
                let revoked = try response?.field("revokedSecurityGroupRuleSet")?.items().map { (i) throws(InputError) in
                    try AWSFields.flatRule(i, groupID: group, direction: direction)
                } ?? []
                return .edit(.revokeByID(groupID: group, ruleIDs: try ruleIDs(ids), revokedRules: revoked))
            }
            var rules = try permissions(request, group: group, direction: direction)
            // Permissions AWS reports as unknown were not revoked: they changed nothing.
            var unknown: [SecurityGroupRule] = []
            for permission in try response?.field("unknownIpPermissionSet")?.items() ?? [] {
                unknown += try AWSFields.rules(fromPermission: permission, groupID: group, direction: direction)
            }
            rules.removeAll { rule in unknown.contains { $0.samePermission(as: rule) } }
            return rules.isEmpty ? .notAnEdit : .edit(.revokeByPermission(groupID: group, rules: rules))

        case "ModifySecurityGroupRules":
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
            return .edit(.modify(groupID: group, updates: updates))

        case "CreateNetworkAclEntry", "ReplaceNetworkAclEntry":
            let acl = try request.required("networkAclId").string()
            guard scope.aclIDs.contains(acl) else { return .otherResource }
            guard let entry = try AWSFields.aclEntry(request, allowingDefaultRule: false) else { return .notAnEdit }
            return .edit(name == "CreateNetworkAclEntry"
                ? .createNetworkACLEntry(aclID: acl, entry: entry) : .replaceNetworkACLEntry(aclID: acl, entry: entry))

        case "DeleteNetworkAclEntry":
            let acl = try request.required("networkAclId").string()
            guard scope.aclIDs.contains(acl) else { return .otherResource }
            let numberItem = try request.required("ruleNumber")
            let number = try numberItem.integer("rule number")
            guard NetworkACLEntry.ruleNumbers.contains(Int(number)) else {
                throw numberItem.error("NACL rule number \(number) is out of range 1-32766")
            }
            let egress = try request.field("egress")?.bool() ?? false
            return .edit(.deleteNetworkACLEntry(aclID: acl, direction: egress ? .egress : .ingress, ruleNumber: Int(number)))

        case "ReplaceNetworkAclAssociation":
            let association = try request.required("associationId").string()
            guard scope.associationIDs.contains(association) else { return .otherResource }
            let acl = try request.required("networkAclId").string()
            let newID = try response?.field("newAssociationId")?.string()
            if let newID { scope.associationIDs.insert(newID) }
            return .edit(.replaceNetworkACLAssociation(associationID: association, aclID: acl, newAssociationID: newID))

        case "ModifyNetworkInterfaceAttribute":
            let eni = try request.field("networkInterfaceId")?.string()
            if let own = scope.eniID {
                guard eni == own else { return .otherResource }
            }
            if let groupSet = request.field("groupSet") {
                if scope.eniID == nil { unknownENI = true }
                let ids = try groupSet.items().map { (i) throws(InputError) in
                    if case .string(let s) = i.node.value { return s }
                    return try i.required("groupId").string()
                }
                return .edit(.setGroups(eniID: eni, groupIDs: ids))
            }
            if let tracking = request.field("connectionTrackingSpecification") {
                if scope.eniID == nil { unknownENI = true }
                let change = try AWSFields.timeouts(tracking)
                return change.isEmpty ? .notAnEdit : .edit(.setTimeouts(eniID: eni, change))
            }
            return .notAnEdit

        default:
            return .notAnEdit
        }
    }

    static let editNames: Set<String> = [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "ModifySecurityGroupRules", "CreateNetworkAclEntry", "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation", "ModifyNetworkInterfaceAttribute",
    ]

    /// The rules of `ipPermissions`, or of the legacy flat parameters (`ipProtocol`, `cidrIp`…).
    private static func permissions(_ request: Item, group: String, direction: RuleDirection) throws(InputError) -> [SecurityGroupRule] {
        if let list = request.field("ipPermissions") {
            var rules: [SecurityGroupRule] = []
            for permission in try list.items() {
                rules += try AWSFields.rules(fromPermission: permission, groupID: group, direction: direction)
            }
            return rules
        }
        guard let protocolItem = request.field("ipProtocol"), let cidr = request.field("cidrIp") else { return [] }
        let traffic = try AWSFields.securityGroupTraffic(
            protocol: protocolItem, fromPort: request.field("fromPort"), toPort: request.field("toPort"), at: request)
        return [SecurityGroupRule(
            groupID: group, direction: direction, traffic: traffic, peer: .cidr(try AWSFields.cidr(cidr, .v4)),
            source: request.location)]
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
