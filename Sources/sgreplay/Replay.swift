import Capture
import Firewall
import Packets
import Reports

/// The whole data flow of `analyze` on one screen: capture → decode → (engine) → labels → summary.
enum Replay {
    struct Result {
        var summary: Summary
    }

    /// `policy`: the loaded policy and timeline; the engine that applies them comes later.
    static func run(
        capture path: String, labelsPath: String?, options: Analysis.Options, policy: LoadedPolicy
    ) throws -> Result {
        let reader = try CaptureReader(path: path)
        let labelsFile = try labelsPath.map { try OutputFile(path: $0) }
        var analysis = Analysis(
            linkType: reader.linkType, options: options,
            summary: Summary(captureName: path == "-" ? "standard input" : path),
            labels: labelsFile.map(LabelWriter.init(output:)))
        analysis.summary.linkTypeName = "\(reader.linkType.name), \(reader.dltName)"

        let end = reader.forEachPacket { record, bytes in
            guard record.isPacket else {
                analysis.processNonPacket(frame: record.number, time: record.timestamp, reason: Analysis.customBlockReason)
                return
            }
            analysis.process(
                frame: record.number, time: record.timestamp, bytes: bytes, wireLength: record.wireLength,
                linkType: record.linkType)
        }
        if case .error(let error) = end {
            analysis.summary.captureError = error.description
        }
        try labelsFile?.commit()
        return Result(summary: analysis.summary)
    }
}
