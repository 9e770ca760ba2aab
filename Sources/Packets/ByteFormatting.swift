/// Appending numbers and addresses as text straight into a byte buffer: the tools of the labels
/// writer and of the engine's reason texts, so that no `String` is built per frame.
extension Array where Element == UInt8 {
    /// Digits written into a small buffer from the end, then appended at once (appending byte by
    /// byte costs a capacity check each).
    @inlinable
    public mutating func appendDecimal(_ value: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { b in
            var v = value.magnitude
            var i = 20
            repeat {
                i -= 1
                b[i] = 48 &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v > 0
            if value < 0 { append(45) }
            append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<20]))
        }
    }

    @inlinable
    public mutating func appendASCII(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    public mutating func appendHex(_ v: UInt16) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = UInt8((v >> UInt16(shift)) & 0xf)
            if nibble != 0 || started || shift == 0 {
                started = true
                append(nibble < 10 ? 48 + nibble : 87 + nibble)
            }
        }
    }

    /// IPv4 dotted quad, or IPv6 in RFC 5952 form (the same text as `IPAddress.description`).
    public mutating func appendAddress(_ a: IPAddress) {
        if a.isIPv4 {
            let v = a.v4
            appendDecimal(Int(v >> 24)); append(46)
            appendDecimal(Int((v >> 16) & 0xff)); append(46)
            appendDecimal(Int((v >> 8) & 0xff)); append(46)
            appendDecimal(Int(v & 0xff))
            return
        }
        if a.high == 0 && (a.low >> 32) == 0xffff {
            appendASCII("::ffff:")
            appendAddress(IPAddress(v4: UInt32(truncatingIfNeeded: a.low)))
            return
        }
        @inline(__always) func group(_ i: Int) -> UInt16 {
            let word = i < 4 ? a.high : a.low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (i & 3)))
        }
        var bestStart = -1, bestLength = 1, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        i = 0
        while i < 8 {
            if i == bestStart {
                append(58); append(58)
                i += bestLength
                continue
            }
            if i > 0 && i != bestStart + bestLength { append(58) }
            appendHex(group(i))
            i += 1
        }
    }
}
