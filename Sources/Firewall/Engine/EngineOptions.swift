import Packets

/// Every setting the replay depends on that is not in the policy files: the [choice]s of
/// docs/semantics.md, each with its default, all overridable from the command line and shown in the
/// summary so a reader sees the assumptions.
///
///     var options = EngineOptions()
///     options.conntrackMax = 50_000
///     options.timeouts.icmp = .seconds(60)
public struct EngineOptions: Hashable, Sendable {
    /// Which flows seen mid-stream are taken as established before the capture (docs/semantics.md §5.3).
    public var assumeEstablished: AssumeEstablished = .tcp
    /// The tracking table's allowance; nil is unlimited. Overrides the policy's `conntrack-max`.
    public var conntrackMax: Int? = nil
    /// Idle timeouts. The three AWS ones come from the policy (ConnectionTrackingConfiguration)
    /// unless set here; the others are [choice]s.
    public var timeouts = Timeouts()
    /// Set from the command line: these win over the policy's ConnectionTrackingConfiguration.
    public var tcpEstablishedOverride: Interval? = nil
    public var udpOverride: Interval? = nil
    public var udpStreamOverride: Interval? = nil
    /// More blocks AWS does not filter (besides the link-local services and DHCP), e.g. the VPC's
    /// base+2 resolver. Added to the policy's `exempt`.
    public var exemptCIDRs: [CIDR] = []
    /// Peers whose flows are always tracked (NAT gateways, load balancers), added to the policy's.
    public var automaticallyTrackedPeers: [CIDR] = []
    /// Every flow is tracked, whatever the rules (docs/semantics.md §5.1 item 4, "all").
    public var trackAllPeers = false
    /// Frames this close to an edit (either side) are marked timing-ambiguous.
    public var editUncertainty: Interval = .seconds(2)
    /// What-if: connections that end at an instant (a restarted service, reset sessions): their
    /// tracking entries go, and the instance sends nothing more on them, so its later packets of
    /// these flows in the capture are taken as not sent (dropped, creating nothing).
    public var connectionResets: [ConnectionReset] = []

    public struct ConnectionReset: Hashable, Sendable {
        public var time: Timestamp
        public var flows: [FlowKey]
        public init(time: Timestamp, flows: [FlowKey]) {
            self.time = time
            self.flows = flows
        }
    }

    public init() {}

    public enum AssumeEstablished: String, Hashable, Sendable, CaseIterable {
        /// A TCP flow whose first captured packet is not a SYN was established before the capture.
        case tcp
        /// The same for every protocol's first packet.
        case all
        /// Nothing existed before the capture.
        case none
    }

    /// Idle timeouts per flow state (docs/semantics.md §5.4).
    public struct Timeouts: Hashable, Sendable {
        /// TCP established: AWS TcpEstablishedTimeout, 432000 s (5 days; 350 s on Nitro v6).
        public var tcpEstablished: Interval = .seconds(432_000)
        /// UDP seen one way, or a single request-response: AWS UdpTimeout, 30 s.
        public var udp: Interval = .seconds(30)
        /// UDP stream (from the second completed transaction): AWS UdpStreamTimeout, 180 s.
        public var udpStream: Interval = .seconds(180)
        /// [choice] TCP SYN seen, handshake incomplete: 120 s (Linux nf_conntrack syn_sent).
        public var tcpNotEstablished: Interval = .seconds(120)
        /// [choice] TCP closing (both FINs, or a FIN then the other side's ACK): 120 s (Linux fin_wait/time_wait).
        public var tcpClosing: Interval = .seconds(120)
        /// [choice] TCP after a RST: 10 s (Linux close).
        public var tcpAfterReset: Interval = .seconds(10)
        /// [choice] ICMP and ICMPv6: 30 s (Linux icmp timeout; seed 001).
        public var icmp: Interval = .seconds(30)
        /// Other protocols: 600 s (seed 000).
        public var other: Interval = .seconds(600)

        public init() {}
    }
}

/// The link-local services and DHCP that security groups do not filter (docs/semantics.md §5.6 [choice]).
public enum AWSExempt {
    /// Instance metadata, Time Sync and the Amazon DNS resolver, IPv4 and IPv6.
    public static let addresses: [IPAddress] = [
        "169.254.169.254", "169.254.169.123", "169.254.169.253", "fd00:ec2::254", "fd00:ec2::123", "fd00:ec2::253",
    ].compactMap { IPAddress(parsing: $0) }
    /// A cheap first test: 169.254.169.0/24 or fd00:ec2::/32, where every service address lies.
    @inline(__always)
    static func mayBeService(_ a: IPAddress) -> Bool {
        a.isIPv4 ? a.v4 & 0xffff_ff00 == 0xa9fe_a900 : a.high >> 32 == 0xfd00_0ec2
    }

    /// DHCP: a UDP packet with either port 67 or 68.
    public static let dhcpPorts: [UInt16] = [67, 68]
}

extension EngineOptions {
    /// Every setting and [choice] in force, as (name, value), for summaries and reports.
    public func assumptions(for policy: Policy) -> [(String, String)] {
        let t = Engine.timeouts(policy, self)
        func seconds(_ d: Interval) -> String {
            let s = d.nanoseconds / 1_000_000_000, rest = d.nanoseconds % 1_000_000_000
            return rest == 0 ? "\(s) s" : "\(Double(d.nanoseconds) / 1e9) s"
        }
        let max = conntrackMax ?? policy.tracking.conntrackMax
        let exempt = (policy.tracking.exemptCIDRs + exemptCIDRs).map(\.description)
        let tracked = (policy.tracking.automaticallyTrackedPeers + automaticallyTrackedPeers).map(\.description)
        return [
            ("conntrack-max", max.map(String.init) ?? "unlimited"),
            ("assume-established", assumeEstablished.rawValue),
            ("timeout-tcp-established", seconds(t.tcpEstablished)),
            ("timeout-udp", seconds(t.udp)),
            ("timeout-udp-stream", seconds(t.udpStream)),
            ("timeout-tcp-handshake", seconds(t.tcpNotEstablished)),
            ("timeout-tcp-closing", seconds(t.tcpClosing)),
            ("timeout-tcp-reset", seconds(t.tcpAfterReset)),
            ("timeout-icmp", seconds(t.icmp)),
            ("timeout-other", seconds(t.other)),
            ("untracked-needs", "literal 0.0.0.0/0 or ::/0 rules"),
            ("exempt", (["link-local AWS services", "DHCP"] + exempt).joined(separator: " + ")),
            ("edit-uncertainty", seconds(editUncertainty)),
            ("auto-tracked", trackAllPeers || policy.tracking.trackAllPeers ? "all" : (tracked.isEmpty ? "none" : tracked.joined(separator: " "))),
        ]
    }
}
