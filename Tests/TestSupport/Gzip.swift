internal import CZlib

/// Compresses `bytes` as one gzip member with zlib, for .pcap.gz and .pcapng.gz fixtures made at
/// test time from uncompressed ones. `level` 0 stores the data uncompressed (deflate's stored
/// blocks), so that a cut at a given share of the file falls at that share of the capture.
public func gzipped(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    // 15 + 16: a gzip header and trailer rather than zlib's.
    guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { fatalError("deflateInit2 failed") }
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    var input = bytes
    let status = input.withUnsafeMutableBufferPointer { source in
        out.withUnsafeMutableBufferPointer { target in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            stream.next_out = target.baseAddress
            stream.avail_out = uInt(target.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END else { fatalError("deflate returned \(status)") }
    return Array(out.prefix(Int(stream.total_out)))
}
