import Foundation
import Firewall
import Packets
@testable import PolicyFiles

/// The fixtures folder beside this file.
func fixture(_ name: String) -> String {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    return here.appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A scratch folder for files a test writes.
struct Scratch {
    let folder: URL

    init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) -> String {
        let url = folder.appendingPathComponent(name)
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func write(_ name: String, bytes: [UInt8]) -> String {
        let url = folder.appendingPathComponent(name)
        try? Data(bytes).write(to: url)
        return url.path
    }
}

/// The error a load throws, or nil.
func loadError(
    policy: [String] = [], timeline: [String] = [], eni: String? = nil, state: PolicyState = .start
) -> InputError? {
    do {
        _ = try PolicyLoader.load(policyFiles: policy, timelineFiles: timeline, eni: eni, policyState: state)
        return nil
    } catch {
        return error
    }
}

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(parsing: text) else { fatalError("bad test address \(text)") }
    return address
}

func cidr(_ text: String) -> CIDR {
    guard let block = CIDR(parsing: text) else { fatalError("bad test CIDR \(text)") }
    return block
}
