import Firewall
import Packets
import TestSupport

/// Real frames for the model's tests and the scenario generator: built byte by byte with
/// `PacketBuilder` (Ethernet, correct lengths and checksums) and decoded by the real decoder, so the
/// `DecodedPacket`s are exactly what a capture would give.
///
///     let syn = FrameKit.tcp("203.0.113.1", "10.0.1.10", 51514, 22, [.syn])
///     syn.packet.tcpFlags      // [.syn]
///     syn.ip                   // the IP packet's bytes, to quote in an ICMP error
enum FrameKit {
    /// One built frame: its decoded facts and its IP bytes (header + payload).
    struct Frame: Sendable {
        var packet: DecodedPacket
        var ip: [UInt8]
        /// A one-line description for reports.
        var summary: String
    }

    static func isV6(_ address: String) -> Bool { address.contains(":") }

    /// Wraps an IP packet in Ethernet and decodes it.
    static func frame(ip: [UInt8], v6: Bool, summary: String) -> Frame {
        let bytes = PacketBuilder.ethernet(type: v6 ? 0x86dd : 0x0800, ip)
        return Frame(packet: PacketBuilder.decode(bytes), ip: ip, summary: summary)
    }

    static func ipPacket(_ src: String, _ dst: String, proto: UInt8, id: UInt16 = 0x1234, _ payload: [UInt8]) -> [UInt8] {
        if isV6(src) { return PacketBuilder.ipv6(src: src, dst: dst, proto: proto, payload) }
        return PacketBuilder.ipv4(src: src, dst: dst, proto: proto, id: id, payload)
    }

    static func flagText(_ flags: TCPFlags) -> String {
        var s = ""
        if flags.contains(.syn) { s += "S" }
        if flags.contains(.fin) { s += "F" }
        if flags.contains(.rst) { s += "R" }
        if flags.contains(.psh) { s += "P" }
        if flags.contains(.ack) { s += "." }
        return s.isEmpty ? "none" : s
    }

    static func tcp(
        _ src: String, _ dst: String, _ sport: UInt16, _ dport: UInt16, _ flags: TCPFlags, payload: [UInt8] = []
    ) -> Frame {
        let segment = PacketBuilder.tcp(src: src, dst: dst, sport: sport, dport: dport, flags: flags, payload)
        let ip = ipPacket(src, dst, proto: 6, segment)
        return frame(ip: ip, v6: isV6(src), summary: "tcp \(src):\(sport) > \(dst):\(dport) [\(flagText(flags))]")
    }

    static func udp(_ src: String, _ dst: String, _ sport: UInt16, _ dport: UInt16, payload: [UInt8] = [1, 2, 3, 4]) -> Frame {
        let datagram = PacketBuilder.udp(src: src, dst: dst, sport: sport, dport: dport, payload)
        let ip = ipPacket(src, dst, proto: 17, datagram)
        return frame(ip: ip, v6: isV6(src), summary: "udp \(src):\(sport) > \(dst):\(dport)")
    }

    /// ICMP (IPv4) or ICMPv6 echo request / reply.
    static func echo(_ src: String, _ dst: String, request: Bool, id: UInt16, seq: UInt16 = 1) -> Frame {
        let v6 = isV6(src)
        let type: UInt8 = v6 ? (request ? 128 : 129) : (request ? 8 : 0)
        let message = v6
            ? PacketBuilder.icmp(type: type, identifier: id, sequence: seq, body: [0, 1, 2, 3], v6: src, dst: dst)
            : PacketBuilder.icmp(type: type, identifier: id, sequence: seq, body: [0, 1, 2, 3])
        let ip = ipPacket(src, dst, proto: v6 ? 58 : 1, message)
        return frame(ip: ip, v6: v6, summary: "\(v6 ? "icmpv6" : "icmp") echo-\(request ? "request" : "reply") \(src) > \(dst) id \(id) seq \(seq)")
    }

    /// An ICMP error (v4 type 3 / 11, v6 type 1 / 3) from `src` to `dst` quoting `original`'s IP bytes.
    static func icmpError(_ src: String, _ dst: String, type: UInt8, code: UInt8, quoting original: Frame) -> Frame {
        let v6 = isV6(src)
        let message = v6
            ? PacketBuilder.icmpError(type: type, code: code, quoting: original.ip, v6: src, dst: dst)
            : PacketBuilder.icmpError(type: type, code: code, quoting: original.ip)
        let ip = ipPacket(src, dst, proto: v6 ? 58 : 1, message)
        return frame(ip: ip, v6: v6, summary: "\(v6 ? "icmpv6" : "icmp") error \(type)/\(code) \(src) > \(dst) quoting {\(original.summary)}")
    }

    /// A packet of another protocol (47 GRE, 50 ESP, …) with a small payload.
    static func other(_ src: String, _ dst: String, proto: UInt8) -> Frame {
        let ip = ipPacket(src, dst, proto: proto, [0, 0, 0x08, 0x00, 1, 2, 3, 4])
        return frame(ip: ip, v6: isV6(src), summary: "\(IPProtocol.name(proto) ?? "proto \(proto)") \(src) > \(dst)")
    }

    /// A transport message (`transport`: its header and payload, as built by `PacketBuilder.tcp` /
    /// `.udp` / `.icmp`) cut in two fragments at byte `split` (a multiple of 8): the first, which
    /// carries the transport header, and a later one.
    static func fragments(
        _ src: String, _ dst: String, proto: UInt8, transport: [UInt8], split: Int, id: UInt16, what: String
    ) -> (first: Frame, later: Frame) {
        precondition(split % 8 == 0 && split < transport.count)
        let head = Array(transport.prefix(split)), tail = Array(transport.dropFirst(split))
        let units = UInt16(split / 8)
        let first: [UInt8], later: [UInt8]
        if isV6(src) {
            first = PacketBuilder.ipv6(
                src: src, dst: dst, proto: proto, extensions: [.fragment(offset: 0, more: true, id: UInt32(id))], head)
            later = PacketBuilder.ipv6(
                src: src, dst: dst, proto: proto, extensions: [.fragment(offset: units, more: false, id: UInt32(id))], tail)
        } else {
            first = PacketBuilder.ipv4(src: src, dst: dst, proto: proto, id: id, dontFragment: false, moreFragments: true, head)
            later = PacketBuilder.ipv4(src: src, dst: dst, proto: proto, id: id, dontFragment: false, fragmentOffset: units, tail)
        }
        return (
            frame(ip: first, v6: isV6(src), summary: "\(what) first fragment id \(id)"),
            frame(ip: later, v6: isV6(src), summary: "\(IPProtocol.name(proto) ?? "proto \(proto)") \(src) > \(dst) later fragment id \(id)")
        )
    }

    /// A TCP segment with 24 bytes of data, in two fragments (the first holds the 20-byte header).
    static func tcpFragments(
        _ src: String, _ dst: String, _ sport: UInt16, _ dport: UInt16, _ flags: TCPFlags, id: UInt16
    ) -> (first: Frame, later: Frame) {
        let segment = PacketBuilder.tcp(
            src: src, dst: dst, sport: sport, dport: dport, flags: flags, [UInt8](repeating: 0x5a, count: 24))
        return fragments(src, dst, proto: 6, transport: segment, split: 24, id: id,
                         what: "tcp \(src):\(sport) > \(dst):\(dport) [\(flagText(flags))]")
    }

    /// A UDP datagram with 24 bytes of data, in two fragments.
    static func udpFragments(_ src: String, _ dst: String, _ sport: UInt16, _ dport: UInt16, id: UInt16) -> (first: Frame, later: Frame) {
        let datagram = PacketBuilder.udp(src: src, dst: dst, sport: sport, dport: dport, [UInt8](repeating: 0x5a, count: 24))
        return fragments(src, dst, proto: 17, transport: datagram, split: 16, id: id, what: "udp \(src):\(sport) > \(dst):\(dport)")
    }

    /// An ICMP / ICMPv6 echo request or reply with 24 bytes of data, in two fragments.
    static func echoFragments(_ src: String, _ dst: String, request: Bool, id: UInt16, seq: UInt16, fragmentID: UInt16) -> (first: Frame, later: Frame) {
        let v6 = isV6(src)
        let type: UInt8 = v6 ? (request ? 128 : 129) : (request ? 8 : 0)
        let body = [UInt8](repeating: 0x33, count: 24)
        let message = v6
            ? PacketBuilder.icmp(type: type, identifier: id, sequence: seq, body: body, v6: src, dst: dst)
            : PacketBuilder.icmp(type: type, identifier: id, sequence: seq, body: body)
        return fragments(src, dst, proto: v6 ? 58 : 1, transport: message, split: 16, id: fragmentID,
                         what: "\(v6 ? "icmpv6" : "icmp") echo-\(request ? "request" : "reply") \(src) > \(dst) id \(id) seq \(seq)")
    }

    /// A packet of another protocol (GRE, …) with 24 bytes of payload, in two fragments.
    static func otherFragments(_ src: String, _ dst: String, proto: UInt8, id: UInt16) -> (first: Frame, later: Frame) {
        fragments(src, dst, proto: proto, transport: [UInt8](repeating: 0x47, count: 24), split: 8, id: id,
                  what: "\(IPProtocol.name(proto) ?? "proto \(proto)") \(src) > \(dst)")
    }

    /// An ARP frame: not IP, so the decoder flags it and the frame is skipped.
    static func arp() -> Frame {
        let body: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + PacketBuilder.gatewayMAC + [10, 0, 1, 1] + [0, 0, 0, 0, 0, 0] + [10, 0, 1, 10]
        let bytes = PacketBuilder.ethernet(type: 0x0806, body)
        return Frame(packet: PacketBuilder.decode(bytes), ip: [], summary: "arp")
    }
}

/// Shorthands for building policies in tests.
enum PolicyKit {
    static func cidr(_ text: String) -> CIDR {
        guard let block = CIDR(parsing: text, allowingBareAddress: true) else { fatalError("bad CIDR \(text)") }
        return block
    }

    static func address(_ text: String) -> IPAddress {
        guard let a = IPAddress(parsing: text) else { fatalError("bad address \(text)") }
        return a
    }

    static func rule(
        _ id: String, _ group: String, _ direction: RuleDirection, _ traffic: Traffic, _ peer: String
    ) -> SecurityGroupRule {
        let p: Peer = peer.hasPrefix("pl-") ? .prefixList(peer) : peer.hasPrefix("sg-") ? .securityGroup(peer) : .cidr(cidr(peer))
        return SecurityGroupRule(id: id, groupID: group, direction: direction, traffic: traffic, peer: p)
    }

    static func instance(_ addresses: [String], subnets: [String] = [], groups: [String]) -> Instance {
        Instance(
            eniID: "eni-0test",
            addresses: addresses.map { Instance.Address(address($0), kind: .given) },
            subnetID: "subnet-0test", subnetCIDRs: subnets.map(cidr), groupIDs: groups)
    }
}
