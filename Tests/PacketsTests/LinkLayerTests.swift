import Packets
import Testing
import TestSupport

func expectSYN(_ p: DecodedPacket, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(p.anomaly == nil, sourceLocation: sourceLocation)
    #expect(p.hasIP, sourceLocation: sourceLocation)
    #expect(p.src.description == "203.0.113.1", sourceLocation: sourceLocation)
    #expect(p.dst.description == "10.0.0.5", sourceLocation: sourceLocation)
    #expect(p.ipProtocol == 6, sourceLocation: sourceLocation)
    #expect(p.sourcePort == 51514 && p.destinationPort == 22, sourceLocation: sourceLocation)
    #expect(p.tcpFlags == [.syn], sourceLocation: sourceLocation)
}

@Suite struct LinkLayerTests {
    @Test func ethernetCarriesIPv4() {
        expectSYN(B.decode(B.ethernet(type: 0x0800, synIPv4)))
    }

    @Test func singleVLANTagIsSkippedOver() {
        expectSYN(B.decode(B.ethernet(tags: [(0x8100, 100)], type: 0x0800, synIPv4)))
    }

    @Test(arguments: [UInt16(0x88a8), 0x9100, 0x9200])
    func stackedQinQTagsAreSkippedOver(outer: UInt16) {
        expectSYN(B.decode(B.ethernet(tags: [(outer, 10), (0x8100, 20)], type: 0x0800, synIPv4)))
    }

    @Test func threeStackedTags() {
        expectSYN(B.decode(B.ethernet(tags: [(0x88a8, 1), (0x8100, 2), (0x8100, 3)], type: 0x0800, synIPv4)))
    }

    @Test func truncatedVLANTagIsReported() {
        let frame = Array(B.ethernet(tags: [(0x8100, 100)], type: 0x0800, synIPv4).prefix(16))
        let p = B.decode(frame)
        #expect(p.anomaly == .truncated(.vlan, needed: 4, captured: 2))
        #expect(!p.hasIP)
    }

    @Test func arpIsNotIP() {
        let p = B.decode(B.ethernet(type: 0x0806, [UInt8](repeating: 0, count: 28)))
        #expect(p.anomaly == .notIP(etherType: 0x0806))
        #expect(p.anomaly?.description == "not-ip: EtherType 0x0806 (ARP)")
    }

    @Test func llcFrameIsNotIP() {
        // 802.3 length field, then LLC for spanning tree (DSAP/SSAP 0x42).
        let p = B.decode(B.ethernet(type: 38, [0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35)))
        #expect(p.anomaly == .llcNotIP)
    }

    @Test func snapEncapsulatedIPIsDecoded() {
        let snap: [UInt8] = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]
        expectSYN(B.decode(B.ethernet(type: UInt16(snap.count + synIPv4.count), snap + synIPv4)))
    }

    @Test func mplsLabelStackCarriesIPv4() {
        // Two labels, the second with the bottom-of-stack bit.
        let labels: [UInt8] = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]
        expectSYN(B.decode(B.ethernet(type: 0x8847, labels + synIPv4)))
    }

    @Test func pppoeSessionCarriesIPv4() {
        let pppoe: [UInt8] = [0x11, 0x00, 0x00, 0x01] + B.be16(UInt16(synIPv4.count + 2)) + [0x00, 0x21]
        expectSYN(B.decode(B.ethernet(type: 0x8864, pppoe + synIPv4)))
        let lcp: [UInt8] = [0x11, 0x00, 0x00, 0x01, 0x00, 0x06, 0xc0, 0x21, 1, 1, 0, 4]
        #expect(B.decode(B.ethernet(type: 0x8864, lcp)).anomaly == .pppNotIP(0xc021))
    }

    @Test func truncatedEthernetHeader() {
        #expect(B.decode([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).anomaly == .truncated(.ethernet, needed: 14, captured: 10))
        #expect(B.decode([]).anomaly == .truncated(.ethernet, needed: 14, captured: 0))
    }

    @Test func linuxCookedCarriesIPv4AndIPv6() {
        expectSYN(B.decode(B.linuxCooked(protocolType: 0x0800, synIPv4), linkType: .linuxCooked))
        let p = B.decode(B.linuxCooked(protocolType: 0x86dd, synIPv6), linkType: .linuxCooked)
        #expect(p.anomaly == nil && p.src.description == "2001:db8::1" && p.destinationPort == 443)
        #expect(B.decode(Array(B.linuxCooked(protocolType: 0x0800, []).prefix(12)), linkType: .linuxCooked).anomaly
            == .truncated(.linuxCooked, needed: 16, captured: 12))
    }

    @Test func linuxCooked2CarriesIPv4() {
        expectSYN(B.decode(B.linuxCooked2(protocolType: 0x0800, synIPv4), linkType: .linuxCooked2))
        #expect(B.decode(B.linuxCooked2(protocolType: 0x0806, []), linkType: .linuxCooked2).anomaly
            == .notIP(etherType: 0x0806))
    }

    @Test func rawIPTellsVersionsApart() {
        expectSYN(B.decode(synIPv4, linkType: .rawIP))
        #expect(B.decode(synIPv6, linkType: .rawIP).src.isIPv6)
        expectSYN(B.decode(synIPv4, linkType: .rawIPv4))
        #expect(B.decode(synIPv6, linkType: .rawIPv6).destinationPort == 443)
        #expect(B.decode([0x50] + synIPv4.dropFirst(), linkType: .rawIP).anomaly == .badIPVersion(5))
        // As in Wireshark, the version nibble wins over what the link type promises.
        #expect(B.decode(synIPv6, linkType: .rawIPv4).src.description == "2001:db8::1")
    }

    @Test func rawLinkTypeVariantsMapToRawIP() {
        #expect(LinkType(dlt: 12) == .rawIP)
        #expect(LinkType(dlt: 14) == .rawIP)
        #expect(LinkType(dlt: 101) == .rawIP)
        #expect(LinkType(dlt: 228) == .rawIPv4)
        #expect(LinkType(dlt: 229) == .rawIPv6)
        #expect(LinkType(dlt: 127) == .other(127))
        #expect(!LinkType(dlt: 127).isSupported)
    }

    @Test(arguments: [UInt32(2), 24, 28, 30])
    func nullLoopbackFamiliesInEitherByteOrder(family: UInt32) {
        let payload = family == 2 ? synIPv4 : synIPv6
        for bigEndian in [false, true] {
            let p = B.decode(B.loopback(family: family, bigEndian: bigEndian, payload), linkType: .null)
            #expect(p.anomaly == nil && p.hasPorts)
        }
        let loop = B.decode(B.loopback(family: family, bigEndian: true, payload), linkType: .loop)
        #expect(loop.anomaly == nil)
    }

    @Test func etherTypeInsteadOfAFamilyInANullHeader() {
        // Some writers store 0x0f000800: an EtherType in the low 16 bits (PcapPlusPlus' null_loopback.pcap).
        expectSYN(B.decode([0x0f, 0x00, 0x08, 0x00] + synIPv4, linkType: .null))
    }

    @Test func mplsPseudowireCarriesEthernet() {
        let labels: [UInt8] = [0x00, 0x01, 0x01, 0x40]
        let controlWord: [UInt8] = [0, 0, 0, 0]
        expectSYN(B.decode(B.ethernet(type: 0x8847, labels + controlWord + B.ethernet(type: 0x0800, synIPv4))))
    }

    @Test func providerBackboneVNTagETagAndMACsecAreUnwrapped() {
        let pbb = B.ethernet(type: 0x88e7, [0, 0, 0, 1] + B.ethernet(type: 0x0800, synIPv4))
        expectSYN(B.decode(pbb))
        expectSYN(B.decode(B.ethernet(type: 0x8926, [0, 0, 0, 0] + B.be16(0x0800) + synIPv4)))
        expectSYN(B.decode(B.ethernet(type: 0x893f, [0, 0, 0, 0, 0, 0] + B.be16(0x0800) + synIPv4)))
        expectSYN(B.decode(B.ethernet(type: 0x88e5, [0x20, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 8) + B.be16(0x0800) + synIPv4)))
        // Encrypted MACsec hides the payload.
        #expect(B.decode(B.ethernet(type: 0x88e5, [0x2c, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 40))).anomaly == .notIP(etherType: 0x88e5))
    }

    @Test func unknownLoopbackFamily() {
        #expect(B.decode(B.loopback(family: 7, synIPv4), linkType: .null).anomaly == .unknownAddressFamily(7))
    }
}
