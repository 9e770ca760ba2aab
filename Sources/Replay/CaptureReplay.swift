import Capture
import Firewall
import Packets
import Reports

/// One capture's replay, the whole data flow of `analyze` on one screen: open → first pass →
/// frames (decode → engine → labels) → finish.
public enum CaptureReplay {
    /// Replays `request.capture`; the labels and annotated capture are committed only when it ends
    /// well. Throws a `ReplayError`.
    public static func run(_ request: ReplayRequest) throws(ReplayError) -> ReplayResult {
        do { return try replay(request) } catch { throw ReplayError(error) }
    }

    private static func replay(_ request: ReplayRequest) throws -> ReplayResult {
        var loaded = request.policy
        let start = request.engine, name = request.captureName, sink = request.sink
        // Outputs are checked before any reading, so a bad path fails at once.
        let labelsFile = try request.labelsPath.map { try OutputFile(path: $0) }
        let annotateFile = try request.annotatePath.map { try OutputFile(path: $0) }
        // Per-frame outputs run to gigabytes: with a core to spare, the kernel's writes happen on a
        // thread of their own, not on the one that formats them.
        if PipelinedAnalysis.isWorthwhile && request.pipeline {
            labelsFile?.writeInBackground()
            annotateFile?.writeInBackground()
        }
        // Standard input can be read once: spool it when a first pass is needed.
        let twoPasses = start == nil
            && (loaded.policy.instance.addresses.isEmpty || Engine.needsFirstPass(request.engineOptions, loaded.policy))
        let spool = try Spool(path: request.capture, needed: twoPasses)
        defer { spool.remove() }
        let capturePath = spool.path
        let spooled = spool.isTemporary || request.isSpooledStandardInput
        /// An error about the spool is about standard input (the spool is gone when it is printed).
        func named(_ error: any Error) -> any Error {
            guard spooled, var error = error as? CaptureError, error.path == capturePath else { return error }
            error.path = "-"
            return error
        }

        // Opening the capture first makes a bad capture the error, not the address inference. This
        // reader serves the main pass: standard input that was not spooled can be opened only once.
        let reader: CaptureReader
        do { reader = try CaptureReader(path: capturePath) } catch { throw named(error) }
        var inference: String?
        if start == nil, loaded.policy.instance.addresses.isEmpty,
            let seen = try FirstPass.mostSeenAddress(
                [capturePath], request.options, sink: sink, show: request.showsProgress,
                name: name)
        {
            loaded.policy.instance.add(seen.address, kind: .given)
            inference = seen.text
            if !request.quiet { sink.note(seen.text) }
        }
        var engine = start ?? Engine(policy: loaded, options: request.engineOptions)
        // A spool made for the remedies, not for two passes, leaves the size unknown, as standard
        // input that is read once.
        let size = request.isSpooledStandardInput && !twoPasses ? Int.max : FrameLoop.fileSize(capturePath)
        if start == nil, FirstPass.runs(for: engine, bytes: size) {
            try FirstPass.run(&engine, over: [capturePath], request.options, sink: sink, show: request.showsProgress)
        }

        var summary = Summary(captureName: name)
        summary.instanceAddresses = loaded.policy.instance.addresses.map { $0.address.description }
        summary.instanceInferred = inference != nil
        summary.alerts.inference = inference
        summary.noteRulelessPolicy(loaded)
        summary.ignoredEvents = loaded.ignoredEvents
        summary.assumptions = request.engineOptions.assumptions(for: loaded.policy)
        summary.warnings = loaded.warnings.map(\.description)
        var analysis = Analysis(
            linkType: reader.linkType, options: request.options, engine: engine, summary: summary,
            labels: labelsFile.map(LabelWriter.init(output:)),
            annotation: annotateFile.map {
                AnnotatedCapture(
                    output: $0, linkTypeNumber: reader.dlt, snapshotLength: reader.snapshotLength, slotCount: Analysis.lag)
            })
        analysis.summary.linkTypeName = "\(reader.linkType.name), \(reader.dltName)"
        analysis.explainFrames = request.explainFrames
        analysis.explainFlow = request.explainFlow
        // Explaining frames only: no need to read past the last one (plus the judging lag).
        let lastNeeded = request.explainFlow == nil ? request.explainFrames.max() : nil

        var progress = PassProgress(
            capture: capturePath, label: request.quiet ? "checking a remedy: " : "", sink: sink, show: request.showsProgress)
        // Two threads (reading and decoding on this one, judging on another) unless a frame's bytes
        // must outlive its read (the annotated copy) or the run stops at a frame (explain).
        let pipeline = request.pipeline && annotateFile == nil && request.explainFrames.isEmpty
            && request.explainFlow == nil && PipelinedAnalysis.isWorthwhile ? PipelinedAnalysis(analysis) : nil
        let end: CaptureReader.End
        let framesRead: Int
        if let pipeline {
            var pass = PipelinedPass(pipeline: pipeline)
            end = FrameLoop.read(reader, progress: &progress, &pass)
            framesRead = pass.framesRead
            analysis = pipeline.finish(finishingEngine: request.finishTimeline)
        } else {
            (end, framesRead) = withUnsafeMutablePointer(to: &analysis) { pointer in
                var pass = DirectPass(analysis: pointer, reader: reader, lastNeeded: lastNeeded)
                return (FrameLoop.read(reader, progress: &progress, &pass), pass.framesRead)
            }
            analysis.finish(finishingEngine: request.finishTimeline)
        }
        progress.finish()
        if case .stopped = end, Interrupt.requested {
            labelsFile?.discard()
            annotateFile?.discard()
            throw ReplayError.interrupted(frames: framesRead)
        }
        if case .error(let error) = end {
            analysis.summary.captureError = error.description.replacingOccurrences(of: capturePath, with: name)
        }
        try labelsFile?.commit()
        try annotateFile?.commit()
        return ReplayResult(summary: analysis.summary, explanations: analysis.explanations, engine: analysis.engine)
    }
}
