import Capture
import Firewall
import Foundation
import Packets
import Replay
import Reports
import Testing
import TestSupport

/// The annotated capture written through `Analysis`: judging lags decoding, so each frame's bytes
/// must survive in its slot until its verdict is known, whatever the sizes around it.
@Suite struct AnnotatedCaptureTests {
    @Test func framesOfEverySizeComeOutInOrderWithTheirVerdictsAcrossTheJudgingLag() throws {
        var policy = Policy()
        policy.instance.add(try #require(IPAddress(parsing: "10.0.0.5")), kind: .given)
        let engine = Engine(policy: LoadedPolicy(policy: policy), options: EngineOptions())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-\(UUID().uuidString).pcapng")
        defer { try? FileManager.default.removeItem(at: url) }
        let annotation = AnnotatedCapture(output: try OutputFile(path: url.path), linkTypeNumber: 1, snapshotLength: 65535)
        var analysis = Analysis(
            linkType: .ethernet, options: .init(), engine: engine, summary: Summary(captureName: "test"),
            annotation: annotation)

        // Payload sizes that grow past a slot's first buffer and shrink again, over several lag windows.
        let t0 = Timestamp(seconds: 1_700_000_000, nanoseconds: 1)
        let sizes = (0..<60).map { i in [0, 1, 3, 1400, 9000, 17, 64_000, 2][i % 8] + i }
        var written: [[UInt8]] = []
        for (i, size) in sizes.enumerated() {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            let frame = B.ethernet(type: 0x0800, B.ipv4(src: "203.0.113.1", dst: "10.0.0.5", proto: 17,
                B.udp(src: "203.0.113.1", dst: "10.0.0.5", sport: 5000, dport: UInt16(1000 + i), payload)))
            written.append(frame)
            frame.withUnsafeBytes { raw in
                analysis.process(
                    frame: i + 1, time: t0 + Interval(nanoseconds: Int64(i) * 1_001), bytes: RawSpan(_unsafeBytes: raw),
                    wireLength: frame.count + (i == 5 ? 100 : 0), linkType: .ethernet)
            }
        }
        analysis.finish()
        try annotation.commit()

        let reader = try CaptureReader(path: url.path)
        var read: [(CaptureRecord, [UInt8])] = []
        let end = reader.forEachPacket { record, bytes in bytes.withUnsafeBytes { read.append((record, Array($0))) } }
        guard case .endOfFile = end else { Issue.record("ended with \(end)"); return }
        #expect(read.count == sizes.count)
        for (i, (record, bytes)) in read.enumerated() {
            #expect(bytes == written[i], "frame \(i + 1)")
            #expect(record.timestamp == t0 + Interval(nanoseconds: Int64(i) * 1_001))
            #expect(record.wireLength == written[i].count + (i == 5 ? 100 : 0))
        }

        // Each comment is the verdict and reason (no rule permits the UDP datagrams: dropped).
        let file = try Data(contentsOf: url)
        let text = String(decoding: file, as: UTF8.self)
        #expect(text.components(separatedBy: "sgreplay: dropped: no-sg-rule: no inbound rule permits udp ").count == sizes.count + 1)
        #expect(text.contains("udp 1059 from 203.0.113.1, and no live tracking entry"))
    }
}
