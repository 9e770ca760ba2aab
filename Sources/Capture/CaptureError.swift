/// A capture that cannot be read, or stops being readable: which file, where, and libpcap's words.
///
///     capture.pcap: frame 57: truncated dump file; tried to read 1514 captured bytes, only got 200
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// The frame being read when it failed (nil when the file could not be opened).
    public var frame: Int?
    public var message: String

    public init(path: String, frame: Int? = nil, message: String) {
        self.path = path
        self.frame = frame
        self.message = message
    }

    public var description: String {
        let name = path == "-" ? "standard input" : path
        if let frame { return "\(name): frame \(frame): \(message)" }
        return "\(name): \(message)"
    }
}
