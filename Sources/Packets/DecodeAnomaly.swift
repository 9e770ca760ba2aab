/// Why a frame cannot be judged: each case is one precise reason, shown in the label's `reason`.
///
/// "Short" (the capture stopped, usually at the snapshot length) is told apart from "wrong" (a field
/// that no valid packet has). The decoder never reads past the captured bytes.
public enum DecodeAnomaly: Hashable, Sendable {
    /// The frame's interface has a link type the decoder does not read (pcapng files mixing interfaces).
    case unsupportedLinkType(Int32)
    /// The bytes ran out inside a header: `needed` bytes from where the header starts, `captured` there.
    case truncated(Layer, needed: Int, captured: Int)
    /// An Ethernet / cooked / PPPoE frame that carries something other than IP (ARP, LLDP, …).
    case notIP(etherType: UInt16)
    /// An 802.3 frame with an LLC header that is not SNAP-encapsulated IP (STP, IS-IS, …).
    case llcNotIP
    /// A BSD loopback frame whose address family is not IPv4 or IPv6.
    case unknownAddressFamily(UInt32)
    /// An MPLS payload that is neither IPv4 nor IPv6 (e.g. a pseudowire).
    case mplsNotIP
    /// A PPPoE session frame carrying another PPP protocol (LCP, IPCP, …).
    case pppNotIP(UInt16)
    /// The IP version nibble is neither 4 nor 6 (or not what the link type promises).
    case badIPVersion(UInt8)
    /// IPv4 IHL below 5 words.
    case badIPv4HeaderLength(UInt8)
    /// An IPv4 option whose length is below 2 or runs past the header.
    case badIPv4Options
    /// IPv4 total length smaller than its own header.
    case badIPv4TotalLength(total: Int, headerLength: Int)
    /// The IP length fields claim more bytes than the frame had on the wire.
    case ipLengthBeyondFrame(Layer, declared: Int, onWire: Int)
    /// An IPv6 extension header runs past the end of the IPv6 payload.
    case extensionHeaderBeyondPayload
    /// TCP data offset below 5 words.
    case badTCPDataOffset(UInt8)
    /// TCP header (data offset) longer than the segment the IP header declares.
    case tcpHeaderBeyondSegment(headerLength: Int, segment: Int)
    /// UDP length below 8, or beyond the IP payload.
    case badUDPLength(length: Int, ipPayload: Int)

    /// A header or piece of a frame, for messages.
    public enum Layer: String, Hashable, Sendable {
        case ethernet = "Ethernet header"
        case vlan = "802.1Q/802.1ad tag"
        case llc = "LLC/SNAP header"
        case mpls = "MPLS label"
        case pppoe = "PPPoE header"
        case linuxCooked = "Linux cooked (SLL) header"
        case linuxCooked2 = "Linux cooked (SLL2) header"
        case loopback = "loopback header"
        case ipVersion = "IP header"
        case ipv4 = "IPv4 header"
        case ipv6 = "IPv6 header"
        case ipv6Extension = "IPv6 extension header"
        case tcp = "TCP header"
        case udp = "UDP header"
        case icmp = "ICMP header"
        case icmpv6 = "ICMPv6 header"
        case vxlan = "VXLAN header"
    }
}

extension DecodeAnomaly: CustomStringConvertible {
    /// The label reason: a stable lower-case key, a colon, and the detail a person needs.
    public var description: String {
        switch self {
        case .unsupportedLinkType(let dlt):
            "not-ip: captured on an interface of unsupported link type \(dlt)"
        case .truncated(let layer, let needed, let captured):
            "truncated: \(layer.rawValue) needs \(needed) bytes, only \(captured) captured"
        case .notIP(let type):
            "not-ip: EtherType 0x\(hex4(type))\(etherTypeName(type).map { " (\($0))" } ?? "")"
        case .llcNotIP:
            "not-ip: 802.3 frame with an LLC header (no IP inside)"
        case .unknownAddressFamily(let family):
            "not-ip: loopback address family \(family)"
        case .mplsNotIP:
            "not-ip: MPLS payload is not IPv4 or IPv6"
        case .pppNotIP(let proto):
            "not-ip: PPPoE session carrying PPP protocol 0x\(hex4(proto))"
        case .badIPVersion(let version):
            "malformed-ip: IP version \(version) (expected 4 or 6)"
        case .badIPv4HeaderLength(let ihl):
            "malformed-ip: IPv4 header length \(ihl) words (minimum 5)"
        case .badIPv4Options:
            "malformed-ip: IPv4 option length is invalid"
        case .badIPv4TotalLength(let total, let header):
            "malformed-ip: IPv4 total length \(total) is shorter than its \(header)-byte header"
        case .ipLengthBeyondFrame(let layer, let declared, let onWire):
            "malformed-ip: \(layer == .ipv4 ? "IPv4 total length" : "IPv6 header plus payload length") \(declared) exceeds the \(onWire) bytes on the wire"
        case .extensionHeaderBeyondPayload:
            "malformed-ip: IPv6 extension header runs past the payload length"
        case .badTCPDataOffset(let words):
            "malformed-tcp: data offset \(words) words (minimum 5)"
        case .tcpHeaderBeyondSegment(let header, let segment):
            "malformed-tcp: \(header)-byte header in a \(segment)-byte segment"
        case .badUDPLength(let length, let payload):
            "malformed-udp: length \(length) (IP payload \(payload) bytes)"
        }
    }
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

func etherTypeName(_ type: UInt16) -> String? {
    switch type {
    case 0x0806: "ARP"
    case 0x8035: "RARP"
    case 0x88cc: "LLDP"
    case 0x888e: "EAPOL"
    case 0x8863: "PPPoE discovery"
    case 0x88f7: "PTP"
    case 0x8809: "slow protocols (LACP)"
    case 0x9000: "loopback"
    case 0x22f0, 0x22f3: "TSN"
    case 0x6003: "DECnet"
    case 0x8137: "IPX"
    case 0x0842: "Wake-on-LAN"
    case 0x893a: "IEEE 1905"
    case 0x88e5: "MACsec"
    default: nil
    }
}

extension DecodeAnomaly {
    /// Coarse classes of anomaly, for counting without building strings per frame.
    public enum Category: Int, CaseIterable, Sendable {
        case truncated, notIP, malformedIP, malformedTCP, malformedUDP

        public var key: String {
            switch self {
            case .truncated: "truncated"
            case .notIP: "not-ip"
            case .malformedIP: "malformed-ip"
            case .malformedTCP: "malformed-tcp"
            case .malformedUDP: "malformed-udp"
            }
        }
    }

    public var category: Category {
        switch self {
        case .truncated: .truncated
        case .notIP, .llcNotIP, .unsupportedLinkType, .unknownAddressFamily, .mplsNotIP, .pppNotIP: .notIP
        case .badIPVersion, .badIPv4HeaderLength, .badIPv4Options, .badIPv4TotalLength, .ipLengthBeyondFrame,
            .extensionHeaderBeyondPayload:
            .malformedIP
        case .badTCPDataOffset, .tcpHeaderBeyondSegment: .malformedTCP
        case .badUDPLength: .malformedUDP
        }
    }
}
