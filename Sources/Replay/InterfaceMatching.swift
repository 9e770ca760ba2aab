import Capture
import Dispatch
import Packets
import PolicyFiles
import Reports

/// Which interface each capture was taken on, when a NetworkInterfaces input lists several and
/// nothing picks one: the interface whose addresses appear in the most of its frames.
public enum InterfaceMatching {
    /// Which interface a capture was matched to, and on what evidence.
    public struct Match: Sendable {
        /// The index of the interface among the candidates.
        public var interface: Int
        /// Per candidate: frames carrying one of its addresses.
        public var counts: [Int]
        /// Frames read (all of them, or the first `sample`).
        public var read: Int
        public var first: Timestamp?
        /// The last frame's time, when every frame was read.
        public var last: Timestamp?
    }

    /// Matching reads at most this many frames of a capture: plenty to tell interfaces apart, and a
    /// capture of gigabytes is not read twice in full.
    public static let sample = 1_000_000

    /// For each capture, the frames carrying an address of each candidate interface (source or
    /// destination) among its first `sample` frames, read in parallel; the interface in the most
    /// frames is the capture's. None, or a tie, is an error naming the capture.
    public static func match(
        _ paths: [String], to candidates: [InterfaceCandidate], options: Analysis.Options,
        sink: any ProgressSink = SilentProgress()
    ) throws(ReplayError) -> [Match] {
        let results = Slots<Match>(count: paths.count)
        sink.batchStarted("matching captures to interfaces", of: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { @Sendable i in
            results.set(i, Result { () throws(ReplayError) in try count(paths[i], candidates, options) })
            sink.captureDone(paths[i], frames: nil)
        }
        sink.batchEnded()
        if Interrupt.requested { throw .interrupted(frames: nil) }
        var out: [Match] = []
        for (i, result) in results.values.enumerated() {
            var match = try result!.get()
            let best = match.counts.max() ?? 0
            let ids = candidates.map(\.id)
            guard best > 0 else {
                let list = candidates.map { "\($0.id) \($0.addresses.map(\.description).joined(separator: ", "))" }.joined(separator: "; ")
                throw .failed(
                    "\(paths[i]): no frame carries an address of the network interfaces given (\(list)); "
                        + "analyse it on its own with --eni, or give --instance")
            }
            let tied = match.counts.indices.filter { match.counts[$0] == best }
            guard tied.count == 1 else {
                throw .failed(
                    "\(paths[i]): as many frames (\(best)) carry the addresses of \(tied.map { ids[$0] }.joined(separator: " as of ")): "
                        + "cannot tell which interface it was captured on; analyse it on its own with --eni")
            }
            match.interface = tied[0]
            out.append(match)
        }
        return out
    }

    /// One capture's evidence: frames per candidate among the first `sample`.
    static func count(
        _ path: String, _ candidates: [InterfaceCandidate], _ options: Analysis.Options
    ) throws(ReplayError) -> Match {
        /// The first and last times, the frames read, and the frames per candidate.
        struct Counter: PacketVisitor {
            var match: Match
            let candidates: [InterfaceCandidate]
            let reader: CaptureReader
            mutating func record(_ record: CaptureRecord) {
                if match.first == nil { match.first = record.timestamp }
                match.last = record.timestamp
                match.read = record.number
                if record.number >= InterfaceMatching.sample { reader.stop() }
            }
            mutating func packet(_ packet: DecodedPacket, time: Timestamp) {
                guard packet.hasIP else { return }
                for (c, candidate) in candidates.enumerated() where candidate.owns(packet.src) || candidate.owns(packet.dst) {
                    match.counts[c] += 1
                }
            }
        }
        let reader: CaptureReader
        do { reader = try CaptureReader(path: path) } catch { throw ReplayError(error) }
        var counter = Counter(
            match: Match(interface: -1, counts: [Int](repeating: 0, count: candidates.count), read: 0),
            candidates: candidates, reader: reader)
        var progress = PassProgress(capture: path, label: "", sink: SilentProgress(), show: false)
        let end = FrameLoop.decode(reader, options, progress: &progress, &counter)
        var match = counter.match
        if case .stopped = end { match.last = nil }
        return match
    }
}
