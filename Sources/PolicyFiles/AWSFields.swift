import Firewall
import Packets

/// Reading the fields AWS's JSON shares between describe-* output, CloudTrail and the scenario:
/// protocols, port ranges, ICMP types, CIDR blocks, NACL entries and timeouts. Every failure
/// names the exact field.
enum AWSFields {
    enum Family {
        case v4, v6, any

        var name: String {
            switch self {
            case .v4: "an IPv4 CIDR block"
            case .v6: "an IPv6 CIDR block"
            case .any: "a CIDR block"
            }
        }
    }

    /// A CIDR block of the given family.
    static func cidr(_ item: Item, _ family: Family, allowingBareAddress: Bool = false) throws(InputError) -> CIDR {
        let text = try item.string().trimmingSpaces
        guard let block = CIDR(parsing: text, allowingBareAddress: allowingBareAddress) else {
            throw item.error("\(text.quotedIfOdd) is not \(family.name)")
        }
        switch family {
        case .v4 where block.version != 4, .v6 where block.version != 6:
            throw item.error("\(text.quotedIfOdd) is not \(family.name)")
        default:
            return block
        }
    }

    /// An IP address.
    static func address(_ item: Item) throws(InputError) -> IPAddress {
        let text = try item.string().trimmingSpaces
        guard let address = IPAddress(parsing: text) else { throw item.error("\(text.quotedIfOdd) is not an IP address") }
        return address
    }

    /// A protocol name or number: nil for all (`-1`).
    static func protocolNumber(_ item: Item) throws(InputError) -> UInt8? {
        let text = try item.string().trimmingSpaces
        switch IPProtocolName.parse(text) {
        case .all: return nil
        case .number(let n): return n
        case .invalid:
            throw item.error("unknown protocol \(text.quotedIfOdd): use tcp, udp, icmp, icmpv6, -1 (all) or a number 0-255")
        }
    }

    /// A port 0–65535.
    static func port(_ item: Item) throws(InputError) -> UInt16 {
        let value = try item.integer("port")
        guard (0...65535).contains(value) else { throw item.error("port \(value) is out of range 0-65535") }
        return UInt16(value)
    }

    /// A port range from two fields; `at` is where a reversed range is reported.
    static func portRange(from: Item, to: Item, at: Item) throws(InputError) -> PortRange {
        let lower = try port(from), upper = try port(to)
        guard let range = PortRange(lower, upper) else {
            throw at.error("port range \(lower)-\(upper) is reversed; write it as \(upper)-\(lower)")
        }
        return range
    }

    /// An ICMP type or code: -1 (any) or 0–255.
    static func icmpNumber(_ item: Item, _ what: String) throws(InputError) -> UInt8? {
        let value = try item.integer("ICMP \(what)")
        if value == -1 { return nil }
        guard (0...255).contains(value) else { throw item.error("ICMP \(what) \(value) is out of range -1-255") }
        return UInt8(value)
    }

    /// An ICMP type and code. A code narrows a type ("-1 means all codes for the specified ICMP
    /// type"), so a specific code with every type (-1) is a rule AWS does not accept; reading it as
    /// "all types" would widen it, so it is refused, naming the code's field.
    static func icmpTypeCode(
        type: UInt8?, code: UInt8?, codeItem: Item?, typeField: String, codeField: String
    ) throws(InputError) -> ICMPTypeCode {
        if type == nil, let code, let codeItem {
            throw codeItem.error(
                "ICMP code \(code) with \(typeField) -1 (all types) is not a rule AWS accepts: a code needs a specific type; give the type in \(typeField), or \(codeField) -1 for all codes")
        }
        return ICMPTypeCode(type: type, code: code)
    }

    /// A security group rule's traffic from IpProtocol/FromPort/ToPort (FromPort/ToPort are the
    /// ICMP type and code for icmp and icmpv6). Protocol -1 and numbers other than tcp, udp, icmp
    /// and icmpv6 cover every port, as AWS documents.
    static func securityGroupTraffic(protocol: Item, fromPort: Item?, toPort: Item?, at: Item) throws(InputError) -> Traffic {
        guard let number = try protocolNumber(`protocol`) else { return .all }
        switch number {
        case 6, 17:
            guard let fromPort else { throw at.error("FromPort is missing for \(number == 6 ? "tcp" : "udp")") }
            guard let toPort else { throw at.error("ToPort is missing for \(number == 6 ? "tcp" : "udp")") }
            let ports = try portRange(from: fromPort, to: toPort, at: toPort)
            return number == 6 ? .tcp(ports) : .udp(ports)
        case 1, 58:
            let type = try fromPort.map { (item) throws(InputError) in try icmpNumber(item, "type") } ?? nil
            let code = try toPort.map { (item) throws(InputError) in try icmpNumber(item, "code") } ?? nil
            let types = try icmpTypeCode(type: type, code: code, codeItem: toPort, typeField: "FromPort", codeField: "ToPort")
            return number == 1 ? .icmp(types) : .icmpv6(types)
        default:
            return .protocolNumber(number)
        }
    }

    /// A NACL entry's traffic from Protocol, PortRange {From, To} and IcmpTypeCode {Type, Code}.
    static func aclTraffic(protocol: Item, portRange: Item?, icmp: Item?) throws(InputError) -> Traffic {
        guard let number = try protocolNumber(`protocol`) else { return .all }
        switch number {
        case 6, 17:
            var ports = PortRange.all
            if let portRange, let from = portRange.field("From"), let to = portRange.field("To") {
                ports = try self.portRange(from: from, to: to, at: portRange)
            } else if let portRange, !portRange.keys.isEmpty {
                throw portRange.error("a port range needs From and To")
            }
            return number == 6 ? .tcp(ports) : .udp(ports)
        case 1, 58:
            let type = try icmp?.field("Type").map { (item) throws(InputError) in try icmpNumber(item, "type") } ?? nil
            let codeItem = icmp?.field("Code")
            let code = try codeItem.map { (item) throws(InputError) in try icmpNumber(item, "code") } ?? nil
            let types = try icmpTypeCode(type: type, code: code, codeItem: codeItem, typeField: "Type", codeField: "Code")
            return number == 1 ? .icmp(types) : .icmpv6(types)
        default:
            return .protocolNumber(number)
        }
    }

    /// A NACL entry in AWS's shape (describe-network-acls `Entries[]`, CloudTrail
    /// Create/ReplaceNetworkAclEntry parameters). Returns nil for AWS's own `*` rule (32767/32768)
    /// when `allowingDefaultRule`; any other number outside 1–32766 is an error.
    static func aclEntry(_ item: Item, allowingDefaultRule: Bool) throws(InputError) -> NetworkACLEntry? {
        let numberItem = try item.required("RuleNumber")
        let number = try numberItem.integer("rule number")
        if allowingDefaultRule && NetworkACLEntry.defaultRuleNumbers.contains(Int(number)) { return nil }
        guard NetworkACLEntry.ruleNumbers.contains(Int(number)) else {
            throw numberItem.error("NACL rule number \(number) is out of range 1-32766")
        }
        let egress = try item.field("Egress")?.bool() ?? false
        let actionItem = try item.required("RuleAction")
        guard let action = NetworkACLEntry.Action(rawValue: try actionItem.string().lowercased()) else {
            throw actionItem.error("RuleAction must be allow or deny, found \(try actionItem.string().quotedIfOdd)")
        }
        guard let protocolItem = item.field(anyOf: ["Protocol", "aclProtocol"]) else { throw item.error("Protocol is missing") }
        let traffic = try aclTraffic(protocol: protocolItem, portRange: item.field("PortRange"), icmp: item.field("IcmpTypeCode"))
        let cidr: CIDR
        if let v4 = item.field("CidrBlock") {
            cidr = try self.cidr(v4, .v4)
        } else if let v6 = item.field("Ipv6CidrBlock") {
            cidr = try self.cidr(v6, .v6)
        } else {
            throw item.error("CidrBlock or Ipv6CidrBlock is missing")
        }
        return NetworkACLEntry(
            ruleNumber: Int(number), direction: egress ? .egress : .ingress, traffic: traffic, cidr: cidr, action: action,
            source: item.location)
    }

    /// A timeout in seconds within AWS's range for it.
    static func timeout(_ item: Item, _ name: String, _ range: ClosedRange<Int64>) throws(InputError) -> Interval {
        let seconds = try item.integer(name)
        guard range.contains(seconds) else {
            throw item.error("\(name) \(seconds) is out of range \(range.lowerBound)-\(range.upperBound) seconds")
        }
        return .seconds(seconds)
    }

    /// A ConnectionTrackingConfiguration / connectionTrackingSpecification object.
    static func timeouts(_ item: Item) throws(InputError) -> TimeoutChange {
        TimeoutChange(
            tcpEstablished: try item.field("TcpEstablishedTimeout").map { (i) throws(InputError) in
                try timeout(i, "TcpEstablishedTimeout", ConnectionTrackingTimeouts.tcpEstablishedRange)
            },
            udp: try item.field("UdpTimeout").map { (i) throws(InputError) in
                try timeout(i, "UdpTimeout", ConnectionTrackingTimeouts.udpRange)
            },
            udpStream: try item.field("UdpStreamTimeout").map { (i) throws(InputError) in
                try timeout(i, "UdpStreamTimeout", ConnectionTrackingTimeouts.udpStreamRange)
            })
    }

    // MARK: Security group rules

    /// The rules of one IpPermission (describe-security-groups, CloudTrail ipPermissions items):
    /// one rule per peer, in AWS's order (IPv4 ranges, IPv6 ranges, prefix lists, groups).
    /// `groupIDsByName` gives the ids of groups a pair names by GroupName only (CloudTrail records
    /// of `--source-group NAME`), once the caller has resolved them.
    static func rules(
        fromPermission item: Item, groupID: String, direction: RuleDirection, groupIDsByName: [String: String] = [:]
    ) throws(InputError) -> [SecurityGroupRule] {
        guard let protocolItem = item.field("IpProtocol") else { throw item.error("IpProtocol is missing") }
        let traffic = try securityGroupTraffic(
            protocol: protocolItem, fromPort: item.field("FromPort"), toPort: item.field("ToPort"), at: item)
        var rules: [SecurityGroupRule] = []
        func add(_ peer: Peer, _ entry: Item) throws(InputError) {
            let description = try entry.field("Description")?.string()
            rules.append(SecurityGroupRule(
                groupID: groupID, direction: direction, traffic: traffic, peer: peer, description: description,
                source: entry.location))
        }
        for range in try item.field("IpRanges")?.items() ?? [] {
            try add(.cidr(try cidr(try range.required("CidrIp"), .v4)), range)
        }
        for range in try item.field("Ipv6Ranges")?.items() ?? [] {
            try add(.cidr(try cidr(try range.required("CidrIpv6"), .v6)), range)
        }
        for list in try item.field("PrefixListIds")?.items() ?? [] {
            try add(.prefixList(try list.required("PrefixListId").string()), list)
        }
        for pair in try item.field(anyOf: ["UserIdGroupPairs", "groups"])?.items() ?? [] {
            var id = try pair.field("GroupId")?.string()
            if id == nil, let name = try pair.field("GroupName")?.string() { id = groupIDsByName[name] }
            guard let id else {
                throw pair.error("GroupId is missing (referencing a group by name only is not supported)")
            }
            try add(.securityGroup(id), pair)
        }
        return rules
    }

    /// A rule in describe-security-group-rules' flat shape (also CloudTrail's securityGroupRuleSet
    /// items and ModifySecurityGroupRules' SecurityGroupRule): exactly one of CidrIpv4, CidrIpv6,
    /// PrefixListId, ReferencedGroupInfo.GroupId / ReferencedGroupId.
    static func flatRule(_ item: Item, groupID: String?, direction: RuleDirection?) throws(InputError) -> SecurityGroupRule {
        guard let protocolItem = item.field("IpProtocol") else { throw item.error("IpProtocol is missing") }
        let traffic = try securityGroupTraffic(
            protocol: protocolItem, fromPort: item.field("FromPort"), toPort: item.field("ToPort"), at: item)
        let peer = try flatPeer(item)
        var group = groupID ?? ""
        if groupID == nil { group = try item.required("GroupId").string() }
        var egress = direction == .egress
        if direction == nil, let flag = item.field("IsEgress") { egress = try flag.bool() }
        return SecurityGroupRule(
            id: try item.field("SecurityGroupRuleId")?.string(), groupID: group, direction: egress ? .egress : .ingress,
            traffic: traffic, peer: peer, description: try item.field("Description")?.string(), source: item.location)
    }

    static func flatPeer(_ item: Item) throws(InputError) -> Peer {
        var peers: [Peer] = []
        if let v4 = item.field("CidrIpv4") { peers.append(.cidr(try cidr(v4, .v4))) }
        if let v6 = item.field("CidrIpv6") { peers.append(.cidr(try cidr(v6, .v6))) }
        if let list = item.field("PrefixListId") { peers.append(.prefixList(try list.string())) }
        if let group = item.field("ReferencedGroupInfo")?.field("GroupId") ?? item.field(anyOf: ["ReferencedGroupId", "ReferencedSecurityGroupId"]) {
            peers.append(.securityGroup(try group.string()))
        }
        guard peers.count == 1, let peer = peers.first else {
            throw item.error(peers.isEmpty
                ? "the rule names no peer: give one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo"
                : "the rule names more than one peer")
        }
        return peer
    }
}
