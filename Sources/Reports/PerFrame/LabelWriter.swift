import Firewall
import Packets

/// Writes the per-frame labels of INTERFACE.md as JSON Lines, one object per captured frame, in
/// capture order. Formats straight into the output buffer: no `String` or Foundation per frame.
///
///     {"frame":1,"verdict":"skipped","time":"2023-11-14T22:13:20.000000000Z","direction":null,
///      "flow":null,"reason":"not-ip: EtherType 0x0806 (ARP)","src":null,"dst":null,"protocol":null,
///      "sport":null,"dport":null}
public struct LabelWriter {
    public let output: OutputFile

    public init(output: OutputFile) {
        self.output = output
    }

    /// One frame's label. `flow` is written by `writeFlow` when the frame was evaluated.
    public func write(
        frame: Int, time: Timestamp, verdict: Verdict, direction: Direction?,
        flow: FlowText?, reason: some StringProtocol, packet: borrowing DecodedPacket, timingAmbiguous: Bool = false
    ) {
        var out = output.buffer
        output.buffer = []  // take the buffer to append in place without a copy
        start(frame: frame, time: time, verdict: verdict, direction: direction, flow: flow, &out)
        out.appendASCII(",\"reason\":")
        JSON.appendString(String(reason), to: &out)
        finish(packet: packet, timingAmbiguous: timingAmbiguous, &out)
    }

    private func start(
        frame: Int, time: Timestamp, verdict: Verdict, direction: Direction?, flow: FlowText?, _ out: inout [UInt8]
    ) {
        out.appendASCII("{\"frame\":")
        out.appendDecimal(frame)
        out.appendASCII(",\"verdict\":\"")
        out.append(contentsOf: verdict.label.utf8)
        out.appendASCII("\",\"time\":\"")
        time.appendRFC3339(to: &out)
        out.appendASCII("\",\"direction\":")
        if let direction {
            out.append(34); out.append(contentsOf: direction.label.utf8); out.append(34)
        } else {
            out.appendASCII("null")
        }
        out.appendASCII(",\"flow\":")
        if let flow {
            out.append(34)
            flow.append(to: &out)
            out.append(34)
        } else {
            out.appendASCII("null")
        }
    }

    /// The same with the reason as UTF-8 bytes (`Engine.appendReason`): no `String` per frame.
    public func write(
        frame: Int, time: Timestamp, verdict: Verdict, direction: Direction?,
        flow: FlowText?, reasonBytes reason: [UInt8], packet: borrowing DecodedPacket, timingAmbiguous: Bool = false
    ) {
        var out = output.buffer
        output.buffer = []
        start(frame: frame, time: time, verdict: verdict, direction: direction, flow: flow, &out)
        out.appendASCII(",\"reason\":")
        JSON.appendString(bytes: reason, to: &out)
        finish(packet: packet, timingAmbiguous: timingAmbiguous, &out)
    }

    private func finish(packet: borrowing DecodedPacket, timingAmbiguous: Bool, _ out: inout [UInt8]) {
        if packet.hasIP {
            out.appendASCII(",\"src\":\"")
            out.appendAddress(packet.src)
            out.appendASCII("\",\"dst\":\"")
            out.appendAddress(packet.dst)
            out.appendASCII("\",\"protocol\":")
            out.appendDecimal(Int(packet.ipProtocol))
        } else {
            out.appendASCII(",\"src\":null,\"dst\":null,\"protocol\":null")
        }
        if packet.hasPorts {
            out.appendASCII(",\"sport\":")
            out.appendDecimal(Int(packet.sourcePort))
            out.appendASCII(",\"dport\":")
            out.appendDecimal(Int(packet.destinationPort))
        } else {
            out.appendASCII(",\"sport\":null,\"dport\":null")
        }
        out.appendASCII(timingAmbiguous ? ",\"timing_ambiguous\":true" : ",\"timing_ambiguous\":false")
        if packet.decapsulated {
            out.appendASCII(",\"outer_src\":\"")
            out.appendAddress(packet.outerSource)
            out.appendASCII("\",\"outer_dst\":\"")
            out.appendAddress(packet.outerDestination)
            out.append(34)
        }
        out.appendASCII("}\n")
        output.buffer = out
        output.flushIfFull()
    }
}
