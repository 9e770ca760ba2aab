import Capture
import Packets
import Reports

/// The main pass on this thread: every frame through `Analysis` (decode → judge → count → label),
/// stopping after the last frame to explain, if any.
struct DirectPass: FrameVisitor {
    /// The run's analysis, changed in place (a copy would share its buffers, then copy them).
    let analysis: UnsafeMutablePointer<Analysis>
    let reader: CaptureReader
    let lastNeeded: Int?
    var framesRead = 0

    @inline(__always)
    mutating func visit(_ record: CaptureRecord, _ bytes: RawSpan) {
        framesRead = record.number
        guard record.isPacket else {
            analysis.pointee.processNonPacket(
                frame: record.number, time: record.timestamp, block: bytes, blockType: record.customBlockType)
            return
        }
        analysis.pointee.process(
            frame: record.number, time: record.timestamp, bytes: bytes, wireLength: record.wireLength,
            linkType: record.linkType, linkTypeNumber: record.linkTypeNumber)
        if let lastNeeded, record.number >= lastNeeded { reader.stop() }
    }
}

/// The main pass on two threads: frames decoded here, judged on the other (`PipelinedAnalysis`).
struct PipelinedPass: FrameVisitor {
    let pipeline: PipelinedAnalysis
    var framesRead = 0

    @inline(__always)
    mutating func visit(_ record: CaptureRecord, _ bytes: RawSpan) {
        framesRead = record.number
        guard record.isPacket else {
            pipeline.processNonPacket(frame: record.number, time: record.timestamp)
            return
        }
        pipeline.process(
            frame: record.number, time: record.timestamp, bytes: bytes, wireLength: record.wireLength,
            linkType: record.linkType)
    }
}
