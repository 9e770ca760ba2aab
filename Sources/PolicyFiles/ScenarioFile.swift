import Firewall
import Packets

/// The project's own scenario format (YAML, or the same keys in JSON), documented in
/// docs/policy-inputs.md:
///
///     instance: 10.0.0.5
///     groups:
///       sg-web:
///         inbound:  [tcp 22 from 203.0.113.1/32]
///         outbound: [all to 0.0.0.0/0]
///     timeline:
///       - at: +30s
///         revoke: sg-web inbound tcp 22 from 203.0.113.1/32
struct ScenarioParts {
    var eniID: String?
    var addresses: [IPAddress] = []
    var subnetCIDRs: [CIDR] = []
    /// nil: every group of the file is attached.
    var attachedGroupIDs: [String]?
    var groups: [SecurityGroup] = []
    var acls: [NetworkACL] = []
    var activeACL: String?
    var prefixLists: [String: [CIDR]] = [:]
    var groupMembers: [String: [IPAddress]] = [:]
    var timeouts = TimeoutChange()
    var conntrackMax: Int?
    var automaticallyTracked: [CIDR]?
    var trackAll = false
    var exempt: [CIDR]?
    var edits: [TimedEdit] = []
}

enum ScenarioFile {
    static let policyKeys: Set<String> = [
        "instance", "groups", "security-groups", "nacl", "nacls", "prefix-lists", "group-members", "settings",
    ]
    static let keys: Set<String> = policyKeys.union(["timeline", "description", "name"])

    /// Whether a file's top-level keys are the scenario format's.
    static func recognises(_ root: Item) -> Bool {
        let keys = root.keys
        return !keys.isEmpty && keys.allSatisfy { ScenarioFile.keys.contains($0) }
    }

    static func parse(_ root: Item) throws(InputError) -> ScenarioParts {
        var parts = ScenarioParts()
        if let instance = root.field("instance") { try parseInstance(instance, into: &parts) }
        for (id, body) in try root.field(anyOf: ["groups", "security-groups"])?.members() ?? [] {
            parts.groups.append(try group(id: id, body))
        }
        if let nacl = root.field("nacl") {
            let acl = try self.acl(id: try nacl.field("id")?.string() ?? "acl-scenario", nacl)
            parts.acls.append(acl)
            parts.activeACL = parts.activeACL ?? acl.id
        }
        for (id, body) in try root.field("nacls")?.members() ?? [] {
            parts.acls.append(try acl(id: id, body))
        }
        if parts.activeACL == nil, parts.acls.count == 1 { parts.activeACL = parts.acls[0].id }
        if let active = parts.activeACL, !parts.acls.contains(where: { $0.id == active }) {
            throw (root.field("instance")?.field("nacl") ?? root).error("network ACL \(active) is not defined under nacls")
        }
        if parts.activeACL == nil, parts.acls.count > 1 {
            throw root.error("several NACLs: say which applies with instance: {nacl: acl-…}")
        }
        for (id, list) in try root.field("prefix-lists")?.members() ?? [] {
            parts.prefixLists[id] = try list.array().map { (i) throws(InputError) in try AWSFields.cidr(i, .any, allowingBareAddress: true) }
        }
        for (id, list) in try root.field("group-members")?.members() ?? [] {
            parts.groupMembers[id] = try list.array().map { (i) throws(InputError) in try AWSFields.address(i) }
        }
        if let settings = root.field("settings") { try parseSettings(settings, into: &parts) }
        if let timeline = root.field("timeline") { parts.edits = try ScenarioTimeline.edits(timeline) }
        return parts
    }

    /// `instance: 10.0.0.5`, a list of addresses, or `{eni, addresses, subnet, groups, nacl}`.
    private static func parseInstance(_ item: Item, into parts: inout ScenarioParts) throws(InputError) {
        func addresses(_ item: Item) throws(InputError) -> [IPAddress] {
            if case .array = item.node.value { return try item.array().map { (i) throws(InputError) in try AWSFields.address(i) } }
            return [try AWSFields.address(item)]
        }
        guard case .object = item.node.value else {
            parts.addresses = try addresses(item)
            return
        }
        try rejectUnknownKeys(item, ["eni", "address", "addresses", "subnet", "groups", "nacl"])
        parts.eniID = try item.field("eni")?.string()
        if let list = item.field(anyOf: ["addresses", "address"]) { parts.addresses = try addresses(list) }
        if let subnet = item.field("subnet") {
            let list = (try? subnet.array()) ?? [subnet]
            parts.subnetCIDRs = try list.map { (i) throws(InputError) in try AWSFields.cidr(i, .any) }
        }
        if let groups = item.field("groups") {
            let list = (try? groups.array()) ?? [groups]
            parts.attachedGroupIDs = try list.map { (i) throws(InputError) in try i.string() }
        }
        parts.activeACL = try item.field("nacl")?.string()
    }

    private static func group(id: String, _ body: Item) throws(InputError) -> SecurityGroup {
        var group = SecurityGroup(id: id, source: body.location)
        if body.isNull { return group }
        try rejectUnknownKeys(body, ["name", "inbound", "outbound", "ingress", "egress"])
        group.name = try body.field("name")?.string()
        for (key, direction) in [("inbound", RuleDirection.ingress), ("outbound", .egress)] {
            let list = body.field(anyOf: [key, direction.rawValue])
            for item in try list?.array() ?? [] {
                group.rules.append(try ScenarioRules.rule(item, groupID: id, direction: direction))
            }
        }
        return group
    }

    private static func acl(id: String, _ body: Item) throws(InputError) -> NetworkACL {
        var acl = NetworkACL(id: id, source: body.location)
        try rejectUnknownKeys(body, ["id", "inbound", "outbound", "ingress", "egress"])
        for (key, direction) in [("inbound", RuleDirection.ingress), ("outbound", .egress)] {
            for item in try body.field(anyOf: [key, direction.rawValue])?.array() ?? [] {
                let entry = try ScenarioRules.aclEntry(item, direction: direction)
                if acl.entry(direction, entry.ruleNumber) != nil {
                    throw item.error("\(direction.word) rule \(entry.ruleNumber) appears twice")
                }
                acl.set(entry)
            }
        }
        return acl
    }

    private static func parseSettings(_ item: Item, into parts: inout ScenarioParts) throws(InputError) {
        try rejectUnknownKeys(item, [
            "conntrack-max", "tcp-established-timeout", "udp-timeout", "udp-stream-timeout", "auto-tracked", "exempt",
        ])
        if let max = item.field("conntrack-max") {
            let value = try max.integer("conntrack-max")
            guard value > 0, value <= Int64(Int32.max) else { throw max.error("conntrack-max \(value) must be a positive count") }
            parts.conntrackMax = Int(value)
        }
        parts.timeouts = try ScenarioTimeline.timeouts(item, prefix: "", suffix: "-timeout")
        if let tracked = item.field("auto-tracked") {
            if (try? tracked.string()) == "all" {
                parts.trackAll = true
            } else {
                let list = (try? tracked.array()) ?? [tracked]
                parts.automaticallyTracked = try list.map { (i) throws(InputError) in try AWSFields.cidr(i, .any, allowingBareAddress: true) }
            }
        }
        if let exempt = item.field("exempt") {
            let list = (try? exempt.array()) ?? [exempt]
            parts.exempt = try list.map { (i) throws(InputError) in try AWSFields.cidr(i, .any, allowingBareAddress: true) }
        }
    }

    /// A misspelt key is an error, not a silently ignored setting.
    static func rejectUnknownKeys(_ item: Item, _ known: [String]) throws(InputError) {
        for (key, value) in try item.members() where !known.contains(key) {
            throw value.error("unknown key \(key.quotedIfOdd); expected one of \(known.joined(separator: ", "))")
        }
    }
}
