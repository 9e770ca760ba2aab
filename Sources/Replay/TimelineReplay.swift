import Firewall
import PolicyFiles
import Reports

/// One interface's captures replayed in time order through one engine, so tracking entries and
/// applied edits carry over from one capture to the next; then its remedies, each checked over
/// the whole timeline.
struct TimelineReplay {
    let plan: TimelinePlan
    let inputs: [CaptureSet.Input]
    /// Per input: where its labels go (a temporary part), if asked for.
    let labels: [String?]
    let request: CaptureSet.Request
    let cancelled: Flag
    let lanes: Lanes

    /// What replaying one timeline gave.
    struct Outcome: Sendable {
        /// Per capture of the plan (same order): its summary.
        var summaries: [Summary] = []
        var addresses: [String] = []
        var warnings: [String] = []
        /// Remedies checked over the whole timeline (several captures; `afterEdit` indexes the edits
        /// of the timeline's last capture).
        var remedies: [Summary.Remedy] = []
    }

    func run() throws(ReplayError) -> Outcome {
        var outcome = Outcome()
        var loaded = plan.policy
        let paths = plan.captures.map { inputs[$0].path }
        var inference: String?
        do {
            if loaded.policy.instance.addresses.isEmpty,
                let seen = try FirstPass.mostSeenAddress(paths, request.options, sink: request.sink, show: false)
            {
                loaded.policy.instance.add(seen.address, kind: .given)
                inference = seen.text
                outcome.warnings.append(seen.text)
            }
        } catch {
            throw ReplayError(error)
        }
        let inferred = inference != nil
        outcome.addresses = loaded.policy.instance.addresses.map { $0.address.description }

        if plan.captures.count == 1 {
            // Alone on its interface: exactly the run of `analyze` on this capture alone.
            let i = plan.captures[0]
            var one = replayRequest(inputs[i].path, policy: loaded, engineOptions: request.engineOptions)
            one.labelsPath = labels[i]
            var result = try CaptureReplay.run(one)
            result.summary.instanceInferred = inferred
            result.summary.alerts.inference = inference
            if request.remedies.applies(toBytes: inputs[i].size) {
                one.labelsPath = nil
                result.summary.remedies = try Remedies.evaluate(baseline: result.summary, request: one)
            }
            outcome.summaries = [result.summary]
            request.sink.captureDone(inputs[i].path, frames: result.summary.frames)
            return outcome
        }

        outcome.summaries = try replayTimeline(
            policy: loaded, labels: plan.captures.map { labels[$0] }, engineOptions: request.engineOptions, reporting: true)
        // The timeline's edits are compared with the whole timeline's span, not each capture's.
        let span = (outcome.summaries.compactMap(\.firstTime).min(), outcome.summaries.compactMap(\.lastTime).max())
        for k in outcome.summaries.indices {
            outcome.summaries[k].instanceInferred = inferred
            outcome.summaries[k].alerts.inference = inference
            if let first = span.0, let last = span.1 { outcome.summaries[k].alerts.timelineSpan = (first, last) }
        }
        guard outcome.summaries.count == plan.captures.count else { return outcome }  // cancelled
        // Remedies over the whole timeline: each proposal is checked by replaying every capture of
        // it again, in order, with the proposal added at the edit's instant.
        if request.remedies.applies(toBytes: plan.bytes(inputs)) {
            let baseline = Summary.timeline(outcome.summaries)
            outcome.remedies = try Remedies.evaluate(
                baseline: baseline, engineOptions: request.engineOptions, policy: loaded
            ) { policy, engineOptions throws(ReplayError) in
                Summary.timeline(try replayTimeline(
                    policy: policy, labels: plan.captures.map { _ in nil }, engineOptions: engineOptions, reporting: false))
            }
        }
        return outcome
    }

    /// A replay of one capture of the timeline: no progress line, a second thread only when a
    /// core is spare.
    private func replayRequest(_ path: String, policy: LoadedPolicy, engineOptions: EngineOptions) -> ReplayRequest {
        var one = ReplayRequest(
            capture: path, policy: policy, engineOptions: engineOptions, options: request.options, sink: request.sink)
        one.showsProgress = false
        one.pipeline = lanes.spare
        return one
    }

    /// Replays the captures in time order, one after another through one engine; returns each
    /// capture's own summary (fewer when cancelled). The first pass, when it runs, goes over the
    /// whole timeline: the entries assumed established exist from the first capture's first frame.
    func replayTimeline(
        policy loaded: LoadedPolicy, labels: [String?], engineOptions: EngineOptions, reporting: Bool
    ) throws(ReplayError) -> [Summary] {
        let timeline = plan.captures.map { inputs[$0] }
        let paths = timeline.map(\.path)
        var summaries: [Summary] = []
        var engine = Engine(policy: loaded, options: engineOptions)
        if FirstPass.runs(for: engine, bytes: plan.bytes(inputs)) {
            do { try FirstPass.run(&engine, over: paths, request.options, sink: request.sink, show: false) } catch {
                throw ReplayError(error)
            }
        }
        var editCaptures: [String] = []
        for (k, input) in timeline.enumerated() {
            if cancelled.isSet { return summaries }
            let before = engine
            var one = replayRequest(input.path, policy: loaded, engineOptions: engineOptions)
            one.labelsPath = labels[k]
            one.engine = engine
            one.finishTimeline = k == timeline.count - 1
            let result = try CaptureReplay.run(one)
            engine = result.engine!
            var summary = result.summary
            if k > 0 { summary.continueTimeline(after: before, editCaptures: editCaptures) }
            while editCaptures.count < engine.appliedEdits.count { editCaptures.append(summary.captureName) }
            summary.context.append(
                "timeline: capture \(k + 1) of \(paths.count) of this interface (\(paths.joined(separator: ", "))), "
                    + "replayed in time order through one tracking table"
                    + (k > 0 ? ": entries and edits of the earlier captures carry over" : ""))
            summaries.append(summary)
            if reporting { request.sink.captureDone(input.path, frames: summary.frames) }
            // Overlapping captures of one interface cannot be one timeline.
            if k + 1 < timeline.count, let last = summary.lastTime, let next = timeline[k + 1].firstTime, next < last {
                throw .failed(TimelinePlan.overlap(input, last: last, timeline[k + 1], interface: plan.interface))
            }
        }
        return summaries
    }
}
