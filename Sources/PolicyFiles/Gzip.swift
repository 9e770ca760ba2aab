internal import CZlib

/// gzip decompression through zlib (Debian: zlib1g-dev), for CloudTrail's `.json.gz` log files.
/// The only file that touches C here.
enum Gzip {
    /// gzip's magic bytes 1f 8b.
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates every gzip member in `bytes` (CloudTrail writes one; `cat a.gz b.gz` makes two).
    static func decompress(_ bytes: [UInt8], file: String, limit: Int) throws(InputError) -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            // Trailing zero padding after the last member is allowed, as gzip(1) allows it.
            if bytes[offset...].allSatisfy({ $0 == 0 }) { break }
            guard isCompressed(Array(bytes[offset..<min(offset + 2, bytes.count)])) else {
                throw InputError(file: file, message: "gzip: unexpected data after the compressed stream")
            }
            offset += try inflateMember(bytes, from: offset, into: &output, file: file, limit: limit)
        }
        return output
    }

    /// Inflates one member starting at `start`; returns how many input bytes it used.
    private static func inflateMember(
        _ bytes: [UInt8], from start: Int, into output: inout [UInt8], file: String, limit: Int
    ) throws(InputError) -> Int {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InputError(file: file, message: "gzip: zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = Array(bytes[start...])
        var status: Int32 = Z_OK
        let used: Int = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(clamping: inputBuffer.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { status = Z_MEM_ERROR; break }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
            } while status == Z_OK
            return Int(stream.total_in)
        }
        if output.count > limit {
            throw InputError(file: file, message: "gzip: the file decompresses to more than \(limit >> 20) MiB")
        }
        guard status == Z_STREAM_END else {
            let reason = status == Z_BUF_ERROR ? "the compressed data is truncated" : "the compressed data is corrupt"
            throw InputError(file: file, message: "gzip: \(reason)")
        }
        return max(used, 1)
    }
}
