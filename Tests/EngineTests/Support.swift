import Firewall
import Foundation
import Packets
import PolicyFiles
import Testing
import TestSupport

/// A scenario (the project's YAML) loaded as `analyze` loads it.
func scenario(_ yaml: String) -> LoadedPolicy {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-engine-\(UUID().uuidString).yaml")
    try? yaml.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    do {
        return try PolicyLoader.load(policyFiles: [url.path], timelineFiles: [], eni: nil, policyState: .start)
    } catch {
        fatalError("scenario does not load: \(error)\n\(yaml)")
    }
}

let t0 = Timestamp(seconds: 1_700_000_000)

/// One frame of a test capture: a decoded packet and its time (seconds after t0).
struct Frame {
    var packet: DecodedPacket
    var time: Timestamp
}

func at(_ seconds: Double, _ ip: [UInt8]) -> Frame {
    Frame(packet: B.decode(ip, linkType: .rawIP), time: t0 + Interval(nanoseconds: Int64((seconds * 1e9).rounded())))
}

func tcp(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, _ flags: TCPFlags, at seconds: Double) -> Frame {
    at(seconds, B.ipv4(src: src, dst: dst, proto: 6, B.tcp(src: src, dst: dst, sport: sport, dport: dport, flags: flags)))
}

func udp(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, at seconds: Double) -> Frame {
    at(seconds, B.ipv4(src: src, dst: dst, proto: 17, B.udp(src: src, dst: dst, sport: sport, dport: dport, [1, 2, 3])))
}

func ping(_ src: String, _ dst: String, type: UInt8 = 8, id: UInt16 = 7, at seconds: Double) -> Frame {
    at(seconds, B.ipv4(src: src, dst: dst, proto: 1, B.icmp(type: type, identifier: id, sequence: 1)))
}

func gre(_ src: String, _ dst: String, at seconds: Double) -> Frame {
    at(seconds, B.ipv4(src: src, dst: dst, proto: 47, [0, 0, 0x08, 0x00] + [UInt8](repeating: 0, count: 20)))
}

/// A TCP handshake from `client` to `server`, then `exchanges` request/response pairs `gap` seconds apart.
func session(client: String, cport: UInt16, server: String, sport: UInt16, from start: Double, exchanges: Int, gap: Double) -> [Frame] {
    var frames = [
        tcp(client, cport, server, sport, [.syn], at: start),
        tcp(server, sport, client, cport, [.syn, .ack], at: start + 0.001),
        tcp(client, cport, server, sport, [.ack], at: start + 0.002),
    ]
    for i in 0..<exchanges {
        let t = start + 0.01 + Double(i) * gap
        frames.append(tcp(client, cport, server, sport, [.psh, .ack], at: t))
        frames.append(tcp(server, sport, client, cport, [.psh, .ack], at: t + 0.001))
    }
    return frames
}

func judge(_ loaded: LoadedPolicy, _ frames: [Frame], options: EngineOptions = EngineOptions()) -> [Judgement] {
    Engine.replay(frames.map { ($0.packet, $0.time) }, policy: loaded, options: options)
}

func verdicts(_ loaded: LoadedPolicy, _ frames: [Frame], options: EngineOptions = EngineOptions()) -> [Verdict] {
    judge(loaded, frames, options: options).map(\.verdict)
}

let R = Verdict.allowedByRule
let T = Verdict.allowedByTracking
let D = Verdict.dropped
let L = Verdict.lostConntrackExhausted
let S = Verdict.skipped
