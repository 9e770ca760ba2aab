import Packets

/// Idle timeout per connection state, in nanoseconds: the docs/semantics.md §5.4 table as data.
///
/// AWS documents TcpEstablishedTimeout (default 432000 s, 60–432000), UdpTimeout (30 s, 30–60) and
/// UdpStreamTimeout (180 s, 60–180) in ConnectionTrackingConfiguration
/// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html);
/// the rest are [choice]s taken from Linux nf_conntrack and the seeds, see `EngineOptions.Timeouts`.
struct TimeoutTable: Sendable {
    private var values: [Int64]

    init(_ timeouts: EngineOptions.Timeouts) {
        values = [Int64](repeating: 0, count: 8)
        values[Int(Connection.State.tcpNotEstablished.rawValue)] = timeouts.tcpNotEstablished.nanoseconds
        values[Int(Connection.State.tcpEstablished.rawValue)] = timeouts.tcpEstablished.nanoseconds
        values[Int(Connection.State.tcpClosing.rawValue)] = timeouts.tcpClosing.nanoseconds
        values[Int(Connection.State.tcpAfterReset.rawValue)] = timeouts.tcpAfterReset.nanoseconds
        values[Int(Connection.State.udp.rawValue)] = timeouts.udp.nanoseconds
        values[Int(Connection.State.udpStream.rawValue)] = timeouts.udpStream.nanoseconds
        values[Int(Connection.State.icmp.rawValue)] = timeouts.icmp.nanoseconds
        values[Int(Connection.State.other.rawValue)] = timeouts.other.nanoseconds
    }

    @inline(__always)
    subscript(state: Connection.State) -> Int64 { values[Int(state.rawValue)] }

    /// The instant the entry expires if no permitted packet comes: `lastSeen + timeout(state)`.
    @inline(__always)
    func expiry(of c: Connection) -> Int64 { c.lastSeen &+ self[c.state] }
}
