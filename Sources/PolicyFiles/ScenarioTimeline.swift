import Firewall
import Packets

/// The scenario format's `timeline:` list: each item has `at:` and one edit.
///
///     - at: +30s
///       revoke: sg-web inbound tcp 22 from 203.0.113.1/32     # or: revoke: sg-web/sgr-0ssh
///     - at: 2023-11-14T22:14:00Z
///       nacl-create: outbound 100 deny tcp 1024-65535 to 0.0.0.0/0
enum ScenarioTimeline {
    static let editKeys = [
        "authorize", "revoke", "modify", "set-groups", "attach", "detach", "nacl-create", "nacl-replace", "nacl-delete",
        "nacl-associate", "timeouts",
    ]

    /// NACL edits without `acl:` are about the instance's ACL; the loader fills its id in.
    static let instanceACL = ""

    static func edits(_ list: Item) throws(InputError) -> [TimedEdit] {
        var edits: [TimedEdit] = []
        for item in try list.array() {
            try ScenarioFile.rejectUnknownKeys(item, ["at", "acl", "note"] + editKeys)
            guard let at = item.field("at") else { throw item.error("the edit needs at: (+30s or 2023-11-14T22:13:50Z)") }
            let present = editKeys.filter { item.field($0) != nil }
            guard present.count == 1, let key = present.first, let body = item.field(key) else {
                throw item.error(present.isEmpty
                    ? "the edit needs one of \(editKeys.joined(separator: ", "))"
                    : "one edit per item: found \(present.joined(separator: " and "))")
            }
            let acl = try item.field("acl")?.string() ?? instanceACL
            edits.append(TimedEdit(
                time: try TimeText.editTime(at), edit: try edit(key, body, acl: acl), source: item.location,
                origin: try item.field("note")?.string()))
        }
        return edits
    }

    private static func edit(_ key: String, _ body: Item, acl: String) throws(InputError) -> PolicyEdit {
        switch key {
        case "authorize":
            let (group, rules) = try groupRules(body)
            return .authorize(groupID: group, rules: rules)
        case "revoke":
            if case .string(let text) = body.node.value, let (group, ruleID) = ruleReference(text) {
                return .revokeByID(groupID: group, ruleIDs: [ruleID], revokedRules: [])
            }
            if case .object = body.node.value, let id = try body.field("id")?.string() {
                return .revokeByID(groupID: try body.required("group").string(), ruleIDs: [id], revokedRules: [])
            }
            let (group, rules) = try groupRules(body)
            return .revokeByPermission(groupID: group, rules: rules)
        case "modify":
            return try modify(body)
        case "set-groups":
            let list = (try? body.array()) ?? [body]
            return .setGroups(eniID: nil, groupIDs: try list.map { (i) throws(InputError) in try i.string() })
        case "attach":
            return .attachGroup(try body.string())
        case "detach":
            return .detachGroup(try body.string())
        case "nacl-create", "nacl-replace":
            var words = try ScenarioRules.words(body)
            guard !words.isEmpty else { throw body.error("write DIRECTION NUMBER allow|deny TRAFFIC CIDR") }
            let direction = try ScenarioRules.direction(words.removeFirst(), body)
            let entry = try ScenarioRules.aclEntry(&words, body, direction: direction)
            return key == "nacl-create"
                ? .createNetworkACLEntry(aclID: acl, entry: entry) : .replaceNetworkACLEntry(aclID: acl, entry: entry)
        case "nacl-delete":
            let words = try ScenarioRules.words(body)
            guard words.count == 2, let number = Item.parseInteger(words[1]) else {
                throw body.error("write nacl-delete: DIRECTION NUMBER, e.g. inbound 100")
            }
            guard NetworkACLEntry.ruleNumbers.contains(Int(number)) else {
                throw body.error("NACL rule number \(number) is out of range 1-32766")
            }
            return .deleteNetworkACLEntry(aclID: acl, direction: try ScenarioRules.direction(words[0], body), ruleNumber: Int(number))
        case "nacl-associate":
            return .replaceNetworkACLAssociation(associationID: nil, aclID: try body.string(), newAssociationID: nil)
        default:  // "timeouts"
            let change = try timeouts(body, prefix: "", suffix: "")
            if change.isEmpty { throw body.error("give tcp-established, udp or udp-stream (seconds)") }
            return .setTimeouts(eniID: nil, change)
        }
    }

    /// `sg-web/sgr-0ssh` → (group, rule id).
    static func ruleReference(_ text: String) -> (String, String)? {
        let trimmed = text.trimmingSpaces
        let parts = trimmed.split(separator: "/")
        guard !trimmed.contains(" "), parts.count == 2, parts[0].hasPrefix("sg-") else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// `sg-web inbound tcp 22 from 10.0.0.0/8`, or `{group, inbound: [...], outbound: [...]}`.
    private static func groupRules(_ body: Item) throws(InputError) -> (String, [SecurityGroupRule]) {
        if case .object = body.node.value {
            let group = try body.required("group").string()
            var rules: [SecurityGroupRule] = []
            for (key, direction) in [("inbound", RuleDirection.ingress), ("outbound", .egress)] {
                guard let list = body.field(key) else { continue }
                let items = (try? list.array()) ?? [list]
                for item in items { rules.append(try ScenarioRules.rule(item, groupID: group, direction: direction)) }
            }
            guard !rules.isEmpty else { throw body.error("give inbound: or outbound: rules") }
            return (group, rules)
        }
        let words = try ScenarioRules.words(body)
        guard words.count >= 3 else { throw body.error("write GROUP inbound|outbound RULE, e.g. sg-web inbound tcp 22 from 203.0.113.1/32") }
        let direction = try ScenarioRules.direction(words[1], body)
        let ruleText = words[2...].joined(separator: " ")
        let ruleItem = Item(node: Node(.string(ruleText), line: body.node.line), path: body.path, file: body.file)
        return (words[0], [try ScenarioRules.rule(ruleItem, groupID: words[0], direction: direction)])
    }

    /// `sg-web/sgr-0ssh tcp 22 from 10.0.0.0/8`, or `{group, id, rule, description}`.
    private static func modify(_ body: Item) throws(InputError) -> PolicyEdit {
        let group: String, id: String
        let ruleItem: Item
        var description: String?
        if case .object = body.node.value {
            group = try body.required("group").string()
            id = try body.required("id").string()
            ruleItem = try body.required("rule")
            description = try body.field("description")?.string()
        } else {
            let text = try body.string().trimmingSpaces
            guard let space = text.firstIndex(of: " "), let (g, r) = ruleReference(String(text[..<space])) else {
                throw body.error("write GROUP/RULE-ID RULE, e.g. sg-web/sgr-0ssh tcp 22 from 10.0.0.0/8")
            }
            (group, id) = (g, r)
            ruleItem = Item(node: Node(.string(String(text[space...])), line: body.node.line), path: body.path, file: body.file)
        }
        let (traffic, peer) = try ScenarioRules.trafficAndPeer(ruleItem)
        return .modify(groupID: group, updates: [RuleUpdate(ruleID: id, traffic: traffic, peer: peer, description: description)])
    }

    /// `tcp-established`, `udp`, `udp-stream` in seconds or as `5m`, within AWS's ranges.
    static func timeouts(_ item: Item, prefix: String, suffix: String) throws(InputError) -> TimeoutChange {
        func read(_ name: String, _ awsName: String, _ range: ClosedRange<Int64>) throws(InputError) -> Interval? {
            guard let value = item.field(prefix + name + suffix) else { return nil }
            let text = try value.string().trimmingSpaces
            guard let duration = Item.parseInteger(text).map(Interval.seconds) ?? TimeText.offset(text),
                duration.nanoseconds % 1_000_000_000 == 0
            else { throw value.error("\(text.quotedIfOdd) is not a whole number of seconds") }
            let seconds = duration.nanoseconds / 1_000_000_000
            guard range.contains(seconds) else {
                throw value.error("\(awsName) \(seconds) is out of range \(range.lowerBound)-\(range.upperBound) seconds")
            }
            return duration
        }
        return TimeoutChange(
            tcpEstablished: try read("tcp-established", "TcpEstablishedTimeout", ConnectionTrackingTimeouts.tcpEstablishedRange),
            udp: try read("udp", "UdpTimeout", ConnectionTrackingTimeouts.udpRange),
            udpStream: try read("udp-stream", "UdpStreamTimeout", ConnectionTrackingTimeouts.udpStreamRange))
    }
}
