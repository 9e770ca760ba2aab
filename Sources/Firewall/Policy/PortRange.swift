/// An inclusive range of TCP or UDP ports.
///
///     PortRange(22)                  // "22"
///     PortRange(1024, 65535)         // "1024-65535"
///     PortRange.all.isAll            // true
public struct PortRange: Hashable, Sendable {
    public let lower: UInt16
    public let upper: UInt16

    /// A range; nil when `lower > upper`.
    public init?(_ lower: UInt16, _ upper: UInt16) {
        guard lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    /// One port.
    public init(_ port: UInt16) {
        lower = port
        upper = port
    }

    /// 0–65535: every port, what docs/semantics.md §5.1 calls "ports exactly 0–65535".
    public static let all = PortRange(unchecked: 0, 65535)

    private init(unchecked lower: UInt16, _ upper: UInt16) {
        self.lower = lower
        self.upper = upper
    }

    public var isAll: Bool { lower == 0 && upper == 65535 }

    public func contains(_ port: UInt16) -> Bool { lower <= port && port <= upper }
}

extension PortRange: CustomStringConvertible {
    public var description: String {
        if isAll { return "all ports" }
        return lower == upper ? "\(lower)" : "\(lower)-\(upper)"
    }
}
