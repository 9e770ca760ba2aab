/// The traffic a security group rule or NACL entry covers: a protocol and, where the protocol has
/// them, ports or ICMP types.
///
///     Traffic.tcp(PortRange(22))            // "tcp 22"
///     Traffic.all                           // "all traffic"  (AWS protocol -1)
///     Traffic.icmp(.any)                    // "icmp all types"
///     Traffic.protocolNumber(47)            // "protocol 47"  (GRE, every packet of it)
///
/// One case per way AWS interprets a rule (docs/semantics.md §4): protocol `-1` matches every IP
/// protocol of both families; `icmp` matches ICMPv4 only and `icmpv6` (58) ICMPv6 only; any other
/// protocol number matches every packet of that protocol, whatever port range was written.
public enum Traffic: Hashable, Sendable {
    /// Protocol `-1`: every packet, IPv4 and IPv6.
    case all
    /// TCP (6) to these ports.
    case tcp(PortRange)
    /// UDP (17) to these ports.
    case udp(PortRange)
    /// ICMP for IPv4 (1).
    case icmp(ICMPTypeCode)
    /// ICMPv6 (58).
    case icmpv6(ICMPTypeCode)
    /// Any other IP protocol number (never 1, 6, 17 or 58): every packet of it.
    case protocolNumber(UInt8)

    /// The IP protocol number, nil for `.all`.
    public var protocolNumber: UInt8? {
        switch self {
        case .all: nil
        case .tcp: 6
        case .udp: 17
        case .icmp: 1
        case .icmpv6: 58
        case .protocolNumber(let n): n
        }
    }

    /// The traffic of a protocol number with its ports or ICMP types: the one place numbers become cases.
    public static func of(protocolNumber n: UInt8, ports: PortRange = .all, icmp: ICMPTypeCode = .any) -> Traffic {
        switch n {
        case 6: .tcp(ports)
        case 17: .udp(ports)
        case 1: .icmp(icmp)
        case 58: .icmpv6(icmp)
        default: .protocolNumber(n)
        }
    }

    /// The protocol's name as AWS writes it (`tcp`, `udp`, `icmp`, `icmpv6`, `-1`) or its number.
    public var protocolName: String {
        switch self {
        case .all: "-1"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .protocolNumber(let n): String(n)
        }
    }
}

extension Traffic: CustomStringConvertible {
    public var description: String {
        switch self {
        case .all: "all traffic"
        case .tcp(let ports): "tcp \(ports)"
        case .udp(let ports): "udp \(ports)"
        case .icmp(let types): "icmp \(types)"
        case .icmpv6(let types): "icmpv6 \(types)"
        case .protocolNumber(let n): "protocol \(n)"
        }
    }
}

/// Names of IP protocols accepted in policy files, as AWS accepts them.
public enum IPProtocolName {
    /// `-1`/`all` → nil (all protocols); `tcp`, `udp`, `icmp`, `icmpv6` (any case) or `0`–`255` → the
    /// number. Throws nothing: returns `.invalid` for anything else.
    public static func parse(_ text: String) -> Parsed {
        switch text.lowercased() {
        case "-1", "all": return .all
        case "tcp": return .number(6)
        case "udp": return .number(17)
        case "icmp": return .number(1)
        case "icmpv6", "icmp6", "ipv6-icmp": return .number(58)
        default:
            guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = Int(text), n <= 255
            else { return .invalid }
            return .number(UInt8(n))
        }
    }

    public enum Parsed: Equatable, Sendable {
        case all
        case number(UInt8)
        case invalid
    }
}
