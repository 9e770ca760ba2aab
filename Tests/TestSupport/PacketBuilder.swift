import Packets

/// Builds frames byte by byte for tests and synthetic traces: real headers with correct lengths and
/// checksums, and overrides to make them wrong on purpose.
///
///     let frame = PacketBuilder.ethernet(type: 0x0800,
///         PacketBuilder.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6,
///             PacketBuilder.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn])))
public enum PacketBuilder {
    public static let instanceMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x05]
    public static let gatewayMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]

    // MARK: Link layers

    /// Ethernet II with optional VLAN tags (each `(tpid, tci)`), then `type` and the payload.
    public static func ethernet(
        dst: [UInt8] = instanceMAC, src: [UInt8] = gatewayMAC, tags: [(UInt16, UInt16)] = [],
        type: UInt16, _ payload: [UInt8]
    ) -> [UInt8] {
        var out = dst + src
        for (tpid, tci) in tags { out += be16(tpid) + be16(tci) }
        return out + be16(type) + payload
    }

    /// Linux cooked capture (DLT_LINUX_SLL, 16 bytes).
    public static func linuxCooked(packetType: UInt16 = 0, protocolType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(packetType) + be16(1) + be16(6) + gatewayMAC + [0, 0] + be16(protocolType) + payload
    }

    /// Linux cooked capture v2 (DLT_LINUX_SLL2, 20 bytes).
    public static func linuxCooked2(protocolType: UInt16, interfaceIndex: UInt32 = 2, _ payload: [UInt8]) -> [UInt8] {
        be16(protocolType) + [0, 0] + be32(interfaceIndex) + be16(1) + [0, 6] + gatewayMAC + [0, 0] + payload
    }

    /// BSD loopback (DLT_NULL) with the family in little-endian (host) order, or big-endian for DLT_LOOP.
    public static func loopback(family: UInt32, bigEndian: Bool = false, _ payload: [UInt8]) -> [UInt8] {
        (bigEndian ? be32(family) : be32(family).reversed()) + payload
    }

    // MARK: IP

    /// IPv4 with a correct header checksum; overrides make malformed headers.
    public static func ipv4(
        src: String, dst: String, proto: UInt8, id: UInt16 = 0x1234, ttl: UInt8 = 64,
        dontFragment: Bool = true, moreFragments: Bool = false, fragmentOffset: UInt16 = 0,
        options: [UInt8] = [], totalLength: UInt16? = nil, ihl: UInt8? = nil, version: UInt8 = 4,
        _ payload: [UInt8]
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let words = ihl ?? UInt8(headerLength / 4)
        let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1fff)
        var header: [UInt8] = [version << 4 | (words & 0x0f), 0]
        header += be16(totalLength ?? UInt16(headerLength + payload.count))
        header += be16(id) + be16(flags) + [ttl, proto, 0, 0]
        header += v4(src) + v4(dst) + options
        let sum = checksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xff)
        return header + payload
    }

    /// One IPv6 extension header: its type number and body (the builder adds next-header and length).
    public struct Extension: Sendable {
        public var type: UInt8
        public var body: [UInt8]
        public init(type: UInt8, body: [UInt8]) {
            self.type = type
            self.body = body
        }
        /// Hop-by-hop options padded to 8 bytes (PadN).
        public static let hopByHop = Extension(type: 0, body: [1, 4, 0, 0, 0, 0])
        public static let destinationOptions = Extension(type: 60, body: [1, 4, 0, 0, 0, 0])
        /// Type 0 routing header with no addresses left.
        public static let routing = Extension(type: 43, body: [0, 0, 0, 0, 0, 0])
        /// A fragment header: offset in 8-byte units, more-fragments flag, identification.
        public static func fragment(offset: UInt16, more: Bool, id: UInt32) -> Extension {
            Extension(type: 44, body: be16(offset << 3 | (more ? 1 : 0)) + be32(id))
        }
        /// An authentication header with a 12-byte ICV.
        public static let authentication = Extension(type: 51, body: [0, 0] + be32(0x100) + be32(1) + [UInt8](repeating: 0xab, count: 12))
    }

    /// IPv6 with extension headers chained in order before `proto`.
    public static func ipv6(
        src: String, dst: String, proto: UInt8, extensions: [Extension] = [], hopLimit: UInt8 = 64,
        payloadLength: UInt16? = nil, _ payload: [UInt8]
    ) -> [UInt8] {
        var chain: [UInt8] = []
        for (i, ext) in extensions.enumerated() {
            let next = i + 1 < extensions.count ? extensions[i + 1].type : proto
            let total = 2 + ext.body.count
            let lengthField: UInt8 = ext.type == 51 ? UInt8(total / 4 - 2) : (ext.type == 44 ? 0 : UInt8(total / 8 - 1))
            chain += [next, lengthField] + ext.body
        }
        let first = extensions.first?.type ?? proto
        var header: [UInt8] = [0x60, 0, 0, 0]
        header += be16(payloadLength ?? UInt16(chain.count + payload.count))
        header += [first, hopLimit] + v6(src) + v6(dst)
        return header + chain + payload
    }

    // MARK: Transport

    /// A TCP segment with a correct checksum over the pseudo-header of `src`/`dst`.
    public static func tcp(
        src: String, dst: String, sport: UInt16, dport: UInt16, seq: UInt32 = 1000, ack: UInt32 = 0,
        flags: TCPFlags, window: UInt16 = 64240, options: [UInt8] = [], dataOffset: UInt8? = nil,
        _ payload: [UInt8] = []
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let offsetWords = dataOffset ?? UInt8(headerLength / 4)
        var segment = be16(sport) + be16(dport) + be32(seq) + be32(ack)
        segment += [offsetWords << 4, flags.rawValue] + be16(window) + [0, 0, 0, 0] + options + payload
        let sum = checksum(pseudoHeader(src: src, dst: dst, proto: 6, length: segment.count) + segment)
        segment[16] = UInt8(sum >> 8)
        segment[17] = UInt8(sum & 0xff)
        return segment
    }

    /// A UDP datagram with a correct checksum; `length` overrides the length field.
    public static func udp(
        src: String, dst: String, sport: UInt16, dport: UInt16, length: UInt16? = nil, _ payload: [UInt8] = []
    ) -> [UInt8] {
        var datagram = be16(sport) + be16(dport) + be16(length ?? UInt16(8 + payload.count)) + [0, 0] + payload
        var sum = checksum(pseudoHeader(src: src, dst: dst, proto: 17, length: datagram.count) + datagram)
        if sum == 0 { sum = 0xffff }
        datagram[6] = UInt8(sum >> 8)
        datagram[7] = UInt8(sum & 0xff)
        return datagram
    }

    /// An ICMP (or ICMPv6 with `v6` and the addresses for its pseudo-header) message: type, code,
    /// the 4-byte rest of header (identifier and sequence for echo), and a body.
    public static func icmp(
        type: UInt8, code: UInt8 = 0, identifier: UInt16 = 0, sequence: UInt16 = 0, body: [UInt8] = [],
        v6 src: String? = nil, dst: String? = nil
    ) -> [UInt8] {
        withICMPChecksum([type, code, 0, 0] + be16(identifier) + be16(sequence) + body, v6: src, dst: dst)
    }

    /// An ICMP error (e.g. type 3 code 3, port unreachable) quoting `original` (its IP header and
    /// the first 8 bytes after it, as routers send).
    public static func icmpError(type: UInt8, code: UInt8, quoting original: [UInt8], v6 src: String? = nil, dst: String? = nil) -> [UInt8] {
        let headerLength = original.first.map { $0 >> 4 == 6 ? 40 : Int($0 & 0x0f) * 4 } ?? 20
        let quote = Array(original.prefix(headerLength + 8))
        return withICMPChecksum([type, code, 0, 0, 0, 0, 0, 0] + quote, v6: src, dst: dst)
    }

    /// `message` with its checksum set: ICMPv6 (over a pseudo-header) when both addresses are given,
    /// else ICMP.
    private static func withICMPChecksum(_ message: [UInt8], v6 src: String?, dst: String?) -> [UInt8] {
        var message = message
        let sum: UInt16
        if let src, let dst {
            sum = checksum(pseudoHeader(src: src, dst: dst, proto: 58, length: message.count) + message)
        } else {
            sum = checksum(message)
        }
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xff)
        return message
    }

    // MARK: Helpers

    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    public static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    public static func v4(_ text: String) -> [UInt8] {
        guard let a = IPAddress(parsing: text), a.isIPv4 else { fatalError("not an IPv4 address: \(text)") }
        return be32(a.v4)
    }

    public static func v6(_ text: String) -> [UInt8] {
        guard let a = IPAddress(parsing: text), a.isIPv6 else { fatalError("not an IPv6 address: \(text)") }
        var out: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((a.high >> UInt64(shift)) & 0xff)) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((a.low >> UInt64(shift)) & 0xff)) }
        return out
    }

    static func pseudoHeader(src: String, dst: String, proto: UInt8, length: Int) -> [UInt8] {
        if src.contains(":") {
            return v6(src) + v6(dst) + be32(UInt32(length)) + [0, 0, 0, proto]
        }
        return v4(src) + v4(dst) + [0, proto] + be16(UInt16(length))
    }

    /// The Internet checksum (RFC 1071).
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

extension PacketBuilder {
    /// Decodes `frame` as `linkType` the way the capture loop does.
    public static func decode(_ frame: [UInt8], linkType: LinkType = .ethernet, wireLength: Int? = nil, decapsulateVXLAN: Bool = false) -> DecodedPacket {
        var packet = DecodedPacket()
        let decoder = Decoder(linkType: linkType, decapsulateVXLAN: decapsulateVXLAN)
        frame.withUnsafeBytes { decoder.decode($0, wireLength: wireLength ?? frame.count, into: &packet) }
        return packet
    }
}
