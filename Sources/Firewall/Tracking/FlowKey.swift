import Packets

/// A tracked flow, the same for both directions (docs/semantics.md §5.2):
/// TCP/UDP (protocol, instance address, local port, peer address, remote port);
/// ICMP query/response (protocol, instance address, peer address, identifier);
/// other protocols (protocol, instance address, peer address).
///
/// 38 bytes of plain integers with a cheap hash: the flow table's key.
public struct FlowKey: Hashable, Sendable {
    public var instanceHigh: UInt64
    public var instanceLow: UInt64
    public var peerHigh: UInt64
    public var peerLow: UInt64
    /// TCP/UDP: the instance-side port; ICMP: the identifier; otherwise 0.
    public var localPort: UInt16
    /// TCP/UDP: the peer-side port; otherwise 0.
    public var remotePort: UInt16
    public var ipProtocol: UInt8
    public var version: UInt8

    @inlinable
    public init(ipProtocol: UInt8, instance: IPAddress, localPort: UInt16, peer: IPAddress, remotePort: UInt16) {
        instanceHigh = instance.high
        instanceLow = instance.low
        peerHigh = peer.high
        peerLow = peer.low
        self.localPort = localPort
        self.remotePort = remotePort
        self.ipProtocol = ipProtocol
        version = instance.version
    }

    /// The key of a packet by its own fields (docs/semantics.md §5.2): TCP/UDP by ports, ICMP by its echo
    /// identifier, other protocols by addresses alone. `instanceSent`: whether the instance is the
    /// packet's source, so its source port is the local one. Serves a frame and the header an ICMP
    /// error quotes alike.
    @inlinable @inline(__always)
    public init(
        ipProtocol: UInt8, instance: IPAddress, peer: IPAddress, instanceSent: Bool, sourcePort: UInt16,
        destinationPort: UInt16, icmpIdentifier: UInt16?
    ) {
        switch ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            self.init(
                ipProtocol: ipProtocol, instance: instance, localPort: instanceSent ? sourcePort : destinationPort,
                peer: peer, remotePort: instanceSent ? destinationPort : sourcePort)
        case IPProtocol.icmp, IPProtocol.icmpv6:
            self.init(ipProtocol: ipProtocol, instance: instance, localPort: icmpIdentifier ?? 0, peer: peer, remotePort: 0)
        default:
            self.init(ipProtocol: ipProtocol, instance: instance, localPort: 0, peer: peer, remotePort: 0)
        }
    }

    @inlinable public var instance: IPAddress {
        version == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: instanceLow)) : IPAddress(v6High: instanceHigh, low: instanceLow)
    }
    @inlinable public var peer: IPAddress {
        version == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: peerLow)) : IPAddress(v6High: peerHigh, low: peerLow)
    }

    /// Hashing for Swift's own sets and dictionaries (the summary's flow lists, ended flows): one
    /// word, not the 38 bytes of fields one by one.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fastHash)
    }

    /// A well-mixed 64-bit hash (xor-multiply rounds); cheaper than SipHash for a hot table.
    @inlinable
    public var fastHash: UInt64 {
        @inline(__always) func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
            var x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 29
            return x
        }
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        h = mix(h, instanceLow)
        h = mix(h, peerLow)
        h = mix(h, instanceHigh ^ (peerHigh &* 31))
        h = mix(h, UInt64(localPort) | UInt64(remotePort) << 16 | UInt64(ipProtocol) << 32 | UInt64(version) << 40)
        h ^= h >> 32
        return h &* 0xBF58_476D_1CE4_E5B9
    }
}
