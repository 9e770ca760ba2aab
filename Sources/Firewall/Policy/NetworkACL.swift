/// One numbered network ACL entry: allow or deny `traffic` to or from `cidr`, in one direction.
///
///     100 allow tcp 22 0.0.0.0/0   (inbound)
///
/// Entries are stateless and checked lowest number first; the first whose traffic and block match
/// decides (docs/semantics.md §6). Numbers are 1–32766; AWS's own `*` rule (32767 for IPv4, 32768 for
/// IPv6 in describe-network-acls) is not stored: every ACL ends in it.
public struct NetworkACLEntry: Sendable {
    public var ruleNumber: Int
    public var direction: RuleDirection
    public var traffic: Traffic
    /// IPv4 or IPv6; an entry never matches packets of the other family.
    public var cidr: CIDR
    public var action: Action
    public var source: SourceLocation?

    public enum Action: String, Hashable, Sendable {
        case allow, deny
    }

    /// The numbers a user may give an entry.
    public static let ruleNumbers = 1...32766
    /// The numbers AWS shows for the `*` rule (IPv4, IPv6).
    public static let defaultRuleNumbers = 32767...32768

    public init(
        ruleNumber: Int, direction: RuleDirection, traffic: Traffic, cidr: CIDR, action: Action,
        source: SourceLocation? = nil
    ) {
        self.ruleNumber = ruleNumber
        self.direction = direction
        self.traffic = traffic
        self.cidr = cidr
        self.action = action
        self.source = source
    }
}

extension NetworkACLEntry: Hashable {
    public static func == (a: NetworkACLEntry, b: NetworkACLEntry) -> Bool {
        a.ruleNumber == b.ruleNumber && a.direction == b.direction && a.traffic == b.traffic && a.cidr == b.cidr
            && a.action == b.action
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ruleNumber)
        hasher.combine(direction)
        hasher.combine(cidr)
    }
}

extension NetworkACLEntry: CustomStringConvertible {
    /// `inbound 100 allow tcp 22 from 0.0.0.0/0`
    public var description: String {
        "\(direction.word) \(ruleNumber) \(action.rawValue) \(traffic) \(direction == .ingress ? "from" : "to") \(cidr)"
    }
}

/// A network ACL: numbered stateless entries per direction, ending in an implicit deny.
///
///     var acl = NetworkACL(id: "acl-0a")
///     acl.entries.append(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all,
///                                        cidr: CIDR(parsing: "0.0.0.0/0")!, action: .allow))
///     acl.entries(.ingress).map(\.ruleNumber)      // [100], lowest first
///
/// Invariant kept by `set(_:)`: at most one entry per (direction, rule number).
public struct NetworkACL: Hashable, Sendable {
    /// `acl-…`
    public var id: String
    public var entries: [NetworkACLEntry]
    /// Subnet id → association id (`aclassoc-…`), from describe-network-acls.
    public var associations: [String: String]
    public var source: SourceLocation?

    public init(
        id: String, entries: [NetworkACLEntry] = [], associations: [String: String] = [:],
        source: SourceLocation? = nil
    ) {
        self.id = id
        self.entries = entries
        self.associations = associations
        self.source = source
    }

    /// The entries of one direction in evaluation order (lowest rule number first).
    public func entries(_ direction: RuleDirection) -> [NetworkACLEntry] {
        entries.filter { $0.direction == direction }.sorted { $0.ruleNumber < $1.ruleNumber }
    }

    /// The entry with this number in this direction.
    public func entry(_ direction: RuleDirection, _ ruleNumber: Int) -> NetworkACLEntry? {
        entries.first { $0.direction == direction && $0.ruleNumber == ruleNumber }
    }

    /// Adds or replaces the entry with the same (direction, rule number); returns the one replaced.
    @discardableResult
    public mutating func set(_ entry: NetworkACLEntry) -> NetworkACLEntry? {
        if let i = entries.firstIndex(where: { $0.direction == entry.direction && $0.ruleNumber == entry.ruleNumber }) {
            let old = entries[i]
            entries[i] = entry
            return old
        }
        entries.append(entry)
        return nil
    }

    /// Removes the entry with this (direction, rule number); returns it, or nil if there was none.
    @discardableResult
    public mutating func remove(_ direction: RuleDirection, _ ruleNumber: Int) -> NetworkACLEntry? {
        guard let i = entries.firstIndex(where: { $0.direction == direction && $0.ruleNumber == ruleNumber }) else {
            return nil
        }
        return entries.remove(at: i)
    }

    public static func == (a: NetworkACL, b: NetworkACL) -> Bool {
        a.id == b.id && Set(a.entries) == Set(b.entries) && a.entries.count == b.entries.count
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
    }
}
