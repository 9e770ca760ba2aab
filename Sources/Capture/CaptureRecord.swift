import Packets

/// One frame's record header, wrapped at once so libpcap's field names never spread.
///
/// With nanosecond precision libpcap's `ts.tv_usec` holds nanoseconds; `timestamp` is always exact.
public struct CaptureRecord: Sendable {
    /// 1-based, as Wireshark numbers frames.
    public var number: Int
    public var timestamp: Timestamp
    /// Bytes present in the capture (at most the snapshot length).
    public var capturedLength: Int
    /// Bytes the frame had on the wire.
    public var wireLength: Int
    /// The link layer of the interface the frame was captured on (pcapng files can mix them).
    public var linkType: LinkType
    /// False for a pcapng custom block, which Wireshark lists (and numbers) as a frame of its own.
    public var isPacket = true

    public init(number: Int, timestamp: Timestamp, capturedLength: Int, wireLength: Int, linkType: LinkType) {
        self.number = number
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.wireLength = wireLength
        self.linkType = linkType
    }
}
