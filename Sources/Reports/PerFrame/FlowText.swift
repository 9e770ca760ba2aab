import Firewall
import Packets

/// A readable flow id, `tcp 203.0.113.1:51514 > 10.0.0.5:22`: protocol, then the two endpoints in
/// the order given (ports only for TCP and UDP; `icmp … id 7` for echo flows).
public struct FlowText: Sendable {
    public var ipProtocol: UInt8
    public var from: IPAddress
    public var fromPort: UInt16
    public var to: IPAddress
    public var toPort: UInt16
    public var hasPorts: Bool
    public var icmpIdentifier: UInt16?

    public init(
        ipProtocol: UInt8, from: IPAddress, fromPort: UInt16 = 0, to: IPAddress, toPort: UInt16 = 0,
        hasPorts: Bool, icmpIdentifier: UInt16? = nil
    ) {
        self.ipProtocol = ipProtocol
        self.from = from
        self.fromPort = fromPort
        self.to = to
        self.toPort = toPort
        self.hasPorts = hasPorts
        self.icmpIdentifier = icmpIdentifier
    }

    public func append(to out: inout [UInt8]) {
        if let name = IPProtocol.name(ipProtocol) {
            out.append(contentsOf: name.utf8)
        } else {
            out.appendASCII("proto-")
            out.appendDecimal(Int(ipProtocol))
        }
        out.append(32)
        appendEndpoint(from, fromPort, to: &out)
        out.appendASCII(" > ")
        appendEndpoint(to, toPort, to: &out)
        if let icmpIdentifier {
            out.appendASCII(" id ")
            out.appendDecimal(Int(icmpIdentifier))
        }
    }

    private func appendEndpoint(_ a: IPAddress, _ port: UInt16, to out: inout [UInt8]) {
        if hasPorts && a.isIPv6 {
            out.append(91); out.appendAddress(a); out.append(93)
        } else {
            out.appendAddress(a)
        }
        if hasPorts {
            out.append(58)
            out.appendDecimal(Int(port))
        }
    }

    public var description: String {
        var out: [UInt8] = []
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
