/// The ICMP or ICMPv6 messages a rule covers: a type and a code, each possibly "any" (`-1` in AWS).
///
///     ICMPTypeCode.any                      // "all types"
///     ICMPTypeCode(type: 8, code: nil)      // "type 8" (echo request, any code)
///     ICMPTypeCode(type: 3, code: 4)        // "type 3 code 4"
///
/// AWS puts these in a security group rule's FromPort (type) and ToPort (code), and in a NACL entry's
/// IcmpTypeCode. Invariant: a specific code needs a specific type.
public struct ICMPTypeCode: Hashable, Sendable {
    /// nil: every type.
    public let type: UInt8?
    /// nil: every code.
    public let code: UInt8?

    public init(type: UInt8?, code: UInt8?) {
        self.type = type
        self.code = type == nil ? nil : code
    }

    public static let any = ICMPTypeCode(type: nil, code: nil)

    public var isAny: Bool { type == nil }
}

extension ICMPTypeCode: CustomStringConvertible {
    public var description: String {
        guard let type else { return "all types" }
        guard let code else { return "type \(type)" }
        return "type \(type) code \(code)"
    }
}
