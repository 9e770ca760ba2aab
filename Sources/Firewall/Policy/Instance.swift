import Packets

/// The analysed network interface (docs/semantics.md §1): its addresses, subnet and attached groups.
///
///     var instance = Instance(eniID: "eni-0a")
///     instance.addresses.append(.init(IPAddress(parsing: "10.0.0.5")!, kind: .privatePrimary))
///     instance.groupIDs = ["sg-0web"]
///
/// A packet is inbound when its destination is one of `addresses` (or inside `delegatedPrefixes`),
/// outbound when its source is.
public struct Instance: Hashable, Sendable {
    /// `eni-…`, when known.
    public var eniID: String?
    public var addresses: [Address]
    /// IPv4/IPv6 prefixes delegated to the interface (Ipv4Prefixes / Ipv6Prefixes): every address in them is the instance's.
    public var delegatedPrefixes: [CIDR]
    /// `subnet-…`, when known.
    public var subnetID: String?
    /// The subnet's IPv4 and IPv6 blocks: peers inside them do not cross the NACL (docs/semantics.md §6).
    public var subnetCIDRs: [CIDR]
    /// The attached security groups, in AWS's order.
    public var groupIDs: [String]

    public init(
        eniID: String? = nil, addresses: [Address] = [], delegatedPrefixes: [CIDR] = [], subnetID: String? = nil,
        subnetCIDRs: [CIDR] = [], groupIDs: [String] = []
    ) {
        self.eniID = eniID
        self.addresses = addresses
        self.delegatedPrefixes = delegatedPrefixes
        self.subnetID = subnetID
        self.subnetCIDRs = subnetCIDRs
        self.groupIDs = groupIDs
    }

    /// One address of the interface and what kind it is.
    public struct Address: Hashable, Sendable {
        public var address: IPAddress
        public var kind: Kind

        public init(_ address: IPAddress, kind: Kind) {
            self.address = address
            self.kind = kind
        }

        public enum Kind: String, Hashable, Sendable {
            case privatePrimary = "private, primary"
            case privateSecondary = "private, secondary"
            /// Public IPv4 or Elastic IP associated with the interface.
            case `public` = "public"
            case ipv6 = "IPv6"
            /// From `--instance` or a scenario file's plain address list.
            case given = "given"
        }
    }

    /// Adds an address unless it is already there.
    public mutating func add(_ address: IPAddress, kind: Address.Kind) {
        guard !addresses.contains(where: { $0.address == address }) else { return }
        addresses.append(Address(address, kind: kind))
    }

    /// Whether the address belongs to the instance.
    public func owns(_ address: IPAddress) -> Bool {
        addresses.contains { $0.address == address } || delegatedPrefixes.contains { $0.contains(address) }
    }
}
