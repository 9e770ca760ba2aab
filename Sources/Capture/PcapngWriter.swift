import Packets

/// Writes a pcapng capture block by block, in pure Swift, into a byte buffer the caller owns and
/// reuses for the whole file (the output file's buffer): no allocation per packet.
///
///     var writer = PcapngWriter()
///     writer.appendSectionHeader(application: "sgreplay", to: &out)
///     let id = writer.interface(linkTypeNumber: 1, snapshotLength: 65535, to: &out)  // IDB once
///     writer.appendEnhancedPacket(interface: id, timestamp: t, packet: bytes, originalLength: 60, comment: c, to: &out)
///
/// Blocks are little-endian. Every interface is described with `if_tsresol` = 9, so timestamps keep
/// their nanoseconds exactly. An interface is described the first time a packet needs it, which the
/// format allows anywhere in a section. The specification is draft-ietf-opsawg-pcapng (section 4:
/// SHB, IDB, EPB; 3.5: options; 4.8: Custom Block).
public struct PcapngWriter: Sendable {
    /// The interfaces described so far, by ID (the order of their Interface Description Blocks).
    public private(set) var interfaces: [Interface] = []
    /// The interface the last lookup found: consecutive frames almost always share it.
    private var lastInterface = -1

    public struct Interface: Equatable, Sendable {
        /// The LINKTYPE value written in the IDB.
        public var linkType: UInt16
        /// 0: not limited.
        public var snapshotLength: UInt32
    }

    public init() {}

    /// The largest value an option can hold (its length field has 16 bits).
    public static let maximumOptionLength = 0xFFFF

    /// Block types and option codes used here.
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 1
    static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    static let optEndOfOpt: UInt16 = 0
    static let optComment: UInt16 = 1
    static let shbUserAppl: UInt16 = 4
    static let ifTsresol: UInt16 = 9

    /// The LINKTYPE value to write for a frame's link-type number (`CaptureRecord.linkTypeNumber`),
    /// as `pcap_dump` does: DLT_RAW 12 becomes LINKTYPE_RAW 101 (libpcap reads 101 back as DLT 12);
    /// every other value the readers hand out is already the file's value, and is kept.
    public static func fileLinkType(_ number: Int32) -> UInt16 {
        number == 12 ? 101 : UInt16(truncatingIfNeeded: number)
    }

    /// Appends a Section Header Block that starts a section of unspecified length.
    public func appendSectionHeader(application: String, to out: inout [UInt8]) {
        let appl = Array(application.utf8.prefix(PcapngWriter.maximumOptionLength))
        let length = 28 + PcapngWriter.optionLength(appl.count) + 4
        out.appendLE32(PcapngWriter.sectionHeaderType)  // Block Type
        out.appendLE32(UInt32(length))  // Block Total Length
        out.appendLE32(PcapngWriter.byteOrderMagic)  // Byte-Order Magic
        out.appendLE16(1)  // Major Version
        out.appendLE16(0)  // Minor Version
        out.appendLE64(UInt64.max)  // Section Length: -1, not specified
        appl.withUnsafeBytes { PcapngWriter.appendOption(PcapngWriter.shbUserAppl, $0, to: &out) }  // shb_userappl
        PcapngWriter.appendEndOfOptions(to: &out)  // opt_endofopt
        out.appendLE32(UInt32(length))  // Block Total Length
    }

    /// The ID of an interface with this link type whose snapshot length admits `capturedLength`
    /// bytes, appending its Interface Description Block first when there is none yet. A snapshot
    /// length of 0 means "not limited" and admits any frame.
    public mutating func interface(
        linkTypeNumber: Int32, snapshotLength: Int = 0, admitting capturedLength: Int = 0, to out: inout [UInt8]
    ) -> UInt32 {
        let linkType = PcapngWriter.fileLinkType(linkTypeNumber)
        func admits(_ i: Interface) -> Bool {
            i.linkType == linkType && (i.snapshotLength == 0 || capturedLength <= Int(i.snapshotLength))
        }
        if lastInterface >= 0 && admits(interfaces[lastInterface]) { return UInt32(lastInterface) }
        if let found = interfaces.firstIndex(where: admits) {
            lastInterface = found
            return UInt32(found)
        }
        // A frame longer than the first snapshot length (possible when several input interfaces of
        // one link type were merged) gets an interface without limit, so no reader cuts it.
        let snap = capturedLength <= snapshotLength ? UInt32(clamping: snapshotLength) : 0
        let interface = Interface(linkType: linkType, snapshotLength: snap)
        let length = UInt32(16 + PcapngWriter.optionLength(1) + 4 + 4)
        out.appendLE32(PcapngWriter.interfaceDescriptionType)  // Block Type
        out.appendLE32(length)  // Block Total Length
        out.appendLE16(interface.linkType)  // LinkType
        out.appendLE16(0)  // Reserved
        out.appendLE32(interface.snapshotLength)  // SnapLen
        withUnsafeBytes(of: UInt8(9)) { PcapngWriter.appendOption(PcapngWriter.ifTsresol, $0, to: &out) }  // if_tsresol: 10^-9
        PcapngWriter.appendEndOfOptions(to: &out)  // opt_endofopt
        out.appendLE32(length)  // Block Total Length
        interfaces.append(interface)
        lastInterface = interfaces.count - 1
        return UInt32(lastInterface)
    }

    /// Appends an Enhanced Packet Block: the frame's captured bytes, its original length, its
    /// timestamp in nanoseconds, and `comment` (UTF-8) as its `opt_comment` when not empty. A
    /// comment longer than an option can hold is cut at a character boundary.
    public func appendEnhancedPacket(
        interface: UInt32, timestamp: Timestamp, packet: RawSpan, originalLength: Int, comment: [UInt8],
        to out: inout [UInt8]
    ) {
        let captured = packet.byteCount
        let commentLength = PcapngWriter.fittingLength(comment)
        let options = commentLength > 0 ? PcapngWriter.optionLength(commentLength) + 4 : 0
        let length = 28 + PcapngWriter.padded(captured) + options + 4
        let ticks = UInt64(bitPattern: timestamp.nanoseconds)  // if_tsresol 9: one tick per nanosecond
        out.appendLE32(PcapngWriter.enhancedPacketType)  // Block Type
        out.appendLE32(UInt32(length))  // Block Total Length
        out.appendLE32(interface)  // Interface ID
        out.appendLE32(UInt32(truncatingIfNeeded: ticks >> 32))  // Timestamp (High)
        out.appendLE32(UInt32(truncatingIfNeeded: ticks))  // Timestamp (Low)
        out.appendLE32(UInt32(captured))  // Captured Packet Length
        out.appendLE32(UInt32(clamping: max(originalLength, captured)))  // Original Packet Length
        packet.withUnsafeBytes { out.append(contentsOf: $0) }  // Packet Data
        out.appendZeros(PcapngWriter.padded(captured) - captured)  // padding to 32 bits
        if commentLength > 0 {
            comment.withUnsafeBytes {
                PcapngWriter.appendOption(PcapngWriter.optComment, UnsafeRawBufferPointer(rebasing: $0.prefix(commentLength)), to: &out)  // opt_comment
            }
            PcapngWriter.appendEndOfOptions(to: &out)  // opt_endofopt
        }
        out.appendLE32(UInt32(length))  // Block Total Length
    }

    /// Appends a Custom Block as it was read: `body` is everything between the Block Total Length
    /// fields (Private Enterprise Number, Custom Data, options), `type` 0x00000BAD or 0x40000BAD.
    public func appendCustomBlock(type: UInt32, body: RawSpan, to out: inout [UInt8]) {
        let count = body.byteCount
        let length = 8 + PcapngWriter.padded(count) + 4
        out.appendLE32(type)  // Block Type
        out.appendLE32(UInt32(length))  // Block Total Length
        body.withUnsafeBytes { out.append(contentsOf: $0) }  // Private Enterprise Number, Custom Data, options
        out.appendZeros(PcapngWriter.padded(count) - count)  // padding to 32 bits
        out.appendLE32(UInt32(length))  // Block Total Length
    }

    /// `n` rounded up to a multiple of 4.
    static func padded(_ n: Int) -> Int { (n + 3) & ~3 }

    /// The bytes an option with a value of `n` bytes takes: code, length, value, padding.
    static func optionLength(_ n: Int) -> Int { 4 + padded(n) }

    private static func appendOption(_ code: UInt16, _ value: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.appendLE16(code)  // Option Code
        out.appendLE16(UInt16(value.count))  // Option Length
        out.append(contentsOf: value)  // Option Value
        out.appendZeros(padded(value.count) - value.count)  // padding to 32 bits
    }

    private static func appendEndOfOptions(to out: inout [UInt8]) {
        out.appendLE16(optEndOfOpt)  // opt_endofopt
        out.appendLE16(0)  // Option Length
    }

    /// How much of a UTF-8 comment fits in one option, without splitting a character.
    public static func fittingLength(_ text: [UInt8]) -> Int {
        guard text.count > maximumOptionLength else { return text.count }
        var n = maximumOptionLength
        while n > 0 && text[n] & 0xC0 == 0x80 { n -= 1 }  // text[n] would start the next character
        return n
    }
}

extension [UInt8] {
    @inline(__always) mutating func appendLE16(_ v: UInt16) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
    @inline(__always) mutating func appendLE32(_ v: UInt32) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
    @inline(__always) mutating func appendLE64(_ v: UInt64) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
    @inline(__always) mutating func appendZeros(_ n: Int) {
        for _ in 0..<n { append(0) }
    }
}
