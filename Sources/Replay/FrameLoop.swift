#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Packets
import Reports

/// What a pass does with each record of a capture (`FrameLoop.read`).
protocol FrameVisitor {
    mutating func visit(_ record: CaptureRecord, _ bytes: RawSpan)
}

/// What a pass that only decodes does with each record and each packet (`FrameLoop.decode`).
protocol PacketVisitor {
    /// Every record, custom blocks included, before its packet (if it is one) is decoded.
    mutating func record(_ record: CaptureRecord)
    mutating func packet(_ packet: DecodedPacket, time: Timestamp)
}

extension PacketVisitor {
    mutating func record(_ record: CaptureRecord) {}
}

/// The one read loop over a capture, which every pass shares: the first pass, address inference,
/// interface matching and the main pass. Generic over the pass (a struct, specialized and inlined
/// into the loop), so a pass costs what its own body costs: no closure call, existential or
/// allocation per frame.
enum FrameLoop {
    /// Gives `visitor` every record of `reader` (custom blocks included) and its bytes, telling
    /// `progress` the frame number first.
    @inline(__always)
    static func read<V: FrameVisitor>(
        _ reader: CaptureReader, progress: inout PassProgress, _ visitor: inout V
    ) -> CaptureReader.End {
        reader.forEachPacket { record, bytes in
            progress.frame(record.number, bytesRead: reader.bytesRead)
            visitor.visit(record, bytes)
        }
    }

    /// Decodes every packet of `reader` for `visitor` (no labels, no summary).
    @inline(__always)
    static func decode<V: PacketVisitor>(
        _ reader: CaptureReader, _ options: Analysis.Options, progress: inout PassProgress, _ visitor: inout V
    ) -> CaptureReader.End {
        var decoding = Decoding(
            decoder: Decoder(linkType: reader.linkType, decapsulateVXLAN: options.decapsulateVXLAN), visitor: visitor)
        defer { visitor = decoding.visitor }
        return read(reader, progress: &progress, &decoding)
    }

    /// Opens `path` and decodes every packet for `visitor`, with a progress line labelled `label`
    /// when `show`.
    static func decode<V: PacketVisitor>(
        _ path: String, _ options: Analysis.Options, label: String, sink: any ProgressSink, show: Bool, _ visitor: inout V
    ) throws(CaptureError) {
        let reader = try CaptureReader(path: path)
        var progress = PassProgress(capture: path, label: label, sink: sink, show: show)
        defer { progress.finish() }
        _ = decode(reader, options, progress: &progress, &visitor)
    }

    /// One frame's decoding, for every pass (the main pass's `Analysis` too): the decoder follows
    /// the frame's link type (pcapng interfaces may differ).
    @inline(__always)
    static func decode(
        _ decoder: inout Decoder, _ bytes: RawSpan, wireLength: Int, linkType: LinkType, into packet: inout DecodedPacket
    ) {
        if linkType != decoder.linkType { decoder.linkType = linkType }
        decoder.decode(bytes, wireLength: wireLength, into: &packet)
    }

    /// A file's size in bytes; `Int.max` for standard input or what cannot be looked at.
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard path != "-", stat(path, &info) == 0 else { return Int.max }
        return Int(info.st_size)
    }
}

/// A decoding pass: each packet decoded into one reused `DecodedPacket`, then given to the visitor.
private struct Decoding<V: PacketVisitor>: FrameVisitor {
    var decoder: Decoder
    var packet = DecodedPacket()
    var visitor: V

    init(decoder: Decoder, visitor: V) {
        self.decoder = decoder
        self.visitor = visitor
    }

    @inline(__always)
    mutating func visit(_ record: CaptureRecord, _ bytes: RawSpan) {
        visitor.record(record)
        guard record.isPacket else { return }
        FrameLoop.decode(&decoder, bytes, wireLength: record.wireLength, linkType: record.linkType, into: &packet)
        visitor.packet(packet, time: record.timestamp)
    }
}
