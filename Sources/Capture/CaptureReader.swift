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
/// imports libpcap. The corresponding libpcap calls are `pcap_open_offline_with_tstamp_precision`
/// and `pcap_next_ex`.
public final class CaptureReader {
    public let path: String
    public let linkType: LinkType
    /// libpcap's DLT value and its name ("EN10MB"), for messages.
    public let dlt: Int32
    public let dltName: String
    public let snapshotLength: Int
    private let handle: OpaquePointer
    /// The FILE's buffer (`sgreplay_prepare_capture_file`), freed after the FILE is closed.
    private var fileBuffer: UnsafeMutableRawPointer? = nil
    /// Set from a signal handler to stop at the next frame.
    private var stopRequested = false
    /// Whether libpcap gave up on a multi-interface pcapng and `PcapngReader` read the rest.
    public private(set) var usedPcapngReader = false
    /// `PcapngReader`'s file while it reads, for `bytesRead`.
    private var pcapngFile: UnsafeMutablePointer<FILE>? = nil

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
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // A file is opened here, so that its FILE gets a large buffer and no locking (see the shim);
        // standard input is left to libpcap.
        var file: UnsafeMutablePointer<FILE>? = nil
        var buffer: UnsafeMutableRawPointer? = nil
        if path != "-" {
            guard let opened = fopen(path, "rb") else {
                throw CaptureError(path: path, message: String(cString: strerror(errno)).lowercased())
            }
            file = opened
            buffer = sgreplay_prepare_capture_file(opened)
        }
        let opened = file.map { pcap_fopen_offline_with_tstamp_precision($0, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) }
            ?? pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
        guard let handle = opened else {
            // libpcap closes the FILE only once it has taken it.
            if let file { fclose(file) }
            free(buffer)
            throw CaptureError(path: path, message: CaptureReader.describeOpenFailure(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        self.handle = handle
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

    deinit {
        pcap_close(handle)  // closes the FILE too
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

    /// Calls `body` with every frame in order. The bytes are valid only during the call.
    /// Returns how reading ended; errors thrown by `body` end the loop and are rethrown as they are.
    public func forEachPacket<E: Error>(
        _ body: (CaptureRecord, RawSpan) throws(E) -> Void
    ) throws(E) -> End {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var number = 0
        while !stopRequested && !Interrupt.requested {
            switch pcap_next_ex(handle, &header, &data) {
            case 1:
                guard let header, let data else { continue }
                number += 1
                let h = header.pointee
                let captured = Int(h.caplen)
                let record = CaptureRecord(
                    number: number,
                    timestamp: Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec)),
                    capturedLength: captured,
                    wireLength: max(Int(h.len), captured),
                    linkType: linkType, linkTypeNumber: dlt)
                let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: data, count: captured))
                try body(record, span)
            case PCAP_ERROR_BREAK:
                return .endOfFile
            case 0:
                continue  // only live captures time out
            default:
                let message = String(cString: pcap_geterr(handle))
                // libpcap 1.10 refuses a pcapng interface whose link type or snapshot length differs
                // from the first one's; those files are valid, so read on with our own block reader.
                if path != "-" && message.hasPrefix("an interface has a") {
                    return try continueWithPcapngReader(after: number, body)
                }
                return .error(CaptureError(path: path, frame: number + 1, message: message))
            }
        }
        return .stopped
    }

    /// Rereads the file with `PcapngReader`, skips the `delivered` frames libpcap handed out, and
    /// hands out the rest with their own interfaces' link types.
    private func continueWithPcapngReader<E: Error>(
        after delivered: Int, _ body: (CaptureRecord, RawSpan) throws(E) -> Void
    ) throws(E) -> End {
        var reader: PcapngReader
        do { reader = try PcapngReader(path: path) } catch { return .error(error) }
        pcapngFile = reader.file
        defer {
            pcapngFile = nil
            reader.close()
        }
        usedPcapngReader = true
        // Frames libpcap handed out keep its numbers; from there on, Wireshark's (custom blocks count).
        var skippedFrames = 0
        while !stopRequested && !Interrupt.requested {
            let next: CaptureRecord?
            do { next = try reader.next() } catch {
                var error = error
                error.frame = error.frame.map { $0 - skippedFrames + delivered }
                return .error(error)
            }
            guard var record = next else { return .endOfFile }
            if reader.packets <= delivered && (record.isPacket || reader.packets < delivered) {
                skippedFrames = record.number
                continue
            }
            record.number = record.number - skippedFrames + delivered
            var thrown: E? = nil
            reader.packetBytes.withUnsafeBytes { raw in
                do throws(E) { try body(record, RawSpan(_unsafeBytes: raw)) } catch { thrown = error }
            }
            if let thrown { throw thrown }
        }
        return .stopped
    }

    /// How far into the file reading has got, in bytes (nil for standard input or a pipe), for
    /// progress. A system call: ask now and then, not every frame. libpcap's is `pcap_file` + `ftell`.
    public var bytesRead: Int? {
        guard let file = pcapngFile ?? pcap_file(handle) else { return nil }
        let position = ftell(file)
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
