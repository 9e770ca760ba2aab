#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading one input file whole: missing files, directories, empty files and gzip are handled
/// here, so every parser receives plain text.
///
///     let bytes = try InputFile.read("trail.json.gz")   // decompressed
enum InputFile {
    /// Larger inputs are refused rather than risking the machine (also after decompression).
    static let maximumSize = 1 << 30

    static func read(_ path: String) throws(InputError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw InputError(file: path, message: "cannot read the file: \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw InputError(file: path, message: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw InputError(file: path, message: "is a directory, not a policy or timeline file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: path, message: "cannot read the file: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            guard bytes.count <= maximumSize else {
                throw InputError(file: path, message: "the file is larger than \(maximumSize >> 20) MiB")
            }
        }
        if Gzip.isCompressed(bytes) {
            bytes = try Gzip.decompress(bytes, file: path, limit: maximumSize)
        }
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw InputError(file: path, message: "the file is empty")
        }
        return bytes
    }

    /// The file's name without its folders: `pl-0abc.json` from `inputs/pl-0abc.json`.
    static func baseName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
