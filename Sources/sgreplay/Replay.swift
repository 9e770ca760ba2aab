#if canImport(Glibc)
import Glibc
#endif
import Capture
import Firewall
import Packets
import Reports

/// The whole data flow of `analyze` on one screen: capture → decode → engine → labels → summary.
enum Replay {
    struct Result {
        var summary: Summary
        var explanations: [(frame: Int, lines: [String])] = []
        /// The engine after the last frame (its timeline still open when `finishTimeline` was false).
        var engine: Engine? = nil
    }

    /// `engine`: continue the timeline of an earlier capture of the same interface (no address
    /// inference and no first pass here: the caller did them over every capture of the timeline).
    /// `finishTimeline: false` leaves the edits after the last frame for the next capture.
    /// `progress: false` draws no progress line (captures replayed in parallel); `pipeline: false`
    /// judges on this thread only (the other cores are busy with other captures).
    static func run(
        capture path: String, labelsPath: String?, annotatePath: String? = nil, options: Analysis.Options,
        engineOptions: EngineOptions, policy loaded: LoadedPolicy, explain: (frames: Set<Int>, flow: String?) = ([], nil),
        quiet: Bool = false, engine start: Engine? = nil, finishTimeline: Bool = true, progress showProgress: Bool = true,
        pipeline pipelineAllowed: Bool = true
    ) throws -> Result {
        var loaded = loaded
        // Outputs are checked before any reading, so a bad path fails at once.
        let labelsFile = try labelsPath.map { try OutputFile(path: $0) }
        let annotateFile = try annotatePath.map { try OutputFile(path: $0) }
        // Per-frame outputs run to gigabytes: with a core to spare, the kernel's writes happen on a
        // thread of their own, not on the one that formats them.
        if PipelinedAnalysis.isWorthwhile && pipelineAllowed {
            labelsFile?.writeInBackground()
            annotateFile?.writeInBackground()
        }
        // Standard input can be read once: spool it when a first pass is needed.
        let spool = try Spool(
            path: path,
            needed: start == nil
                && (loaded.policy.instance.addresses.isEmpty || Engine.needsFirstPass(engineOptions, loaded.policy)))
        defer { spool.remove() }
        let capturePath = spool.path

        // Opening the capture first makes a bad capture the error, not the address inference. This
        // reader serves the main pass: standard input that was not spooled can be opened only once.
        let reader: CaptureReader
        do { reader = try CaptureReader(path: capturePath) } catch { throw spool.named(error) }
        var inference: String?
        if start == nil, loaded.policy.instance.addresses.isEmpty,
            let seen = try mostSeenAddress(
                [capturePath], options, showProgress: showProgress, name: path == "-" ? "standard input" : path)
        {
            loaded.policy.instance.add(seen.address, kind: .given)
            inference = seen.text
            if !quiet { warn(seen.text) }
        }
        var engine = start ?? Engine(policy: loaded, options: engineOptions)
        // With an allowance the first pass is needed; without one it only settles rare cases, so it
        // runs for captures small enough that a second read costs nothing noticeable.
        if start == nil,
            engine.needsFirstPass || (engine.firstPassHelps && fileSize(capturePath) <= Replay.firstPassSizeLimit)
        {
            try forEachDecoded(capturePath, options, progress: "first pass: ", showProgress: showProgress) { packet, time in
                engine.firstPass(packet, time: time)
            }
            engine.finishFirstPass()
        }

        var summary = Summary(captureName: path == "-" ? "standard input" : path)
        summary.instanceAddresses = loaded.policy.instance.addresses.map { $0.address.description }
        summary.instanceInferred = inference != nil
        summary.alerts.inference = inference
        summary.noteRulelessPolicy(loaded)
        summary.ignoredEvents = loaded.ignoredEvents
        summary.assumptions = engineOptions.assumptions(for: loaded.policy)
        summary.warnings = loaded.warnings.map(\.description)
        var analysis = Analysis(
            linkType: reader.linkType, options: options, engine: engine, summary: summary,
            labels: labelsFile.map(LabelWriter.init(output:)),
            annotation: annotateFile.map {
                AnnotatedCapture(output: $0, linkTypeNumber: reader.dlt, snapshotLength: reader.snapshotLength)
            })
        analysis.summary.linkTypeName = "\(reader.linkType.name), \(reader.dltName)"
        analysis.explainFrames = explain.frames
        analysis.explainFlow = explain.flow
        // Explaining frames only: no need to read past the last one (plus the judging lag).
        let lastNeeded = explain.flow == nil ? explain.frames.max() : nil

        var framesRead = 0
        var progress = Progress(capture: capturePath, label: quiet ? "checking a remedy: " : "", quiet: !showProgress)
        // Two threads (reading and decoding on this one, judging on another) unless a frame's bytes
        // must outlive its read (the annotated copy) or the run stops at a frame (explain).
        let pipeline = pipelineAllowed && annotateFile == nil && explain.frames.isEmpty && explain.flow == nil
            && PipelinedAnalysis.isWorthwhile ? PipelinedAnalysis(analysis) : nil
        let end: CaptureReader.End
        if let pipeline {
            end = reader.forEachPacket { record, bytes in
                framesRead = record.number
                progress.frame(record.number, bytesRead: reader.bytesRead)
                guard record.isPacket else {
                    pipeline.processNonPacket(frame: record.number, time: record.timestamp)
                    return
                }
                pipeline.process(
                    frame: record.number, time: record.timestamp, bytes: bytes, wireLength: record.wireLength,
                    linkType: record.linkType)
            }
            analysis = pipeline.finish(finishingEngine: finishTimeline)
        } else {
            end = reader.forEachPacket { record, bytes in
                framesRead = record.number
                progress.frame(record.number, bytesRead: reader.bytesRead)
                guard record.isPacket else {
                    analysis.processNonPacket(
                        frame: record.number, time: record.timestamp, block: bytes, blockType: record.customBlockType)
                    return
                }
                analysis.process(
                    frame: record.number, time: record.timestamp, bytes: bytes, wireLength: record.wireLength,
                    linkType: record.linkType, linkTypeNumber: record.linkTypeNumber)
                if let lastNeeded, record.number >= lastNeeded { reader.stop() }
            }
            analysis.finish(finishingEngine: finishTimeline)
        }
        if case .stopped = end, Interrupt.requested {
            progress.finish()
            labelsFile?.discard()
            annotateFile?.discard()
            throw Interrupted(frames: framesRead)
        }
        progress.finish()
        if case .error(let error) = end {
            analysis.summary.captureError = error.description.replacingOccurrences(of: capturePath, with: path == "-" ? "standard input" : path)
        }
        try labelsFile?.commit()
        try annotateFile?.commit()
        return Result(summary: analysis.summary, explanations: analysis.explanations, engine: analysis.engine)
    }

    /// The run was interrupted (Ctrl-C); nothing was written.
    struct Interrupted: Error {
        var frames: Int
    }

    /// Captures up to this size get the (exact) first pass even without an allowance.
    static let firstPassSizeLimit = 64 << 20

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard path != "-", stat(path, &info) == 0 else { return Int.max }
        return Int(info.st_size)
    }

    /// Decodes every frame of a capture (a first pass: no labels, no summary).
    static func forEachDecoded(
        _ path: String, _ options: Analysis.Options, progress label: String, showProgress: Bool = true,
        _ body: (DecodedPacket, Timestamp) -> Void
    ) throws {
        let reader = try CaptureReader(path: path)
        var progress = Progress(capture: path, label: label, quiet: !showProgress)
        defer { progress.finish() }
        var decoder = Decoder(linkType: reader.linkType, decapsulateVXLAN: options.decapsulateVXLAN)
        var packet = DecodedPacket()
        _ = reader.forEachPacket { record, bytes in
            progress.frame(record.number, bytesRead: reader.bytesRead)
            guard record.isPacket else { return }
            if record.linkType != decoder.linkType { decoder.linkType = record.linkType }
            decoder.decode(bytes, wireLength: record.wireLength, into: &packet)
            body(packet, record.timestamp)
        }
    }

    /// The address seen in the most frames (source or destination) of captures read in order (one
    /// timeline), with the sentence that says so (INTERFACE.md). Addresses no interface can have
    /// (unspecified, broadcast, multicast, loopback, IPv4 link-local) are not candidates. Two
    /// addresses tied for the most are an error naming both: guessing the instance would judge
    /// every frame from the wrong side.
    static func mostSeenAddress(
        _ paths: [String], _ options: Analysis.Options, showProgress: Bool = true, name: String? = nil
    ) throws -> (address: IPAddress, text: String)? {
        var counts: [IPAddress: Int] = [:]
        var ipFrames = 0
        for path in paths {
            try forEachDecoded(path, options, progress: "finding the instance address: ", showProgress: showProgress) { packet, _ in
                guard packet.hasIP else { return }
                ipFrames += 1
                if packet.src.couldBeAnInterfaceAddress { counts[packet.src, default: 0] += 1 }
                if packet.dst != packet.src && packet.dst.couldBeAnInterfaceAddress { counts[packet.dst, default: 0] += 1 }
            }
        }
        let ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        guard let best = ranked.first else { return nil }
        let shown = name ?? paths.joined(separator: ", ")
        if ranked.count > 1 && ranked[1].value == best.value {
            let tied = ranked.prefix { $0.value == best.value }.map(\.key.description)
            throw CaptureError(
                path: shown,
                message: "no instance address was given, and \(tied.prefix(3).joined(separator: " and "))"
                    + (tied.count > 3 ? " (and \(tied.count - 3) more)" : "")
                    + " are each seen in \(best.value) of the \(ipFrames) IP frames: cannot tell which is the instance; give --instance ADDR")
        }
        return (best.key, "no instance address was given: taking \(best.key), the address seen in the most frames "
            + "(\(best.value) of \(ipFrames) IP frames\(paths.count > 1 ? " of " + shown : "")); give --instance to be sure")
    }
}
