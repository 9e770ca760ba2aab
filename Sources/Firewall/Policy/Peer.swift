/// The other side a security group rule allows: exactly one of an address block, a managed prefix
/// list, or a referenced security group.
///
///     Peer.cidr(CIDR(parsing: "203.0.113.1/32")!)     // "203.0.113.1/32"
///     Peer.prefixList("pl-0abc")                      // "pl-0abc"
///     Peer.securityGroup("sg-0db")                    // "sg-0db"
///
/// A prefix list's CIDRs and a referenced group's member addresses are data of the policy
/// (`Policy.prefixLists`, `Policy.groupMembers`), so a rule names them the way AWS does: by id.
public enum Peer: Hashable, Sendable {
    /// An IPv4 or IPv6 block.
    case cidr(CIDR)
    /// A managed prefix list (`pl-…`).
    case prefixList(String)
    /// The addresses of the interfaces that carry this security group (`sg-…`).
    case securityGroup(String)
}

extension Peer: CustomStringConvertible {
    public var description: String {
        switch self {
        case .cidr(let block): block.description
        case .prefixList(let id): id
        case .securityGroup(let id): id
        }
    }
}
