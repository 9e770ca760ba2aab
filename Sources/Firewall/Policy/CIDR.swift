import Packets

/// An address block: an IPv4 or IPv6 network address and a prefix length.
///
///     let block = CIDR(parsing: "203.0.113.0/24")!
///     block.contains(IPAddress(parsing: "203.0.113.9")!)   // true
///     CIDR(parsing: "::/0")!.isAllAddresses                 // true
///
/// The host bits are cleared when parsing, as AWS canonicalises `100.68.0.18/18` to `100.68.0.0/18`,
/// so two blocks that cover the same addresses compare equal.
public struct CIDR: Hashable, Comparable, Sendable {
    /// The network address (host bits zero).
    public let network: IPAddress
    /// 0–32 for IPv4, 0–128 for IPv6.
    public let prefixLength: UInt8

    /// A block from an address and a prefix length; nil when the length is too long for the family.
    public init?(network address: IPAddress, prefixLength: Int) {
        let maximum = address.isIPv4 ? 32 : 128
        guard (0...maximum).contains(prefixLength) else { return nil }
        self.prefixLength = UInt8(prefixLength)
        let (high, low) = CIDR.mask(prefixLength: prefixLength, version: address.version)
        var network = address
        network.high &= high
        network.low &= low
        self.network = network
    }

    /// The block holding exactly one address (/32 or /128).
    public init(host address: IPAddress) {
        network = address
        prefixLength = address.isIPv4 ? 32 : 128
    }

    /// Parses `a.b.c.d/n` or `ipv6/n`; with `allowingBareAddress`, a plain address means one host.
    /// Nil when the text is not a block.
    public init?(parsing text: some StringProtocol, allowingBareAddress: Bool = false) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parsing: parts[0]) else { return nil }
        if parts.count == 1 {
            guard allowingBareAddress else { return nil }
            self.init(host: address)
            return
        }
        let lengthText = parts[1]
        guard (1...3).contains(lengthText.count), lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let length = Int(lengthText)
        else { return nil }
        self.init(network: address, prefixLength: length)
    }

    /// 4 or 6.
    @inlinable public var version: UInt8 { network.version }

    /// True for the literal `0.0.0.0/0` and `::/0`: the blocks that make a flow untracked (docs/semantics.md §5.1).
    public var isAllAddresses: Bool { prefixLength == 0 }

    /// Whether `address` is inside the block; addresses of the other family never are.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.version == network.version else { return false }
        let (high, low) = CIDR.mask(prefixLength: Int(prefixLength), version: network.version)
        return address.high & high == network.high && address.low & low == network.low
    }

    /// The (high, low) masks of a prefix length, in the same layout as `IPAddress`.
    static func mask(prefixLength: Int, version: UInt8) -> (UInt64, UInt64) {
        if version == 4 {
            // IPv4 lives in the low 32 bits.
            let bits: UInt64 = prefixLength == 0 ? 0 : (UInt64(UInt32.max) << (32 - prefixLength)) & 0xffff_ffff
            return (0, bits)
        }
        func part(_ n: Int) -> UInt64 { n <= 0 ? 0 : n >= 64 ? .max : UInt64.max << (64 - n) }
        return (part(prefixLength), part(prefixLength - 64))
    }

    public static func < (a: CIDR, b: CIDR) -> Bool {
        (a.network, a.prefixLength) < (b.network, b.prefixLength)
    }
}

extension CIDR: CustomStringConvertible {
    public var description: String { "\(network)/\(prefixLength)" }
}
