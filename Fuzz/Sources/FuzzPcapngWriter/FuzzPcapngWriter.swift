import Capture
import Packets

#if canImport(Glibc)
import Glibc
#endif

/// Input: a sequence of frames, each [link type selector, comment length, frame length (2 bytes),
/// time (4 bytes)], then the comment and the frame bytes. Everything written must read back, through
/// libpcap or the fallback reader, with the same bytes, lengths and times, frame for frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let links: [Int32] = [1, 113, 276, 12, 228, 229, 0, 147]
    var frames: [(link: Int32, time: Timestamp, bytes: [UInt8], comment: [UInt8])] = []
    var o = 0
    while o + 8 <= size && frames.count < 64 {
        let link = links[Int(data[o]) % links.count]
        let commentLength = Int(data[o + 1])
        let length = Int(data[o + 2]) | Int(data[o + 3]) << 8
        var t: UInt32 = 0
        for k in 0..<4 { t |= UInt32(data[o + 4 + k]) << (8 * UInt32(k)) }
        o += 8
        let comment = Array(UnsafeBufferPointer(start: data + o, count: min(commentLength, size - o)))
        o += comment.count
        let bytes = Array(UnsafeBufferPointer(start: data + o, count: min(length, size - o)))
        o += bytes.count
        frames.append((link, Timestamp(seconds: 1_600_000_000 + Int64(t >> 12), nanoseconds: Int64(t & 0xfff) * 997), bytes, comment))
    }
    guard !frames.isEmpty else { return 0 }

    var writer = PcapngWriter()
    var out: [UInt8] = []
    writer.appendSectionHeader(application: "fuzz", to: &out)
    for f in frames {
        let interface = writer.interface(linkTypeNumber: f.link, snapshotLength: 65535, admitting: f.bytes.count, to: &out)
        f.bytes.withUnsafeBytes { raw in
            writer.appendEnhancedPacket(
                interface: interface, timestamp: f.time, packet: RawSpan(_unsafeBytes: raw), originalLength: f.bytes.count,
                comment: f.comment, to: &out)
        }
    }
    let path = "/tmp/sgreplay-fuzz-writer-\(getpid()).pcapng"
    guard let file = fopen(path, "wb") else { return 0 }
    fwrite(out, 1, out.count, file)
    fclose(file)
    defer { unlink(path) }

    var read: [(time: Timestamp, bytes: [UInt8])] = []
    do {
        let reader = try CaptureReader(path: path)
        let end = reader.forEachPacket { record, bytes in
            bytes.withUnsafeBytes { read.append((record.timestamp, Array($0))) }
        }
        if case .error(let error) = end { fatalError("the written file does not read back: \(error)") }
    } catch {
        // The first interface's link type may be one the decoder does not read (refused at open).
        if links.prefix(7).contains(frames[0].link) { fatalError("the written file does not open: \(error)") }
        return 0
    }
    guard read.count == frames.count else { fatalError("wrote \(frames.count) frames, read \(read.count)") }
    for (i, f) in frames.enumerated() {
        guard read[i].bytes == f.bytes else { fatalError("frame \(i + 1): bytes differ") }
        guard read[i].time == f.time else { fatalError("frame \(i + 1): time \(read[i].time.rfc3339) != \(f.time.rfc3339)") }
    }
    return 0
}

// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzPcapngWriter_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
