import Firewall
import Packets

/// The warnings a user needs before reading any verdict: they say the verdicts may answer another
/// question than the one asked (the wrong CloudTrail, no policy, a guessed or incomplete instance,
/// a timeline with records that were not understood). Text and report show them first; JSON lists
/// them first in `warnings`.
extension Summary {
    /// Timeline edits are expected near the capture: every one of them this far outside it means
    /// CloudTrail of another incident, or times in another zone.
    public static let farFromCapture = Interval.seconds(86_400)

    /// The facts the leading warnings are made from, gathered during the run.
    public struct Alerts: Sendable {
        /// No policy input at all: every frame is judged against no rules.
        public var noPolicy = false
        /// A policy was given, but no security group rule is in force at the start and no edit adds one.
        public var noRules = false
        /// How the instance's address was inferred from the capture (`instanceInferred`).
        public var inference: String?
        /// The span the timeline's edits are compared with (several captures of one interface:
        /// the whole timeline's span); nil: this capture's own first and last frame.
        public var timelineSpan: (first: Timestamp, last: Timestamp)?
        /// The addresses most seen in frames skipped as not-instance.
        public var strays = HeavyHitters()
        public init() {}
    }

    /// Whether the policy is empty, or has no rule for the instance: the verdicts then say nothing
    /// about AWS's rules.
    public mutating func noteRulelessPolicy(_ loaded: LoadedPolicy) {
        let p = loaded.policy
        let addsRules = loaded.timeline.edits.contains { edit in
            switch edit.edit {
            case .authorize, .setGroups, .attachGroup, .modify: true
            default: false
            }
        }
        if p.securityGroups.isEmpty && p.networkACLs.isEmpty && p.instance.eniID == nil && loaded.timeline.edits.isEmpty {
            alerts.noPolicy = true
        } else if p.attachedGroups.allSatisfy(\.rules.isEmpty) && !addsRules {
            alerts.noRules = true
        }
    }

    /// In order of what to fix first.
    public var leadingWarnings: [String] {
        var out: [String] = []
        if alerts.noPolicy {
            out.append(
                "no policy was given (--policy): every frame is judged against no rules, so everything the instance "
                    + "sent or received is dropped unless a timeline edit adds rules")
        }
        else if alerts.noRules {
            out.append(
                "the policy gives the instance no security group rule, and no timeline edit adds one: every frame "
                    + "is dropped unless tracking from before the capture lets it through; check the policy files "
                    + "(`sgreplay policy …` prints what was understood)")
        }
        if let inference = alerts.inference { out.append(inference) }
        if let far = farTimelineWarning { out.append(far) }
        if ignoredEvents.notUnderstood > 0 {
            let n = ignoredEvents.notUnderstood
            out.append(
                "\(n) CloudTrail record\(n == 1 ? "" : "s") of rule-edit events \(n == 1 ? "was" : "were") not understood and not "
                    + "applied (each is named in the warnings): the timeline may be missing edits")
        }
        if let stray = strayAddressWarning { out.append(stray) }
        return out
    }

    /// Every edit more than a day before the first frame or after the last.
    var farTimelineWarning: String? {
        guard !edits.isEmpty else { return nil }
        guard let span = alerts.timelineSpan ?? firstTime.flatMap({ f in lastTime.map { (f, $0) } }) else { return nil }
        let early = span.first - Summary.farFromCapture, late = span.last + Summary.farFromCapture
        guard edits.allSatisfy({ $0.time < early || $0.time > late }) else { return nil }
        let times = edits.map(\.time)
        let nearest = times.min { Summary.distance($0, span) < Summary.distance($1, span) }!
        let side = nearest < span.first ? "before the first frame" : "after the last frame"
        let noun = edits.count == 1 ? "the timeline's edit" : "every one of the timeline's \(edits.count) edits"
        return "\(noun) lies more than a day outside the capture (\(span.first.rfc3339) to \(span.last.rfc3339)): "
            + "the nearest, at \(nearest.rfc3339), is \(Summary.daysText(Summary.distance(nearest, span))) \(side). "
            + "Is this CloudTrail of another incident, or are the times in another zone? (Edits before the capture shape its start; edits after it change nothing.)"
    }

    static func distance(_ t: Timestamp, _ span: (first: Timestamp, last: Timestamp)) -> Int64 {
        t < span.first ? (span.first - t).nanoseconds : t > span.last ? (t - span.last).nanoseconds : 0
    }

    /// "3.5 days", "26 hours".
    static func daysText(_ nanoseconds: Int64) -> String {
        let hours = nanoseconds / 3_600_000_000_000
        if hours < 48 { return "\(hours) hours" }
        let tenths = nanoseconds / 8_640_000_000_000
        return "\(tenths / 10).\(tenths % 10) days"
    }

    /// A large share of frames is not-instance and one address is in most of them: likely an address
    /// of the instance the policy does not list (its IPv6 address, a secondary address, a public one
    /// the capture shows untranslated).
    var strayAddressWarning: String? {
        let skipped = otherSkips[Int(Judgement.Reason.notInstance.rawValue)]
        // A quarter of the IP frames skipped, and one address in at least 40% of those (a lower
        // bound: an address in every one of them counts at least 60%).
        guard skipped >= 10, skipped * 4 >= max(ipFrames, 1), let (address, atLeast) = alerts.strays.top,
            atLeast * 5 >= skipped * 2
        else { return nil }
        return "\(skipped) of \(ipFrames) IP frames (\(Summary.percent(skipped, of: ipFrames))) were skipped as not to or from "
            + "the instance, and \(address) is in at least \(atLeast) of them: if it is an address of the instance "
            + "(its IPv6 or a secondary address), add it with --instance \(address)"
    }

    static func percent(_ n: Int, of total: Int) -> String {
        guard total > 0 else { return "0%" }
        return "\((n * 100 + total / 2) / total)%"
    }
}
