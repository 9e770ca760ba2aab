@testable import Firewall
import Packets
import Testing

/// The engine and a `RuleClock` made from it walk one chain of policy states: each edit compiled
/// once, a frame classified under state k judged under that same state object.
@Suite struct PolicyClockTests {
    let me = "10.0.0.5", peer = "203.0.113.1"

    /// An edit before the first frame (t0 - 10 s), two at the same relative time, one later, and
    /// one after the last frame.
    var policy: LoadedPolicy {
        scenario("""
            instance: 10.0.0.5
            groups:
              sg-a: {inbound: [{id: sgr-1, rule: udp 53 from 0.0.0.0/0}]}
            timeline:
              - {at: "2023-11-14T22:13:10Z", authorize: "sg-a inbound udp 54 from 0.0.0.0/0"}
              - {at: +5s, revoke: sg-a/sgr-1}
              - {at: +5s, authorize: "sg-a inbound udp 53 from 198.51.100.0/24"}
              - {at: +10s, revoke: "sg-a inbound udp 54 from 0.0.0.0/0"}
              - {at: +100s, revoke: "sg-a inbound udp 53 from 198.51.100.0/24"}
            """)
    }

    var frames: [Frame] {
        // The sixth frame is stamped before the fifth: it counts at the fifth's time.
        [udp(peer, 1, me, 54, at: 0), udp(peer, 1, me, 53, at: 4.9), udp(peer, 2, me, 53, at: 5), udp(peer, 2, me, 54, at: 9),
         udp(peer, 3, me, 54, at: 10), udp(peer, 4, me, 53, at: 8), udp(peer, 1, me, 53, at: 20)]
    }

    @Test func aClockMadeFromTheEngineStandsOnTheEnginesStateAtEveryFrame() {
        var engine = Engine(policy: policy, options: EngineOptions())
        var clock = engine.ruleClock()
        // Everything classified before anything is judged: the furthest the reading thread gets ahead.
        var states: [PolicyState] = []
        var classified = frames.map { frame in
            var packet = frame.packet
            var c = Classification()
            clock.classify(&packet, time: frame.time, into: &c)
            states.append(clock.clockForTests.state)
            return c
        }
        var out: [Judgement] = []
        var j = Judgement(verdict: .skipped, reason: .notDecoded)
        for (i, frame) in frames.enumerated() {
            engine.judge(frame.packet, frame: i + 1, time: frame.time, classified: &classified[i], into: &j)
            #expect(engine.clock.state === states[i], "frame \(i + 1)")
            out.append(j)
        }
        #expect(engine.framesReclassified == 0)
        #expect(engine.clock.timeline === clock.clockForTests.timeline)
        #expect(out.map(\.verdict) == [R, R, D, R, D, D, T])
        #expect(out.map(\.editsApplied) == [1, 1, 3, 3, 4, 4, 4])
        let whole = judge(policy, frames)
        #expect(zip(whole, out).allSatisfy { String(describing: $0) == String(describing: $1) })
    }

    @Test func editsAreRecordedWithTheFirstFrameJudgedUnderThem() {
        var engine = Engine(policy: policy, options: EngineOptions())
        for (i, frame) in frames.enumerated() { _ = engine.judge(frame.packet, frame: i + 1, time: frame.time) }
        #expect(engine.appliedEdits.map(\.frame) == [1, 3, 3, 5])
        engine.finish()
        #expect(engine.appliedEdits.map(\.frame) == [1, 3, 3, 5, 0])
        #expect(engine.appliedEdits.map(\.time) == [t0 - .seconds(10), t0 + .seconds(5), t0 + .seconds(5), t0 + .seconds(10), t0 + .seconds(100)])
        #expect(engine.clock.state.index == 5)
    }

    @Test func aClassificationMadeUnderOtherEditsIsMadeAgainUnderTheEnginesState() {
        var engine = Engine(policy: policy, options: EngineOptions())
        for (i, frame) in frames.prefix(5).enumerated() { _ = engine.judge(frame.packet, frame: i + 1, time: frame.time) }
        var clock = engine.ruleClock()
        var late = udp("198.51.100.7", 4, me, 53, at: 30)
        var c = Classification()
        clock.classify(&late.packet, time: late.time, into: &c)
        #expect(c.editsApplied == 4)
        // The edit at +100 s applies at finish(): the classification, made before, is behind, and
        // would have let the packet through.
        engine.finish()
        var j = Judgement(verdict: .skipped, reason: .notDecoded)
        engine.judge(late.packet, frame: 6, time: late.time, classified: &c, into: &j)
        #expect(engine.framesReclassified == 1)
        #expect(j.verdict == D && j.editsApplied == 5)
    }

    @Test func copiesStartedAtOtherFirstFramesKeepTheirOwnTimelines() {
        let fresh = Engine(policy: policy, options: EngineOptions())
        var a = fresh, b = fresh
        let later = frames.map { Frame(packet: $0.packet, time: $0.time + .seconds(1000)) }
        let ja = frames.enumerated().map { a.judge($1.packet, frame: $0 + 1, time: $1.time) }
        let jb = later.enumerated().map { b.judge($1.packet, frame: $0 + 1, time: $1.time) }
        #expect(a.clock.timeline !== b.clock.timeline)
        #expect(zip(ja, judge(policy, frames)).allSatisfy { String(describing: $0) == String(describing: $1) })
        #expect(zip(jb, judge(policy, later)).allSatisfy { String(describing: $0) == String(describing: $1) })
    }

    @Test func statesBehindEveryClockAreFreed() {
        var engine = Engine(policy: policy, options: EngineOptions())
        var clock = engine.ruleClock()
        weak var initial = engine.clock.state
        #expect(initial != nil)
        var j = Judgement(verdict: .skipped, reason: .notDecoded)
        for (i, frame) in frames.enumerated() {
            var packet = frame.packet
            var c = Classification()
            clock.classify(&packet, time: frame.time, into: &c)
            engine.judge(frame.packet, frame: i + 1, time: frame.time, classified: &c, into: &j)
        }
        // Both clocks have moved past it, and nothing else keeps the chain from its start.
        #expect(initial == nil)
        #expect(engine.clock.state.index == 4)
    }
}
