/// Skipped frames of one reason, as the verdict table lists them under `skipped`.
struct SkippedReason: Sendable {
    var key: String
    var count: Int
    /// The first example (decode anomalies only).
    var example: String?
    /// Words after the key in the text and the report (" (pcapng custom blocks)").
    var note = ""
}
