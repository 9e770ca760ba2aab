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
        var inferred = false
        if start == nil, loaded.policy.instance.addresses.isEmpty,
            let address = try mostSeenAddress(capturePath, options, showProgress: showProgress)
        {
            loaded.policy.instance.add(address, kind: .given)
            inferred = true
            if !quiet {
                warn("no instance address was given; taking \(address), the address seen in the most frames (give --instance to choose)")
            }
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
        summary.instanceInferred = inferred
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

    /// The address in the most frames (source or destination), first seen on a tie (INTERFACE.md).
    static func mostSeenAddress(_ path: String, _ options: Analysis.Options, showProgress: Bool = true) throws -> IPAddress? {
        try mostSeenAddress([path], options, showProgress: showProgress)
    }

    /// The same over several captures read in order (one timeline), counts added up.
    static func mostSeenAddress(_ paths: [String], _ options: Analysis.Options, showProgress: Bool = true) throws -> IPAddress? {
        var counts: [IPAddress: (count: Int, first: Int)] = [:]
        var n = 0
        for path in paths {
            try forEachDecoded(path, options, progress: "finding the instance address: ", showProgress: showProgress) { packet, _ in
                guard packet.hasIP else { return }
                // Ties go to the address seen first (a frame's source before its destination).
                n += 2
                counts[packet.src, default: (0, n)].count += 1
                if packet.dst != packet.src { counts[packet.dst, default: (0, n + 1)].count += 1 }
            }
        }
        return counts.max { a, b in (a.value.count, -a.value.first) < (b.value.count, -b.value.first) }?.key
    }
}
