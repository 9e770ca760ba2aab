import Firewall
import Packets

/// Times as people and AWS write them: RFC 3339 instants and offsets like `+30s`, `+2m`, `+1.5s`.
enum TimeText {
    /// `2023-11-14T22:13:50Z`, `2023-11-14T22:13:50.250+01:00` (a space may replace the T).
    static func instant(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int64? {
            guard at + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in at..<(at + count) {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
            let day = digits(8, 2), [84, 116, 32].contains(b[10]), let hour = digits(11, 2), b[13] == 58,
            let minute = digits(14, 2), b[16] == 58, let second = digits(17, 2)
        else { return nil }
        let monthDays: [Int64] = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...monthDays[Int(month - 1)]).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale: Int64 = 100_000_000
            let start = i
            while i < b.count, (48...57).contains(b[i]) {
                nanos += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        switch b[i] {
        case 90, 122:  // Z z
            i += 1
        case 43, 45:  // + -
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = digits(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == 43 ? 1 : -1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = Timestamp.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Timestamp(seconds: seconds, nanoseconds: nanos)
    }

    /// `+30s`, `30s`, `+2m`, `+1h`, `+1.5s`, `+500ms`, `+1m30s`: an offset from the first frame.
    /// At most a year; nil when the text is not an offset.
    static func offset(_ text: String) -> Interval? {
        var s = Substring(text.trimmingSpaces)
        if s.first == "+" { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var total: Int64 = 0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            s = s.dropFirst(number.count)
            let unit = s.prefix { $0.isLetter }
            s = s.dropFirst(unit.count)
            let scale: Int64
            switch unit {
            case "h": scale = 3_600_000_000_000
            case "m", "min": scale = 60_000_000_000
            case "s", "": scale = 1_000_000_000
            case "ms": scale = 1_000_000
            default: return nil
            }
            guard let nanos = decimal(number, scale: scale) else { return nil }
            total += nanos
            guard total <= 366 * 86_400 * 1_000_000_000 else { return nil }
            if unit.isEmpty && !s.isEmpty { return nil }
        }
        return Interval(nanoseconds: total)
    }

    /// `1.5` × scale without floating point; nil for malformed or huge values.
    private static func decimal(_ text: Substring, scale: Int64) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 9, let w = Int64(whole) else { return nil }
        var result = w * scale
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy(\.isNumber) else { return nil }
            var f = scale
            for c in fraction {
                f /= 10
                result += Int64(c.wholeNumberValue ?? 0) * f
            }
        }
        return result
    }

    /// An `at:` value: an RFC 3339 instant or an offset.
    static func editTime(_ item: Item) throws(InputError) -> EditTime {
        let text = try item.string().trimmingSpaces
        if let t = instant(text) { return .absolute(t) }
        if let d = offset(text) { return .afterFirstFrame(d) }
        throw item.error(
            "\(text.quotedIfOdd) is not a time: write RFC 3339 (2023-11-14T22:13:50Z) or an offset from the first frame (+30s, +2m, +1.5s)")
    }
}
