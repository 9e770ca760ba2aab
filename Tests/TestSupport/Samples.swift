import Packets

public typealias B = PacketBuilder

/// A TCP SYN from a peer to the instance (203.0.113.1:51514 → 10.0.0.5:22), as an IPv4 packet.
public let synIPv4 = B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 6,
    B.tcp(src: "203.0.113.1", dst: "10.0.0.5", sport: 51514, dport: 22, flags: [.syn]))

/// A TCP SYN over IPv6 (2001:db8::1:40000 → 2001:db8::5:443).
public let synIPv6 = B.ipv6(src: "2001:db8::1", dst: "2001:db8::5", proto: 6,
    B.tcp(src: "2001:db8::1", dst: "2001:db8::5", sport: 40000, dport: 443, flags: [.syn]))
