import Packets

/// When an edit takes effect: an instant, or an offset from the capture's first frame.
///
///     EditTime.absolute(Timestamp(seconds: 1_700_000_030))    // "2023-11-14T22:13:50Z"
///     EditTime.afterFirstFrame(.seconds(30))                  // "+30s"
public enum EditTime: Hashable, Sendable {
    case absolute(Timestamp)
    case afterFirstFrame(Interval)

    /// The instant, given the first frame's time.
    public func resolved(firstFrame: Timestamp) -> Timestamp {
        switch self {
        case .absolute(let t): t
        case .afterFirstFrame(let offset): firstFrame + offset
        }
    }
}

extension EditTime: CustomStringConvertible {
    public var description: String {
        switch self {
        case .absolute(let t):
            // Whole seconds print without the nine fractional digits.
            let text = t.rfc3339
            return text.hasSuffix(".000000000Z") ? String(text.dropLast(11)) + "Z" : text
        case .afterFirstFrame(let d):
            return "+" + Interval.formatted(d)
        }
    }
}

extension Interval {
    /// `30s`, `1.5s`, `0.25s`: seconds with only the digits needed.
    static func formatted(_ d: Interval) -> String {
        let sign = d.nanoseconds < 0 ? "-" : ""
        let magnitude = d.nanoseconds.magnitude
        let seconds = magnitude / 1_000_000_000
        var fraction = magnitude % 1_000_000_000
        guard fraction != 0 else { return "\(sign)\(seconds)s" }
        var digits = 9
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(sign)\(seconds)." + String(repeating: "0", count: digits - text.count) + text + "s"
    }
}

/// A policy edit with its time, where it was written, and what it came from.
///
///     TimedEdit(time: .afterFirstFrame(.seconds(30)), edit: .detachGroup("sg-0web"),
///               source: SourceLocation(file: "scenario.yaml", line: 14))
public struct TimedEdit: Hashable, Sendable {
    public var time: EditTime
    public var edit: PolicyEdit
    public var source: SourceLocation?
    /// What the edit came from, e.g. `CloudTrail RevokeSecurityGroupIngress by arn:aws:iam::…:user/alice`.
    public var origin: String?

    public init(time: EditTime, edit: PolicyEdit, source: SourceLocation? = nil, origin: String? = nil) {
        self.time = time
        self.edit = edit
        self.source = source
        self.origin = origin
    }
}

extension TimedEdit: CustomStringConvertible {
    /// `+30s revoke sg-0web/sgr-0ssh`
    public var description: String { "\(time) \(edit)" }
}
