/// An instant as nanoseconds since the Unix epoch (UTC): the packet clock.
///
///     let t = Timestamp(seconds: 1_700_000_000, nanoseconds: 5)
///     t.rfc3339                       // "2023-11-14T22:13:20.000000005Z"
///     t + .seconds(30) > t            // true
///
/// Full nanosecond precision, unlike `Date` (a `Double`). The engine has no other clock.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    @inlinable public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (t: Timestamp, d: Interval) -> Timestamp {
        Timestamp(nanoseconds: t.nanoseconds &+ d.nanoseconds)
    }
    @inlinable public static func - (t: Timestamp, d: Interval) -> Timestamp {
        Timestamp(nanoseconds: t.nanoseconds &- d.nanoseconds)
    }
    @inlinable public static func - (a: Timestamp, b: Timestamp) -> Interval {
        Interval(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }

    /// Whole seconds and the nanosecond remainder, the remainder always in 0..<1e9.
    @inlinable public var secondsAndFraction: (seconds: Int64, nanoseconds: Int64) {
        var s = nanoseconds / 1_000_000_000
        var n = nanoseconds % 1_000_000_000
        if n < 0 { s -= 1; n += 1_000_000_000 }
        return (s, n)
    }
}

/// A length of time in nanoseconds (an interval, never an instant).
public struct Interval: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    @inlinable public static func seconds(_ s: Int64) -> Interval { Interval(nanoseconds: s &* 1_000_000_000) }
    @inlinable public static func < (a: Interval, b: Interval) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Interval, b: Interval) -> Interval {
        Interval(nanoseconds: a.nanoseconds &+ b.nanoseconds)
    }
}

extension Timestamp {
    /// RFC 3339 UTC with all nine fractional digits: `2023-11-14T22:13:20.123456789Z`.
    public var rfc3339: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3339 form to a byte buffer without building a String (the labels writer's path).
    public func appendRFC3339(to out: inout [UInt8]) {
        let (seconds, fraction) = secondsAndFraction
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        if y < 0 || y > 9999 {
            // Outside RFC 3339's four-digit years: write the year as it is rather than wrap.
            out.append(contentsOf: Array(String(y).utf8))
        } else {
            out.append(contentsOf: Timestamp.digits(y, width: 4))
        }
        // The rest has a fixed width: written into a small buffer, then appended at once (appending
        // byte by byte costs more than the arithmetic; this runs for every label).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 26) { b in
            func put(_ value: Int64, width: Int, at start: Int) {
                var v = value
                var i = start + width - 1
                while i >= start {
                    b[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                    v /= 10
                    i -= 1
                }
            }
            b[0] = 45; put(m, width: 2, at: 1); b[3] = 45; put(d, width: 2, at: 4)
            b[6] = 84  // T
            put(rem / 3600, width: 2, at: 7); b[9] = 58; put(rem / 60 % 60, width: 2, at: 10); b[12] = 58
            put(rem % 60, width: 2, at: 13); b[15] = 46; put(fraction, width: 9, at: 16); b[25] = 90  // Z
            out.append(contentsOf: UnsafeBufferPointer(b))
        }
    }

    private static func digits(_ value: Int64, width: Int) -> [UInt8] {
        var v = value
        var bytes = [UInt8](repeating: 48, count: width)
        for i in stride(from: width - 1, through: 0, by: -1) {
            bytes[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
        }
        return bytes
    }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian date of a day count from 1970-01-01.
    public static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Day count from 1970-01-01 of a proleptic Gregorian date (the inverse of `civil`).
    public static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
