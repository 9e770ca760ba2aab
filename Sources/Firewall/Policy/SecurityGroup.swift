/// A security group: a named set of allow rules, stateful through connection tracking.
///
///     var web = SecurityGroup(id: "sg-0web", name: "web")
///     web.rules.append(SecurityGroupRule(groupID: "sg-0web", direction: .ingress, traffic: .tcp(PortRange(22)),
///                                        peer: .cidr(CIDR(parsing: "203.0.113.1/32")!)))
///
/// An interface's rules are the union of its groups' rules (docs/semantics.md §4). `rules` keeps the
/// order of the input, inbound and outbound mixed; `rules(.ingress)` selects one direction.
public struct SecurityGroup: Hashable, Sendable {
    /// `sg-…`
    public var id: String
    /// The GroupName, when known.
    public var name: String?
    public var rules: [SecurityGroupRule]
    public var source: SourceLocation?

    public init(id: String, name: String? = nil, rules: [SecurityGroupRule] = [], source: SourceLocation? = nil) {
        self.id = id
        self.name = name
        self.rules = rules
        self.source = source
    }

    public func rules(_ direction: RuleDirection) -> [SecurityGroupRule] {
        rules.filter { $0.direction == direction }
    }

    public static func == (a: SecurityGroup, b: SecurityGroup) -> Bool {
        a.id == b.id && a.name == b.name && a.rules == b.rules
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(rules)
    }
}
