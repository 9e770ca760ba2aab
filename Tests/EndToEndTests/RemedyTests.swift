import Foundation
import Testing
import TestSupport

/// Remedies are checked by replay, and `--edit` asks the same kind of what-if question.
@Suite struct RemedyTests {
    func summary(_ trace: String, _ extra: [String] = []) throws -> [String: Any] {
        let dir = packageRoot.appendingPathComponent("Traces/\(trace)")
        let r = try runSgreplay(["analyze", "capture.pcap", "--policy", "scenario.yaml", "--format", "json"] + extra, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test func theSSHRevokeGetsThreeRemediesEachCheckedByReplay() throws {
        let s = try summary("ssh-session-continues-after-revoke")
        let edit = try #require((s["edits"] as? [[String: Any]])?.first)
        let remedies = try #require(edit["remedies"] as? [[String: Any]])
        #expect(remedies.count == 3)
        let nacl = try #require(remedies.first { ($0["proposal"] as? String)?.hasPrefix("add NACL deny entries for 203.0.113.1/32") == true })
        #expect(nacl["tracked_packets"] as? Int == 32 && nacl["stopped_packets"] as? Int == 32)
        #expect(nacl["other_packets_dropped"] as? Int == 0)
        // The session never idles for 60 s: the shortest TCP timeout would not have stopped it.
        let timeout = try #require(remedies.first { ($0["proposal"] as? String)?.contains("TcpEstablishedTimeout") == true })
        #expect(timeout["stopped_packets"] as? Int == 0)
        let end = try #require(remedies.first { ($0["proposal"] as? String)?.hasPrefix("end the connection") == true })
        #expect(end["stopped_packets"] as? Int == 32)
    }

    @Test func remediesCanBeTurnedOff() throws {
        let s = try summary("ssh-session-continues-after-revoke", ["--remedies", "off"])
        let edit = try #require((s["edits"] as? [[String: Any]])?.first)
        #expect((edit["remedies"] as? [Any])?.isEmpty == true)
    }

    @Test func anEditFromTheCommandLineChangesTheReplay() throws {
        let base = try summary("nacl-denies-ephemeral-replies")
        let whatIf = try summary("nacl-denies-ephemeral-replies",
            ["--edit", "{at: +1s, nacl-create: inbound 1 deny all from 198.51.100.7/32}"])
        let before = try #require(base["verdicts"] as? [String: Int])
        let after = try #require(whatIf["verdicts"] as? [String: Int])
        #expect(after["dropped"]! > before["dropped"]!)
        let edits = try #require(whatIf["edits"] as? [[String: Any]])
        #expect(edits.contains { ($0["source"] as? String)?.contains("--edit 1") == true })
    }

    @Test func aBadEditNamesTheOption() throws {
        let dir = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")
        let r = try runSgreplay(["analyze", "capture.pcap", "--policy", "scenario.yaml", "--edit", "{at: +1s, nacl-create: sideways}"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sgreplay: error: --edit 1: "))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// Standard input is read once: with remedies it is spooled, every replay reads the spool, and
    /// the spool is gone after the run, as after a failed one.
    @Test func remediesOnStandardInputReplayTheSpoolAndRemoveIt() throws {
        let dir = packageRoot.appendingPathComponent("Traces/ssh-session-continues-after-revoke")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let capture = try Data(contentsOf: dir.appendingPathComponent("capture.pcap"))
        let r = try runSgreplay(
            ["analyze", "-", "--policy", "scenario.yaml", "--format", "json", "--remedies", "on"], in: dir, stdin: capture,
            environment: ["TMPDIR": tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let edit = try #require((s["edits"] as? [[String: Any]])?.first)
        #expect((edit["remedies"] as? [Any])?.count == 3)
        #expect(try summary("ssh-session-continues-after-revoke")["verdicts"] as? [String: Int] == s["verdicts"] as? [String: Int])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        // A run that fails after the spool was made (its labels cannot be written): the spool goes too.
        let bad = try runSgreplay(
            ["analyze", "-", "--policy", "scenario.yaml", "--remedies", "on", "--labels", "/nonexistent/dir/l.jsonl"], in: dir,
            stdin: capture, environment: ["TMPDIR": tmp.path])
        #expect(bad.status == 2 && bad.stderr.hasPrefix("sgreplay: error: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }
}
