import Reports

/// Whether `analyze` checks remedies by replaying: always, never, or for captures up to 256 MiB.
public enum RemedyMode: String, Sendable, CaseIterable {
    case auto, on, off

    /// Whether remedies are checked for captures of `bytes` in all (`Int.max`: standard input).
    public func applies(toBytes bytes: Int) -> Bool { self == .on || (self == .auto && bytes <= 256 << 20) }
}

extension CaptureReplay {
    /// `analyze` on one capture: the replay, then each remedy checked by replaying the capture
    /// again. Standard input is read once: when remedies will read it again it is spooled first,
    /// and every replay reads the spool, which is removed however the run ends.
    public static func analyze(_ request: ReplayRequest, remedies: RemedyMode) throws(ReplayError) -> ReplayResult {
        var request = request
        let checks = remedies.applies(toBytes: FrameLoop.fileSize(request.capture))
        let spool = try Spool(path: request.capture, needed: checks)
        defer { spool.remove() }
        if spool.isTemporary {
            request.capture = spool.path
            request.isSpooledStandardInput = true
        }
        var result = try run(request)
        if checks { result.summary.remedies = try Remedies.evaluate(baseline: result.summary, request: request) }
        return result
    }
}
