import Firewall
import Packets

/// The incident report of several captures.
public struct CombinedReport: Sendable {
    public var combined: CombinedSummary
    public var command: [String]

    public init(combined: CombinedSummary, command: [String] = []) {
        self.combined = combined
        self.command = command
    }

    public func render(_ format: IncidentReport.Format) -> String { "" }
}
