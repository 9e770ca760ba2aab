import Packets
import Testing
import TestSupport

@Suite struct IPv4Tests {
    @Test func optionsAreSkippedToTheTransportHeader() {
        let options: [UInt8] = [0x94, 0x04, 0x00, 0x00]  // router alert
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, options: options,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn]))
        expectSYN(B.decode(frame, linkType: .rawIP))
    }

    @Test func firstFragmentCarriesPorts() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 17, id: 77, dontFragment: false, moreFragments: true,
            B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 5353, dport: 53, length: 1480, [UInt8](repeating: 0, count: 16)))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.fragment == .first && p.fragmentID == 77)
        // The UDP length covers the whole datagram, beyond this fragment: that is not an error.
        #expect(p.hasPorts && p.destinationPort == 53)
        #expect(p.anomaly == nil)
    }

    @Test func laterFragmentHasNoPorts() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 17, id: 77, dontFragment: false,
            fragmentOffset: 185, [UInt8](repeating: 0, count: 100))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.anomaly == nil)
        #expect(p.fragment == .later && p.fragmentID == 77 && p.ipProtocol == 17)
        #expect(!p.hasPorts)
    }

    @Test func headerLengthBelowFiveWords() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, ihl: 4, [UInt8](repeating: 0, count: 20))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.anomaly == .badIPv4HeaderLength(4))
        #expect(p.anomaly?.description == "malformed-ip: IPv4 header length 4 words (minimum 5)")
        #expect(p.hasIP)  // the addresses are still reported
    }

    @Test func optionsCutBySnapshotLength() {
        let frame = Array(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, options: [1, 1, 1, 1, 1, 1, 1, 0], []).prefix(24))
        let p = B.decode(frame, linkType: .rawIP, wireLength: 60)
        #expect(p.anomaly == .truncated(.ipv4, needed: 28, captured: 24))
        #expect(p.hasIP && p.src.description == "203.0.113.1")
    }

    @Test func malformedOptionIsRejected() {
        // A security option claiming 40 bytes inside an 8-byte options area.
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, options: [130, 40, 0, 0, 0, 0, 0, 0], [UInt8](repeating: 0, count: 20))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.anomaly == .badIPv4Options)
        #expect(p.hasIP && !p.hasPorts)
        // Length 1 is below the minimum of 2.
        #expect(B.decode(B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, options: [7, 1, 0, 0], []), linkType: .rawIP).anomaly == .badIPv4Options)
    }

    @Test func totalLengthShorterThanHeader() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, totalLength: 12, [UInt8](repeating: 0, count: 20))
        #expect(B.decode(frame, linkType: .rawIP).anomaly == .badIPv4TotalLength(total: 12, headerLength: 20))
    }

    @Test func totalLengthBeyondTheWire() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, totalLength: 1500,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 1, dport: 2, flags: [.ack]))
        #expect(B.decode(frame, linkType: .rawIP).anomaly == .ipLengthBeyondFrame(.ipv4, declared: 1500, onWire: 40))
    }

    @Test func snaplenCutPayloadIsFine() {
        // A 1500-byte packet captured with a 54-byte snapshot: headers complete, payload cut.
        let full = B.ethernet(type: 0x0800, B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn], [UInt8](repeating: 7, count: 1446))))
        expectSYN(B.decode(Array(full.prefix(54)), wireLength: full.count))
    }

    @Test func zeroTotalLengthIsSegmentationOffload() {
        let frame = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6, totalLength: 0,
            B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn]))
        let p = B.decode(frame, linkType: .rawIP)
        expectSYN(p)
        #expect(p.ipLength == frame.count)
    }

    @Test func ethernetPaddingIsIgnored() {
        let frame = B.ethernet(type: 0x0800, synIPv4 + [0, 0, 0, 0, 0, 0])
        let p = B.decode(frame)
        expectSYN(p)
        #expect(p.ipLength == synIPv4.count)
    }

    @Test func otherProtocolsAreReportedByNumber() {
        for proto: UInt8 in [47, 50, 51, 132, 253] {
            let p = B.decode(B.ipv4(src: "10.0.0.5", dst: "198.51.100.7", proto: proto, [UInt8](repeating: 0, count: 24)), linkType: .rawIP)
            #expect(p.anomaly == nil && p.ipProtocol == proto && !p.hasPorts)
        }
    }
}

@Suite struct IPv6Tests {
    @Test func addressesAndPorts() {
        let p = B.decode(synIPv6, linkType: .rawIP)
        #expect(p.anomaly == nil)
        #expect(p.src.description == "2001:db8::1" && p.dst.description == "2001:db8::5")
        #expect(p.ipProtocol == 6 && p.sourcePort == 40000 && p.destinationPort == 443)
    }

    @Test func extensionHeadersAreFollowedToTheUpperLayer() {
        let chain: [B.Extension] = [.hopByHop, .routing, .destinationOptions, .authentication]
        let frame = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 17, extensions: chain,
            B.udp(src: "2001:db8::1", dst: "2001:db8::5", sport: 5000, dport: 53))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.anomaly == nil)
        #expect(p.ipProtocol == 17 && p.sourcePort == 5000 && p.destinationPort == 53)
    }

    @Test func firstFragmentCarriesPortsLaterDoesNot() {
        let first = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 58,
            extensions: [.fragment(offset: 0, more: true, id: 0xdead)],
            B.icmp(type: 128, identifier: 9, sequence: 1, body: [UInt8](repeating: 0, count: 32), v6: "2001:db8::1", dst: "2001:db8::5"))
        let p = B.decode(first, linkType: .rawIP)
        #expect(p.fragment == .first && p.fragmentID == 0xdead && p.ipProtocol == 58)
        #expect(p.hasICMPIdentifier && p.icmpIdentifier == 9)

        let later = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 58,
            extensions: [.fragment(offset: 100, more: false, id: 0xdead)], [UInt8](repeating: 0, count: 64))
        let q = B.decode(later, linkType: .rawIP)
        #expect(q.anomaly == nil && q.fragment == .later && q.ipProtocol == 58 && !q.hasICMP)
    }

    @Test func atomicFragmentIsWhole() {
        let frame = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 6,
            extensions: [.fragment(offset: 0, more: false, id: 1)],
            B.tcp(src: "2001:db8::1", dst: "2001:db8::5", sport: 1, dport: 2, flags: [.ack]))
        let p = B.decode(frame, linkType: .rawIP)
        #expect(p.fragment == .whole && p.hasPorts)
    }

    @Test func truncatedExtensionHeader() {
        let frame = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 6, extensions: [.hopByHop], [])
        let p = B.decode(Array(frame.prefix(44)), linkType: .rawIP, wireLength: 48)
        #expect(p.anomaly == .truncated(.ipv6Extension, needed: 8, captured: 4))
        #expect(p.hasIP)
    }

    @Test func extensionHeaderBeyondPayloadLength() {
        let frame = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 6, extensions: [.hopByHop], payloadLength: 4, [])
        #expect(B.decode(frame, linkType: .rawIP).anomaly == .extensionHeaderBeyondPayload)
    }

    @Test func payloadLengthBeyondTheWire() {
        let frame = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 59, payloadLength: 100, [])
        #expect(B.decode(frame, linkType: .rawIP).anomaly == .ipLengthBeyondFrame(.ipv6, declared: 140, onWire: 40))
    }

    @Test func truncatedFixedHeader() {
        #expect(B.decode(Array(synIPv6.prefix(30)), linkType: .rawIP).anomaly == .truncated(.ipv6, needed: 40, captured: 30))
    }
}
