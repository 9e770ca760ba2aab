import ArgumentParser
import Firewall
import Packets

/// The tracking table's allowance and every [choice] of docs/semantics.md, each with its default.
struct TrackingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The tracking table's allowance: live entries at most (default: unlimited, or the scenario's conntrack-max).", valueName: "n"))
    var conntrackMax: Int?

    @Option(help: "Flows already under way when the capture starts: tcp (a TCP flow whose first packet is not a SYN), all (every protocol's first packet), none.")
    var assumeEstablished: AssumeEstablishedArgument = .tcp

    @Option(help: ArgumentHelp("TCP established idle timeout (default: the ENI's TcpEstablishedTimeout, else 432000; AWS range 60-432000).", valueName: "seconds"))
    var timeoutTcpEstablished: Double?

    @Option(help: ArgumentHelp("UDP idle timeout, one-way or single request-response (default: the ENI's UdpTimeout, else 30).", valueName: "seconds"))
    var timeoutUdp: Double?

    @Option(help: ArgumentHelp("UDP stream idle timeout, from the second transaction (default: the ENI's UdpStreamTimeout, else 180).", valueName: "seconds"))
    var timeoutUdpStream: Double?

    @Option(help: ArgumentHelp("TCP handshake not completed ([choice], Linux syn_sent).", valueName: "seconds"))
    var timeoutTcpHandshake: Double = 120

    @Option(help: ArgumentHelp("TCP closing: both FINs, or a FIN then the other side's ACK ([choice]).", valueName: "seconds"))
    var timeoutTcpClosing: Double = 120

    @Option(help: ArgumentHelp("TCP after a RST ([choice]).", valueName: "seconds"))
    var timeoutTcpReset: Double = 10

    @Option(help: ArgumentHelp("ICMP and ICMPv6 ([choice], Linux icmp timeout).", valueName: "seconds"))
    var timeoutIcmp: Double = 30

    @Option(help: ArgumentHelp("Other IP protocols (AWS: 600).", valueName: "seconds"))
    var timeoutOther: Double = 600

    @Option(help: ArgumentHelp("More addresses that security groups do not filter, besides the link-local AWS services and DHCP (repeatable), e.g. the VPC resolver at base+2.", valueName: "cidr"))
    var exempt: [String] = []

    @Option(help: ArgumentHelp("Peers whose flows are always tracked, e.g. NAT gateways or load balancers (repeatable), or 'all'.", valueName: "cidr|all"))
    var autoTracked: [String] = []

    @Option(help: ArgumentHelp("Frames this close to an edit are marked timing-ambiguous: AWS applies edits after a short delay and CloudTrail times have one-second precision.", valueName: "seconds"))
    var editUncertainty: Double = 2

    enum AssumeEstablishedArgument: String, ExpressibleByArgument, CaseIterable {
        case tcp, all, none
    }

    func validate() throws {
        if let n = conntrackMax, n < 0 { throw ValidationError("--conntrack-max \(n): must be 0 or more") }
        let timeouts: [(String, Double?)] = [
            ("--timeout-tcp-established", timeoutTcpEstablished), ("--timeout-udp", timeoutUdp),
            ("--timeout-udp-stream", timeoutUdpStream), ("--timeout-tcp-handshake", timeoutTcpHandshake),
            ("--timeout-tcp-closing", timeoutTcpClosing), ("--timeout-tcp-reset", timeoutTcpReset),
            ("--timeout-icmp", timeoutIcmp), ("--timeout-other", timeoutOther),
        ]
        if !(editUncertainty >= 0 && editUncertainty < 1e6) {
            throw ValidationError("--edit-uncertainty \(editUncertainty): must be 0 or more seconds")
        }
        for (name, value) in timeouts {
            if let value, !(value > 0 && value < 1e9) { throw ValidationError("\(name) \(value): must be a positive number of seconds") }
        }
        for text in exempt where CIDR(parsing: text, allowingBareAddress: true) == nil {
            throw ValidationError("--exempt \(text): not a CIDR block or address")
        }
        for text in autoTracked where text != "all" && CIDR(parsing: text, allowingBareAddress: true) == nil {
            throw ValidationError("--auto-tracked \(text): not a CIDR block, address or 'all'")
        }
    }

    var engineOptions: EngineOptions {
        func duration(_ seconds: Double) -> Interval { Interval(nanoseconds: Int64((seconds * 1e9).rounded())) }
        var o = EngineOptions()
        o.conntrackMax = conntrackMax
        o.assumeEstablished = EngineOptions.AssumeEstablished(rawValue: assumeEstablished.rawValue) ?? .tcp
        o.tcpEstablishedOverride = timeoutTcpEstablished.map(duration)
        o.udpOverride = timeoutUdp.map(duration)
        o.udpStreamOverride = timeoutUdpStream.map(duration)
        o.timeouts.tcpNotEstablished = duration(timeoutTcpHandshake)
        o.timeouts.tcpClosing = duration(timeoutTcpClosing)
        o.timeouts.tcpAfterReset = duration(timeoutTcpReset)
        o.timeouts.icmp = duration(timeoutIcmp)
        o.timeouts.other = duration(timeoutOther)
        o.editUncertainty = duration(editUncertainty)
        o.exemptCIDRs = exempt.compactMap { CIDR(parsing: $0, allowingBareAddress: true) }
        o.trackAllPeers = autoTracked.contains("all")
        o.automaticallyTrackedPeers = autoTracked.filter { $0 != "all" }.compactMap { CIDR(parsing: $0, allowingBareAddress: true) }
        return o
    }
}
