import Capture
import Foundation
import Packets
import Testing
import TestSupport

/// One block of a little-endian pcapng file: its type and body (between the two length fields).
struct Block {
    var type: UInt32
    var body: [UInt8]

    func u32(_ o: Int) -> UInt32 {
        UInt32(body[o]) | UInt32(body[o + 1]) << 8 | UInt32(body[o + 2]) << 16 | UInt32(body[o + 3]) << 24
    }
    func u16(_ o: Int) -> UInt16 { UInt16(body[o]) | UInt16(body[o + 1]) << 8 }

    /// The options after `start`: (code, value) up to opt_endofopt.
    func options(from start: Int) -> [(UInt16, [UInt8])] {
        var o = start, found: [(UInt16, [UInt8])] = []
        while o + 4 <= body.count {
            let code = u16(o), length = Int(u16(o + 2))
            if code == 0 { break }
            found.append((code, Array(body[(o + 4)..<(o + 4 + length)])))
            o += 4 + (length + 3) / 4 * 4
        }
        return found
    }

    /// An Enhanced Packet Block's opt_comment.
    var comment: String? {
        let captured = Int(u32(12))
        return options(from: 20 + (captured + 3) / 4 * 4).first { $0.0 == 1 }.map { String(decoding: $0.1, as: UTF8.self) }
    }
}

/// Splits a file into blocks, checking that every length is a multiple of 4 and both copies agree.
func blocks(_ bytes: [UInt8]) -> [Block] {
    var out: [Block] = [], o = 0
    func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24 }
    while o + 12 <= bytes.count {
        let length = Int(u32(o + 4))
        #expect(length % 4 == 0 && length >= 12 && o + length <= bytes.count, "block at \(o): length \(length)")
        guard length >= 12, o + length <= bytes.count else { break }
        #expect(u32(o + length - 4) == UInt32(length), "block at \(o): trailing length")
        out.append(Block(type: u32(o), body: Array(bytes[(o + 8)..<(o + length - 4)])))
        o += length
    }
    #expect(o == bytes.count, "bytes after the last block")
    return out
}

/// Test frames of awkward sizes: every padding remainder, a minimum and a full Ethernet frame.
let sizes = [42, 43, 61, 62, 63, 1514]
func frame(_ size: Int, seed: Int) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
}

/// Writes a file: one interface per link-type number, the frames with their comments.
func writeCapture(
    linkTypes: [Int32], snapshotLength: Int = 65535,
    _ frames: [(linkType: Int32, time: Timestamp, bytes: [UInt8], wire: Int, comment: String)]
) -> [UInt8] {
    var out: [UInt8] = []
    var writer = PcapngWriter()
    writer.appendSectionHeader(application: "sgreplay tests", to: &out)
    for l in linkTypes { _ = writer.interface(linkTypeNumber: l, snapshotLength: snapshotLength, to: &out) }
    for f in frames {
        let id = writer.interface(linkTypeNumber: f.linkType, snapshotLength: snapshotLength, admitting: f.bytes.count, to: &out)
        f.bytes.withUnsafeBytes { raw in
            writer.appendEnhancedPacket(
                interface: id, timestamp: f.time, packet: RawSpan(_unsafeBytes: raw), originalLength: f.wire,
                comment: Array(f.comment.utf8), to: &out)
        }
    }
    return out
}

@Suite struct PcapngWriterTests {
    @Test func packetsReadBackThroughLibpcapWithTheirBytesLengthsAndNanoseconds() throws {
        let frames = sizes.enumerated().map { i, size in
            (linkType: Int32(1), time: t0 + Interval(nanoseconds: Int64(i) * 1_000_000_007),
             bytes: frame(size, seed: i), wire: i == 2 ? 9000 : size, comment: "sgreplay: dropped: frame \(i + 1)")
        }
        let path = try temporaryFile(writeCapture(linkTypes: [1], frames), name: "out.pcapng")
        let reader = try CaptureReader(path: path)
        #expect(reader.dlt == 1 && reader.snapshotLength == 65535)
        var read: [(CaptureRecord, [UInt8])] = []
        let end = reader.forEachPacket { record, bytes in bytes.withUnsafeBytes { read.append((record, Array($0))) } }
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(!reader.usedPcapngReader)
        #expect(read.count == frames.count)
        for (i, (record, bytes)) in read.enumerated() {
            #expect(record.number == i + 1)
            #expect(record.timestamp == frames[i].time)
            #expect(bytes == frames[i].bytes)
            #expect(record.capturedLength == frames[i].bytes.count)
            #expect(record.wireLength == frames[i].wire)
            #expect(record.linkTypeNumber == 1)
        }
    }

    @Test func eachPacketCarriesItsCommentAsOptComment() throws {
        let frames = sizes.enumerated().map { i, size in
            (linkType: Int32(1), time: t0, bytes: frame(size, seed: i), wire: size,
             comment: i == 3 ? "" : "sgreplay: allowed-by-tracking: entry \(i) — ünïcode")
        }
        let written = blocks(writeCapture(linkTypes: [1], frames))
        #expect(written.map(\.type) == [0x0A0D_0D0A, 1] + Array(repeating: 6, count: sizes.count))
        let packets = written.filter { $0.type == 6 }
        #expect(packets.map(\.comment) == frames.map { $0.comment.isEmpty ? nil : $0.comment })
        // No comment, no options at all: the block ends right after the padded packet data.
        #expect(packets[3].body.count == 20 + (sizes[3] + 3) / 4 * 4)
    }

    @Test func sectionHeaderAndInterfaceAreWrittenFieldByField() {
        var out: [UInt8] = []
        var writer = PcapngWriter()
        writer.appendSectionHeader(application: "ab", to: &out)
        let id = writer.interface(linkTypeNumber: 113, snapshotLength: 262_144, to: &out)
        #expect(id == 0)
        #expect(out == [
            0x0A, 0x0D, 0x0D, 0x0A, 40, 0, 0, 0,  // Block Type, Block Total Length
            0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,  // Byte-Order Magic, Major 1, Minor 0
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // Section Length: not specified
            4, 0, 2, 0, 0x61, 0x62, 0, 0,  // shb_userappl "ab", padded
            0, 0, 0, 0, 40, 0, 0, 0,  // opt_endofopt, Block Total Length
            1, 0, 0, 0, 32, 0, 0, 0,  // IDB: Block Type, Block Total Length
            113, 0, 0, 0, 0x00, 0x00, 0x04, 0x00,  // LinkType 113, Reserved, SnapLen 262144
            9, 0, 1, 0, 9, 0, 0, 0,  // if_tsresol: 9 (nanoseconds), padded
            0, 0, 0, 0, 32, 0, 0, 0,  // opt_endofopt, Block Total Length
        ])
    }

    @Test(arguments: [(Int32(12), UInt16(101), Int32(12)), (14, 14, 14), (101, 101, 12), (228, 228, 228), (229, 229, 229), (0, 0, 0), (108, 108, 108), (276, 276, 276)])
    func rawIPAndOtherLinkTypesKeepTheirDLT(number: Int32, written: UInt16, readBack: Int32) throws {
        let bytes = writeCapture(linkTypes: [number], [(number, t0, B.loopback(family: 2, synIPv4), 64, "x")])
        #expect(blocks(bytes)[1].u16(0) == written)
        let reader = try CaptureReader(path: try temporaryFile(bytes, name: "raw.pcapng"))
        #expect(reader.dlt == readBack)
    }

    @Test func aCommentTooLongForAnOptionIsCutBetweenCharacters() {
        let text = String(repeating: "é", count: 40_000)  // 80 000 bytes, two per character
        #expect(PcapngWriter.fittingLength(Array(text.utf8)) == 65_534)
        let written = blocks(writeCapture(linkTypes: [1], [(1, t0, frame(60, seed: 1), 60, text)]))
        #expect(written[2].comment == String(repeating: "é", count: 32_767))
    }

    @Test func aFrameLongerThanTheSnapshotLengthGetsAnInterfaceWithoutLimit() throws {
        let frames = [
            (linkType: Int32(1), time: t0, bytes: frame(60, seed: 1), wire: 60, comment: "a"),
            (linkType: Int32(1), time: t0 + .seconds(1), bytes: frame(200, seed: 2), wire: 200, comment: "b"),
            (linkType: Int32(1), time: t0 + .seconds(2), bytes: frame(90, seed: 3), wire: 90, comment: "c"),
        ]
        let written = blocks(writeCapture(linkTypes: [1], snapshotLength: 96, frames))
        let interfaces = written.filter { $0.type == 1 }
        #expect(interfaces.map { $0.u32(4) } == [96, 0])
        // Once there, frames of that link type stay on the interface without limit.
        #expect(written.filter { $0.type == 6 }.map { $0.u32(0) } == [0, 1, 1])
    }

    @Test func mixedLinkTypesAndACopiedCustomBlockReadBackFrameForFrame() throws {
        var out: [UInt8] = []
        var writer = PcapngWriter()
        writer.appendSectionHeader(application: "sgreplay tests", to: &out)
        let cooked = B.linuxCooked(protocolType: 0x0800, synIPv4)
        let input: [(Int32, [UInt8])] = [(1, frameA), (113, cooked), (101, synIPv4), (1, frameB)]
        let custom: [UInt8] = [0x59, 0x7E, 0, 0] + Array("opaque data".utf8) + [0]
        for (i, (number, bytes)) in input.enumerated() {
            let id = writer.interface(linkTypeNumber: number, snapshotLength: 65535, to: &out)
            bytes.withUnsafeBytes {
                writer.appendEnhancedPacket(
                    interface: id, timestamp: t0 + .seconds(Int64(i)), packet: RawSpan(_unsafeBytes: $0),
                    originalLength: bytes.count, comment: Array("frame \(i + 1)".utf8), to: &out)
            }
            if i == 1 { custom.withUnsafeBytes { writer.appendCustomBlock(type: 0x0BAD, body: RawSpan(_unsafeBytes: $0), to: &out) } }
        }
        #expect(writer.interfaces.map(\.linkType) == [1, 113, 101])

        let reader = try CaptureReader(path: try temporaryFile(out, name: "mixed.pcapng"))
        var read: [(CaptureRecord, [UInt8])] = []
        let end = reader.forEachPacket { record, bytes in bytes.withUnsafeBytes { read.append((record, Array($0))) } }
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(reader.usedPcapngReader)
        #expect(read.map(\.0.number) == [1, 2, 3, 4, 5])
        #expect(read.map(\.0.isPacket) == [true, true, false, true, true])
        #expect(read[2].0.customBlockType == 0x0BAD)
        #expect(read[2].1 == custom)
        let packets = read.filter(\.0.isPacket)
        #expect(packets.map(\.1) == input.map(\.1))
        #expect(packets.map(\.0.linkTypeNumber) == [1, 113, 101, 1])
        #expect(packets.map(\.0.linkType) == [.ethernet, .linuxCooked, .rawIP, .ethernet])
        #expect(packets.map(\.0.timestamp) == (0..<4).map { t0 + .seconds(Int64($0)) })
    }
}
