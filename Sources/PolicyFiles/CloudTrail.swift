import Firewall
import Packets

/// CloudTrail as a timeline: log files (`{"Records": [...]}`, gzip or not) and
/// `aws cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent": "<json>"}]}`).
///
/// Records are sorted by eventTime (log files are not in order). A record with an `errorCode`
/// changed nothing and is skipped; events that are not rule edits, and edits of groups, ACLs or
/// interfaces other than the analysed instance's, are skipped too; all three are counted. A record
/// of an event sgreplay applies that it cannot turn into an edit is never skipped silently: it is
/// a warning naming the record, counted apart (`notUnderstood`).
enum CloudTrail {
    /// What the policy knows, to tell the instance's edits from the rest of the account's.
    struct Scope {
        var groupIDs: Set<String>
        var aclIDs: Set<String>
        var eniID: String?
        /// The association ids of the instance's subnet (grows as replaced associations get new ids).
        var associationIDs: Set<String>
        /// GroupName → the ids of the policy's groups with that name (names are unique per VPC only).
        var groupsByName: [String: [String]] = [:]
        /// The policy's groups whose name is unknown (a SecurityGroupRules file alone gives none).
        var unnamedGroupIDs: [String] = []
        /// The analysed interface's attachment (describe-network-interfaces `Attachment`), when known.
        var attachment: Attachment?
        /// Instance id → its primary interface, from every interface given.
        var primaryInterfaces: [String: String] = [:]

        struct Attachment {
            var instanceID: String
            /// Device index 0 on network card 0; nil when the Attachment gives no DeviceIndex.
            var isPrimary: Bool?
        }
    }

    struct Result {
        var edits: [TimedEdit] = []
        var ignored = LoadedPolicy.IgnoredEvents()
        var notes: [String] = []
        var warnings: [PolicyWarning] = []
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
            case .noOp(let note):
                result.ignored.notEdits += 1
                result.notes.append("\(record.location): \(recordName(name, record)) changed nothing: \(note)")
            case .otherResource: result.ignored.otherResources += 1
            case .otherResourceWarned(let warning):
                result.ignored.otherResources += 1
                result.warnings.append(PolicyWarning("\(recordName(name, record)) was not applied: \(warning)", at: record.location))
            case .notUnderstood(let reason):
                result.ignored.notUnderstood += 1
                result.warnings.append(PolicyWarning("\(recordName(name, record)) was not applied: \(reason)", at: record.location))
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

    /// `AuthorizeSecurityGroupIngress (eventID 9fd6…)`: how a warning names the record.
    static func recordName(_ name: String, _ record: Item) -> String {
        let event = name.isEmpty ? "a record without eventName" : name
        guard let id = try? record.field("eventID")?.string(), !id.isEmpty else { return event }
        return "\(event) (eventID \(id))"
    }

    enum Outcome {
        case edit(PolicyEdit)
        /// An event sgreplay has no use for.
        case notAnEdit
        /// An edit event that AWS says changed nothing; the note says why.
        case noOp(String)
        /// An edit of something that is not the analysed instance's.
        case otherResource
        /// The same, with a warning: the user could easily take it for the instance's.
        case otherResourceWarned(String)
        /// An edit event sgreplay applies but could not read into an edit: the reason says what.
        case notUnderstood(String)
    }

    private static func edit(_ name: String, _ record: Item, scope: inout Scope, unknownENI: inout Bool) throws(InputError) -> Outcome {
        guard let request = record.field("requestParameters") else {
            return appliedNames.contains(name) ? .notUnderstood("the record has no requestParameters") : .notAnEdit
        }
        let response = record.field("responseElements")
        switch name {
        case "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress":
            return try authorize(name, record, request, response, scope: scope)
        case "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress":
            return try revoke(name, record, request, response, scope: scope)
        case "ModifySecurityGroupRules":
            return try modifyRules(request, scope: scope)
        case "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation":
            return try networkACLEdit(name, request, response, scope: &scope)
        case "ModifyNetworkInterfaceAttribute":
            return try interfaceAttribute(request, scope: scope, unknownENI: &unknownENI)
        case "ModifyInstanceAttribute":
            return try instanceAttribute(request, scope: scope)
        default:
            return .notAnEdit
        }
    }

    /// The events whose records become edits (ModifyInstanceAttribute only with `groupSet`).
    static let editNames: Set<String> = [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "ModifySecurityGroupRules", "CreateNetworkAclEntry", "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation", "ModifyNetworkInterfaceAttribute",
    ]

    /// `editNames` and ModifyInstanceAttribute: a record of these without parameters is not understood.
    private static let appliedNames = editNames.union(["ModifyInstanceAttribute"])

    // MARK: Network ACLs

    private static func networkACLEdit(_ name: String, _ request: Item, _ response: Item?, scope: inout Scope) throws(InputError) -> Outcome {
        switch name {
        case "CreateNetworkAclEntry", "ReplaceNetworkAclEntry":
            let acl = try request.required("networkAclId").string()
            guard scope.aclIDs.contains(acl) else { return .otherResource }
            guard let entry = try AWSFields.aclEntry(request, allowingDefaultRule: false) else {
                return .notUnderstood("the entry could not be read")
            }
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

        default:  // ReplaceNetworkAclAssociation
            let association = try request.required("associationId").string()
            guard scope.associationIDs.contains(association) else { return .otherResource }
            let acl = try request.required("networkAclId").string()
            let newID = try response?.field("newAssociationId")?.string()
            if let newID { scope.associationIDs.insert(newID) }
            return .edit(.replaceNetworkACLAssociation(associationID: association, aclID: acl, newAssociationID: newID))
        }
    }

    /// The keys of `item` outside `known` whose value is not empty (`{}`, `[]`, `""`, null):
    /// fields sgreplay would otherwise pass over without reading.
    static func unknownKeys(_ item: Item, known: Set<String>) -> [String] {
        guard case .object(let pairs) = item.node.value else { return [] }
        return pairs.compactMap { pair in
            let key = pair.key.first.map { $0.lowercased() + pair.key.dropFirst() } ?? pair.key
            if known.contains(key) { return nil }
            switch pair.value.value {
            case .null: return nil
            case .object(let members) where members.isEmpty: return nil
            case .array(let elements) where elements.isEmpty: return nil
            case .string(let s) where s.isEmpty: return nil
            default: return pair.key
            }
        }
    }
}
