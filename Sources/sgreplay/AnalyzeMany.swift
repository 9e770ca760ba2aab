#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Dispatch
import Firewall
import Foundation
import Packets
import PolicyFiles
import Reports
import Synchronization

/// `analyze A.pcap B.pcap …`: several captures in one run.
///
/// 1. Each capture belongs to an interface: the one analysed (`--eni`, the only one, or no
///    NetworkInterfaces input), or — when a NetworkInterfaces input lists several and nothing picks
///    one — the interface whose private addresses appear in the most of its frames.
/// 2. The captures of one interface are one timeline: ordered by their first frame's time and
///    replayed one after another through the same engine, so tracking entries and applied edits
///    carry over (an entry created in hour 1 still lets hour 2's packets through). Captures of one
///    interface must not overlap in time.
/// 3. Timelines are independent and replayed in parallel, one thread each, up to the number of cores.
/// 4. Labels are written per capture to temporary files next to the output and joined in argument
///    order, each line with a `capture` key; the summary and report hold the totals, then each
///    capture's own summary.
enum ManyCaptures {
    /// One capture as given, opened and its first frame read.
    struct Input: Sendable {
        var path: String
        var firstTime: Timestamp?
        /// The last frame's time, when a pass over the whole capture has read it (matching).
        var lastTime: Timestamp?
        var size: Int
    }

    /// The captures of one interface, in replay (time) order.
    struct Plan: Sendable {
        var interface: String?
        var policy: LoadedPolicy
        /// Indices in the inputs, in time order.
        var captures: [Int]
        /// When matched by address: per capture, the frames with the interface's addresses among those read.
        var matchedFrames: [(matched: Int, read: Int)]?
    }

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

    /// A failure in a worker, reported after every worker has stopped.
    enum Failure: Error, Sendable {
        case message(String)
        case interrupted(frames: Int)
    }

    static func failure(_ error: any Error) -> Failure {
        switch error {
        case let error as Failure: return error
        case let error as CaptureError: return .message(error.description)
        case let error as OutputError: return .message(error.description)
        case let error as SpoolError: return .message(error.description)
        case let interrupted as Replay.Interrupted: return .interrupted(frames: interrupted.frames)
        default: return .message(String(describing: error))
        }
    }

    // MARK: Opening

    /// Opens every capture and reads its first frame's time. An unreadable one ends the run (exit 2)
    /// before anything is written; so does the same file given twice.
    static func open(_ paths: [String]) throws(Failure) -> [Input] {
        var inputs: [Input] = []
        var seen: [String: String] = [:]
        for path in paths {
            let reader: CaptureReader
            do { reader = try CaptureReader(path: path) } catch { throw .message(error.description) }
            var info = stat()
            if stat(path, &info) == 0 {
                let id = "\(info.st_dev):\(info.st_ino)"
                if let other = seen[id] {
                    throw .message(other == path
                        ? "\(path) is given twice; give each capture once"
                        : "\(other) and \(path) are the same file; give each capture once")
                }
                seen[id] = path
            }
            var first: Timestamp?
            _ = reader.forEachPacket { record, _ in
                first = record.timestamp
                reader.stop()
            }
            inputs.append(Input(path: path, firstTime: first, size: Replay.fileSize(path)))
        }
        return inputs
    }

    // MARK: Matching captures to interfaces

    /// Which interface a capture was matched to, and on what evidence.
    struct Match: Sendable {
        var interface: Int
        /// Per candidate: frames carrying one of its addresses.
        var counts: [Int]
        /// Frames read (all of them, or the first `matchSample`).
        var read: Int
        var first: Timestamp?
        /// The last frame's time, when every frame was read.
        var last: Timestamp?
    }

    /// Matching reads at most this many frames of a capture: plenty to tell interfaces apart, and a
    /// capture of gigabytes is not read twice in full.
    static let matchSample = 1_000_000

    /// For each capture, the frames carrying an address of each candidate interface (source or
    /// destination) among its first `matchSample` frames, read in parallel; the interface in the
    /// most frames is the capture's.
    static func match(
        _ inputs: [Input], to candidates: [InterfaceCandidate], options: Analysis.Options, board: Board
    ) throws(Failure) -> [Match] {
        let results = Slots<Match>(count: inputs.count)
        board.start("matching captures to interfaces", of: inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { @Sendable i in
            var match = Match(interface: -1, counts: [Int](repeating: 0, count: candidates.count), read: 0)
            do {
                let reader = try CaptureReader(path: inputs[i].path)
                var decoder = Decoder(linkType: reader.linkType, decapsulateVXLAN: options.decapsulateVXLAN)
                var packet = DecodedPacket()
                let end = reader.forEachPacket { record, bytes in
                    if match.first == nil { match.first = record.timestamp }
                    match.last = record.timestamp
                    match.read = record.number
                    if record.number >= matchSample { reader.stop() }
                    guard record.isPacket else { return }
                    if record.linkType != decoder.linkType { decoder.linkType = record.linkType }
                    decoder.decode(bytes, wireLength: record.wireLength, into: &packet)
                    guard packet.hasIP else { return }
                    for (c, candidate) in candidates.enumerated() where candidate.owns(packet.src) || candidate.owns(packet.dst) {
                        match.counts[c] += 1
                    }
                }
                if case .stopped = end { match.last = nil }
                results.set(i, .success(match))
            } catch {
                results.set(i, .failure(failure(error)))
            }
            board.done(inputs[i].path)
        }
        board.clear()
        if Interrupt.requested { throw .interrupted(frames: 0) }
        var out: [Match] = []
        for (i, result) in results.values.enumerated() {
            var match = try result!.get()
            let best = match.counts.max() ?? 0
            let ids = candidates.map(\.id)
            guard best > 0 else {
                let list = candidates.map { "\($0.id) \($0.addresses.map(\.description).joined(separator: ", "))" }.joined(separator: "; ")
                throw .message(
                    "\(inputs[i].path): no frame carries an address of the network interfaces given (\(list)); "
                        + "analyse it on its own with --eni, or give --instance")
            }
            let tied = match.counts.indices.filter { match.counts[$0] == best }
            guard tied.count == 1 else {
                throw .message(
                    "\(inputs[i].path): as many frames (\(best)) carry the addresses of \(tied.map { ids[$0] }.joined(separator: " as of ")): "
                        + "cannot tell which interface it was captured on; analyse it on its own with --eni")
            }
            match.interface = tied[0]
            out.append(match)
        }
        return out
    }

    // MARK: Replaying

    /// Replays one interface's captures in time order through one engine. `labels[i]`: where the
    /// labels of input i go (a temporary part), if asked for.
    static func replay(
        _ plan: Plan, inputs: [Input], labels: [String?], options: Analysis.Options, engineOptions: EngineOptions,
        remedies: Analyze.RemediesMode, cancelled: Flag, board: Board, lanes: Lanes
    ) throws(Failure) -> Outcome {
        var outcome = Outcome()
        var loaded = plan.policy
        let paths = plan.captures.map { inputs[$0].path }
        do {
            var inference: String?
            if loaded.policy.instance.addresses.isEmpty, let seen = try Replay.mostSeenAddress(paths, options, showProgress: false) {
                loaded.policy.instance.add(seen.address, kind: .given)
                inference = seen.text
                outcome.warnings.append(seen.text)
            }
            let inferred = inference != nil
            outcome.addresses = loaded.policy.instance.addresses.map { $0.address.description }

            if plan.captures.count == 1 {
                // Alone on its interface: exactly the run of `analyze` on this capture alone.
                let i = plan.captures[0]
                var result = try Replay.run(
                    capture: inputs[i].path, labelsPath: labels[i], options: options, engineOptions: engineOptions,
                    policy: loaded, progress: false, pipeline: lanes.spare)
                result.summary.instanceInferred = inferred
                result.summary.alerts.inference = inference
                let check = remedies == .on || (remedies == .auto && inputs[i].size <= 256 << 20)
                if check {
                    result.summary.remedies = try Remedies.evaluate(
                        baseline: result.summary, capture: inputs[i].path, options: options, engineOptions: engineOptions,
                        policy: loaded, progress: false, pipeline: lanes.spare)
                }
                outcome.summaries = [result.summary]
                board.done(inputs[i].path, frames: result.summary.frames)
                return outcome
            }

            outcome.summaries = try replayTimeline(
                plan.captures.map { inputs[$0] }, policy: loaded, interface: plan.interface,
                labels: plan.captures.map { labels[$0] }, options: options, engineOptions: engineOptions,
                cancelled: cancelled, board: board, lanes: lanes)
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
            let total = plan.captures.reduce(0) { $0 + inputs[$1].size }
            if remedies == .on || (remedies == .auto && total <= 256 << 20) {
                let baseline = Summary.timeline(outcome.summaries)
                outcome.remedies = try Remedies.evaluate(baseline: baseline, engineOptions: engineOptions, policy: loaded) {
                    policy, engine in
                    Summary.timeline(try replayTimeline(
                        plan.captures.map { inputs[$0] }, policy: policy, interface: plan.interface,
                        labels: plan.captures.map { _ in nil }, options: options, engineOptions: engine, cancelled: cancelled,
                        board: nil, lanes: lanes))
                }
            }
        } catch {
            throw failure(error)
        }
        return outcome
    }

    /// Replays captures of one interface, in the order given (time order), one after another through
    /// one engine; returns each capture's own summary. The first pass, when it runs, goes over the
    /// whole timeline: the entries assumed established exist from the first capture's first frame.
    static func replayTimeline(
        _ inputs: [Input], policy loaded: LoadedPolicy, interface: String?, labels: [String?], options: Analysis.Options,
        engineOptions: EngineOptions, cancelled: Flag, board: Board?, lanes: Lanes
    ) throws -> [Summary] {
        var summaries: [Summary] = []
        let paths = inputs.map(\.path)
        var engine = Engine(policy: loaded, options: engineOptions)
        let total = inputs.reduce(0) { $0 + $1.size }
        if engine.needsFirstPass || (engine.firstPassHelps && total <= Replay.firstPassSizeLimit) {
            for path in paths {
                try Replay.forEachDecoded(path, options, progress: "", showProgress: false) { packet, time in
                    engine.firstPass(packet, time: time)
                }
            }
            engine.finishFirstPass()
        }
        var editCaptures: [String] = []
        for (k, input) in inputs.enumerated() {
            if cancelled.isSet { return summaries }
            let before = engine
            let result = try Replay.run(
                capture: input.path, labelsPath: labels[k], options: options, engineOptions: engineOptions,
                policy: loaded, engine: engine, finishTimeline: k == inputs.count - 1, progress: false,
                pipeline: lanes.spare)
            engine = result.engine!
            var summary = result.summary
            if k > 0 { summary.continueTimeline(after: before, editCaptures: editCaptures) }
            while editCaptures.count < engine.appliedEdits.count { editCaptures.append(summary.captureName) }
            summary.context.append(
                "timeline: capture \(k + 1) of \(paths.count) of this interface (\(paths.joined(separator: ", "))), "
                    + "replayed in time order through one tracking table"
                    + (k > 0 ? ": entries and edits of the earlier captures carry over" : ""))
            summaries.append(summary)
            board?.done(input.path, frames: summary.frames)
            // Overlapping captures of one interface cannot be one timeline.
            if k + 1 < inputs.count, let last = summary.lastTime, let next = inputs[k + 1].firstTime, next < last {
                throw Failure.message(overlap(input, last: last, inputs[k + 1], interface: interface))
            }
        }
        return summaries
    }

    static func overlap(_ a: Input, last: Timestamp, _ b: Input, interface: String?) -> String {
        "\(a.path) (\(a.firstTime?.rfc3339 ?? "?") to \(last.rfc3339)) and \(b.path) (from \(b.firstTime?.rfc3339 ?? "?")) "
            + "overlap in time, and both are captures of \(interface ?? "the instance"): captures of one interface are "
            + "replayed as one timeline, one after the other, so they must not overlap; analyse them in separate runs"
    }

    // MARK: Labels

    /// Appends the labels of one part to `output`, each line with `"capture":"<name>"` as its last key.
    static func appendLabels(from part: String, capture name: String, to output: OutputFile) throws(Failure) {
        do { try LabelParts.append(from: part, capture: name, to: output) } catch { throw .message(error.description) }
    }

    // MARK: Shared state

    /// The timelines not replayed yet, against the cores. A replay takes two threads (reading, and
    /// judging: `PipelinedAnalysis`) only while there is a core to spare for the second: while every
    /// core has a timeline of its own, a second thread per replay would only take turns with them.
    final class Lanes: Sendable {
        private let remaining: Atomic<Int>
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        init(timelines: Int) { remaining = Atomic(timelines) }
        func finished() { remaining.subtract(1, ordering: .relaxed) }
        /// Whether a replay starting now may use a second thread.
        var spare: Bool { min(remaining.load(ordering: .relaxed), cores) * 2 <= cores }
    }

    /// Set by a worker that failed: the others stop before their next capture.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    /// One result per worker slot, set from any thread.
    final class Slots<T: Sendable>: Sendable {
        private let storage: Mutex<[Result<T, Failure>?]>
        init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }
        func set(_ i: Int, _ value: Result<T, Failure>) { storage.withLock { $0[i] = value } }
        var values: [Result<T, Failure>?] { storage.withLock { $0 } }
    }

    /// One line on standard error, only on a terminal: how many captures are done. Workers report
    /// when a capture finishes; the line is redrawn under a lock, so lines never interleave.
    final class Board: Sendable {
        private struct State {
            var label = ""
            var total = 0
            var done = 0
            var shown = false
        }
        private let state = Mutex(State())
        private let enabled = isatty(STDERR_FILENO) != 0

        func start(_ label: String, of total: Int) {
            state.withLock { $0.label = label; $0.total = total; $0.done = 0 }
        }

        func done(_ path: String, frames: Int? = nil) {
            guard enabled else { return }
            state.withLock { s in
                s.done += 1
                s.shown = true
                let what = frames.map { ", \(Progress.grouped($0)) frames" } ?? ""
                writeStandardError("\rsgreplay: \(s.label): \(s.done) of \(s.total) done (\(path)\(what))\u{1B}[K")
            }
        }

        func clear() {
            state.withLock { s in
                if s.shown { writeStandardError("\r\u{1B}[K") }
                s.shown = false
            }
        }
    }
}

extension Analyze {
    /// Several captures: see `ManyCaptures`.
    func runSeveral() throws {
        let options = Analysis.Options(decapsulateVXLAN: decap == .vxlan)
        let engineOptions = tracking.engineOptions
        let board = ManyCaptures.Board()

        // Policy inputs first, as with one capture: one policy, or one per interface when a
        // NetworkInterfaces input lists several and nothing picks one.
        let candidates: [InterfaceCandidate]
        do {
            candidates = try PolicyLoader.unchosenInterfaces(
                policyFiles: policyInputs.policy, eni: policyInputs.eni,
                extraInstanceAddresses: policyInputs.instance.compactMap { IPAddress(parsing: $0) })
        } catch {
            throw RunError(error)
        }
        let policies: [LoadedPolicy] = candidates.isEmpty
            ? [try policyInputs.load()] : try candidates.map { candidate throws(RunError) in try policyInputs.load(eni: candidate.id) }

        // Outputs are opened before any capture is read, so a bad path fails at once.
        var labelsOutput: OutputFile?
        var report: OutputFile?
        do {
            labelsOutput = try labelsPath.map { try OutputFile(path: $0) }
            report = try reportPath.map { try OutputFile(path: $0) }
        } catch {
            labelsOutput?.discard()
            throw RunError(String(describing: error))
        }
        var parts: [String?] = Array(repeating: nil, count: captures.count)
        var partRegistrations: [Int?] = []
        // Whatever ends the run, nothing half-written stays: the outputs not committed are discarded
        // and the label parts removed (every failure below is thrown, so this always runs; a signal
        // that kills the process removes them through `TemporaryFiles`).
        defer {
            labelsOutput?.discard()
            report?.discard()
            for part in parts.compactMap({ $0 }) { unlink(part) }
            for registration in partRegistrations { TemporaryFiles.remove(registration) }
        }
        /// The error that ends the run for a failure.
        func stop(_ failure: ManyCaptures.Failure) -> any Error {
            switch failure {
            case .message(let message): return RunError(message)
            case .interrupted(let frames):
                warn("interrupted" + (frames > 0 ? " after about \(frames) frames" : "") + "; no output was written")
                return ExitCodeError(code: 130)
            }
        }

        let inputs: [ManyCaptures.Input]
        do { inputs = try ManyCaptures.open(captures) } catch { throw stop(error) }

        // Which interface each capture belongs to, and the timelines in time order.
        var plans: [ManyCaptures.Plan] = []
        var matchedInputs = inputs
        if candidates.isEmpty {
            plans.append(ManyCaptures.Plan(
                interface: policies[0].policy.instance.eniID, policy: policies[0], captures: Array(inputs.indices)))
        } else {
            let matches: [ManyCaptures.Match]
            do { matches = try ManyCaptures.match(inputs, to: candidates, options: options, board: board) } catch { throw stop(error) }
            for (i, m) in matches.enumerated() {
                matchedInputs[i].firstTime = m.first
                matchedInputs[i].lastTime = m.last
                let evidence = (matched: m.counts[m.interface], read: m.read)
                if let p = plans.firstIndex(where: { $0.interface == candidates[m.interface].id }) {
                    plans[p].captures.append(i)
                    plans[p].matchedFrames!.append(evidence)
                } else {
                    plans.append(ManyCaptures.Plan(
                        interface: candidates[m.interface].id, policy: policies[m.interface], captures: [i],
                        matchedFrames: [evidence]))
                }
            }
        }
        let known = matchedInputs
        for p in plans.indices {
            // Time order; captures without a frame first (they change nothing), then argument order.
            let order = plans[p].captures.indices.sorted { a, b in
                let x = known[plans[p].captures[a]], y = known[plans[p].captures[b]]
                let tx = x.firstTime?.nanoseconds ?? .min, ty = y.firstTime?.nanoseconds ?? .min
                return (tx, plans[p].captures[a]) < (ty, plans[p].captures[b])
            }
            plans[p].captures = order.map { plans[p].captures[$0] }
            plans[p].matchedFrames = plans[p].matchedFrames.map { frames in order.map { frames[$0] } }
            // Overlaps known now (the matching pass read every frame) fail before any replay.
            for (a, b) in zip(plans[p].captures, plans[p].captures.dropFirst()) {
                if let last = known[a].lastTime, let next = known[b].firstTime, next < last {
                    throw stop(.message(ManyCaptures.overlap(known[a], last: last, known[b], interface: plans[p].interface)))
                }
            }
        }

        // Labels: one temporary part per capture, next to the output (standard output: in the
        // temporary directory), joined in argument order at the end.
        if let labelsPath {
            for i in inputs.indices {
                parts[i] = labelsPath == "-"
                    ? FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-labels-\(getpid())-\(i + 1).jsonl").path
                    : "\(labelsPath).sgreplay-part-\(getpid())-\(i + 1)"
                partRegistrations.append(TemporaryFiles.add(parts[i]!))
            }
        }

        // Timelines in parallel, the biggest first; one thread each, up to the number of cores.
        let order = plans.indices.sorted { a, b in
            let sa = plans[a].captures.reduce(0) { $0 + known[$1].size }, sb = plans[b].captures.reduce(0) { $0 + known[$1].size }
            return (sa, b) > (sb, a)
        }
        let outcomes = ManyCaptures.Slots<ManyCaptures.Outcome>(count: plans.count)
        let cancelled = ManyCaptures.Flag()
        let lanes = ManyCaptures.Lanes(timelines: plans.count)
        let frozenPlans = plans, frozenParts = parts, remediesMode = remedies
        board.start("analysed", of: inputs.count)
        DispatchQueue.concurrentPerform(iterations: plans.count) { @Sendable n in
            let p = order[n]
            defer { lanes.finished() }
            do throws(ManyCaptures.Failure) {
                let outcome = try ManyCaptures.replay(
                    frozenPlans[p], inputs: known, labels: frozenParts, options: options, engineOptions: engineOptions,
                    remedies: remediesMode, cancelled: cancelled, board: board, lanes: lanes)
                outcomes.set(p, .success(outcome))
            } catch {
                cancelled.set()
                outcomes.set(p, .failure(error))
            }
        }
        board.clear()
        var results: [ManyCaptures.Outcome] = []
        let all = outcomes.values
        // An interrupt wins; otherwise the first failure in the order the captures were given.
        let interrupted = all.compactMap { result -> Int? in
            if case .failure(.interrupted(let frames)) = result { return frames }
            return nil
        }
        if !interrupted.isEmpty || Interrupt.requested { throw stop(.interrupted(frames: interrupted.reduce(0, +))) }
        let failures = all.indices.compactMap { p -> (Int, ManyCaptures.Failure)? in
            if case .failure(let f) = all[p] { return (plans[p].captures.min() ?? 0, f) }
            return nil
        }
        if let first = failures.min(by: { $0.0 < $1.0 }) { throw stop(first.1) }
        for result in all { results.append(try! result!.get()) }

        // Assemble: captures in argument order.
        var summaries = [Summary?](repeating: nil, count: inputs.count)
        var timelineOf = [Int](repeating: 0, count: inputs.count)
        var timelines: [CombinedSummary.Timeline] = []
        for (p, plan) in plans.enumerated() {
            for (k, i) in plan.captures.enumerated() {
                summaries[i] = results[p].summaries[k]
                timelineOf[i] = p
            }
            timelines.append(CombinedSummary.Timeline(
                interface: plan.interface, addresses: results[p].addresses, captures: plan.captures,
                matchedFrames: plan.matchedFrames, remedies: results[p].remedies))
            for warning in results[p].warnings { warn(warning) }
        }
        let combined = CombinedSummary(
            captures: inputs.indices.map { CombinedSummary.Capture(summary: summaries[$0]!, timeline: timelineOf[$0]) },
            timelines: timelines)
        for capture in combined.captures {
            if let captureError = capture.summary.captureError {
                warn("warning: \(captureError); the \(capture.summary.frames) frames before it were analysed")
            }
        }

        // Labels: the parts joined in argument order.
        if let labelsOutput {
            do {
                for (i, part) in parts.enumerated() {
                    guard let part else { continue }
                    try ManyCaptures.appendLabels(from: part, capture: combined.captures[i].summary.captureName, to: labelsOutput)
                    unlink(part)
                }
                try labelsOutput.commit()
            } catch let error as ManyCaptures.Failure {
                throw stop(error)
            } catch {
                throw stop(ManyCaptures.failure(error))
            }
        }
        let summaryText = format == .json ? combined.json().serialized() + "\n" : combined.text()
        if labelsPath == "-" {
            warn(summaryText)
        } else {
            print(summaryText, terminator: "")
        }
        if let report, let reportPath, let format = IncidentReport.Format(path: reportPath) {
            let document = CombinedReport(combined: combined, command: IncidentReport.shownCommand(CommandLine.arguments))
            report.append(document.render(format).utf8)
            do { try report.commit() } catch { throw RunError(error) }
        }
    }
}
