import Firewall
import Packets

/// The addresses seen most often in a stream, in constant space and no allocation: Misra–Gries
/// with four counters. Any address in more than a fifth of the items keeps a counter, and each
/// count is a lower bound of the true one (at most a fifth of the items below it), so a warning
/// built on it never overstates.
public struct HeavyHitters: Sendable {
    private var addresses = (IPAddress(v4: 0), IPAddress(v4: 0), IPAddress(v4: 0), IPAddress(v4: 0))
    private var counts: (Int, Int, Int, Int) = (0, 0, 0, 0)

    public init() {}

    /// Counts `a`, unless it cannot be an interface's address (a capture on `lo` or `any` is full
    /// of loopback and multicast).
    @inline(__always)
    public mutating func add(_ a: IPAddress) {
        guard a.couldBeAnInterfaceAddress else { return }
        if counts.0 > 0 && addresses.0 == a { counts.0 += 1; return }
        if counts.1 > 0 && addresses.1 == a { counts.1 += 1; return }
        if counts.2 > 0 && addresses.2 == a { counts.2 += 1; return }
        if counts.3 > 0 && addresses.3 == a { counts.3 += 1; return }
        if counts.0 == 0 { addresses.0 = a; counts.0 = 1; return }
        if counts.1 == 0 { addresses.1 = a; counts.1 = 1; return }
        if counts.2 == 0 { addresses.2 = a; counts.2 = 1; return }
        if counts.3 == 0 { addresses.3 = a; counts.3 = 1; return }
        counts.0 -= 1; counts.1 -= 1; counts.2 -= 1; counts.3 -= 1
    }

    /// The address with the largest count, and that count (a lower bound).
    public var top: (IPAddress, Int)? {
        let all = [(addresses.0, counts.0), (addresses.1, counts.1), (addresses.2, counts.2), (addresses.3, counts.3)]
        guard let best = all.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return nil }
        return best
    }
}
