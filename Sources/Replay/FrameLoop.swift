#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Packets
import Reports

/// The one read loop over a capture, which every pass shares: the first pass, address inference,
/// interface matching and the main pass (which decodes into `Analysis`'s slots, through `decode`). Generic over the closures and always inlined into its
/// caller, so a pass costs what its own loop body costs: no existential or allocation per frame.
enum FrameLoop {
    /// Calls `body` with every record of `reader` (custom blocks included) and its bytes, telling
    /// `progress` the frame number first.
    @inline(__always)
    static func read(
        _ reader: CaptureReader, progress: inout PassProgress, _ body: (CaptureRecord, RawSpan) -> Void
    ) -> CaptureReader.End {
        reader.forEachPacket { record, bytes in
            progress.frame(record.number, bytesRead: reader.bytesRead)
            body(record, bytes)
        }
    }

    /// Decodes every packet of `reader` (no labels, no summary): `record` sees every record first,
    /// custom blocks included; `packet` then each packet decoded, with its time.
    @inline(__always)
    static func decode(
        _ reader: CaptureReader, _ options: Analysis.Options, progress: inout PassProgress,
        record seen: (CaptureRecord) -> Void = { _ in }, packet body: (DecodedPacket, Timestamp) -> Void
    ) -> CaptureReader.End {
        var decoder = Decoder(linkType: reader.linkType, decapsulateVXLAN: options.decapsulateVXLAN)
        var packet = DecodedPacket()
        return read(reader, progress: &progress) { record, bytes in
            seen(record)
            guard record.isPacket else { return }
            decode(&decoder, bytes, wireLength: record.wireLength, linkType: record.linkType, into: &packet)
            body(packet, record.timestamp)
        }
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

    /// Opens `path` and decodes every packet, with a progress line labelled `label` when `show`.
    static func decode(
        _ path: String, _ options: Analysis.Options, label: String, sink: any ProgressSink, show: Bool,
        packet body: (DecodedPacket, Timestamp) -> Void
    ) throws(CaptureError) {
        let reader = try CaptureReader(path: path)
        var progress = PassProgress(capture: path, label: label, sink: sink, show: show)
        defer { progress.finish() }
        _ = decode(reader, options, progress: &progress, packet: body)
    }

    /// A file's size in bytes; `Int.max` for standard input or what cannot be looked at.
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard path != "-", stat(path, &info) == 0 else { return Int.max }
        return Int(info.st_size)
    }
}
