import Firewall
import Packets

/// Text for people: counts with their noun, shares, times and durations, and the instants inside
/// the summary's own words.
extension IncidentReport {
    /// "1 flow", "3 flows".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
    func count(_ n: Int, _ noun: String) -> String { IncidentReport.count(n, noun) }
    func plural(_ n: Int) -> String { n == 1 ? "" : "s" }

    /// `12.5 %` with one decimal, from integers (no floating-point formatting differences).
    static func percent(_ n: Int, of total: Int) -> String {
        guard total > 0 else { return "" }
        let tenths = (n * 1000 + total / 2) / total
        return "\(tenths / 10).\(tenths % 10) %"
    }

    /// A time for people: RFC 3339 UTC, trailing zero groups of the fraction left out.
    static func timeText(_ t: Timestamp) -> String {
        var s = t.rfc3339
        for _ in 0..<3 where s.hasSuffix("000Z") {
            s.removeLast(4)
            s += "Z"
        }
        if s.hasSuffix(".Z") { s.removeLast(2); s += "Z" }
        return s
    }

    /// `5 d`, `2 h 5 min`, `3 min 20 s`, `12 s`, `1.5 s`.
    static func duration(_ d: Interval) -> String {
        let ns = max(d.nanoseconds, 0)
        let s = ns / 1_000_000_000
        if s >= 86_400 {
            let h = s % 86_400 / 3600
            return "\(s / 86_400) d" + (h > 0 ? " \(h) h" : "")
        }
        if s >= 3600 {
            let m = s % 3600 / 60
            return "\(s / 3600) h" + (m > 0 ? " \(m) min" : "")
        }
        if s >= 60 {
            let r = s % 60
            return "\(s / 60) min" + (r > 0 ? " \(r) s" : "")
        }
        if s >= 10 { return "\(s) s" }
        let tenths = (ns + 50_000_000) / 100_000_000
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }

    /// Text with the RFC 3339 instants inside it (`entry created at frame 8 (2026-…000Z)`, as the
    /// summary words it) as times, so that they read like the report's other times.
    static func withTimes(_ text: String) -> [Inline] {
        let chars = Array(text.utf8)
        var out: [Inline] = []
        var start = 0, i = 0
        while i + 30 <= chars.count {
            if let t = rfc3339(chars[i..<i + 30]) {
                if i > start { out.append(.text(String(decoding: chars[start..<i], as: UTF8.self))) }
                out.append(.time(t))
                i += 30
                start = i
            } else {
                i += 1
            }
        }
        if start < chars.count { out.append(.text(String(decoding: chars[start...], as: UTF8.self))) }
        return out
    }

    /// `2026-11-21T21:17:49.075706000Z` (exactly as `Timestamp.rfc3339` writes it) → the instant.
    static func rfc3339(_ b: ArraySlice<UInt8>) -> Timestamp? {
        let b = Array(b)
        let pattern = Array("dddd-dd-ddTdd:dd:dd.dddddddddZ".utf8)
        var value: Int64 = 0
        var numbers: [Int64] = []
        for (c, p) in zip(b, pattern) {
            if p == UInt8(ascii: "d") {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            } else {
                guard c == p else { return nil }
                numbers.append(value)
                value = 0
            }
        }
        // numbers: year, month, day, hour, minute, second, fraction (before "Z").
        guard numbers.count == 7, (1...12).contains(numbers[1]), (1...31).contains(numbers[2]) else { return nil }
        let days = Timestamp.days(fromCivil: numbers[0], numbers[1], numbers[2])
        let seconds = days * 86_400 + numbers[3] * 3600 + numbers[4] * 60 + numbers[5]
        return Timestamp(seconds: seconds, nanoseconds: numbers[6])
    }
}
