import Packets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain pcapng block reader, used where libpcap gives up on valid files: libpcap 1.10 refuses a
/// second interface whose link type or snapshot length differs from the first one's, which
/// Wireshark writes whenever it captures on several interfaces at once.
///
///     var reader = PcapngReader(path: "multi.pcapng", file: file)
///     while let record = try reader.next() { … reader.packetBytes … }
///
/// It reads Section Header, Interface Description, Enhanced, Simple and (obsolete) Packet blocks in
/// either byte order, honours `if_tsresol` and `if_tsoffset`, and skips every other block. One buffer
/// is reused for all blocks. See the pcapng specification (draft-ietf-opsawg-pcapng).
struct PcapngReader {
    let path: String
    let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private var bigEndian = false
    private var interfaces: [Interface] = []
    /// Frames as Wireshark numbers them (packets and custom blocks), and packets alone (as libpcap counts).
    private(set) var number = 0
    private(set) var packets = 0
    /// Simple Packet Blocks carry no time: they take the previous frame's.
    private var lastTimestamp = Timestamp(nanoseconds: 0)
    /// Where the current packet's bytes sit in `buffer`.
    private(set) var packetRange = 0..<0

    struct Interface {
        var linkType: LinkType
        /// The LINKTYPE value as the file has it.
        var number: Int32
        var snapshotLength: Int
        /// Ticks per second as a power: 10^-n (`decimal`) or 2^-n.
        var resolutionExponent: Int
        var decimal: Bool
        var offsetSeconds: Int64
    }

    /// Blocks larger than this are taken as corrupt (libpcap uses 16 MiB for packet data).
    static let maximumBlockLength = 64 << 20

    /// Reads `file` (the capture's decompressed bytes, from `CaptureReader`); `path` names it in errors.
    init(path: String, file: UnsafeMutablePointer<FILE>) {
        self.path = path
        self.file = file
    }

    func close() { fclose(file) }

    var packetBytes: ArraySlice<UInt8> { buffer[packetRange] }

    /// The next packet's record, nil at the end of the file; throws at a corrupt block.
    mutating func next() throws(CaptureError) -> CaptureRecord? {
        while true {
            var head = [UInt8](repeating: 0, count: 8)
            let got = fread(&head, 1, 8, file)
            if got == 0 { return nil }
            guard got == 8 else { throw corrupt("the file ends inside a block header") }
            var type = load32(head, 0)
            if type == 0x0A0D_0D0A {
                // A section header: its byte-order magic decides how everything after it is read.
                var magic = [UInt8](repeating: 0, count: 4)
                guard fread(&magic, 1, 4, file) == 4 else { throw corrupt("the file ends inside a section header") }
                let raw = UInt32(magic[0]) | UInt32(magic[1]) << 8 | UInt32(magic[2]) << 16 | UInt32(magic[3]) << 24
                switch raw {
                case 0x1A2B_3C4D: bigEndian = false
                case 0x4D3C_2B1A: bigEndian = true
                default: throw corrupt("a section header has a bad byte-order magic")
                }
                interfaces = []
                let length = Int(load32(head, 4))
                try readBody(length: length, already: 12)
                buffer.insert(contentsOf: magic, at: 0)
                guard buffer.count >= 8 else { throw corrupt("a section header is too short") }
                let major = load16(buffer, 4)
                guard major == 1 else { throw corrupt("unsupported pcapng version \(major).\(load16(buffer, 6))") }
                continue
            }
            type = load32(head, 0)
            let length = Int(load32(head, 4))
            try readBody(length: length, already: 8)
            switch type {
            case 1: try addInterface()
            case 6, 2, 3:
                if let record = try packet(type: type) { return record }
            case 0x0000_0BAD, 0x4000_0BAD:
                number += 1
                packetRange = 0..<buffer.count  // the body, for a rewriter to copy
                // Its Private Enterprise Number as a little-endian section has it (PcapngWriter's, and
                // Wireshark's when it copies a block); the custom data after it is opaque, left as it is.
                if bigEndian && buffer.count >= 4 {
                    buffer.swapAt(0, 3)
                    buffer.swapAt(1, 2)
                }
                var record = CaptureRecord(
                    number: number, timestamp: lastTimestamp, capturedLength: 0, wireLength: 0,
                    linkType: interfaces.first?.linkType ?? .ethernet, linkTypeNumber: interfaces.first?.number)
                record.isPacket = false
                record.customBlockType = type
                return record
            default: continue
            }
        }
    }

    /// Reads the rest of a block (after `already` bytes) into `buffer`, without the trailing length.
    private mutating func readBody(length: Int, already: Int) throws(CaptureError) {
        guard length >= already + 4, length % 4 == 0, length <= PcapngReader.maximumBlockLength else {
            throw corrupt("a block has an impossible length \(length)")
        }
        let remaining = length - already
        if buffer.count < remaining { buffer = [UInt8](repeating: 0, count: remaining) }
        buffer.removeSubrange(remaining...)
        let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, remaining, file) }
        guard got == remaining else { throw corrupt("the file ends inside a block") }
        buffer.removeLast(4)  // the trailing copy of the block length
    }

    private mutating func addInterface() throws(CaptureError) {
        guard buffer.count >= 8 else { throw corrupt("an interface description block is too short") }
        let value = Int32(load16(buffer, 0))
        var interface = Interface(
            linkType: LinkType(dlt: value), number: value, snapshotLength: Int(load32(buffer, 4)),
            resolutionExponent: 6, decimal: true, offsetSeconds: 0)
        var o = 8
        while o + 4 <= buffer.count {
            let code = load16(buffer, o)
            let length = Int(load16(buffer, o + 2))
            guard o + 4 + length <= buffer.count else { break }
            if code == 0 { break }
            if code == 9 && length >= 1 {
                let value = buffer[o + 4]
                interface.decimal = value & 0x80 == 0
                interface.resolutionExponent = Int(value & 0x7f)
            } else if code == 14 && length >= 8 {
                interface.offsetSeconds = Int64(bitPattern: UInt64(load32(buffer, o + 4)) << 32 | UInt64(load32(buffer, o + 8)))
                if !bigEndian {
                    interface.offsetSeconds = Int64(bitPattern: UInt64(load32(buffer, o + 8)) << 32 | UInt64(load32(buffer, o + 4)))
                }
            }
            o += 4 + (length + 3) / 4 * 4
        }
        interfaces.append(interface)
    }

    private mutating func packet(type: UInt32) throws(CaptureError) -> CaptureRecord? {
        let interfaceID: Int, ticks: UInt64, captured: Int, wire: Int, start: Int
        switch type {
        case 6, 2:  // Enhanced Packet Block; obsolete Packet Block (a 16-bit interface id, then drops)
            guard buffer.count >= 20 else {
                throw corrupt(type == 6 ? "an enhanced packet block is too short" : "a packet block is too short")
            }
            interfaceID = type == 6 ? Int(load32(buffer, 0)) : Int(load16(buffer, 0))
            ticks = UInt64(load32(buffer, 4)) << 32 | UInt64(load32(buffer, 8))
            captured = Int(load32(buffer, 12))
            wire = Int(load32(buffer, 16))
            start = 20
        default:  // Simple Packet Block: interface 0, no timestamp
            guard buffer.count >= 4 else { throw corrupt("a simple packet block is too short") }
            interfaceID = 0
            ticks = 0
            wire = Int(load32(buffer, 0))
            captured = min(wire, buffer.count - 4, interfaces.first.map { $0.snapshotLength > 0 ? $0.snapshotLength : Int.max } ?? Int.max)
            start = 4
        }
        number += 1
        packets += 1
        guard interfaceID < interfaces.count else {
            throw corrupt("a packet names interface \(interfaceID), but the section describes \(interfaces.count)")
        }
        guard captured <= buffer.count - start else {
            throw corrupt("a packet claims \(captured) captured bytes in a block of \(buffer.count - start)")
        }
        packetRange = start..<(start + captured)
        let interface = interfaces[interfaceID]
        if type != 3 { lastTimestamp = Timestamp(nanoseconds: PcapngReader.nanoseconds(ticks, interface)) }
        return CaptureRecord(
            number: number, timestamp: lastTimestamp,
            capturedLength: captured, wireLength: max(wire, captured), linkType: interface.linkType,
            linkTypeNumber: interface.number)
    }

    /// Converts interface ticks to nanoseconds since the epoch. Ticks are taken as signed and the
    /// arithmetic wraps, so garbage timestamps stay distinct and ordered instead of trapping.
    static func nanoseconds(_ ticks: UInt64, _ interface: Interface) -> Int64 {
        let offset = interface.offsetSeconds &* 1_000_000_000
        let signed = Int64(bitPattern: ticks)
        let e = interface.resolutionExponent
        if interface.decimal {
            if e <= 9 {
                var factor: Int64 = 1
                for _ in 0..<(9 - e) { factor &*= 10 }
                return signed &* factor &+ offset
            }
            var divisor: Int64 = 1
            for _ in 0..<min(e - 9, 18) { divisor &*= 10 }
            return signed / divisor &+ offset
        }
        guard e < 63 else { return offset }
        let whole = signed >> Int64(e)
        let fraction = UInt64(bitPattern: signed & ((1 << Int64(e)) - 1))
        let (high, low) = fraction.multipliedFullWidth(by: 1_000_000_000)
        let fractionNanos = e == 0 ? 0 : (high << (64 - UInt64(e))) | (low >> UInt64(e))
        return whole &* 1_000_000_000 &+ Int64(bitPattern: fractionNanos) &+ offset
    }

    private func corrupt(_ message: String) -> CaptureError {
        CaptureError(path: path, frame: number + 1, message: message)
    }

    private func load32(_ b: [UInt8], _ o: Int) -> UInt32 {
        let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    private func load16(_ b: [UInt8], _ o: Int) -> UInt16 {
        let v = UInt16(b[o]) | UInt16(b[o + 1]) << 8
        return bigEndian ? v.byteSwapped : v
    }
}
