/// The few facts the filtering engine needs from one frame, refilled in place for every frame.
///
///     var packet = DecodedPacket()
///     decoder.decode(bytes, wireLength: 60, into: &packet)
///     if packet.anomaly == nil { … packet.src, packet.ipProtocol, packet.destinationPort … }
///
/// A plain struct of scalars: decoding allocates nothing. Fields below a layer that was not reached
/// keep their reset values; `hasIP`, `hasPorts`, `hasICMP` say which layers were decoded.
public struct DecodedPacket: Sendable {
    /// Why the frame cannot be evaluated; nil when every header the engine needs was decoded.
    public var anomaly: DecodeAnomaly? = nil

    /// Whether an IP header was decoded (then `src`, `dst`, `ipProtocol` hold its values), even
    /// when a later layer was truncated or corrupt.
    public var hasIP = false
    public var src = IPAddress(v4: 0)
    public var dst = IPAddress(v4: 0)
    /// The IP protocol number: IPv4's Protocol field, or IPv6's last Next Header after extension headers.
    public var ipProtocol: UInt8 = 0
    /// Bytes of the IP packet (header and payload) as its length fields declare.
    public var ipLength = 0
    /// Which part of a fragmented datagram this is.
    public var fragment = FragmentPosition.whole
    /// The fragment identification (IPv4: 16 bits; IPv6 fragment header: 32 bits).
    public var fragmentID: UInt32 = 0

    /// Whether TCP or UDP ports were read (the first four bytes of the transport header).
    public var hasPorts = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpFlags = TCPFlags()

    /// Whether an ICMP or ICMPv6 header was read.
    public var hasICMP = false
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// The echo / query identifier, when the message type has one (`hasICMPIdentifier`).
    public var icmpIdentifier: UInt16 = 0
    public var hasICMPIdentifier = false
    /// For ICMP error messages: the header of the packet the error is about.
    public var quoted = QuotedPacket()

    /// A UDP datagram to port 4789 carrying a VXLAN header (AWS Traffic Mirroring), left wrapped.
    public var looksLikeVXLAN = false
    /// With VXLAN decapsulation: the outer (mirroring) addresses; the fields above are the inner packet's.
    public var decapsulated = false
    public var outerSource = IPAddress(v4: 0)
    public var outerDestination = IPAddress(v4: 0)

    public init() {}

    /// Whether the engine can judge this frame.
    @inlinable public var isDecoded: Bool { anomaly == nil }

    /// IPv6 when the decoded IP header was IPv6.
    @inlinable public var isIPv6: Bool { src.isIPv6 }
}

/// Where a frame sits in a fragmented IP datagram.
public enum FragmentPosition: UInt8, Sendable {
    /// Not fragmented (IPv6 atomic fragments count as whole).
    case whole
    /// Offset 0 with more fragments to come: carries the transport header.
    case first
    /// A later fragment: no transport header.
    case later
}

/// TCP header flags (byte 13).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
}

/// The IP header (and first transport bytes) quoted inside an ICMP error message.
public struct QuotedPacket: Sendable {
    /// Whether the quoted IP header could be read.
    public var isPresent = false
    public var src = IPAddress(v4: 0)
    public var dst = IPAddress(v4: 0)
    public var ipProtocol: UInt8 = 0
    public var hasPorts = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// A quoted ICMP echo / query message: its type and identifier.
    public var hasICMPIdentifier = false
    public var icmpType: UInt8 = 0
    public var icmpIdentifier: UInt16 = 0
    public init() {}
}

/// Well-known IP protocol numbers.
public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmpv6: UInt8 = 58

    /// The usual lower-case name of a protocol number ("tcp", "gre", …), or nil.
    public static func name(_ number: UInt8) -> String? {
        switch number {
        case 1: "icmp"
        case 2: "igmp"
        case 4: "ipip"
        case 6: "tcp"
        case 17: "udp"
        case 41: "ipv6"
        case 47: "gre"
        case 50: "esp"
        case 51: "ah"
        case 58: "icmpv6"
        case 89: "ospf"
        case 103: "pim"
        case 112: "vrrp"
        case 132: "sctp"
        default: nil
        }
    }
}
