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
        let counts = counter.counts, ipFrames = counter.ipFrames
        let ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        guard let best = ranked.first else { return nil }
        let shown = name ?? paths.joined(separator: ", ")
        if ranked.count > 1 && ranked[1].value == best.value {
            let tied = ranked.prefix { $0.value == best.value }.map(\.key.description)
            throw CaptureError(
                path: shown,
                message: "no instance address was given, and \(tied.prefix(3).joined(separator: " and "))"
                    + (tied.count > 3 ? " (and \(tied.count - 3) more)" : "")
                    + " are each seen in \(best.value) of the \(ipFrames) IP frames: cannot tell which is the instance; give --instance ADDR")
        }
        return (best.key, "no instance address was given: taking \(best.key), the address seen in the most frames "
            + "(\(best.value) of \(ipFrames) IP frames\(paths.count > 1 ? " of " + shown : "")); give --instance to be sure")
    }
}
