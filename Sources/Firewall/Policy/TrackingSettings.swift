import Packets

/// The connection-tracking settings a policy carries (docs/semantics.md §5.4–5.6).
///
///     var settings = TrackingSettings()
///     settings.timeouts.tcpEstablished = .seconds(350)      // Nitro v6 style
///     settings.conntrackMax = 50_000
///
/// Timeouts default to AWS's documented values; the other settings are the model's [choice]s and
/// default to "off" (unlimited table, no extra tracked peers, no extra exempt blocks).
public struct TrackingSettings: Hashable, Sendable {
    public var timeouts: ConnectionTrackingTimeouts
    /// The tracking table's allowance; nil is unlimited (docs/semantics.md §5.5).
    public var conntrackMax: Int?
    /// Peers whose flows are always tracked (NAT gateways, load balancers…), docs/semantics.md §5.1 item 4.
    public var automaticallyTrackedPeers: [CIDR]
    /// "all": every flow is tracked, whatever the rules say.
    public var trackAllPeers: Bool
    /// More blocks AWS does not filter, besides the built-in link-local services (docs/semantics.md §5.6).
    public var exemptCIDRs: [CIDR]

    public init(
        timeouts: ConnectionTrackingTimeouts = ConnectionTrackingTimeouts(), conntrackMax: Int? = nil,
        automaticallyTrackedPeers: [CIDR] = [], trackAllPeers: Bool = false, exemptCIDRs: [CIDR] = []
    ) {
        self.timeouts = timeouts
        self.conntrackMax = conntrackMax
        self.automaticallyTrackedPeers = automaticallyTrackedPeers
        self.trackAllPeers = trackAllPeers
        self.exemptCIDRs = exemptCIDRs
    }
}

/// The three idle timeouts an interface's ConnectionTrackingConfiguration sets.
///
/// AWS documents the defaults and ranges: TcpEstablishedTimeout 432000 s (60–432000), UdpTimeout
/// 30 s (30–60), UdpStreamTimeout 180 s (60–180).
/// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html
public struct ConnectionTrackingTimeouts: Hashable, Sendable {
    public var tcpEstablished: Interval
    public var udp: Interval
    public var udpStream: Interval

    public init(
        tcpEstablished: Interval = .seconds(432_000), udp: Interval = .seconds(30), udpStream: Interval = .seconds(180)
    ) {
        self.tcpEstablished = tcpEstablished
        self.udp = udp
        self.udpStream = udpStream
    }

    /// AWS's accepted values in seconds.
    public static let tcpEstablishedRange: ClosedRange<Int64> = 60...432_000
    public static let udpRange: ClosedRange<Int64> = 30...60
    public static let udpStreamRange: ClosedRange<Int64> = 60...180
}

/// A change to some of the timeouts (nil: unchanged), as ModifyNetworkInterfaceAttribute makes.
public struct TimeoutChange: Hashable, Sendable {
    public var tcpEstablished: Interval?
    public var udp: Interval?
    public var udpStream: Interval?

    public init(tcpEstablished: Interval? = nil, udp: Interval? = nil, udpStream: Interval? = nil) {
        self.tcpEstablished = tcpEstablished
        self.udp = udp
        self.udpStream = udpStream
    }

    public var isEmpty: Bool { tcpEstablished == nil && udp == nil && udpStream == nil }
}

extension ConnectionTrackingTimeouts: CustomStringConvertible {
    public var description: String {
        "tcp-established \(tcpEstablished.nanoseconds / 1_000_000_000) s, udp \(udp.nanoseconds / 1_000_000_000) s, "
            + "udp-stream \(udpStream.nanoseconds / 1_000_000_000) s"
    }
}

extension TimeoutChange: CustomStringConvertible {
    public var description: String {
        var parts: [String] = []
        if let t = tcpEstablished { parts.append("tcp-established \(t.nanoseconds / 1_000_000_000) s") }
        if let t = udp { parts.append("udp \(t.nanoseconds / 1_000_000_000) s") }
        if let t = udpStream { parts.append("udp-stream \(t.nanoseconds / 1_000_000_000) s") }
        return parts.isEmpty ? "no change" : parts.joined(separator: ", ")
    }
}
