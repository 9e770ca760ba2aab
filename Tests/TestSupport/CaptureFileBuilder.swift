import Packets

/// Writes pcap and pcapng files in memory for reader tests: every byte order, precision and
/// several interfaces, without libpcap.
public enum CaptureFileBuilder {
    public struct Record: Sendable {
        public var time: Timestamp
        public var bytes: [UInt8]
        public var wireLength: Int
        public var interface: Int
        public init(time: Timestamp, bytes: [UInt8], wireLength: Int? = nil, interface: Int = 0) {
            self.time = time
            self.bytes = bytes
            self.wireLength = wireLength ?? bytes.count
            self.interface = interface
        }
    }

    /// Classic pcap: microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) magic, either byte order.
    public static func pcap(
        linkType: UInt32, nanosecond: Bool = false, bigEndian: Bool = false, snapshotLength: UInt32 = 65535,
        _ records: [Record]
    ) -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? PacketBuilder.be32(v) : PacketBuilder.be32(v).reversed() }
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? PacketBuilder.be16(v) : PacketBuilder.be16(v).reversed() }
        var out = u32(nanosecond ? 0xa1b2_3c4d : 0xa1b2_c3d4) + u16(2) + u16(4) + u32(0) + u32(0)
        out += u32(snapshotLength) + u32(linkType)
        for r in records {
            let (s, n) = r.time.secondsAndFraction
            out += u32(UInt32(truncatingIfNeeded: s)) + u32(UInt32(nanosecond ? n : n / 1000))
            out += u32(UInt32(r.bytes.count)) + u32(UInt32(r.wireLength)) + r.bytes
        }
        return out
    }

    /// pcapng (little-endian): one section, the given interfaces (link type, if_tsresol exponent
    /// of 10), Enhanced Packet Blocks with an optional comment each, and custom blocks (type
    /// 0x00000BAD or 0x40000BAD, body from the Private Enterprise Number on) before the records
    /// whose index they are given.
    public static func pcapng(
        interfaces: [(linkType: UInt16, tsresolDigits: UInt8)], _ records: [Record], comments: [Int: String] = [:],
        customBlocks: [Int: (type: UInt32, body: [UInt8])] = [:]
    ) -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { PacketBuilder.be32(v).reversed() }
        func u16(_ v: UInt16) -> [UInt8] { PacketBuilder.be16(v).reversed() }
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let length = UInt32(12 + padded.count)
            return u32(type) + u32(length) + padded + u32(length)
        }
        func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] {
            u16(code) + u16(UInt16(value.count)) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        }
        var out = block(0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(1) + u16(0) + u32(0xffff_ffff) + u32(0xffff_ffff))
        for interface in interfaces {
            let options = option(9, [interface.tsresolDigits]) + option(0, [])
            out += block(1, u16(interface.linkType) + u16(0) + u32(65535) + options)
        }
        for (index, r) in records.enumerated() {
            if let custom = customBlocks[index] { out += block(custom.type, custom.body) }
            let digits = interfaces[r.interface].tsresolDigits
            var units: Int64 = r.time.nanoseconds
            for _ in 0..<(9 - Int(digits)) { units /= 10 }
            let ticks = UInt64(bitPattern: units)
            var body = u32(UInt32(r.interface)) + u32(UInt32(ticks >> 32)) + u32(UInt32(ticks & 0xffff_ffff))
            body += u32(UInt32(r.bytes.count)) + u32(UInt32(r.wireLength)) + r.bytes
            body += [UInt8](repeating: 0, count: (4 - r.bytes.count % 4) % 4)
            if let comment = comments[index] {
                body += option(1, Array(comment.utf8)) + option(0, [])
            }
            out += block(6, body)
        }
        if let custom = customBlocks[records.count] { out += block(custom.type, custom.body) }
        return out
    }
}
