import Foundation

/// Standard input copied to a temporary file, when the capture must be read more than once.
struct Spool {
    let path: String
    private let temporary: Bool

    init(path: String, needed: Bool) throws {
        guard path == "-" && needed else {
            self.path = path
            temporary = false
            return
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-stdin-\(getpid()).pcap")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        guard let out = try? FileHandle(forWritingTo: url) else {
            throw SpoolError(message: "standard input: cannot spool to \(url.path)")
        }
        while true {
            let chunk = FileHandle.standardInput.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            out.write(chunk)
        }
        try? out.close()
        self.path = url.path
        temporary = true
    }

    func remove() {
        if temporary { try? FileManager.default.removeItem(atPath: path) }
    }
}

struct SpoolError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
