import Firewall

/// CloudTrail's interface and instance edits: ModifyNetworkInterfaceAttribute (groupSet,
/// connectionTrackingSpecification) and ModifyInstanceAttribute with groupSet.
extension CloudTrail {
    /// ModifyNetworkInterfaceAttribute parameters that change nothing sgreplay models.
    private static let interfaceAttributesWithoutRules: Set<String> = [
        "networkInterfaceId", "dryRun", "description", "sourceDestCheck", "attachment", "enaSrdSpecification",
        "enablePrimaryIpv6", "associatePublicIpAddress", "associatedSubnetId", "associatedSubnetIds", "associatedSubnetIdSet",
    ]

    static func interfaceAttribute(_ request: Item, scope: Scope, unknownENI: inout Bool) throws(InputError) -> Outcome {
        let eni = try request.field("networkInterfaceId")?.string()
        if let own = scope.eniID {
            guard let eni else { return .notUnderstood("networkInterfaceId is missing: the interface cannot be told") }
            guard eni == own else { return .otherResource }
        }
        if let groupSet = request.field("groupSet") {
            if scope.eniID == nil { unknownENI = true }
            let ids = try groupIDs(groupSet)
            guard !ids.isEmpty else { return .notUnderstood("groupSet lists no group") }
            return .edit(.setGroups(eniID: eni, groupIDs: ids))
        }
        if let tracking = request.field("connectionTrackingSpecification") {
            let unknown = unknownKeys(tracking, known: ["tcpEstablishedTimeout", "udpTimeout", "udpStreamTimeout"])
            guard unknown.isEmpty else {
                return .notUnderstood("connectionTrackingSpecification has \(unknown.joined(separator: ", ")), which sgreplay does not read")
            }
            if scope.eniID == nil { unknownENI = true }
            let change = try AWSFields.timeouts(tracking)
            return change.isEmpty ? .notAnEdit : .edit(.setTimeouts(eniID: eni, change))
        }
        let unknown = unknownKeys(request, known: interfaceAttributesWithoutRules)
        guard unknown.isEmpty else {
            return .notUnderstood("it changes \(unknown.joined(separator: ", ")), which sgreplay does not know")
        }
        // sourceDestCheck, description, attachment…: no rule changes.
        return .notAnEdit
    }

    /// ModifyInstanceAttribute with `groupSet` sets the groups of the instance's primary interface
    /// (device index 0): applied when that is the analysed interface. Other attributes
    /// (instanceType, userData, disableApiTermination…) are not rule edits.
    static func instanceAttribute(_ request: Item, scope: Scope) throws(InputError) -> Outcome {
        guard let groupSet = request.field("groupSet") else {
            if try request.field("attribute")?.string() == "groupSet" {
                return .notUnderstood("it names the groupSet attribute without a groupSet list of groups")
            }
            return .notAnEdit
        }
        guard let instance = try request.field("instanceId")?.string() else {
            return .notUnderstood("instanceId is missing: the instance cannot be told")
        }
        let ids = try groupIDs(groupSet)
        guard !ids.isEmpty else { return .notUnderstood("groupSet lists no group") }
        let analysed = scope.eniID ?? "the analysed interface"
        if let primary = scope.primaryInterfaces[instance] {
            if primary == scope.eniID { return .edit(.setGroups(eniID: primary, groupIDs: ids)) }
            if let attachment = scope.attachment, attachment.instanceID == instance {
                return .otherResourceWarned(
                    "it sets the groups of \(instance)'s primary interface \(primary), not of \(analysed), which is attached to \(instance) at another device index")
            }
            return .otherResource
        }
        guard let attachment = scope.attachment else {
            return .notUnderstood(
                "it sets the groups of \(instance)'s primary interface, and sgreplay cannot tell whether that is \(analysed): its attachment is unknown (give describe-network-interfaces, whose Attachment has InstanceId and DeviceIndex)")
        }
        guard attachment.instanceID == instance else { return .otherResource }
        switch attachment.isPrimary {
        case true?:
            if let eni = scope.eniID { return .edit(.setGroups(eniID: eni, groupIDs: ids)) }
            return .edit(.setGroups(eniID: nil, groupIDs: ids))
        case false?:
            return .otherResourceWarned(
                "it sets the groups of \(instance)'s primary interface (device index 0), not of \(analysed), which is attached to \(instance) at another device index")
        case nil:
            return .notUnderstood(
                "it sets the groups of \(instance)'s primary interface, and sgreplay cannot tell whether that is \(analysed): its Attachment has no DeviceIndex")
        }
    }

    /// `groupSet.items[]`: `{groupId}` objects (or plain ids).
    private static func groupIDs(_ groupSet: Item) throws(InputError) -> [String] {
        try groupSet.items().map { (i) throws(InputError) in
            if case .string(let s) = i.node.value { return s }
            return try i.required("groupId").string()
        }
    }
}
