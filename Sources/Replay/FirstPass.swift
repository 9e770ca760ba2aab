import Capture
import Firewall
import Packets
import Reports

/// The passes before the main one: the instance's address when none was given, and the engine's
/// first pass (flows under way at the start, the allowance).
enum FirstPass {
    /// Captures up to this size get the (exact) first pass even without an allowance.
    static let sizeLimit = 64 << 20

    /// Whether the first pass runs over captures of `bytes` in all: with an allowance it is needed;
    /// without one it only settles rare cases, so it runs when a second read costs nothing noticeable.
    static func runs(for engine: Engine, bytes: Int) -> Bool {
        engine.needsFirstPass || (engine.firstPassHelps && bytes <= sizeLimit)
    }

    /// The first pass over captures of one timeline, in order.
    static func run(
        _ engine: inout Engine, over paths: [String], _ options: Analysis.Options, sink: any ProgressSink, show: Bool
    ) throws(CaptureError) {
        /// Each packet to the engine, in place (a copy of the engine would copy its tables once).
        struct Visitor: PacketVisitor {
            let engine: UnsafeMutablePointer<Engine>
            @inline(__always)
            func packet(_ packet: DecodedPacket, time: Timestamp) { engine.pointee.firstPass(packet, time: time) }
        }
        try withUnsafeMutablePointer(to: &engine) { (pointer) throws(CaptureError) in
            var visitor = Visitor(engine: pointer)
            for path in paths {
                try FrameLoop.decode(path, options, label: show ? "first pass: " : "", sink: sink, show: show, &visitor)
            }
        }
        engine.finishFirstPass()
    }

    /// The address seen in the most frames (source or destination) of captures read in order (one
    /// timeline), with the sentence that says so (INTERFACE.md). Addresses no interface can have
    /// (unspecified, broadcast, multicast, loopback, IPv4 link-local) are not candidates. Two
    /// addresses tied for the most are an error naming both: guessing the instance would judge
    /// every frame from the wrong side.
    static func mostSeenAddress(
        _ paths: [String], _ options: Analysis.Options, sink: any ProgressSink, show: Bool, name: String? = nil
    ) throws(CaptureError) -> (address: IPAddress, text: String)? {
        /// Frames per address, of the IP frames.
        struct Counter: PacketVisitor {
            var counts: [IPAddress: Int] = [:]
            var ipFrames = 0
            mutating func packet(_ packet: DecodedPacket, time: Timestamp) {
                guard packet.hasIP else { return }
                ipFrames += 1
                if packet.src.couldBeAnInterfaceAddress { counts[packet.src, default: 0] += 1 }
                if packet.dst != packet.src && packet.dst.couldBeAnInterfaceAddress { counts[packet.dst, default: 0] += 1 }
            }
        }
        var counter = Counter()
        for path in paths {
            try FrameLoop.decode(path, options, label: "finding the instance address: ", sink: sink, show: show, &counter)
        }
        let ipFrames = counter.ipFrames
        guard let most = counter.counts.values.max() else { return nil }
        // The addresses seen that often, in address order (a capture may hold hundreds of thousands).
        let tied = counter.counts.compactMap { $0.value == most ? $0.key : nil }.sorted()
        let shown = name ?? paths.joined(separator: ", ")
        guard tied.count == 1 else {
            throw CaptureError(
                path: shown,
                message: "no instance address was given, and \(tied.prefix(3).map(\.description).joined(separator: " and "))"
                    + (tied.count > 3 ? " (and \(tied.count - 3) more)" : "")
                    + " are each seen in \(most) of the \(ipFrames) IP frames: cannot tell which is the instance; give --instance ADDR")
        }
        return (tied[0], "no instance address was given: taking \(tied[0]), the address seen in the most frames "
            + "(\(most) of \(ipFrames) IP frames\(paths.count > 1 ? " of " + shown : "")); give --instance to be sure")
    }
}
