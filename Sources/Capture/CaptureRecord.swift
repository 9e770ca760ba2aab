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
    /// The number behind `linkType`, to write the frame back with (`PcapngWriter`): libpcap's DLT
    /// value, or for frames read by `PcapngReader` the interface's LINKTYPE value as the file has it.
    /// They differ only for raw IP (DLT_RAW 12 or 14, LINKTYPE_RAW 101), which `linkType` merges.
    public var linkTypeNumber: Int32
    /// False for a pcapng custom block, which Wireshark lists (and numbers) as a frame of its own.
    /// Its bytes are then the block's body (Private Enterprise Number, data, options), with the
    /// Private Enterprise Number in little-endian order whatever the section's (as `PcapngWriter`
    /// writes it back, and as Wireshark copies such a block); the rest is as the file has it.
    public var isPacket = true
    /// For a custom block, its pcapng block type: 0x00000BAD (rewriters may copy it into a new file)
    /// or 0x40000BAD (they should not); 0 for packets.
    public var customBlockType: UInt32 = 0

    public init(
        number: Int, timestamp: Timestamp, capturedLength: Int, wireLength: Int, linkType: LinkType,
        linkTypeNumber: Int32? = nil
    ) {
        self.number = number
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.wireLength = wireLength
        self.linkType = linkType
        self.linkTypeNumber = linkTypeNumber ?? linkType.dlt
    }
}
