import Capture
import Firewall
import Packets
import PolicyFiles
import Reports

/// The captures of one interface, in replay (time) order: one timeline.
public struct TimelinePlan: Sendable {
    public var interface: String?
    public var policy: LoadedPolicy
    /// Indices in the inputs, in time order.
    public var captures: [Int]
    /// When matched by address: per capture, the frames with the interface's addresses among those read.
    public var matchedFrames: [(matched: Int, read: Int)]?

    /// The bytes of its captures in all.
    func bytes(_ inputs: [CaptureSet.Input]) -> Int { captures.reduce(0) { $0 + inputs[$1].size } }

    /// The timelines of the inputs: one when there are no candidate interfaces, else one per
    /// interface some capture was matched to; and the inputs with what matching learnt of their
    /// times. Overlaps known now (matching read every frame) fail before any replay.
    static func plans(
        for inputs: [CaptureSet.Input], _ request: CaptureSet.Request
    ) throws(ReplayError) -> ([TimelinePlan], [CaptureSet.Input]) {
        var plans: [TimelinePlan] = []
        var known = inputs
        let candidates = request.candidates
        if candidates.isEmpty {
            let policy = request.policies[0]
            plans.append(TimelinePlan(interface: policy.policy.instance.eniID, policy: policy, captures: Array(inputs.indices)))
        } else {
            let matches = try InterfaceMatching.match(
                inputs.map(\.path), to: candidates, options: request.options, sink: request.sink)
            for (i, m) in matches.enumerated() {
                known[i].firstTime = m.first
                known[i].lastTime = m.last
                let evidence = (matched: m.counts[m.interface], read: m.read)
                if let p = plans.firstIndex(where: { $0.interface == candidates[m.interface].id }) {
                    plans[p].captures.append(i)
                    plans[p].matchedFrames!.append(evidence)
                } else {
                    plans.append(TimelinePlan(
                        interface: candidates[m.interface].id, policy: request.policies[m.interface], captures: [i],
                        matchedFrames: [evidence]))
                }
            }
        }
        for p in plans.indices {
            plans[p].sortByTime(known)
            if let message = plans[p].overlap(known) { throw .failed(message) }
        }
        return (plans, known)
    }

    /// Time order; captures without a frame first (they change nothing), then argument order.
    mutating func sortByTime(_ inputs: [CaptureSet.Input]) {
        let order = captures.indices.sorted { a, b in
            let x = inputs[captures[a]], y = inputs[captures[b]]
            let tx = x.firstTime?.nanoseconds ?? .min, ty = y.firstTime?.nanoseconds ?? .min
            return (tx, captures[a]) < (ty, captures[b])
        }
        captures = order.map { captures[$0] }
        matchedFrames = matchedFrames.map { frames in order.map { frames[$0] } }
    }

    /// The message for the first two captures known to overlap in time, if any do.
    public func overlap(_ inputs: [CaptureSet.Input]) -> String? {
        for (a, b) in zip(captures, captures.dropFirst()) {
            if let last = inputs[a].lastTime, let next = inputs[b].firstTime, next < last {
                return TimelinePlan.overlap(inputs[a], last: last, inputs[b], interface: interface)
            }
        }
        return nil
    }

    /// Why captures `a` (ending at `last`) and `b` of one interface cannot be one timeline.
    static func overlap(_ a: CaptureSet.Input, last: Timestamp, _ b: CaptureSet.Input, interface: String?) -> String {
        "\(a.path) (\(a.firstTime?.rfc3339 ?? "?") to \(last.rfc3339)) and \(b.path) (from \(b.firstTime?.rfc3339 ?? "?")) "
            + "overlap in time, and both are captures of \(interface ?? "the instance"): captures of one interface are "
            + "replayed as one timeline, one after the other, so they must not overlap; analyse them in separate runs"
    }
}
