internal import CPcap
import Packets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a pcap or pcapng capture through libpcap, handing out each frame's bytes as a borrowed
/// `RawSpan` that cannot outlive the next read.
///
///     let reader = try CaptureReader(path: "capture.pcap")
///     let end = reader.forEachPacket { record, bytes in decoder.decode(bytes, …) }
///
/// Timestamps are read at nanosecond precision whatever the file's own. This is the only file that
/// imports libpcap. The corresponding libpcap calls are `pcap_fopen_offline_with_tstamp_precision`
/// and `pcap_next_ex`.
///
/// libpcap reads a stdio stream made by the shim (`Sources/CPcap/stream.h`): the file or standard
/// input, decompressed as it is read when it starts with the gzip magic (1f 8b), whatever its name.
/// The stream also notes the pcapng custom blocks that pass (libpcap skips them; Wireshark lists
/// them as frames), and they are handed out between libpcap's packets, placed by how far libpcap has
/// read, so that frame numbers are Wireshark's with either reader.
public final class CaptureReader {
    public let path: String
    public let linkType: LinkType
    /// libpcap's DLT value and its name ("EN10MB"), for messages.
    public let dlt: Int32
    public let dltName: String
    public let snapshotLength: Int
    private let handle: OpaquePointer
    /// Whether the capture is gzip-compressed (.pcap.gz, .pcapng.gz).
    public let isCompressed: Bool
    /// The FILE libpcap reads and its stream (both freed by `pcap_close`).
    private let file: UnsafeMutablePointer<FILE>
    private let stream: UnsafeMutablePointer<sgreplay_stream>
    /// A classic pcap file read through a plain FILE: its stream is freed here, not by fclose.
    private let isDirect: Bool
    /// The FILE's buffer (`sgreplay_prepare_capture_file`), freed after the FILE is closed.
    private var fileBuffer: UnsafeMutableRawPointer? = nil
    /// Set from a signal handler to stop at the next frame.
    private var stopRequested = false
    /// Whether libpcap gave up on a pcapng (an interface of a second link type, a section in the
    /// other byte order, or too many custom blocks in a row) and `PcapngReader` read the rest.
    public private(set) var usedPcapngReader = false
    /// `PcapngReader`'s file and stream while it reads, for `bytesRead`.
    private var pcapngFile: UnsafeMutablePointer<FILE>? = nil
    private var pcapngStream: UnsafeMutablePointer<sgreplay_stream>? = nil

    /// Opens `path` (`-` for standard input). Throws a `CaptureError` naming the file when it is
    /// missing, a directory, not a capture, or of a link type the decoder does not read.
    public init(path: String) throws(CaptureError) {
        self.path = path
        if path != "-" {
            var info = stat()
            if stat(path, &info) != 0 {
                throw CaptureError(path: path, message: String(cString: strerror(errno)).lowercased())
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw CaptureError(path: path, message: "is a directory, not a capture file")
            }
            if info.st_size == 0 {
                throw CaptureError(path: path, message: "is empty, not a capture file")
            }
        }
        let (file, stream) = try CaptureReader.openStream(path)
        // A large buffer and no locking (see the shim); the stream's reads then fill it whole.
        let buffer = sgreplay_prepare_capture_file(file)
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            // A bad gzip stream is the reason, rather than what libpcap made of the bytes it got.
            let streamError = sgreplay_stream_error(stream).map { String(cString: $0) }
            // libpcap closes the FILE only once it has taken it.
            let direct = sgreplay_stream_is_direct(stream) != 0
            fclose(file)
            if direct { sgreplay_stream_free(stream) }
            free(buffer)
            throw CaptureError(path: path, message: streamError ?? CaptureReader.describeOpenFailure(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        self.handle = handle
        self.file = file
        self.stream = stream
        isDirect = sgreplay_stream_is_direct(stream) != 0
        isCompressed = sgreplay_stream_is_gzip(stream) != 0
        fileBuffer = buffer
        dlt = pcap_datalink(handle)
        dltName = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unknown"
        linkType = LinkType(dlt: dlt)
        snapshotLength = Int(pcap_snapshot(handle))
        guard linkType.isSupported else {
            // The handle is closed by deinit, which runs for a class whose init throws after
            // every stored property is set.
            let description = pcap_datalink_val_to_description(dlt).map { String(cString: $0) }
            throw CaptureError(
                path: path,
                message: "link type \(dltName) (\(dlt)\(description.map { ", \($0)" } ?? "")) is not supported; "
                    + "sgreplay reads \(LinkType.supportedDescription)")
        }
    }

    /// The capture's bytes as a FILE (`-`: standard input), decompressed if it is gzip.
    private static func openStream(
        _ path: String
    ) throws(CaptureError) -> (UnsafeMutablePointer<FILE>, UnsafeMutablePointer<sgreplay_stream>) {
        var stream: UnsafeMutablePointer<sgreplay_stream>? = nil
        var message = [CChar](repeating: 0, count: 256)
        let opened = path == "-"
            ? sgreplay_open_capture_stream(nil, &stream, &message, message.count)
            : sgreplay_open_capture_stream(path, &stream, &message, message.count)
        guard let opened, let stream else {
            let text = message[0] != 0
                ? String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : String(cString: strerror(errno)).lowercased()
            throw CaptureError(path: path, message: text)
        }
        return (opened, stream)
    }

    deinit {
        pcap_close(handle)  // closes the FILE too, and with it a cookie stream
        if isDirect { sgreplay_stream_free(stream) }
        free(fileBuffer)
    }

    /// How a read loop ended.
    public enum End: Sendable {
        /// Every record was read.
        case endOfFile
        /// libpcap stopped at a truncated or corrupt record; the frames before it were handed out.
        case error(CaptureError)
        /// `stop()` was called.
        case stopped
    }

    /// Calls `body` with every frame in order, pcapng custom blocks included (`isPacket` false, the
    /// block's body as bytes). The bytes are valid only during the call.
    /// Returns how reading ended; errors thrown by `body` end the loop and are rethrown as they are.
    public func forEachPacket<E: Error>(
        _ body: (CaptureRecord, RawSpan) throws(E) -> Void
    ) throws(E) -> End {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var number = 0
        // A custom block takes the previous packet's time, as PcapngReader gives it.
        var lastTime = Timestamp(nanoseconds: 0)
        while !stopRequested && !Interrupt.requested {
            switch pcap_next_ex(handle, &header, &data) {
            case 1:
                guard let header, let data else { continue }
                // Custom blocks libpcap read past before this packet (a field test when there are none).
                if sgreplay_stream_has_custom_blocks(stream) != 0 {
                    try handOutCustomBlocks(upTo: Int64(ftell(file)), number: &number, time: lastTime, body)
                    if stopRequested || Interrupt.requested { return .stopped }
                }
                number += 1
                let h = header.pointee
                let captured = Int(h.caplen)
                let record = CaptureRecord(
                    number: number,
                    timestamp: Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec)),
                    capturedLength: captured,
                    wireLength: max(Int(h.len), captured),
                    linkType: linkType, linkTypeNumber: dlt)
                lastTime = record.timestamp
                let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: data, count: captured))
                try body(record, span)
            case PCAP_ERROR_BREAK:
                // The end of the file, or pcap_breakloop from elsewhere.
                if stopRequested || Interrupt.requested { return .stopped }
                try handOutCustomBlocks(upTo: -1, number: &number, time: lastTime, body)
                // The decompressed bytes may end cleanly at a block boundary of a cut gzip stream.
                if let message = streamError(stream) {
                    return .error(CaptureError(path: path, frame: number + 1, message: message))
                }
                return .endOfFile
            case 0:
                continue  // only live captures time out
            default:
                // Custom blocks read whole before the failing record are frames before it.
                let consumed = Int64(ftell(file))
                try handOutCustomBlocks(upTo: consumed, number: &number, time: lastTime, body)
                // A read error or a bad gzip stream is the reason (libpcap only sees the bytes stop).
                var message = streamError(stream) ?? String(cString: pcap_geterr(handle))
                // libpcap 1.10 refuses a pcapng interface whose link type or snapshot length differs
                // from the first one's, and misreads a section in the other byte order than the
                // first one's; those files are valid, so read on with our own block reader. It also
                // streams custom blocks, where this reader holds them until libpcap's next packet.
                let byteOrderChange = sgreplay_stream_byte_order_change(stream)
                let interfaceChange = message.hasPrefix("an interface has a")
                let orderChange = byteOrderChange >= 0 && byteOrderChange < consumed
                let overflow = sgreplay_stream_custom_blocks_overflowed(stream) != 0
                if interfaceChange || orderChange || overflow {
                    if path != "-" { return try continueWithPcapngReader(after: number, body) }
                    if orderChange && !interfaceChange && !overflow {
                        message = "a pcapng section in the other byte order than the first one's, which libpcap misreads (\(message))"
                    }
                    message += "; sgreplay reads such files with its own pcapng reader, which must reread "
                        + "the capture from the start: standard input cannot be reread, give the capture as a file"
                }
                return .error(CaptureError(path: path, frame: number + 1, message: message))
            }
        }
        return .stopped
    }

    /// Hands out, as frames, the custom blocks the stream saw that end at or before `consumed`
    /// (a position in the decompressed stream; -1: all of them).
    private func handOutCustomBlocks<E: Error>(
        upTo consumed: Int64, number: inout Int, time: Timestamp, _ body: (CaptureRecord, RawSpan) throws(E) -> Void
    ) throws(E) {
        var type: UInt32 = 0
        var bytes: UnsafePointer<UInt8>? = nil
        var length: UInt32 = 0
        while !stopRequested && sgreplay_stream_next_custom_block(stream, consumed, &type, &bytes, &length) != 0 {
            number += 1
            var record = CaptureRecord(
                number: number, timestamp: time, capturedLength: 0, wireLength: 0, linkType: linkType,
                linkTypeNumber: dlt)
            record.isPacket = false
            record.customBlockType = type
            try body(record, RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: bytes, count: Int(length))))
        }
    }

    private func streamError(_ stream: UnsafeMutablePointer<sgreplay_stream>) -> String? {
        sgreplay_stream_error(stream).map { String(cString: $0) }
    }

    /// Rereads the capture with `PcapngReader` (through a stream of its own, decompressing as
    /// libpcap's does), skips the `delivered` frames already handed out, and hands out the rest with
    /// their own interfaces' link types. Both readers number frames as Wireshark does.
    private func continueWithPcapngReader<E: Error>(
        after delivered: Int, _ body: (CaptureRecord, RawSpan) throws(E) -> Void
    ) throws(E) -> End {
        let file: UnsafeMutablePointer<FILE>, stream: UnsafeMutablePointer<sgreplay_stream>
        do { (file, stream) = try CaptureReader.openStream(path) } catch { return .error(error) }
        sgreplay_stream_ignore_custom_blocks(stream)  // PcapngReader reads them itself
        let buffer = sgreplay_prepare_capture_file(file)
        var reader = PcapngReader(path: path, file: file)
        pcapngFile = file
        pcapngStream = stream
        defer {
            pcapngFile = nil
            pcapngStream = nil
            reader.close()
            free(buffer)
        }
        usedPcapngReader = true
        while !stopRequested && !Interrupt.requested {
            let next: CaptureRecord?
            do { next = try reader.next() } catch {
                var error = error
                if let message = streamError(stream) { error.message = message }
                return .error(error)
            }
            guard let record = next else {
                if let message = streamError(stream) {
                    return .error(CaptureError(path: path, frame: reader.number + 1, message: message))
                }
                return .endOfFile
            }
            if record.number <= delivered { continue }
            var thrown: E? = nil
            reader.packetBytes.withUnsafeBytes { raw in
                do throws(E) { try body(record, RawSpan(_unsafeBytes: raw)) } catch { thrown = error }
            }
            if let thrown { throw thrown }
        }
        return .stopped
    }

    /// How far into the file reading has got, in bytes of the file as it is on disk (compressed
    /// bytes for a gzip file), for progress; nil when the input is not a regular file. Ask now and
    /// then, not every frame.
    public var bytesRead: Int? {
        let stream = pcapngStream ?? self.stream
        guard sgreplay_stream_is_regular(stream) != 0 else { return nil }
        if sgreplay_stream_is_gzip(stream) != 0 { return Int(sgreplay_stream_raw_position(stream)) }
        let position = ftell(pcapngFile ?? file)
        return position >= 0 ? position : nil
    }

    /// Asks the read loop to stop before the next frame (e.g. on Ctrl-C).
    public func stop() {
        stopRequested = true
        pcap_breakloop(handle)
    }

    /// libpcap's open messages, made to read as a sentence about the file.
    static func describeOpenFailure(_ message: String) -> String {
        var text = message
        if text.hasPrefix("unknown file format") {
            text = "not a pcap or pcapng capture (unknown file format)"
        }
        return text
    }
}

@available(*, unavailable)
extension CaptureReader: Sendable {}
