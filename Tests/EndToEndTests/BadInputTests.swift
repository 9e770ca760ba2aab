import Foundation
import Packets
import Testing
import TestSupport

/// The bad-input catalogue: every kind of unusable input gives one line naming the file and the
/// place, exit status 2, and no output file left looking whole.
@Suite struct BadInputTests {
    let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-bad-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ text: String, _ name: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func writeBytes(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    var capture: String {
        get throws {
            let t = Packets.Timestamp(seconds: 1_700_000_000)
            return try writeBytes(CaptureFileBuilder.pcap(linkType: 1, [.init(time: t, bytes: B.ethernet(type: 0x0800, synIPv4))]), "ok.pcap")
        }
    }

    func expectError(_ args: [String], _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try runSgreplay(args)
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(text), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func anAbsurdRecordLengthStopsTheCaptureThere() throws {
        let t = Packets.Timestamp(seconds: 1_700_000_000)
        var bytes = CaptureFileBuilder.pcap(linkType: 1, [.init(time: t, bytes: B.ethernet(type: 0x0800, synIPv4)),
                                                          .init(time: t, bytes: B.ethernet(type: 0x0800, synIPv4))])
        // The second record's captured length: 1409179648 bytes (little-endian at 24 + 16 + 54 + 8).
        let at = 24 + 16 + B.ethernet(type: 0x0800, synIPv4).count + 8
        bytes[at] = 0x00; bytes[at + 1] = 0x00; bytes[at + 2] = 0xfe; bytes[at + 3] = 0x53
        let path = try writeBytes(bytes, "absurd.pcap")
        let r = try runSgreplay(["analyze", path, "--format", "json", "--instance", "10.0.0.5"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"frames\":1"))
        #expect(r.stdout.contains("frame 2:"))
        #expect(r.stderr.contains("frame 2"))
    }

    @Test func aPolicyFileThatIsNeitherJSONNorYAML() throws {
        let policy = try write("\u{1}\u{2} this is : not [ yaml or json\n  - {", "policy.yaml")
        try expectError(["analyze", try capture, "--policy", policy], policy)
    }

    @Test func validJSONOfTheWrongKind() throws {
        let policy = try write("{\"Reservations\": []}", "instances.json")
        try expectError(["analyze", try capture, "--policy", policy], "\(policy): ")
    }

    @Test func anInvalidCIDRIsNamedWithItsPlace() throws {
        let policy = try write("""
            instance: 10.0.0.5
            groups:
              sg-a:
                inbound: [tcp 22 from 10.0.0.0/33]
            """, "scenario.yaml")
        try expectError(["analyze", try capture, "--policy", policy], "\(policy):4")
    }

    @Test func portsOutOfRangeAreNamedWithTheirJSONPath() throws {
        let policy = try write("""
            {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 70000,
              "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "IpPermissionsEgress": []}]}
            """, "sg.json")
        try expectError(["analyze", try capture, "--policy", policy], "SecurityGroups[0].IpPermissions[0].ToPort")
    }

    @Test func aMissingPolicyFile() throws {
        try expectError(["analyze", try capture, "--policy", "/nonexistent/policy.yaml"], "/nonexistent/policy.yaml")
    }

    @Test func aFullDiskLeavesNoLabelsFileBehind() throws {
        // A 64 KiB tmpfs fills up long before the labels do (needs root to mount; skipped otherwise).
        let mountPoint = scratch.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { return }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let t = Packets.Timestamp(seconds: 1_700_000_000)
        var records: [CaptureFileBuilder.Record] = []
        for i in 0..<2000 { records.append(.init(time: t + .seconds(Int64(i)), bytes: B.ethernet(type: 0x0800, synIPv4))) }
        let big = try writeBytes(CaptureFileBuilder.pcap(linkType: 1, records), "big.pcap")
        let labels = mountPoint.appendingPathComponent("labels.jsonl").path
        let r = try runSgreplay(["analyze", big, "--labels", labels, "--instance", "10.0.0.5"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(labels): write failed: No space left on device"))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: mountPoint.path)) ?? []
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
