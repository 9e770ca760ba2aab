import Packets
import Testing
import TestSupport

@Suite struct TransportTests {
    func v4(_ proto: UInt8, _ l4: [UInt8], wire: Int? = nil) -> DecodedPacket {
        B.decode(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: proto, l4), linkType: .rawIP, wireLength: wire)
    }

    @Test func tcpFlags() {
        let p = v4(6, B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, flags: [.syn, .ack]))
        #expect(p.tcpFlags == [.syn, .ack])
        let q = v4(6, B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, flags: [.fin, .psh, .ack, .rst, .urg]))
        #expect(q.tcpFlags.contains(.fin) && q.tcpFlags.contains(.rst) && q.tcpFlags.contains(.urg))
    }

    @Test func tcpCutAfterPortsKeepsPortsButIsTruncated() {
        let segment = B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.ack])
        let frame = Array(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, segment).prefix(28))
        let p = B.decode(frame, linkType: .rawIP, wireLength: 40)
        #expect(p.anomaly == .truncated(.tcp, needed: 20, captured: 8))
        #expect(p.hasPorts && p.sourcePort == 51514 && p.destinationPort == 22)
        #expect(p.anomaly?.description == "truncated: TCP header needs 20 bytes, only 8 captured")
    }

    @Test func tcpCutBeforePorts() {
        let frame = Array(synIPv4.prefix(22))
        let p = B.decode(frame, linkType: .rawIP, wireLength: 40)
        #expect(p.anomaly == .truncated(.tcp, needed: 4, captured: 2))
        #expect(!p.hasPorts)
    }

    @Test func tcpDataOffsetTooSmall() {
        let p = v4(6, B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, flags: [.ack], dataOffset: 3))
        #expect(p.anomaly == .badTCPDataOffset(3))
        #expect(p.hasPorts)
    }

    @Test func tcpHeaderLongerThanSegment() {
        let p = v4(6, B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, flags: [.ack], dataOffset: 15))
        #expect(p.anomaly == .tcpHeaderBeyondSegment(headerLength: 60, segment: 20))
    }

    @Test func udpPortsAndLength() {
        let p = v4(17, B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 33000, dport: 53, [1, 2, 3]))
        #expect(p.anomaly == nil && p.sourcePort == 33000 && p.destinationPort == 53)
        #expect(v4(17, B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, length: 4)).anomaly
            == .badUDPLength(length: 4, ipPayload: 8))
        #expect(v4(17, B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, length: 99)).anomaly
            == .badUDPLength(length: 99, ipPayload: 8))
    }

    @Test func truncatedUDPHeader() {
        let frame = Array(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 17, B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2)).prefix(26))
        let p = B.decode(frame, linkType: .rawIP, wireLength: 28)
        #expect(p.anomaly == .truncated(.udp, needed: 8, captured: 6))
        #expect(p.hasPorts)
    }

    @Test func icmpEchoHasTypeCodeAndIdentifier() {
        let p = v4(1, B.icmp(type: 8, identifier: 0x4242, sequence: 3, body: [1, 2, 3, 4]))
        #expect(p.anomaly == nil && p.hasICMP && p.icmpType == 8 && p.icmpCode == 0)
        #expect(p.hasICMPIdentifier && p.icmpIdentifier == 0x4242)
        #expect(!p.quoted.isPresent)
    }

    @Test func icmpTruncated() {
        let frame = Array(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 1, B.icmp(type: 8)).prefix(24))
        #expect(B.decode(frame, linkType: .rawIP, wireLength: 28).anomaly == .truncated(.icmp, needed: 8, captured: 4))
    }

    @Test func icmpErrorQuotesTheOriginalUDPHeader() {
        let original = B.ipv4(src: "10.0.0.5", dst: "198.51.100.7", proto: 17,
            B.udp(src: "10.0.0.5", dst: "198.51.100.7", sport: 40000, dport: 33434, [UInt8](repeating: 0, count: 12)))
        let p = v4(1, B.icmpError(type: 11, code: 0, quoting: original))
        #expect(p.anomaly == nil && p.icmpType == 11 && !p.hasICMPIdentifier)
        #expect(p.quoted.isPresent)
        #expect(p.quoted.src.description == "10.0.0.5" && p.quoted.dst.description == "198.51.100.7")
        #expect(p.quoted.ipProtocol == 17 && p.quoted.hasPorts)
        #expect(p.quoted.sourcePort == 40000 && p.quoted.destinationPort == 33434)
    }

    @Test func icmpErrorQuotingAnEcho() {
        let original = B.ipv4(src: "10.0.0.5", dst: "198.51.100.7", proto: 1, B.icmp(type: 8, identifier: 77, sequence: 1))
        let p = v4(1, B.icmpError(type: 3, code: 1, quoting: original))
        #expect(p.quoted.isPresent && p.quoted.ipProtocol == 1 && p.quoted.hasICMPIdentifier && p.quoted.icmpIdentifier == 77)
    }

    @Test func icmpErrorWithCutQuoteIsStillDecoded() {
        let p = v4(1, B.icmp(type: 3, code: 3, body: [0x45, 0, 0]))
        #expect(p.anomaly == nil && p.icmpType == 3 && !p.quoted.isPresent)
    }

    @Test func icmpv6EchoAndError() {
        let echo = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 58,
            B.icmp(type: 128, identifier: 5, sequence: 1, v6: "2001:db8::1", dst: "2001:db8::5"))
        let p = B.decode(echo, linkType: .rawIP)
        #expect(p.hasICMP && p.icmpType == 128 && p.icmpIdentifier == 5 && p.hasICMPIdentifier)

        let original = B.ipv6(src: "2001:db8::5", dst: "2001:db8::9", proto: 6,
            B.tcp(src: "2001:db8::5", dst: "2001:db8::9", sport: 1234, dport: 443, flags: [.syn]))
        let error = B.ipv6(src: "2001:db8::fe", dst: "2001:db8::5", proto: 58,
            B.icmpError(type: 1, code: 4, quoting: original, v6: "2001:db8::fe", dst: "2001:db8::5"))
        let q = B.decode(error, linkType: .rawIP)
        #expect(q.icmpType == 1 && q.quoted.isPresent && q.quoted.ipProtocol == 6)
        #expect(q.quoted.sourcePort == 1234 && q.quoted.destinationPort == 443)
        #expect(q.quoted.dst.description == "2001:db8::9")
    }

    @Test func neighborSolicitationHasNoIdentifier() {
        let ns = B.ipv6(src: "fe80::1", dst: "ff02::1:ff00:5", proto: 58, B.icmp(type: 135, body: [UInt8](repeating: 0, count: 16), v6: "fe80::1", dst: "ff02::1:ff00:5"))
        let p = B.decode(ns, linkType: .rawIP)
        #expect(p.anomaly == nil && p.icmpType == 135 && !p.hasICMPIdentifier)
    }
}

@Suite struct VXLANTests {
    let inner = B.ethernet(type: 0x0800, synIPv4)

    func mirrored(_ frame: [UInt8]) -> [UInt8] {
        let vxlan: [UInt8] = [0x08, 0, 0, 0, 0, 0, 0x2a, 0]  // I flag, VNI 42
        return B.ethernet(type: 0x0800, B.ipv4(src: "10.0.1.10", dst: "10.0.2.20", proto: 17,
            B.udp(src: "10.0.1.10", dst: "10.0.2.20", sport: 61000, dport: 4789, vxlan + frame)))
    }

    @Test func leftWrappedItIsFlagged() {
        let p = B.decode(mirrored(inner))
        #expect(p.anomaly == nil && p.looksLikeVXLAN && !p.decapsulated)
        #expect(p.src.description == "10.0.1.10" && p.destinationPort == 4789)
    }

    @Test func decapsulatedTheInnerPacketIsAnalysed() {
        let p = B.decode(mirrored(inner), decapsulateVXLAN: true)
        expectSYN(p)
        #expect(p.decapsulated && !p.looksLikeVXLAN)
        #expect(p.outerSource.description == "10.0.1.10" && p.outerDestination.description == "10.0.2.20")
    }

    @Test func truncatedInnerFrameIsReported() {
        let p = B.decode(mirrored(Array(inner.prefix(20))), decapsulateVXLAN: true)
        #expect(p.decapsulated)
        #expect(p.anomaly == .truncated(.ipv4, needed: 20, captured: 6))
    }
}
