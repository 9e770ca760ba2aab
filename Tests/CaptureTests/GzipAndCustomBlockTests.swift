@testable import Capture
import Foundation
import Packets
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Every frame with its whole bytes, and how reading ended.
func readFrames(_ path: String) throws -> (frames: [(record: CaptureRecord, bytes: [UInt8])], end: CaptureReader.End, reader: CaptureReader) {
    let reader = try CaptureReader(path: path)
    var frames: [(CaptureRecord, [UInt8])] = []
    let end = reader.forEachPacket { record, bytes in bytes.withUnsafeBytes { frames.append((record, Array($0))) } }
    return (frames, end, reader)
}

/// The same frames through the project's own pcapng block reader alone (no libpcap).
func readWithPcapngReader(_ path: String) throws -> [(record: CaptureRecord, bytes: [UInt8])] {
    let file = try #require(fopen(path, "rb"))
    var reader = PcapngReader(path: path, file: file)
    defer { reader.close() }
    var frames: [(CaptureRecord, [UInt8])] = []
    while let record = try reader.next() { frames.append((record, Array(reader.packetBytes))) }
    return frames
}

/// A record's fields as one comparable string.
func describe(_ r: CaptureRecord) -> String {
    "\(r.number) \(r.isPacket ? "packet" : "custom 0x\(String(r.customBlockType, radix: 16))") \(r.timestamp.nanoseconds) "
        + "\(r.capturedLength)/\(r.wireLength) \(r.linkType.name) \(r.linkTypeNumber)"
}

func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// A few hundred frames of different sizes and contents, so that compression and cuts fall anywhere.
func manyFrames(_ count: Int = 300) -> [CaptureFileBuilder.Record] {
    (0..<count).map { i in
        let payload = (0..<(i % 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
        let ip = B.ipv4(src: "203.0.113.\(1 + i % 200)", dst: "10.0.0.5", proto: 17,
            B.udp(src: "203.0.113.\(1 + i % 200)", dst: "10.0.0.5", sport: UInt16(1024 + i), dport: 53, payload))
        return CaptureFileBuilder.Record(time: t0 + Packets.Interval(nanoseconds: Int64(i) * 7_000_123), bytes: B.ethernet(type: 0x0800, ip))
    }
}

@Suite struct GzipCaptureTests {
    @Test(arguments: ["pcap", "pcapng"])
    func aGzipCaptureReadsAsTheUncompressedOne(format: String) throws {
        let plain = format == "pcap"
            ? CaptureFileBuilder.pcap(linkType: 1, nanosecond: true, manyFrames())
            : CaptureFileBuilder.pcapng(interfaces: [(1, 9)], manyFrames())
        let expected = try readFrames(try temporaryFile(plain, name: "capture.\(format)"))
        // Recognised by its magic bytes, whatever the name says.
        for name in ["capture.\(format).gz", "capture.\(format)"] {
            let read = try readFrames(try temporaryFile(gzipped(plain), name: name))
            guard case .endOfFile = read.end else { Issue.record("\(name) ended with \(read.end)"); continue }
            #expect(read.reader.isCompressed)
            #expect(!expected.reader.isCompressed)
            #expect(read.frames.count == 300)
            #expect(read.frames.map { describe($0.record) } == expected.frames.map { describe($0.record) })
            #expect(read.frames.map(\.bytes) == expected.frames.map(\.bytes))
        }
    }

    @Test func concatenatedGzipMembersReadAsOneStream() throws {
        let plain = CaptureFileBuilder.pcap(linkType: 1, manyFrames())
        // Cut anywhere, even inside the file header or a record: the members join into one stream.
        for cut in [3, 24, 1000, plain.count / 2, plain.count - 1] {
            let joined = gzipped(Array(plain[..<cut])) + gzipped(Array(plain[cut...]), level: 1)
            let read = try readFrames(try temporaryFile(joined, name: "joined.pcap.gz"))
            guard case .endOfFile = read.end else { Issue.record("cut at \(cut): ended with \(read.end)"); continue }
            #expect(read.frames.count == 300, "cut at \(cut)")
        }
    }

    @Test(arguments: ["pcap", "pcapng"])
    func aCutGzipStreamEndsLikeATruncatedCapture(format: String) throws {
        let plain = format == "pcap"
            ? CaptureFileBuilder.pcap(linkType: 1, manyFrames())
            : CaptureFileBuilder.pcapng(interfaces: [(1, 6)], manyFrames())
        // Stored (level 0): the cut falls near the middle of the capture.
        let compressed = gzipped(plain, level: 0)
        for cut in [compressed.count / 2, compressed.count - 4, compressed.count - 12] {
            let path = try temporaryFile(Array(compressed[..<cut]), name: "cut.\(format).gz")
            let read = try readFrames(path)
            guard case .error(let error) = read.end else { Issue.record("cut at \(cut): ended with \(read.end)"); continue }
            #expect(read.frames.count > 0 && read.frames.count <= 300, "cut at \(cut)")
            #expect(error.frame == read.frames.count + 1)
            #expect(error.description.hasPrefix("\(path): frame \(read.frames.count + 1): the gzip stream is cut short"), "\(error)")
            // The frames before the cut are the capture's own.
            let whole = try readFrames(try temporaryFile(plain, name: "whole.\(format)"))
            #expect(read.frames.map(\.bytes) == Array(whole.frames.prefix(read.frames.count)).map(\.bytes))
        }
        // Cut inside the gzip header: nothing to read, an open error that says why.
        let path = try temporaryFile(Array(compressed.prefix(5)), name: "header.\(format).gz")
        #expect(throws: CaptureError.self) { try CaptureReader(path: path) }
        do { _ = try CaptureReader(path: path) } catch {
            #expect(error.description.hasPrefix("\(path): the gzip stream is cut short"), "\(error)")
        }
    }

    @Test func aCorruptGzipStreamIsReportedAtItsFrame() throws {
        let plain = CaptureFileBuilder.pcap(linkType: 1, manyFrames())
        var compressed = gzipped(plain)
        // A damaged trailer (the CRC of the data): every frame is read, then the error.
        var badCRC = compressed
        badCRC[badCRC.count - 6] ^= 0xff
        let crc = try readFrames(try temporaryFile(badCRC, name: "crc.pcap.gz"))
        guard case .error(let crcError) = crc.end else { Issue.record("ended with \(crc.end)"); return }
        #expect(crc.frames.count == 300)
        #expect(crcError.frame == 301)
        #expect(crcError.message.hasPrefix("the gzip stream is corrupt at compressed byte"), "\(crcError)")
        #expect(crcError.message.hasSuffix("incorrect data check"), "\(crcError)")
        // Damage inside the deflate data: whatever comes before, the read ends with an error, not a crash.
        for at in stride(from: 20, to: compressed.count - 8, by: max(1, compressed.count / 40)) {
            compressed = gzipped(plain)
            compressed[at] ^= 0x5a
            let read: (frames: [(record: CaptureRecord, bytes: [UInt8])], end: CaptureReader.End, reader: CaptureReader)
            do { read = try readFrames(try temporaryFile(compressed, name: "bad.pcap.gz")) } catch let error as CaptureError {
                // Damage before the first decompressed bytes: the capture cannot be opened.
                #expect(error.message.hasPrefix("the gzip stream is corrupt"), "\(error)")
                continue
            }
            guard case .error(let error) = read.end else { Issue.record("damage at \(at): ended with \(read.end)"); continue }
            #expect(error.frame == read.frames.count + 1)
            #expect(error.message.hasPrefix("the gzip stream is corrupt") || read.frames.count < 300, "\(error)")
        }
    }

    @Test func aGzipFileThatHoldsNoCaptureIsNotACapture() throws {
        let text = Array("hello, this is not a capture\n".utf8)
        for path in [try temporaryFile(text, name: "text.gz"), try temporaryFile(gzipped(text), name: "text.gz")] {
            do {
                _ = try CaptureReader(path: path)
                Issue.record("opened \(path)")
            } catch {
                #expect(error.description == "\(path): not a pcap or pcapng capture (unknown file format)")
            }
        }
        // Not gzip at all past its first two bytes.
        let fake = try temporaryFile([0x1f, 0x8b, 0x99, 0] + text, name: "fake.gz")
        do {
            _ = try CaptureReader(path: fake)
            Issue.record("opened \(fake)")
        } catch {
            #expect(error.description.hasPrefix("\(fake): the gzip stream is corrupt"), "\(error)")
        }
    }

    @Test func bytesReadCountsTheCompressedFile() throws {
        let plain = CaptureFileBuilder.pcap(linkType: 1, manyFrames(3000))
        let compressed = gzipped(plain)
        #expect(compressed.count < plain.count / 2)
        for (bytes, name) in [(plain, "plain.pcap"), (compressed, "capture.pcap.gz")] {
            let reader = try CaptureReader(path: try temporaryFile(bytes, name: name))
            var seen: [Int] = []
            _ = reader.forEachPacket { record, _ in
                if record.number % 500 == 0, let read = reader.bytesRead { seen.append(read) }
            }
            #expect(seen.count == 6)
            #expect(seen == seen.sorted() && seen.allSatisfy { $0 > 0 && $0 <= bytes.count }, "\(name): \(seen)")
            #expect(reader.bytesRead == bytes.count, "\(name)")
        }
    }
}

@Suite struct CustomBlockTests {
    /// tshark's listing of test018: custom blocks are frames 1, 4, 6 and 8 (0x00000BAD "will be
    /// copied", 0x40000BAD "will not be copied"); the packets are two Simple and two Enhanced blocks.
    @Test(arguments: ["test018-le.pcapng", "test018-be.pcapng"])
    func libpcapReadsCustomBlocksAsWiresharksFrames(name: String) throws {
        let path = fixture(name)
        let read = try readFrames(path)
        guard case .endOfFile = read.end else { Issue.record("ended with \(read.end)"); return }
        #expect(!read.reader.usedPcapngReader)
        #expect(read.frames.map(\.record.number) == Array(1...8))
        #expect(read.frames.map(\.record.isPacket) == [false, true, true, false, true, false, true, false])
        #expect(read.frames.map(\.record.customBlockType) == [0x0BAD, 0, 0, 0x4000_0BAD, 0, 0x0BAD, 0, 0x4000_0BAD])
        // Each custom block's body: its Private Enterprise Number first, little-endian in either file.
        func pen(_ b: [UInt8]) -> UInt32 {
            UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        }
        let customs = read.frames.filter { !$0.record.isPacket }
        #expect(customs.map { pen($0.bytes) } == [32473, 32473, 36724, 36724])
        #expect(customs.map(\.bytes.count) == [28, 64, 40, 36])
        #expect(String(decoding: customs[0].bytes[4...].prefix { $0 != 0 }, as: UTF8.self) == "an example Custom Block")
        // The packets around them: DHCP Discover, Offer, Request, ACK (frame lengths as tshark shows).
        #expect(read.frames.filter(\.record.isPacket).map(\.record.capturedLength) == [314, 342, 314, 342])
        // Exactly the records of the project's own pcapng reader, frame for frame.
        let own = try readWithPcapngReader(path)
        #expect(own.map(\.record.number) == read.frames.map(\.record.number))
        #expect(own.map(\.record.isPacket) == read.frames.map(\.record.isPacket))
        #expect(own.map(\.bytes) == read.frames.map(\.bytes))
        #expect(own.map(\.record.customBlockType) == read.frames.map(\.record.customBlockType))
    }

    @Test func customBlocksAnywhereComeOutInPlaceAsThePcapngReadersRecords() throws {
        let pen: [UInt8] = [0x59, 0x7E, 0, 0]
        let records = manyFrames(40)
        // Two in a row before the first packet, one around a packet (one of them longer than the
        // FILE's buffer), one before the last packet and one after it.
        let customs: [Int: (type: UInt32, body: [UInt8])] = [
            0: (0x0BAD, pen + Array("first".utf8)),
            7: (0x4000_0BAD, pen + [UInt8](repeating: 0xab, count: 70_000)),
            8: (0x0BAD, pen),
            39: (0x0BAD, pen + Array("before the last".utf8)),
            40: (0x4000_0BAD, pen + Array("after the last packet".utf8)),
        ]
        var plain = CaptureFileBuilder.pcapng(interfaces: [(1, 9)], records, customBlocks: customs)
        // One more, by hand, right after the section and interface blocks: before the other first one.
        let head = CaptureFileBuilder.pcapng(interfaces: [(1, 9)], []).count
        let body = pen + Array("zeroth!".utf8) + [0]  // 12 bytes: no padding
        let length: [UInt8] = [UInt8(12 + body.count), 0, 0, 0]
        plain.insert(contentsOf: [0xAD, 0x0B, 0, 0] + length + body + length, at: head)
        let path = try temporaryFile(plain, name: "customs.pcapng")
        let own = try readWithPcapngReader(path)
        #expect(own.count == 46)
        for (bytes, name) in [(plain, "customs.pcapng"), (gzipped(plain), "customs.pcapng.gz")] {
            let read = try readFrames(try temporaryFile(bytes, name: name))
            guard case .endOfFile = read.end else { Issue.record("\(name) ended with \(read.end)"); continue }
            #expect(!read.reader.usedPcapngReader)
            #expect(read.frames.map { describe($0.record) } == own.map { describe($0.record) }, "\(name)")
            #expect(read.frames.map(\.bytes) == own.map(\.bytes), "\(name)")
            // The frame before and after each custom block.
            let numbers = read.frames.filter { !$0.record.isPacket }.map(\.record.number)
            #expect(numbers == [1, 2, 10, 12, 44, 46])
            #expect(read.frames[0].bytes == body && read.frames[1].bytes == pen + Array("first".utf8) + [0, 0, 0])
            #expect(read.frames[2].bytes == records[0].bytes)  // frame 3
            #expect(read.frames[8].bytes == records[6].bytes)  // frame 9, before the long one
            #expect(read.frames[9].bytes.count == 70_004)
            #expect(read.frames[10].bytes == records[7].bytes)  // frame 11, between two
            #expect(read.frames[12].bytes == records[8].bytes)  // frame 13
            #expect(read.frames[44].bytes == records[39].bytes)  // frame 45, the last packet
            // A custom block takes the time of the packet before it (zero before the first).
            #expect(read.frames[0].record.timestamp.nanoseconds == 0)
            #expect(read.frames[9].record.timestamp == records[6].time)
            #expect(read.frames[11].record.timestamp == records[7].time)
            #expect(read.frames[45].record.timestamp == records[39].time)
        }
    }

    @Test func sectionsOfOneByteOrderAfterAnother() throws {
        // Two sections: libpcap reads on into the second; the custom blocks of both count.
        let le = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("test018-le.pcapng"))))
        let be = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("test018-be.pcapng"))))
        for (bytes, expected) in [(le + le, 16), (be + be, 16)] {
            let read = try readFrames(try temporaryFile(gzipped(bytes), name: "two-sections.pcapng.gz"))
            guard case .endOfFile = read.end else { Issue.record("ended with \(read.end)"); continue }
            #expect(read.frames.map(\.record.number) == Array(1...expected))
            let pattern = [false, true, true, false, true, false, true, false]
            #expect(read.frames.map(\.record.isPacket) == pattern + pattern)
        }
        // libpcap 1.10 misreads a section of the other byte order: PcapngReader reads on from there.
        for (bytes, name) in [(le + be, "mixed-order.pcapng"), (gzipped(be + le), "mixed-order.pcapng.gz")] {
            let read = try readFrames(try temporaryFile(bytes, name: name))
            guard case .endOfFile = read.end else { Issue.record("\(name) ended with \(read.end)"); continue }
            #expect(read.reader.usedPcapngReader)
            #expect(read.frames.map(\.record.number) == Array(1...16))
            let pattern = [false, true, true, false, true, false, true, false]
            #expect(read.frames.map(\.record.isPacket) == pattern + pattern)
            // The same packets in both sections (custom blocks' options keep their section's byte order).
            let packets = read.frames.filter(\.record.isPacket).map(\.bytes)
            #expect(packets.prefix(4) == packets.suffix(4))
        }
    }

    @Test func aCutInsideACustomBlockIsReportedAtItsFrame() throws {
        let pen: [UInt8] = [0x59, 0x7E, 0, 0]
        let plain = CaptureFileBuilder.pcapng(
            interfaces: [(1, 9)], manyFrames(3), customBlocks: [2: (0x0BAD, pen + [UInt8](repeating: 7, count: 100))])
        let cut = Array(plain[..<(plain.count - 60 - 20)])  // inside the custom block before the last packet
        for (bytes, name) in [(cut, "cut.pcapng"), (gzipped(cut), "cut.pcapng.gz")] {
            let read = try readFrames(try temporaryFile(bytes, name: name))
            #expect(read.frames.map(\.record.number) == [1, 2], "\(name)")
            guard case .error(let error) = read.end else { Issue.record("\(name) ended with \(read.end)"); continue }
            #expect(error.frame == 3)
        }
    }

    /// A custom block before an interface of another link type: libpcap hands it out as frame 2,
    /// then gives up at the interface, and the pcapng reader reads on from frame 3 (from gzip too).
    @Test func theSwitchToThePcapngReaderKeepsTheNumbering() throws {
        var out: [UInt8] = []
        var writer = PcapngWriter()
        writer.appendSectionHeader(application: "sgreplay tests", to: &out)
        let cooked = B.linuxCooked(protocolType: 0x0800, synIPv4)
        let input: [(Int32, [UInt8])] = [(1, frameA), (113, cooked), (1, frameB)]
        let custom: [UInt8] = [0x59, 0x7E, 0, 0] + Array("before the new interface".utf8)
        for (i, (number, bytes)) in input.enumerated() {
            let id = writer.interface(linkTypeNumber: number, snapshotLength: 65535, to: &out)
            bytes.withUnsafeBytes {
                writer.appendEnhancedPacket(
                    interface: id, timestamp: t0 + .seconds(Int64(i)), packet: RawSpan(_unsafeBytes: $0),
                    originalLength: bytes.count, comment: [], to: &out)
            }
            if i == 0 || i == 2 {
                custom.withUnsafeBytes { writer.appendCustomBlock(type: 0x0BAD, body: RawSpan(_unsafeBytes: $0), to: &out) }
            }
        }
        let plainPath = try temporaryFile(out, name: "switch.pcapng")
        let own = try readWithPcapngReader(plainPath)
        for (bytes, name) in [(out, "switch.pcapng"), (gzipped(out), "switch.pcapng.gz")] {
            let read = try readFrames(try temporaryFile(bytes, name: name))
            guard case .endOfFile = read.end else { Issue.record("\(name) ended with \(read.end)"); continue }
            #expect(read.reader.usedPcapngReader)
            #expect(read.frames.map(\.record.number) == [1, 2, 3, 4, 5])
            #expect(read.frames.map(\.record.isPacket) == [true, false, true, true, false])
            #expect(read.frames.filter(\.record.isPacket).map(\.bytes) == input.map(\.1))
            #expect(read.frames.map(\.bytes) == own.map(\.bytes))
            #expect(read.frames.filter(\.record.isPacket).map(\.record.linkType) == [.ethernet, .linuxCooked, .ethernet])
        }
    }

    /// libpcap skips custom blocks up to its next packet, and this reader holds them until then: past
    /// 64 MiB of them it rereads the file with the pcapng reader, which streams them.
    @Test func moreCustomBlocksThanAreHeldSwitchToThePcapngReader() throws {
        let pen: [UInt8] = [0x59, 0x7E, 0, 0]
        let big = pen + [UInt8](repeating: 0x42, count: 1 << 20)
        var customs: [Int: (type: UInt32, body: [UInt8])] = [:]
        customs[1] = (0x0BAD, big)
        var plain = CaptureFileBuilder.pcapng(interfaces: [(1, 9)], Array(manyFrames(2)), customBlocks: customs)
        // 70 blocks of 1 MiB in a row between the two packets: the one above, 69 more copies of it.
        let one = 12 + big.count
        let at = plain.count - (12 + 20 + manyFrames(2)[1].bytes.count + (4 - manyFrames(2)[1].bytes.count % 4) % 4) - one
        let block = Array(plain[at..<(at + one)])
        #expect(block.prefix(4) == [0xAD, 0x0B, 0, 0])
        for _ in 0..<69 { plain.insert(contentsOf: block, at: at) }
        let read = try readFrames(try temporaryFile(plain, name: "many.pcapng"))
        guard case .endOfFile = read.end else { Issue.record("ended with \(read.end)"); return }
        #expect(read.reader.usedPcapngReader)
        #expect(read.frames.map(\.record.number) == Array(1...72))
        #expect(read.frames.map(\.record.isPacket) == [true] + [Bool](repeating: false, count: 70) + [true])
        #expect(read.frames.dropFirst().dropLast().allSatisfy { $0.bytes == big })
    }

    /// A section header too short to hold its own fields (12 bytes) once made the block walk spin.
    @Test func aSectionHeaderShorterThanItsFieldsEndsTheReadWithAnError() throws {
        let good = CaptureFileBuilder.pcapng(interfaces: [(1, 9)], manyFrames(2))
        let short: [UInt8] = [0x0A, 0x0D, 0x0D, 0x0A, 12, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A]
        for bytes in [good + short, good + short + good] {
            let read = try readFrames(try temporaryFile(bytes, name: "short-section.pcapng"))
            #expect(read.frames.map(\.record.number) == [1, 2])
            guard case .error(let error) = read.end else { Issue.record("ended with \(read.end)"); continue }
            #expect(error.frame == 3)
        }
    }
}
