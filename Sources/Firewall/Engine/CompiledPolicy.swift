import Packets

/// The policy in force at one instant, compiled for per-packet use: instance addresses, the SG
/// classifiers per (direction, family), the NACL entries in rule order, the subnet, the exempt and
/// automatically tracked peers. Rebuilt when a timeline edit applies (rare); read for every packet.
struct CompiledPolicy: Sendable {
    var instanceAddresses: [IPAddress]
    var delegatedPrefixes: [CIDR]
    var subnet: [CIDR]
    /// [direction * 2 + family], family 0 = IPv4, 1 = IPv6.
    var classifiers: [RuleClassifier]
    /// The NACL in force, per [direction * 2 + family]; nil when none is configured (all allowed).
    var acl: [[ACLEntry]]?
    var aclID: String?
    var exempt: [CIDR]
    var autoTracked: [CIDR]
    var trackAll: Bool

    struct ACLEntry: Sendable {
        var number: Int
        var allow: Bool
        /// -1 for all protocols.
        var ipProtocol: Int16
        var ports: PortRange
        /// ICMP type and code, -1 for any.
        var icmpType: Int16
        var icmpCode: Int16
        var cidr: CIDR
        var restrictsPorts: Bool
        /// The block as precomputed masks: the NACL is walked for every packet crossing the subnet.
        var maskHigh: UInt64 = 0
        var maskLow: UInt64 = 0

        @inline(__always)
        func contains(_ a: IPAddress) -> Bool {
            a.version == cidr.network.version && a.high & maskHigh == cidr.network.high && a.low & maskLow == cidr.network.low
        }
    }

    init(_ policy: Policy, registry: inout RuleRegistry, options: EngineOptions) {
        instanceAddresses = policy.instance.addresses.map(\.address)
        delegatedPrefixes = policy.instance.delegatedPrefixes
        subnet = policy.instance.subnetCIDRs
        var rulesByClass = [[RuleClassifier.Rule]](repeating: [], count: 4)
        for direction in RuleDirection.allCases {
            for rule in policy.rulesInForce(direction) {
                let index = registry.index(of: rule)
                let cidrs = policy.cidrs(of: rule.peer) ?? []
                var literalAll = false
                if case .cidr(let block) = rule.peer, block.isAllAddresses { literalAll = true }
                for family in 0..<2 {
                    let version: UInt8 = family == 0 ? 4 : 6
                    let mine = cidrs.filter { $0.version == version }
                    guard !mine.isEmpty else { continue }
                    // ICMP rules only ever match their own family's ICMP.
                    if case .icmp = rule.traffic, version == 6 { continue }
                    if case .icmpv6 = rule.traffic, version == 4 { continue }
                    rulesByClass[CompiledPolicy.slot(direction, version)].append(
                        RuleClassifier.Rule(index: index, traffic: rule.traffic, cidrs: mine, isLiteralAll: literalAll))
                }
            }
        }
        classifiers = rulesByClass.map { RuleClassifier(rules: $0) }
        if let acl = policy.activeNetworkACL {
            aclID = acl.id
            var tables = [[ACLEntry]](repeating: [], count: 4)
            for direction in RuleDirection.allCases {
                for entry in acl.entries(direction) {
                    tables[CompiledPolicy.slot(direction, entry.cidr.version)].append(ACLEntry(entry))
                }
            }
            self.acl = tables
        } else {
            acl = nil
            aclID = nil
        }
        exempt = policy.tracking.exemptCIDRs + options.exemptCIDRs
        autoTracked = policy.tracking.automaticallyTrackedPeers + options.automaticallyTrackedPeers
        trackAll = policy.tracking.trackAllPeers || options.trackAllPeers
    }

    @inline(__always)
    static func slot(_ direction: RuleDirection, _ version: UInt8) -> Int {
        (direction == .ingress ? 0 : 2) + (version == 4 ? 0 : 1)
    }

    @inline(__always)
    static func slot(_ direction: Direction, _ version: UInt8) -> Int {
        (direction == .inbound ? 0 : 2) + (version == 4 ? 0 : 1)
    }

    /// The first rule permitting `q` in `direction` (a `RuleRegistry` index), or -1.
    @inline(__always)
    func firstMatch(_ direction: Direction, _ q: RuleClassifier.Query) -> Int32 {
        classifiers[CompiledPolicy.slot(direction, q.peer.version)].firstMatch(q)
    }

    /// Whether `address` is the instance's.
    @inline(__always)
    func owns(_ address: IPAddress) -> Bool {
        for a in instanceAddresses where a == address { return true }
        if !delegatedPrefixes.isEmpty {
            for block in delegatedPrefixes where block.contains(address) { return true }
        }
        return false
    }

    /// Whether the NACL stage applies to traffic with this peer (it crosses the subnet boundary).
    @inline(__always)
    func naclApplies(peer: IPAddress) -> Bool {
        guard acl != nil else { return false }
        for block in subnet where block.contains(peer) { return false }
        return true
    }

    /// The NACL decision: the first matching entry's (number, allow), or (nil, false) for the `*` rule.
    func naclDecision(_ direction: Direction, _ q: RuleClassifier.Query) -> (number: Int?, allow: Bool) {
        guard let acl else { return (nil, true) }
        let table = acl[(direction == .inbound ? 0 : 2) + (q.peer.isIPv4 ? 0 : 1)]
        for e in table {
            if e.ipProtocol >= 0 && UInt8(e.ipProtocol) != q.ipProtocol { continue }
            if !e.contains(q.peer) { continue }
            if e.restrictsPorts {
                if q.protocolOnly || !q.hasPort || !e.ports.contains(q.port) { continue }
            }
            if e.icmpType >= 0 {
                if q.protocolOnly || !q.hasICMP || Int16(q.icmpType) != e.icmpType { continue }
                if e.icmpCode >= 0 && Int16(q.icmpCode) != e.icmpCode { continue }
            }
            return (e.number, e.allow)
        }
        return (nil, false)
    }
}

extension CompiledPolicy.ACLEntry {
    init(_ entry: NetworkACLEntry) {
        number = entry.ruleNumber
        allow = entry.action == .allow
        cidr = entry.cidr
        ipProtocol = entry.traffic.protocolNumber.map { Int16($0) } ?? -1
        ports = RuleClassifier.ports(of: entry.traffic)
        restrictsPorts = !ports.isAll
        (maskHigh, maskLow) = CIDR.mask(prefixLength: Int(entry.cidr.prefixLength), version: entry.cidr.version)
        switch entry.traffic {
        case .icmp(let tc), .icmpv6(let tc):
            icmpType = tc.type.map { Int16($0) } ?? -1
            icmpCode = tc.code.map { Int16($0) } ?? -1
        default:
            icmpType = -1
            icmpCode = -1
        }
    }
}
