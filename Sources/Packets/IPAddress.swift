/// An IPv4 or IPv6 address as a 128-bit value plus its family.
///
///     let a = IPAddress(v4: 0x0a00_0005)          // 10.0.0.5
///     a.description                               // "10.0.0.5"
///     IPAddress(parsing: "2001:db8::1")?.isIPv6   // true
///
/// IPv4 addresses live in the low 32 bits with `high == 0`, so comparing, hashing and masking are
/// two integer operations whatever the family. Formatting follows RFC 5952 for IPv6.
public struct IPAddress: Hashable, Comparable, Sendable {
    /// The first 64 bits of an IPv6 address (network order); zero for IPv4.
    public var high: UInt64
    /// The last 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits.
    public var low: UInt64
    /// 4 or 6.
    public var version: UInt8

    @inlinable
    public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        version = 4
    }

    @inlinable
    public init(v6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        version = 6
    }

    @inlinable public var isIPv4: Bool { version == 4 }
    @inlinable public var isIPv6: Bool { version == 6 }

    /// The IPv4 address as an integer (meaningful only for IPv4).
    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.version, a.high, a.low) < (b.version, b.high, b.low)
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        if isIPv4 {
            let v = v4
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        // RFC 5952: IPv4-mapped addresses keep their dotted tail.
        if high == 0 && (low >> 32) == 0xffff {
            let v = UInt32(truncatingIfNeeded: low)
            return "::ffff:\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        }
        // RFC 5952: the longest run (first if tied) of two or more zero groups becomes "::".
        var bestStart = -1, bestLength = 1
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

extension IPAddress {
    /// Parses dotted IPv4 (`10.0.0.5`) or IPv6 text (`2001:db8::1`, `::ffff:10.0.0.5`); nil when invalid.
    public init?(parsing text: some StringProtocol) {
        if !text.contains(":") {
            guard let v = IPAddress.parseV4(text) else { return nil }
            self.init(v4: v)
            return
        }
        guard let (h, l) = IPAddress.parseV6(text) else { return nil }
        self.init(v6High: h, low: l)
    }

    static func parseV4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseV6(_ text: some StringProtocol) -> (UInt64, UInt64)? {
        let s = Substring(text)
        var all: [UInt16]
        if let gap = s.firstRange(of: "::") {
            let head = s[..<gap.lowerBound], tail = s[gap.upperBound...]
            guard tail.firstRange(of: "::") == nil,
                let h = groups(head, allowingIPv4Tail: false),
                let t = groups(tail, allowingIPv4Tail: true),
                h.count + t.count <= 7
            else { return nil }
            all = h + [UInt16](repeating: 0, count: 8 - h.count - t.count) + t
        } else {
            guard let g = groups(s, allowingIPv4Tail: true), g.count == 8 else { return nil }
            all = g
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(all[i]) }
        return (h, l)
    }

    /// The 16-bit groups of one side of "::" (an embedded dotted IPv4 tail counts as two).
    private static func groups(_ part: Substring, allowingIPv4Tail: Bool) -> [UInt16]? {
        if part.isEmpty { return [] }
        let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if piece.contains(".") {
                guard allowingIPv4Tail, index == pieces.count - 1, let v4 = parseV4(piece) else { return nil }
                out.append(UInt16(v4 >> 16))
                out.append(UInt16(v4 & 0xffff))
            } else {
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                    let g = UInt16(piece, radix: 16)
                else { return nil }
                out.append(g)
            }
        }
        return out
    }
}

extension IPAddress {
    /// False for addresses no network interface is given as its own: unspecified, loopback,
    /// multicast, IPv4 broadcast and link-local (169.254/16: AWS's own services live there).
    @inlinable
    public var couldBeAnInterfaceAddress: Bool {
        if isIPv4 {
            let v = v4
            let top = v >> 24
            return !(top == 0 || top == 127 || top >= 224 || v >> 16 == 0xA9FE)
        }
        return !(high >> 56 == 0xff || (high == 0 && low <= 1))
    }
}
