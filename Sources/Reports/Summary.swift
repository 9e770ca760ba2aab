import Firewall
import Packets

/// Counts gathered while frames stream past, rendered once at the end as text or JSON.
/// Updating it is a few integer increments per frame.
public struct Summary: Sendable {
    public var captureName: String
    public var linkTypeName = ""
    public var frames = 0
    public var verdicts = [Int](repeating: 0, count: Verdict.allCases.count)
    /// Frames with an IP header decoded.
    public var ipFrames = 0
    /// Skipped frames by decode anomaly class, with the first example of each.
    public var anomalies = [Int](repeating: 0, count: DecodeAnomaly.Category.allCases.count)
    public var anomalyExamples = [String?](repeating: nil, count: DecodeAnomaly.Category.allCases.count)
    /// Frames decoded fine but not judged, and why (the first reason seen).
    public var notEvaluated = 0
    /// pcapng custom blocks, labelled as frames the way Wireshark numbers them.
    public var nonPackets = 0
    public var notEvaluatedReason: String?
    /// UDP 4789 frames carrying VXLAN that were left wrapped.
    public var vxlanFrames = 0
    public var decapsulatedFrames = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// libpcap stopped early at a corrupt or truncated record.
    public var captureError: String?

    public init(captureName: String) {
        self.captureName = captureName
    }

    @inlinable
    public mutating func count(_ verdict: Verdict, time: Timestamp?) {
        frames += 1
        verdicts[Int(verdict.rawValue)] += 1
        guard let time else { return }
        if firstTime == nil { firstTime = time }
        lastTime = time
    }

    public func count(of verdict: Verdict) -> Int { verdicts[Int(verdict.rawValue)] }

    /// Whether most frames look like VXLAN-wrapped mirror traffic that was not unwrapped.
    public var suggestsVXLAN: Bool { vxlanFrames > 0 && vxlanFrames * 2 > max(ipFrames, 1) }

    public var suggestions: [String] {
        var out: [String] = []
        if suggestsVXLAN {
            out.append(
                "\(vxlanFrames) of \(frames) frames are VXLAN (UDP 4789), as AWS Traffic Mirroring sends them: "
                    + "rerun with --decap vxlan to analyse the mirrored packets inside")
        }
        return out
    }

    // MARK: Rendering

    public func json() -> JSON {
        var verdictPairs: [(String, JSON)] = []
        for verdict in Verdict.allCases { verdictPairs.append((verdict.label, .int(count(of: verdict)))) }
        var skipPairs: [(String, JSON)] = []
        for category in DecodeAnomaly.Category.allCases where anomalies[category.rawValue] > 0 {
            skipPairs.append((category.key, .int(anomalies[category.rawValue])))
        }
        if notEvaluated > 0 { skipPairs.append(("not-evaluated", .int(notEvaluated))) }
        if nonPackets > 0 { skipPairs.append(("not-a-packet", .int(nonPackets))) }
        return .object([
            ("frames", .int(frames)),
            ("verdicts", .object(verdictPairs)),
            ("capture", .string(captureName)),
            ("link_type", .string(linkTypeName)),
            ("ip_frames", .int(ipFrames)),
            ("first_time", firstTime.map { .string($0.rfc3339) } ?? .null),
            ("last_time", lastTime.map { .string($0.rfc3339) } ?? .null),
            ("skipped_reasons", .object(skipPairs)),
            ("vxlan_frames", .int(vxlanFrames)),
            ("decapsulated_frames", .int(decapsulatedFrames)),
            ("capture_error", captureError.map { .string($0) } ?? .null),
            ("suggestions", .array(suggestions.map { .string($0) })),
        ])
    }

    public func text() -> String {
        var lines: [String] = []
        var head = "\(captureName): \(frames) frame\(frames == 1 ? "" : "s")"
        if !linkTypeName.isEmpty { head += " (\(linkTypeName))" }
        if let firstTime, let lastTime {
            head += ", \(firstTime.rfc3339) to \(lastTime.rfc3339)"
        }
        lines.append(head)
        let width = Verdict.allCases.map { $0.label.count }.max() ?? 0
        let numberWidth = String(frames).count
        for verdict in Verdict.allCases {
            lines.append("  " + pad(verdict.label, width) + "  " + padLeft(String(count(of: verdict)), numberWidth))
        }
        for category in DecodeAnomaly.Category.allCases where anomalies[category.rawValue] > 0 {
            let example = anomalyExamples[category.rawValue].map { "  e.g. \($0)" } ?? ""
            lines.append("    " + padLeft(String(anomalies[category.rawValue]), numberWidth) + " " + category.key + example)
        }
        if notEvaluated > 0 {
            lines.append("    " + padLeft(String(notEvaluated), numberWidth) + " " + (notEvaluatedReason ?? "not evaluated"))
        }
        if nonPackets > 0 {
            lines.append("    " + padLeft(String(nonPackets), numberWidth) + " not-a-packet (pcapng custom blocks)")
        }
        if decapsulatedFrames > 0 {
            lines.append("VXLAN: \(decapsulatedFrames) frames unwrapped; their inner packets were analysed")
        }
        if let captureError {
            lines.append("capture error: \(captureError) (the frames before it were analysed)")
        }
        for suggestion in suggestions { lines.append("hint: " + suggestion) }
        return lines.joined(separator: "\n") + "\n"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }
    private func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
