import Foundation
import Packets
import TestSupport

/// Captures for the tests, built in memory and written to a scratch folder (the reader takes paths).
struct Captures {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-replaytests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static let ssh = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")

    /// An SSH exchange between `peer` and `local`, one frame a second from `start` (seconds since the epoch).
    static func ssh(_ local: String, _ peer: String = "203.0.113.1", start: Int64, frames: Int) -> [CaptureFileBuilder.Record] {
        (0..<frames).map { k in
            let inbound = k % 2 == 0
            let tcp = PacketBuilder.tcp(
                src: inbound ? peer : local, dst: inbound ? local : peer, sport: inbound ? 51514 : 22,
                dport: inbound ? 22 : 51514, seq: UInt32(1000 + k), ack: 1, flags: k == 0 ? .syn : .ack)
            let ip = PacketBuilder.ipv4(src: inbound ? peer : local, dst: inbound ? local : peer, proto: 6, tcp)
            return CaptureFileBuilder.Record(
                time: Timestamp(seconds: start + Int64(k)), bytes: PacketBuilder.ethernet(type: 0x0800, ip))
        }
    }

    /// Writes an Ethernet pcap of `records`; returns its path.
    func write(_ name: String, _ records: [CaptureFileBuilder.Record]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(CaptureFileBuilder.pcap(linkType: 1, records)).write(to: url)
        return url.path
    }
}
