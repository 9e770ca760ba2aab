import Foundation
import Packets
import PolicyFiles
@testable import Replay
import Reports
import Testing

/// Captures of one interface are one timeline, in time order; overlapping ones are refused, before
/// any replay when their times are known and otherwise when the replay reaches them.
@Suite struct TimelineTests {
    let captures = Captures()

    func input(_ path: String, _ first: Int64?, _ last: Int64? = nil) -> CaptureSet.Input {
        CaptureSet.Input(
            path: path, firstTime: first.map { Timestamp(seconds: $0) }, lastTime: last.map { Timestamp(seconds: $0) }, size: 0)
    }

    func plan(_ captures: [Int]) throws -> TimelinePlan {
        let policy = try PolicyLoader.load(policyFiles: [Captures.ssh.appendingPathComponent("scenario.yaml").path])
        return TimelinePlan(interface: "eni-a", policy: policy, captures: captures)
    }

    @Test func capturesAreOrderedByTheirFirstFrameEmptyOnesFirst() throws {
        let inputs = [input("late", 300), input("empty", nil), input("early", 100), input("tie", 100)]
        var p = try plan([0, 1, 2, 3])
        p.sortByTime(inputs)
        #expect(p.captures == [1, 2, 3, 0])
    }

    @Test func capturesThatOverlapInTimeAreNamedWithTheirSpans() throws {
        let inputs = [input("a.pcap", 100, 200), input("b.pcap", 150, 250), input("c.pcap", 200, 300)]
        let message = try #require(try plan([0, 1]).overlap(inputs))
        #expect(message.hasPrefix("a.pcap (1970-01-01T00:01:40"))
        #expect(message.contains("and b.pcap (from 1970-01-01T00:02:30"))
        #expect(message.contains("both are captures of eni-a"))
        // One ending as the next begins is no overlap.
        #expect(try plan([0, 2]).overlap(inputs) == nil)
    }

    @Test func anOverlapFoundByTheReplayFailsTheRun() throws {
        let policy = try PolicyLoader.load(policyFiles: [Captures.ssh.appendingPathComponent("scenario.yaml").path])
        let first = try captures.write("hour-1.pcap", Captures.ssh("10.0.0.5", start: 1000, frames: 10))
        let second = try captures.write("hour-2.pcap", Captures.ssh("10.0.0.5", start: 1005, frames: 10))
        #expect {
            try CaptureSet.analyze(CaptureSet.Request(captures: [first, second], policies: [policy]))
        } throws: { error in
            guard case ReplayError.failed(let message) = error else { return false }
            return message.contains("\(first) (1970-01-01T00:16:40") && message.contains("overlap in time")
        }
    }

    @Test func aTimelineSplitInTwoCountsEveryFrameOnce() throws {
        let policy = try PolicyLoader.load(policyFiles: [Captures.ssh.appendingPathComponent("scenario.yaml").path])
        let records = Captures.ssh("10.0.0.5", start: 1000, frames: 12)
        let second = try captures.write("part-2.pcap", Array(records[6...]))
        let first = try captures.write("part-1.pcap", Array(records[..<6]))
        // Given out of order: replayed in time order, summarised in the order given.
        let combined = try CaptureSet.analyze(CaptureSet.Request(captures: [second, first], policies: [policy]))
        #expect(combined.captures.map(\.summary.captureName) == [second, first])
        #expect(combined.captures.map(\.summary.frames) == [6, 6])
        #expect(combined.timelines.count == 1 && combined.timelines[0].captures == [1, 0])
    }
}
