/// Decodes one captured frame into a `DecodedPacket`: link layer → IP → transport.
///
///     let decoder = Decoder(linkType: .ethernet)
///     var packet = DecodedPacket()
///     decoder.decode(bytes, wireLength: record.wireLength, into: &packet)
///
/// One `switch` per layer calls concrete functions (no protocol registry, no existentials); every
/// header is bounds-checked once against the captured bytes before it is read. Allocates nothing.
public struct Decoder: Sendable {
    public var linkType: LinkType
    /// Unwrap VXLAN (UDP 4789) once and judge the inner packet, as AWS Traffic Mirroring delivers it.
    public var decapsulateVXLAN: Bool

    public init(linkType: LinkType, decapsulateVXLAN: Bool = false) {
        self.linkType = linkType
        self.decapsulateVXLAN = decapsulateVXLAN
    }

    /// Decodes `bytes` (the captured part of a frame of `wireLength` bytes) into `packet`.
    @inlinable
    public func decode(_ bytes: RawSpan, wireLength: Int, into packet: inout DecodedPacket) {
        bytes.withUnsafeBytes { decode($0, wireLength: wireLength, into: &packet) }
    }

    /// Decodes borrowed bytes; `bytes` is only read, never kept.
    public func decode(_ bytes: UnsafeRawBufferPointer, wireLength: Int, into packet: inout DecodedPacket) {
        packet = DecodedPacket()
        let frame = Frame(bytes: bytes, wireLength: max(wireLength, bytes.count), decapsulateVXLAN: decapsulateVXLAN)
        frame.decodeLink(linkType, into: &packet)
    }
}

/// The bytes of one frame and the walk over its layers. Offsets are always checked with `has`
/// before a read, so the loads below never leave the captured bytes.
@usableFromInline
struct Frame {
    let bytes: UnsafeRawBufferPointer
    let wireLength: Int
    let decapsulateVXLAN: Bool

    @inline(__always) var count: Int { bytes.count }
    @inline(__always) func u8(_ o: Int) -> UInt8 { bytes[o] }
    @inline(__always) func u16(_ o: Int) -> UInt16 {
        UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) func u32(_ o: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inline(__always) func u64(_ o: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }

    /// Whether `n` bytes from `o` were captured; records `.truncated` when not.
    @inline(__always)
    func has(_ n: Int, at o: Int, _ layer: DecodeAnomaly.Layer, _ p: inout DecodedPacket) -> Bool {
        if o + n <= count { return true }
        flag(.truncated(layer, needed: n, captured: max(0, count - o)), &p)
        return false
    }

    /// Records an anomaly; the first one found is the frame's reason.
    @inline(__always)
    func flag(_ anomaly: DecodeAnomaly, _ p: inout DecodedPacket) {
        if p.anomaly == nil { p.anomaly = anomaly }
    }

    // MARK: Link layer

    func decodeLink(_ link: LinkType, into p: inout DecodedPacket) {
        switch link {
        case .ethernet:
            decodeEthernet(at: 0, into: &p)
        case .linuxCooked:
            // 2 packet type, 2 ARPHRD type, 2 address length, 8 address, 2 protocol.
            guard has(16, at: 0, .linuxCooked, &p) else { return }
            decodeEtherType(u16(14), at: 16, into: &p)
        case .linuxCooked2:
            // 2 protocol, 2 reserved, 4 interface index, 2 ARPHRD type, 1 packet type, 1 address length, 8 address.
            guard has(20, at: 0, .linuxCooked2, &p) else { return }
            decodeEtherType(u16(0), at: 20, into: &p)
        case .rawIP:
            decodeIP(at: 0, into: &p)
        case .rawIPv4, .rawIPv6:
            // The version nibble decides, as Wireshark does, even where the link type promises one version.
            decodeIP(at: 0, into: &p)
        case .null, .loop:
            guard has(4, at: 0, .loopback, &p) else { return }
            // DLT_NULL is in the capturing host's byte order: a family fits in 16 bits either way.
            let raw = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let bigEndianValue = u32(0)
            let family: UInt32 =
                link == .loop ? bigEndianValue : (raw <= 0xffff ? raw : raw.byteSwapped)
            switch family {
            case 2: decodeIPv4(at: 4, into: &p)
            case 10, 24, 28, 30: decodeIPv6(at: 4, into: &p)  // Linux, Net/OpenBSD, FreeBSD, Darwin
            default:
                // Some writers put an EtherType in the low 16 bits instead (Wireshark accepts it too).
                switch bigEndianValue & 0xffff {
                case 0x0800 where bigEndianValue > 0xffff: decodeIPv4(at: 4, into: &p)
                case 0x86dd where bigEndianValue > 0xffff: decodeIPv6(at: 4, into: &p)
                default: p.anomaly = .unknownAddressFamily(family)
                }
            }
        case .other(let dlt):
            p.anomaly = .unsupportedLinkType(dlt)
        }
    }

    func decodeEthernet(at o: Int, into p: inout DecodedPacket) {
        guard has(14, at: o, .ethernet, &p) else { return }
        let type = u16(o + 12)
        if type <= 1500 {
            decodeLLC(at: o + 14, into: &p)
        } else {
            decodeEtherType(type, at: o + 14, into: &p)
        }
    }

    /// 802.3 frames: only SNAP with an IP EtherType carries IP.
    func decodeLLC(at o: Int, into p: inout DecodedPacket) {
        guard o + 3 <= count, u8(o) == 0xaa, u8(o + 1) == 0xaa, u8(o + 2) == 0x03 else {
            p.anomaly = .llcNotIP
            return
        }
        guard has(8, at: o, .llc, &p) else { return }
        decodeEtherType(u16(o + 6), at: o + 8, into: &p)
    }

    func decodeEtherType(_ type: UInt16, at o: Int, into p: inout DecodedPacket) {
        var type = type
        var o = o
        // VLAN tags stack (802.1Q, 802.1ad, the old 0x9100/0x9200 QinQ); each is 4 bytes.
        while type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200 {
            guard has(4, at: o, .vlan, &p) else { return }
            type = u16(o + 2)
            o += 4
        }
        switch type {
        case 0x0800: decodeIPv4(at: o, into: &p)
        case 0x86dd: decodeIPv6(at: o, into: &p)
        case 0x8847, 0x8848: decodeMPLS(at: o, into: &p)
        case 0x8864: decodePPPoESession(at: o, into: &p)
        case 0x88e7:
            // 802.1ah provider backbone bridging: a 4-byte I-TAG, then the customer's Ethernet frame.
            guard has(4, at: o, .vlan, &p) else { return }
            decodeEthernet(at: o + 4, into: &p)
        case 0x8926:
            // Cisco VN-Tag: 4 bytes, then the EtherType.
            guard has(6, at: o, .vlan, &p) else { return }
            decodeEtherType(u16(o + 4), at: o + 6, into: &p)
        case 0x893f:
            // 802.1BR E-Tag: 6 bytes, then the EtherType.
            guard has(8, at: o, .vlan, &p) else { return }
            decodeEtherType(u16(o + 6), at: o + 8, into: &p)
        case 0x88e5:
            // MACsec: a 6-byte SecTAG (14 with the SCI); only integrity-protected frames are readable.
            guard has(1, at: o, .vlan, &p) else { return }
            let tci = u8(o)
            let tag = tci & 0x20 != 0 ? 14 : 6
            guard tci & 0x0c == 0 else { p.anomaly = .notIP(etherType: 0x88e5); return }
            guard has(tag + 2, at: o, .vlan, &p) else { return }
            decodeEtherType(u16(o + tag), at: o + tag + 2, into: &p)
        default:
            if type <= 1500 { decodeLLC(at: o, into: &p) } else { p.anomaly = .notIP(etherType: type) }
        }
    }

    func decodeMPLS(at o: Int, into p: inout DecodedPacket) {
        var o = o
        while true {
            guard has(4, at: o, .mpls, &p) else { return }
            let bottom = u8(o + 2) & 0x01 != 0
            o += 4
            if bottom { break }
        }
        guard o < count else { p.anomaly = .truncated(.ipVersion, needed: 1, captured: 0); return }
        switch u8(o) >> 4 {
        case 4: decodeIPv4(at: o, into: &p)
        case 6: decodeIPv6(at: o, into: &p)
        case 0:
            // A pseudowire control word (4 bytes), then an Ethernet frame (RFC 4448).
            decodeEthernet(at: o + 4, into: &p)
        default: p.anomaly = .mplsNotIP
        }
    }

    func decodePPPoESession(at o: Int, into p: inout DecodedPacket) {
        // 1 version/type, 1 code, 2 session id, 2 length, then the 2-byte PPP protocol.
        guard has(8, at: o, .pppoe, &p) else { return }
        switch u16(o + 6) {
        case 0x0021: decodeIPv4(at: o + 8, into: &p)
        case 0x0057: decodeIPv6(at: o + 8, into: &p)
        case let other: p.anomaly = .pppNotIP(other)
        }
    }

    // MARK: IP

    func decodeIP(at o: Int, into p: inout DecodedPacket) {
        guard has(1, at: o, .ipVersion, &p) else { return }
        switch u8(o) >> 4 {
        case 4: decodeIPv4(at: o, into: &p)
        case 6: decodeIPv6(at: o, into: &p)
        case let v: p.anomaly = .badIPVersion(v)
        }
    }

    func decodeIPv4(at o: Int, into p: inout DecodedPacket) {
        guard has(20, at: o, .ipv4, &p) else { return }
        let version = u8(o) >> 4
        guard version == 4 else { p.anomaly = .badIPVersion(version); return }
        p.hasIP = true
        p.src = IPAddress(v4: u32(o + 12))
        p.dst = IPAddress(v4: u32(o + 16))
        p.ipProtocol = u8(o + 9)
        let ihl = u8(o) & 0x0f
        guard ihl >= 5 else { p.anomaly = .badIPv4HeaderLength(ihl); return }
        let headerLength = Int(ihl) * 4
        guard has(headerLength, at: o, .ipv4, &p) else { return }
        guard optionsAreWellFormed(from: o + 20, to: o + headerLength) else {
            flag(.badIPv4Options, &p)
            return
        }
        var total = Int(u16(o + 2))
        let onWire = wireLength - o
        if total == 0 {
            // TCP segmentation offload: the length is filled in by the NIC, after the capture point.
            total = onWire
        } else if total < headerLength {
            p.anomaly = .badIPv4TotalLength(total: total, headerLength: headerLength)
            return
        } else if total > onWire {
            // Judged as malformed, but its transport header is still read so the label shows the ports.
            flag(.ipLengthBeyondFrame(.ipv4, declared: total, onWire: onWire), &p)
            total = onWire
        }
        p.ipLength = total
        let flagsAndOffset = u16(o + 6)
        let offset = flagsAndOffset & 0x1fff
        let moreFragments = flagsAndOffset & 0x2000 != 0
        p.fragmentID = UInt32(u16(o + 4))
        if offset != 0 {
            p.fragment = .later
            return
        }
        if moreFragments { p.fragment = .first }
        decodeTransport(p.ipProtocol, at: o + headerLength, end: o + total, isIPv6: false, into: &p)
    }

    /// IPv4 options: end-of-list and no-op are one byte; every other option has a length byte of at
    /// least 2 that stays inside the header (RFC 791). Linux drops packets that break this.
    func optionsAreWellFormed(from start: Int, to end: Int) -> Bool {
        var o = start
        while o < end {
            switch u8(o) {
            case 0: return true
            case 1: o += 1
            default:
                guard o + 1 < end else { return false }
                let length = Int(u8(o + 1))
                guard length >= 2, o + length <= end else { return false }
                o += length
            }
        }
        return true
    }

    func decodeIPv6(at o: Int, into p: inout DecodedPacket) {
        guard has(40, at: o, .ipv6, &p) else { return }
        let version = u8(o) >> 4
        guard version == 6 else { p.anomaly = .badIPVersion(version); return }
        p.hasIP = true
        p.src = IPAddress(v6High: u64(o + 8), low: u64(o + 16))
        p.dst = IPAddress(v6High: u64(o + 24), low: u64(o + 32))
        p.ipProtocol = u8(o + 6)
        var payload = Int(u16(o + 4))
        let onWire = wireLength - o
        if payload == 0 {
            // A jumbogram (RFC 2675) or segmentation offload: the payload is what the frame holds.
            payload = onWire - 40
        } else if 40 + payload > onWire {
            flag(.ipLengthBeyondFrame(.ipv6, declared: 40 + payload, onWire: onWire), &p)
            payload = onWire - 40
        }
        p.ipLength = 40 + payload
        let end = o + 40 + payload
        var chain = ExtensionWalk(next: p.ipProtocol, offset: o + 40)
        guard walkExtensions(&chain, end: end, into: &p) else { return }
        p.ipProtocol = chain.next
        p.fragment = chain.fragment
        p.fragmentID = chain.fragmentID
        if chain.fragment == .later { return }
        decodeTransport(chain.next, at: chain.offset, end: end, isIPv6: true, into: &p)
    }

    struct ExtensionWalk {
        var next: UInt8
        var offset: Int
        var fragment = FragmentPosition.whole
        var fragmentID: UInt32 = 0
    }

    /// Follows IPv6 extension headers (hop-by-hop, routing, fragment, destination options, AH,
    /// mobility, HIP, shim6) to the upper-layer protocol. Returns false with an anomaly set.
    func walkExtensions(_ w: inout ExtensionWalk, end: Int, into p: inout DecodedPacket) -> Bool {
        while true {
            let length: Int
            switch w.next {
            case 0, 43, 60, 135, 139, 140:
                guard has(2, at: w.offset, .ipv6Extension, &p) else { return false }
                length = (Int(u8(w.offset + 1)) + 1) * 8
            case 51:  // AH: length in 4-byte words, minus 2
                guard has(2, at: w.offset, .ipv6Extension, &p) else { return false }
                length = (Int(u8(w.offset + 1)) + 2) * 4
            case 44:  // fragment header, always 8 bytes
                guard has(8, at: w.offset, .ipv6Extension, &p) else { return false }
                length = 8
                let offsetAndFlags = u16(w.offset + 2)
                w.fragmentID = u32(w.offset + 4)
                if offsetAndFlags & 0xfff8 != 0 {
                    w.fragment = .later
                    w.next = u8(w.offset)
                    w.offset += length
                    return true
                }
                if offsetAndFlags & 1 != 0 { w.fragment = .first }
            default:
                return true
            }
            guard w.offset + length <= end else { flag(.extensionHeaderBeyondPayload, &p); return false }
            guard has(length, at: w.offset, .ipv6Extension, &p) else { return false }
            w.next = u8(w.offset)
            w.offset += length
        }
    }

    // MARK: Transport

    /// A TCP or UDP header's ports (its first four bytes), false when they were not captured.
    @inline(__always)
    func readPorts(at o: Int, _ layer: DecodeAnomaly.Layer, _ p: inout DecodedPacket) -> Bool {
        guard has(4, at: o, layer, &p) else { return false }
        p.hasPorts = true
        p.sourcePort = u16(o)
        p.destinationPort = u16(o + 2)
        return true
    }

    func decodeTransport(_ proto: UInt8, at o: Int, end: Int, isIPv6: Bool, into p: inout DecodedPacket) {
        let segment = end - o
        switch proto {
        case IPProtocol.tcp:
            // Ports first: they are reported even when the rest of the header was cut.
            guard readPorts(at: o, .tcp, &p), has(20, at: o, .tcp, &p) else { return }
            p.tcpFlags = TCPFlags(rawValue: u8(o + 13))
            let dataOffset = u8(o + 12) >> 4
            guard dataOffset >= 5 else { flag(.badTCPDataOffset(dataOffset), &p); return }
            if Int(dataOffset) * 4 > segment && p.fragment != .first {
                flag(.tcpHeaderBeyondSegment(headerLength: Int(dataOffset) * 4, segment: segment), &p)
            }
        case IPProtocol.udp:
            guard readPorts(at: o, .udp, &p), has(8, at: o, .udp, &p) else { return }
            let length = Int(u16(o + 4))
            // Length 0 is legal for IPv6 jumbograms; otherwise it covers at least the header. In a
            // first fragment it covers the whole datagram, beyond this fragment.
            if (length < 8 && !(isIPv6 && length == 0)) || (length > segment && p.fragment != .first) {
                flag(.badUDPLength(length: length, ipPayload: segment), &p)
                return
            }
            if p.destinationPort == 4789 && o + 16 <= count && u8(o + 8) & 0x08 != 0 {
                if decapsulateVXLAN && !p.decapsulated && p.anomaly == nil {
                    decapsulate(innerEthernetAt: o + 16, into: &p)
                } else {
                    p.looksLikeVXLAN = true
                }
            }
        case IPProtocol.icmp, IPProtocol.icmpv6:
            let layer: DecodeAnomaly.Layer = proto == IPProtocol.icmp ? .icmp : .icmpv6
            guard has(8, at: o, layer, &p) else { return }
            p.hasICMP = true
            p.icmpType = u8(o)
            p.icmpCode = u8(o + 1)
            if ICMPKind.hasIdentifier(type: p.icmpType, v6: proto == IPProtocol.icmpv6) {
                p.hasICMPIdentifier = true
                p.icmpIdentifier = u16(o + 4)
            }
            if ICMPKind.isError(type: p.icmpType, v6: proto == IPProtocol.icmpv6) {
                decodeQuoted(at: o + 8, v6: proto == IPProtocol.icmpv6, into: &p.quoted)
            }
        default:
            break
        }
    }

    /// VXLAN: 8-byte header (flags, VNI), then an Ethernet frame. The inner packet replaces the outer.
    func decapsulate(innerEthernetAt o: Int, into p: inout DecodedPacket) {
        let outerSource = p.src, outerDestination = p.dst
        p = DecodedPacket()
        p.decapsulated = true
        p.outerSource = outerSource
        p.outerDestination = outerDestination
        decodeEthernet(at: o, into: &p)
    }

    /// The packet an ICMP error quotes: its IP header and the first 8 bytes after it. A quote cut
    /// short leaves `isPresent` false (the error is then judged as a plain ICMP message).
    func decodeQuoted(at o: Int, v6: Bool, into q: inout QuotedPacket) {
        var scratch = DecodedPacket()
        let proto: UInt8
        let l4: Int
        if !v6 {
            guard o + 20 <= count, u8(o) >> 4 == 4 else { return }
            let ihl = Int(u8(o) & 0x0f) * 4
            guard ihl >= 20, o + ihl <= count else { return }
            q.src = IPAddress(v4: u32(o + 12))
            q.dst = IPAddress(v4: u32(o + 16))
            proto = u8(o + 9)
            l4 = o + ihl
            // A quoted later fragment has no transport header.
            if u16(o + 6) & 0x1fff != 0 { q.ipProtocol = proto; q.isPresent = true; return }
        } else {
            guard o + 40 <= count, u8(o) >> 4 == 6 else { return }
            q.src = IPAddress(v6High: u64(o + 8), low: u64(o + 16))
            q.dst = IPAddress(v6High: u64(o + 24), low: u64(o + 32))
            var chain = ExtensionWalk(next: u8(o + 6), offset: o + 40)
            guard walkExtensions(&chain, end: count, into: &scratch) else { return }
            proto = chain.next
            l4 = chain.offset
            if chain.fragment == .later { q.ipProtocol = proto; q.isPresent = true; return }
        }
        q.ipProtocol = proto
        q.isPresent = true
        switch proto {
        case IPProtocol.tcp, IPProtocol.udp:
            if l4 + 4 <= count {
                q.hasPorts = true
                q.sourcePort = u16(l4)
                q.destinationPort = u16(l4 + 2)
            }
        case IPProtocol.icmp, IPProtocol.icmpv6:
            if l4 + 6 <= count {
                q.icmpType = u8(l4)
                if ICMPKind.hasIdentifier(type: q.icmpType, v6: proto == IPProtocol.icmpv6) {
                    q.hasICMPIdentifier = true
                    q.icmpIdentifier = u16(l4 + 4)
                }
            }
        default:
            break
        }
    }
}

/// ICMP message classes that matter for tracking.
public enum ICMPKind {
    /// Query/response messages keyed by an identifier: echo, timestamp, information, address mask
    /// (ICMPv4 0/8, 13/14, 15/16, 17/18) and ICMPv6 echo (128/129).
    @inlinable
    public static func hasIdentifier(type: UInt8, v6: Bool) -> Bool {
        v6 ? (type == 128 || type == 129) : (type == 0 || type == 8 || (13...18).contains(type))
    }

    /// Error messages that quote the packet they are about (docs/semantics.md §5.2): ICMPv4 3, 11, 12;
    /// ICMPv6 1–4.
    @inlinable
    public static func isError(type: UInt8, v6: Bool) -> Bool {
        v6 ? (1...4).contains(type) : (type == 3 || type == 11 || type == 12)
    }

    /// Whether this type is the request of a query pair (echo request, timestamp request, …).
    @inlinable
    public static func isRequest(type: UInt8, v6: Bool) -> Bool {
        v6 ? type == 128 : (type == 8 || type == 13 || type == 15 || type == 17)
    }
}
