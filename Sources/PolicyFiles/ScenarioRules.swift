import Firewall
import Packets

/// The scenario format's one-line rules, short enough to write by hand:
///
///     tcp 22 from 203.0.113.1/32          security group rule (the list says inbound or outbound)
///     all to 0.0.0.0/0
///     icmp 8 from 0.0.0.0/0               ICMP type 8, any code; `icmp 3:4` is type 3 code 4
///     udp 53 from pl-0abc                 a prefix list; `from sg-0db` a referenced group
///     100 deny tcp 1024-65535 0.0.0.0/0   NACL entry: number, action, traffic, block
///
/// `from`/`to` are optional words; a bare address means that one host.
enum ScenarioRules {
    /// A security group rule from a string or a `{id, rule, protocol, ports, from…}` mapping.
    static func rule(_ item: Item, groupID: String, direction: RuleDirection) throws(InputError) -> SecurityGroupRule {
        var id: String?
        var description: String?
        let traffic: Traffic
        let peer: Peer
        if case .object = item.node.value {
            id = try item.field("id")?.string()
            description = try item.field("description")?.string()
            if let text = item.field("rule") {
                (traffic, peer) = try trafficAndPeer(text)
            } else {
                traffic = try longTraffic(item)
                guard let peerItem = item.field(anyOf: ["from", "to", "peer", "cidr", "prefix-list", "group"]) else {
                    throw item.error("the rule names no peer: add from: (inbound) or to: (outbound)")
                }
                peer = try self.peer(peerItem, try peerItem.string())
            }
        } else {
            (traffic, peer) = try trafficAndPeer(item)
        }
        return SecurityGroupRule(
            id: id, groupID: groupID, direction: direction, traffic: traffic, peer: peer, description: description,
            source: item.location)
    }

    /// `tcp 22 from 203.0.113.1/32` → traffic and peer.
    static func trafficAndPeer(_ item: Item) throws(InputError) -> (Traffic, Peer) {
        var words = try words(item)
        let traffic = try self.traffic(&words, item)
        if let first = words.first, first == "from" || first == "to" { words.removeFirst() }
        guard words.count == 1, let peerText = words.first else {
            throw item.error(words.isEmpty
                ? "the rule names no peer: end it with from/to and a CIDR, pl-… or sg-…"
                : "unexpected \(words.joined(separator: " ").quotedIfOdd) in the rule; write e.g. tcp 22 from 203.0.113.1/32")
        }
        return (traffic, try peer(item, peerText))
    }

    static func words(_ item: Item) throws(InputError) -> [String] {
        try item.string().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
    }

    /// Reads the protocol and its ports or ICMP types from the front of `words`.
    static func traffic(_ words: inout [String], _ item: Item) throws(InputError) -> Traffic {
        guard !words.isEmpty else { throw item.error("the rule is empty") }
        let protocolText = words.removeFirst()
        let number: UInt8
        switch IPProtocolName.parse(protocolText) {
        case .all: return .all
        case .number(let n): number = n
        case .invalid:
            throw item.error(
                "unknown protocol \(protocolText.quotedIfOdd): use tcp, udp, icmp, icmpv6, all (-1) or a number 0-255")
        }
        switch number {
        case 6, 17:
            guard let portText = words.first, portText != "from", portText != "to" else {
                throw item.error("\(protocolText) needs ports: a port (22), a range (1024-65535) or all")
            }
            words.removeFirst()
            let ports = try self.ports(portText, item)
            return number == 6 ? .tcp(ports) : .udp(ports)
        case 1, 58:
            var types = ICMPTypeCode.any
            if let next = words.first, next != "from", next != "to", words.count > 1 {
                words.removeFirst()
                types = try icmpTypes(next, item)
            }
            return number == 1 ? .icmp(types) : .icmpv6(types)
        default:
            return .protocolNumber(number)
        }
    }

    /// `22`, `1024-65535`, `all`.
    static func ports(_ text: String, _ item: Item) throws(InputError) -> PortRange {
        if text == "all" || text == "*" || text == "0-65535" { return .all }
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var values: [UInt16] = []
        for part in parts {
            guard let v = Item.parseInteger(part) else {
                throw item.error("\(text.quotedIfOdd) is not a port or port range (22, 1024-65535, all)")
            }
            guard (0...65535).contains(v) else { throw item.error("port \(v) is out of range 0-65535") }
            values.append(UInt16(v))
        }
        let lower = values[0], upper = values.count == 2 ? values[1] : values[0]
        guard let range = PortRange(lower, upper) else {
            throw item.error("port range \(lower)-\(upper) is reversed; write it as \(upper)-\(lower)")
        }
        return range
    }

    /// `all`, `8` (type 8, any code), `3:4` (type 3 code 4).
    static func icmpTypes(_ text: String, _ item: Item) throws(InputError) -> ICMPTypeCode {
        if text == "all" || text == "any" || text == "*" || text == "-1" { return .any }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var values: [UInt8?] = []
        for part in parts {
            guard let v = Item.parseInteger(part), (-1...255).contains(v) else {
                throw item.error("\(text.quotedIfOdd) is not an ICMP type or type:code (8, 3:4, all)")
            }
            values.append(v == -1 ? nil : UInt8(v))
        }
        if values.count == 2, values[0] == nil, let code = values[1] {
            throw item.error(
                "\(text.quotedIfOdd): ICMP code \(code) with every type is not a rule AWS accepts: a code needs a specific type (3:4), or use all")
        }
        return ICMPTypeCode(type: values[0], code: values.count == 2 ? values[1] : nil)
    }

    /// A peer: a CIDR or address, `pl-…` or `sg-…`.
    static func peer(_ item: Item, _ text: String) throws(InputError) -> Peer {
        if text.hasPrefix("pl-") { return .prefixList(text) }
        if text.hasPrefix("sg-") { return .securityGroup(text) }
        guard let block = CIDR(parsing: text, allowingBareAddress: true) else {
            throw item.error("\(text.quotedIfOdd) is not a CIDR block, address, prefix list (pl-…) or group (sg-…)")
        }
        return .cidr(block)
    }

    /// The long form's `protocol`, `ports`/`port`, `icmp-type`, `icmp-code`.
    static func longTraffic(_ item: Item) throws(InputError) -> Traffic {
        guard let protocolItem = item.field("protocol") else { throw item.error("the rule needs rule: or protocol:") }
        let number: UInt8
        switch IPProtocolName.parse(try protocolItem.string().trimmingSpaces) {
        case .all: return .all
        case .number(let n): number = n
        case .invalid:
            throw protocolItem.error(
                "unknown protocol \(try protocolItem.string().quotedIfOdd): use tcp, udp, icmp, icmpv6, all (-1) or a number 0-255")
        }
        switch number {
        case 6, 17:
            guard let portsItem = item.field(anyOf: ["ports", "port"]) else {
                throw item.error("tcp and udp rules need ports: (22, 1024-65535 or all)")
            }
            let ports = try self.ports(try portsItem.string(), portsItem)
            return number == 6 ? .tcp(ports) : .udp(ports)
        case 1, 58:
            let type = try item.field("icmp-type").map { (i) throws(InputError) in try AWSFields.icmpNumber(i, "type") } ?? nil
            let codeItem = item.field("icmp-code")
            let code = try codeItem.map { (i) throws(InputError) in try AWSFields.icmpNumber(i, "code") } ?? nil
            let types = try AWSFields.icmpTypeCode(
                type: type, code: code, codeItem: codeItem, typeField: "icmp-type", codeField: "icmp-code")
            return number == 1 ? .icmp(types) : .icmpv6(types)
        default:
            return .protocolNumber(number)
        }
    }

    /// `100 deny tcp 1024-65535 from 0.0.0.0/0` in one direction.
    static func aclEntry(_ item: Item, direction: RuleDirection) throws(InputError) -> NetworkACLEntry {
        var words = try words(item)
        return try aclEntry(&words, item, direction: direction)
    }

    static func aclEntry(_ words: inout [String], _ item: Item, direction: RuleDirection) throws(InputError) -> NetworkACLEntry {
        guard words.count >= 3, let number = Item.parseInteger(words[0]) else {
            throw item.error("a NACL entry reads: NUMBER allow|deny TRAFFIC [from|to] CIDR, e.g. 100 allow tcp 22 from 0.0.0.0/0")
        }
        guard NetworkACLEntry.ruleNumbers.contains(Int(number)) else {
            throw item.error("NACL rule number \(number) is out of range 1-32766")
        }
        guard let action = NetworkACLEntry.Action(rawValue: words[1].lowercased()) else {
            throw item.error("\(words[1].quotedIfOdd) must be allow or deny")
        }
        words.removeFirst(2)
        let traffic = try self.traffic(&words, item)
        if let first = words.first, first == "from" || first == "to" { words.removeFirst() }
        guard words.count == 1, let cidrText = words.first else {
            throw item.error("a NACL entry ends with one CIDR block, e.g. from 0.0.0.0/0")
        }
        guard let cidr = CIDR(parsing: cidrText, allowingBareAddress: true) else {
            throw item.error("\(cidrText.quotedIfOdd) is not a CIDR block")
        }
        return NetworkACLEntry(
            ruleNumber: Int(number), direction: direction, traffic: traffic, cidr: cidr, action: action, source: item.location)
    }

    /// `inbound`/`outbound` (also `ingress`/`egress`).
    static func direction(_ word: String, _ item: Item) throws(InputError) -> RuleDirection {
        switch word.lowercased() {
        case "inbound", "ingress", "in": return .ingress
        case "outbound", "egress", "out": return .egress
        default: throw item.error("\(word.quotedIfOdd) is not a direction: write inbound or outbound")
        }
    }
}
