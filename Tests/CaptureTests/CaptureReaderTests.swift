import Capture
import Foundation
import Packets
import Testing
import TestSupport

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "capture.pcap") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// Reads every frame: numbers, times, lengths, first byte; and how the loop ended.
func readAll(_ path: String) throws -> (records: [CaptureRecord], firstBytes: [UInt8], end: CaptureReader.End) {
    let reader = try CaptureReader(path: path)
    var records: [CaptureRecord] = []
    var firstBytes: [UInt8] = []
    let end = reader.forEachPacket { record, bytes in
        records.append(record)
        firstBytes.append(bytes.byteCount > 0 ? bytes.unsafeLoad(fromByteOffset: 0, as: UInt8.self) : 0)
    }
    return (records, firstBytes, end)
}

let frameA = B.ethernet(type: 0x0800, synIPv4)
let frameB = B.ethernet(type: 0x86dd, synIPv6)
let t0 = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)

@Suite struct CaptureReaderTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func classicPcapInEveryByteOrderAndPrecision(nanosecond: Bool, bigEndian: Bool) throws {
        let records = [
            CaptureFileBuilder.Record(time: t0, bytes: frameA),
            CaptureFileBuilder.Record(time: t0 + .seconds(2), bytes: frameB, wireLength: 1514),
        ]
        let path = try temporaryFile(CaptureFileBuilder.pcap(linkType: 1, nanosecond: nanosecond, bigEndian: bigEndian, records))
        let (read, _, end) = try readAll(path)
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(read.map { $0.number } == [1, 2])
        // Microsecond files lose the last three digits; nanosecond files keep them all.
        let expected = nanosecond ? t0 : Timestamp(nanoseconds: t0.nanoseconds / 1000 * 1000)
        #expect(read[0].timestamp == expected)
        #expect(read[1].timestamp == expected + .seconds(2))
        #expect(read[0].capturedLength == frameA.count && read[0].wireLength == frameA.count)
        #expect(read[1].capturedLength == frameB.count && read[1].wireLength == 1514)
    }

    @Test func linkTypeIsReported() throws {
        let path = try temporaryFile(CaptureFileBuilder.pcap(linkType: 276, [.init(time: t0, bytes: B.linuxCooked2(protocolType: 0x0800, synIPv4))]))
        let reader = try CaptureReader(path: path)
        #expect(reader.linkType == LinkType.linuxCooked2)
        #expect(reader.dltName == "LINUX_SLL2")
    }

    @Test func pcapngWithSeveralInterfacesOfOneLinkType() throws {
        let records = [
            CaptureFileBuilder.Record(time: t0, bytes: frameA, interface: 0),
            CaptureFileBuilder.Record(time: t0 + .seconds(1), bytes: frameB, interface: 1),
            CaptureFileBuilder.Record(time: t0 + .seconds(3), bytes: frameA, interface: 0),
        ]
        let bytes = CaptureFileBuilder.pcapng(interfaces: [(1, 6), (1, 9)], records)
        let (read, _, end) = try readAll(try temporaryFile(bytes, name: "multi.pcapng"))
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(read.map { $0.number } == [1, 2, 3])
        #expect(read[0].timestamp == Timestamp(nanoseconds: t0.nanoseconds / 1000 * 1000))  // if_tsresol 6
        #expect(read[1].timestamp == t0 + .seconds(1))  // if_tsresol 9 keeps nanoseconds
    }

    @Test func truncatedRecordStopsWithTheFrameNumber() throws {
        let full = CaptureFileBuilder.pcap(linkType: 1, [.init(time: t0, bytes: frameA), .init(time: t0, bytes: frameA), .init(time: t0, bytes: frameA)])
        let path = try temporaryFile(Array(full.dropLast(10)))
        let (read, _, end) = try readAll(path)
        #expect(read.count == 2)
        guard case .error(let error) = end else { Issue.record("ended with \(end)"); return }
        #expect(error.frame == 3)
        #expect(error.description.contains("frame 3: truncated dump file"))
    }

    @Test func truncatedGlobalHeaderIsAnOpenError() throws {
        let path = try temporaryFile(Array(CaptureFileBuilder.pcap(linkType: 1, []).prefix(10)))
        #expect(throws: CaptureError.self) { try CaptureReader(path: path) }
        do {
            _ = try CaptureReader(path: path)
        } catch {
            #expect(error.description.hasPrefix(path + ": truncated dump file"))
            #expect(error.frame == nil)
        }
    }

    @Test func unsupportedLinkTypeIsNamed() throws {
        let path = try temporaryFile(CaptureFileBuilder.pcap(linkType: 127, [.init(time: t0, bytes: [0, 0, 8, 0])]))
        do {
            _ = try CaptureReader(path: path)
            Issue.record("opened a radiotap capture")
        } catch {
            #expect(error.description == "\(path): link type IEEE802_11_RADIO (127, 802.11 plus radiotap header) is not supported; sgreplay reads \(LinkType.supportedDescription)")
        }
    }

    @Test func missingEmptyDirectoryAndNonCaptureFiles() throws {
        let empty = try temporaryFile([])
        let text = try temporaryFile(Array("hello, this is not a capture\n".utf8))
        let directory = URL(fileURLWithPath: empty).deletingLastPathComponent().path
        let cases: [(String, String)] = [
            ("/nonexistent/capture.pcap", "/nonexistent/capture.pcap: no such file or directory"),
            (empty, "\(empty): is empty, not a capture file"),
            (directory, "\(directory): is a directory, not a capture file"),
            (text, "\(text): not a pcap or pcapng capture (unknown file format)"),
        ]
        for (path, message) in cases {
            do {
                _ = try CaptureReader(path: path)
                Issue.record("opened \(path)")
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test func bytesAreTheCapturedBytes() throws {
        let path = try temporaryFile(CaptureFileBuilder.pcap(linkType: 1, [.init(time: t0, bytes: frameA)]))
        let reader = try CaptureReader(path: path)
        var copy: [UInt8] = []
        _ = reader.forEachPacket { _, bytes in
            bytes.withUnsafeBytes { copy = Array($0) }
        }
        #expect(copy == frameA)
    }
}

@Suite struct MixedInterfaceTests {
    /// Wireshark writes one IDB per interface; libpcap 1.10 stops at the first that differs.
    let mixed = CaptureFileBuilder.pcapng(
        interfaces: [(1, 6), (113, 9), (276, 6)],
        [
            .init(time: t0, bytes: frameA, interface: 0),
            .init(time: t0 + .seconds(1), bytes: B.linuxCooked(protocolType: 0x0800, synIPv4), interface: 1),
            .init(time: t0 + .seconds(2), bytes: B.linuxCooked2(protocolType: 0x86dd, synIPv6), interface: 2),
            .init(time: t0 + .seconds(3), bytes: frameB, interface: 0),
        ])

    @Test func everyFrameIsReadWithItsInterfacesLinkType() throws {
        let path = try temporaryFile(mixed, name: "mixed.pcapng")
        let reader = try CaptureReader(path: path)
        var seen: [(Int, LinkType, Timestamp, [UInt8])] = []
        let end = reader.forEachPacket { record, bytes in
            bytes.withUnsafeBytes { seen.append((record.number, record.linkType, record.timestamp, Array($0))) }
        }
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(reader.usedPcapngReader)
        #expect(seen.map { $0.0 } == [1, 2, 3, 4])
        #expect(seen.map { $0.1 } == [.ethernet, .linuxCooked, .linuxCooked2, .ethernet])
        #expect(seen[1].2 == t0 + .seconds(1))
        #expect(seen[1].3 == B.linuxCooked(protocolType: 0x0800, synIPv4))
        #expect(seen[3].3 == frameB)
    }

    @Test func aCorruptBlockAfterTheSwitchIsReportedWithItsFrame() throws {
        // Cut the file inside the last packet block.
        let path = try temporaryFile(Array(mixed.dropLast(30)), name: "cut.pcapng")
        let reader = try CaptureReader(path: path)
        var count = 0
        let end = reader.forEachPacket { _, _ in count += 1 }
        #expect(count == 3)
        guard case .error(let error) = end else { Issue.record("ended with \(end)"); return }
        #expect(error.frame == 4)
        #expect(error.message == "the file ends inside a block")
    }
}
