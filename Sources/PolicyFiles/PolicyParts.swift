import Firewall
import Packets

/// What the policy files said, gathered file by file before they are combined into one `Policy`
/// (PolicyLoader+Combine.swift).
struct PolicyParts {
    var groups: [SecurityGroup] = []
    /// Rules from describe-security-group-rules (they carry `sgr-` ids), by group.
    var listedRules: [SecurityGroupRule] = []
    var acls: [NetworkACL] = []
    /// The ids of the ACLs describe-network-acls marks `IsDefault`.
    var defaultACLs: Set<String> = []
    /// ACL id → its `VpcId`: a subnet falls back on the default ACL of its own VPC only.
    var aclVPCs: [String: String] = [:]
    var interfaces: [InterfaceRecord] = []
    var subnets: [SubnetRecord] = []
    var prefixLists: [String: [CIDR]] = [:]
    var scenarios: [ScenarioParts] = []
    var notes: [String] = []

    /// One interface of describe-network-interfaces.
    struct InterfaceRecord {
        var id: String
        var subnetID: String?
        var addresses: [Instance.Address]
        var prefixes: [CIDR]
        var groupIDs: [String]
        /// Group id → GroupName, as `Groups` lists them: names CloudTrail records may use.
        var groupNames: [String: String] = [:]
        var timeouts: TimeoutChange
        var vpcID: String?
        /// `Attachment.InstanceId` / `DeviceIndex` / `NetworkCardIndex`: ModifyInstanceAttribute
        /// changes the groups of the instance's primary interface (device 0 on card 0) only.
        var instanceID: String?
        var deviceIndex: Int?
        var networkCardIndex: Int?
        var source: SourceLocation

        var isPrimary: Bool? { deviceIndex.map { $0 == 0 && (networkCardIndex ?? 0) == 0 } }
    }

    /// One subnet of describe-subnets.
    struct SubnetRecord {
        var id: String
        var cidrs: [CIDR]
        var vpcID: String?
    }
}

/// The AWS CLI describe-* outputs, recognised by their top-level key (INTERFACE.md).
enum AWSDescribeFiles {
    /// describe-security-groups: `SecurityGroups[]` with IpPermissions / IpPermissionsEgress.
    static func securityGroups(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("SecurityGroups").array() {
            let id = try item.required("GroupId").string()
            var group = SecurityGroup(id: id, name: try item.field("GroupName")?.string(), source: item.location)
            for permission in try item.field("IpPermissions")?.items() ?? [] {
                group.rules += try AWSFields.rules(fromPermission: permission, groupID: id, direction: .ingress)
            }
            for permission in try item.field("IpPermissionsEgress")?.items() ?? [] {
                group.rules += try AWSFields.rules(fromPermission: permission, groupID: id, direction: .egress)
            }
            parts.groups.append(group)
        }
    }

    /// describe-security-group-rules: `SecurityGroupRules[]`, one rule each, with its `sgr-` id.
    static func securityGroupRules(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("SecurityGroupRules").array() {
            var rule = try AWSFields.flatRule(item, groupID: nil, direction: nil)
            if rule.id == nil { throw item.error("SecurityGroupRuleId is missing") }
            rule.source = item.location
            parts.listedRules.append(rule)
        }
    }

    /// describe-network-acls: `NetworkAcls[]` with Entries and Associations.
    static func networkACLs(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("NetworkAcls").array() {
            let id = try item.required("NetworkAclId").string()
            var acl = NetworkACL(id: id, source: item.location)
            for entryItem in try item.field("Entries")?.items() ?? [] {
                guard let entry = try AWSFields.aclEntry(entryItem, allowingDefaultRule: true) else { continue }
                if acl.entry(entry.direction, entry.ruleNumber) != nil {
                    throw entryItem.error("\(entry.direction.word) rule \(entry.ruleNumber) appears twice in \(id)")
                }
                acl.set(entry)
            }
            for association in try item.field("Associations")?.items() ?? [] {
                guard let subnet = try association.field("SubnetId")?.string() else { continue }
                acl.associations[subnet] = try association.field("NetworkAclAssociationId")?.string() ?? ""
            }
            if try item.field("IsDefault")?.bool() == true { parts.defaultACLs.insert(id) }
            if let vpc = try item.field("VpcId")?.string() { parts.aclVPCs[id] = vpc }
            parts.acls.append(acl)
        }
    }

    /// describe-network-interfaces: `NetworkInterfaces[]` with addresses, groups, subnet and
    /// ConnectionTrackingConfiguration.
    static func networkInterfaces(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("NetworkInterfaces").array() {
            var record = PolicyParts.InterfaceRecord(
                id: try item.required("NetworkInterfaceId").string(), subnetID: try item.field("SubnetId")?.string(),
                addresses: [], prefixes: [], groupIDs: [], timeouts: TimeoutChange(), vpcID: try item.field("VpcId")?.string(),
                source: item.location)
            if let attachment = item.field("Attachment") {
                record.instanceID = try attachment.field("InstanceId")?.string()
                record.deviceIndex = try attachment.field("DeviceIndex").map { (i) throws(InputError) in Int(try i.integer("DeviceIndex")) }
                record.networkCardIndex = try attachment.field("NetworkCardIndex").map { (i) throws(InputError) in
                    Int(try i.integer("NetworkCardIndex"))
                }
            }
            func add(_ address: IPAddress, _ kind: Instance.Address.Kind) {
                if !record.addresses.contains(where: { $0.address == address }) {
                    record.addresses.append(Instance.Address(address, kind: kind))
                }
            }
            let primary = try item.field("PrivateIpAddress").map { (i) throws(InputError) in try AWSFields.address(i) }
            if let primary { add(primary, .privatePrimary) }
            for entry in try item.field("PrivateIpAddresses")?.items() ?? [] {
                if let address = try entry.field("PrivateIpAddress").map({ (i) throws(InputError) in try AWSFields.address(i) }) {
                    let isPrimary = try entry.field("Primary")?.bool() ?? (address == primary)
                    add(address, isPrimary ? .privatePrimary : .privateSecondary)
                }
                if let publicIP = entry.field("Association")?.field("PublicIp") { add(try AWSFields.address(publicIP), .public) }
            }
            if let publicIP = item.field("Association")?.field("PublicIp") { add(try AWSFields.address(publicIP), .public) }
            for entry in try item.field("Ipv6Addresses")?.items() ?? [] {
                add(try AWSFields.address(try entry.required("Ipv6Address")), .ipv6)
            }
            for entry in try item.field("Ipv4Prefixes")?.items() ?? [] {
                record.prefixes.append(try AWSFields.cidr(try entry.required("Ipv4Prefix"), .v4))
            }
            for entry in try item.field("Ipv6Prefixes")?.items() ?? [] {
                record.prefixes.append(try AWSFields.cidr(try entry.required("Ipv6Prefix"), .v6))
            }
            for group in try item.field("Groups")?.items() ?? [] {
                let id = try group.required("GroupId").string()
                record.groupIDs.append(id)
                if let name = try group.field("GroupName")?.string() { record.groupNames[id] = name }
            }
            if let tracking = item.field("ConnectionTrackingConfiguration") {
                record.timeouts = try AWSFields.timeouts(tracking)
            }
            parts.interfaces.append(record)
        }
    }

    /// describe-subnets: `Subnets[]` with CidrBlock and Ipv6CidrBlockAssociationSet.
    static func subnets(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("Subnets").array() {
            var record = PolicyParts.SubnetRecord(
                id: try item.required("SubnetId").string(), cidrs: [], vpcID: try item.field("VpcId")?.string())
            if let v4 = item.field("CidrBlock") { record.cidrs.append(try AWSFields.cidr(v4, .v4)) }
            for association in try item.field("Ipv6CidrBlockAssociationSet")?.items() ?? [] {
                let state = try association.field("Ipv6CidrBlockState")?.field("State")?.string()
                guard state == nil || state == "associated", let block = association.field("Ipv6CidrBlock") else { continue }
                record.cidrs.append(try AWSFields.cidr(block, .v6))
            }
            parts.subnets.append(record)
        }
    }

    /// get-managed-prefix-list-entries: `Entries[]` of `{Cidr}`. The list id is the file's
    /// `PrefixListId` key, else its name (`pl-0abc.json`).
    static func prefixListEntries(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        let id: String
        if let key = root.field("PrefixListId") {
            id = try key.string()
        } else {
            let name = InputFile.baseName(root.file.name)
            guard name.hasPrefix("pl-"), let stem = name.split(separator: ".").first else {
                throw root.error(
                    "cannot tell which prefix list these Entries belong to: add \"PrefixListId\" or name the file pl-….json")
            }
            id = String(stem)
        }
        var cidrs: [CIDR] = []
        for entry in try root.required("Entries").array() {
            cidrs.append(try AWSFields.cidr(try entry.required("Cidr"), .any))
        }
        parts.prefixLists[id, default: []] += cidrs
    }

    /// describe-prefix-lists: `PrefixLists[]` of `{PrefixListId, PrefixListName, Cidrs}` (the
    /// AWS-managed lists for S3, DynamoDB… that rules reference). describe-managed-prefix-lists
    /// writes the same key with metadata but no blocks: refused, naming the command that gives them.
    static func prefixLists(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        for item in try root.required("PrefixLists").array() {
            let id = try item.required("PrefixListId").string()
            guard let blocks = item.field("Cidrs") else {
                throw item.error(
                    "prefix list \(id) has no Cidrs: this looks like describe-managed-prefix-lists output, which lists no entries; "
                        + "give `aws ec2 get-managed-prefix-list-entries --prefix-list-id \(id)` (or describe-prefix-lists for AWS-managed lists)")
            }
            var cidrs: [CIDR] = []
            for block in try blocks.array() { cidrs.append(try AWSFields.cidr(block, .any)) }
            parts.prefixLists[id, default: []] += cidrs
        }
    }
}
