#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Dispatch
import Synchronization

/// The timelines of several captures replayed in parallel, the biggest first, one thread each, up
/// to the number of cores; a failure stops the others before their next capture.
enum ParallelTimelines {
    static func run(
        _ plans: [TimelinePlan], inputs: [CaptureSet.Input], labels: [String?], _ request: CaptureSet.Request
    ) throws(ReplayError) -> [TimelineReplay.Outcome] {
        let order = plans.indices.sorted { a, b in
            let sa = plans[a].bytes(inputs), sb = plans[b].bytes(inputs)
            return (sa, b) > (sb, a)
        }
        let outcomes = Slots<TimelineReplay.Outcome>(count: plans.count)
        let cancelled = Flag()
        let lanes = Lanes(timelines: plans.count)
        let sink = request.sink
        nonisolated(unsafe) let request = request
        request.sink.batchStarted("analysed", of: inputs.count)
        DispatchQueue.concurrentPerform(iterations: plans.count) { @Sendable n in
            let p = order[n]
            defer { lanes.finished() }
            let replay = TimelineReplay(
                plan: plans[p], inputs: inputs, labels: labels, request: request, cancelled: cancelled, lanes: lanes)
            let outcome = Result { () throws(ReplayError) in try replay.run() }
            if case .failure = outcome { cancelled.set() }
            outcomes.set(p, outcome)
        }
        sink.batchEnded()
        let all = outcomes.values
        // An interrupt wins; otherwise the first failure in the order the captures were given.
        let interrupted = all.compactMap { result -> Int? in
            if case .failure(.interrupted(let frames)) = result { return frames ?? 0 }
            return nil
        }
        if !interrupted.isEmpty || Interrupt.requested {
            let frames = interrupted.reduce(0, +)
            throw .interrupted(frames: frames > 0 ? frames : nil)
        }
        let failures = all.indices.compactMap { p -> (Int, ReplayError)? in
            if case .failure(let f) = all[p] { return (plans[p].captures.min() ?? 0, f) }
            return nil
        }
        if let first = failures.min(by: { $0.0 < $1.0 }) { throw first.1 }
        return all.map { try! $0!.get() }
    }
}

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
    private let storage: Mutex<[Result<T, ReplayError>?]>
    init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ value: Result<T, ReplayError>) { storage.withLock { $0[i] = value } }
    var values: [Result<T, ReplayError>?] { storage.withLock { $0 } }
}
