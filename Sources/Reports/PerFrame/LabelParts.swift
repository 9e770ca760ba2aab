#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Labels of several captures, written per capture to a part file (each capture's replay runs on
/// its own thread) and joined in the order the captures were given, each line gaining the capture's
/// name as its last key:
///
///     {"frame":1,"verdict":"skipped",…,"timing_ambiguous":false,"capture":"hour1.pcap"}
///
/// The part is streamed through a fixed buffer: memory stays bounded whatever its size.
public enum LabelParts {
    /// Appends the labels of `part` to `output`, each with `"capture": name`.
    public static func append(
        from part: String, capture name: String, to output: OutputFile, chunkSize: Int = 1 << 20
    ) throws(OutputError) {
        guard let file = fopen(part, "rb") else {
            throw OutputError(path: part, message: "cannot be read back: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var key: [UInt8] = Array(",\"capture\":".utf8)
        JSON.appendString(name, to: &key)
        key += Array("}\n".utf8)
        var chunk = [UInt8](repeating: 0, count: max(chunkSize, 1))
        // The end of the previous chunk, when it stopped inside a line.
        var carry: [UInt8] = []
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress!, 1, $0.count, file) }
            if n == 0 { break }
            // Every label is one line ending in "}": its strings hold no raw newline (JSON escapes them).
            var start = 0
            while start < n {
                let newline = chunk.withUnsafeBytes { raw -> Int? in
                    memchr(raw.baseAddress! + start, 10, n - start).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
                }
                guard let end = newline else { break }
                output.buffer.append(contentsOf: carry)
                carry.removeAll(keepingCapacity: true)
                output.buffer.append(contentsOf: chunk[start..<end])
                // The line's closing "}" (appended just now or with the carry, never flushed yet).
                if output.buffer.last == 125 { output.buffer.removeLast() }
                output.buffer.append(contentsOf: key)
                output.flushIfFull()
                start = end + 1
            }
            if start < n { carry.append(contentsOf: chunk[start..<n]) }
        }
        if ferror(file) != 0 { throw OutputError(path: part, message: "cannot be read back: read error") }
        // A last line without its newline (never written by LabelWriter): kept as it is.
        if !carry.isEmpty { output.append(carry) }
    }
}
