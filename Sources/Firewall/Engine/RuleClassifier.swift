import Packets

/// The security group rules of one direction and one address family, compiled for matching in a
/// time that does not grow with the number of rules: each rule is a bit; the packet's protocol,
/// port, ICMP type and peer address each select a precomputed bit set (a binary search over
/// elementary intervals for ports and addresses), and the first rule that matches is the lowest
/// bit of their intersection (the classic bit-vector packet classifier).
///
/// Built once per policy change; matching allocates nothing.
struct RuleClassifier: Sendable {
    /// Bits per rule set, in 64-bit words.
    let words: Int
    /// Bit → `RuleRegistry` index, in union order (attached groups in order, their rules in order).
    let ruleIndexes: [Int32]
    /// Protocol number → rules of that protocol or of protocol -1 (256 × words).
    private let protocolMasks: [UInt64]
    /// Port interval starts (first is 0) and, per interval, rules whose ports contain it; rules
    /// without ports contain every port.
    private let portStarts: [UInt16]
    private let portMasks: [UInt64]
    /// Port → its interval's row, a direct table (128 KiB) so a lookup is one load.
    private let portRows: [UInt16]
    /// ICMP type → rules that accept every code of it (non-ICMP rules accept every type).
    private let icmpTypeMasks: [UInt64]
    /// ICMP rules that name a code: (type, code, bit).
    private let icmpCodeRules: [(type: UInt8, code: UInt8, bit: Int)]
    /// Address interval starts (high, low) and, per interval, rules whose peer covers it.
    private let addressStartsHigh: [UInt64]
    private let addressStartsLow: [UInt64]
    private let addressMasks: [UInt64]
    /// IPv4: for each value of the top 16 bits, the first and last rows its addresses can fall in.
    private let v4Buckets: [UInt32]
    /// Rules whose peer is the literal 0.0.0.0/0 or ::/0 (docs/semantics.md §5.1 [choice]).
    private let literalAllMask: [UInt64]
    /// Per port row: whether a literal all-addresses rule permits TCP / UDP to those ports.
    private let literalTCP: [Bool]
    private let literalUDP: [Bool]
    /// Rules that restrict neither ports nor ICMP types (the only ones a later fragment can match).
    private let unrestrictedMask: [UInt64]
    /// Protocol → whether a literal-all rule permits all response traffic: protocol all or this
    /// protocol, ports exactly 0-65535.
    private let allResponsesOpen: [Bool]

    struct Rule {
        var index: Int32
        var traffic: Traffic
        var cidrs: [CIDR]
        var isLiteralAll: Bool
    }

    init(rules: [Rule]) {
        let n = rules.count
        let words = max(1, (n + 63) / 64)
        self.words = words
        ruleIndexes = rules.map(\.index)
        func set(_ masks: inout [UInt64], _ row: Int, _ bit: Int) {
            masks[row * words + bit / 64] |= 1 << UInt64(bit % 64)
        }

        var protocolMasks = [UInt64](repeating: 0, count: 256 * words)
        var icmpTypeMasks = [UInt64](repeating: 0, count: 256 * words)
        var icmpCodeRules: [(type: UInt8, code: UInt8, bit: Int)] = []
        var literalAll = [UInt64](repeating: 0, count: words)
        var unrestricted = [UInt64](repeating: 0, count: words)
        var allResponsesOpen = [Bool](repeating: false, count: 256)
        var portBoundaries: Set<Int> = [0]
        for (bit, rule) in rules.enumerated() {
            let number = rule.traffic.protocolNumber
            for p in 0..<256 where number == nil || Int(number!) == p { set(&protocolMasks, p, bit) }
            let ports = RuleClassifier.ports(of: rule.traffic)
            portBoundaries.insert(Int(ports.lower))
            if ports.upper < 65535 { portBoundaries.insert(Int(ports.upper) + 1) }
            switch rule.traffic {
            case .icmp(let tc), .icmpv6(let tc):
                if let type = tc.type {
                    if let code = tc.code {
                        icmpCodeRules.append((type, code, bit))
                    } else {
                        set(&icmpTypeMasks, Int(type), bit)
                    }
                } else {
                    for t in 0..<256 { set(&icmpTypeMasks, t, bit) }
                }
            default:
                for t in 0..<256 { set(&icmpTypeMasks, t, bit) }
            }
            if rule.isLiteralAll {
                set(&literalAll, 0, bit)
                switch rule.traffic {
                case .all: for p in 0..<256 { allResponsesOpen[p] = true }
                case .tcp(let r) where r.isAll: allResponsesOpen[6] = true
                case .udp(let r) where r.isAll: allResponsesOpen[17] = true
                default: break
                }
            }
            let restrictsTypes: Bool = {
                switch rule.traffic {
                case .icmp(let tc), .icmpv6(let tc): return !tc.isAny
                default: return false
                }
            }()
            if ports.isAll && !restrictsTypes { set(&unrestricted, 0, bit) }
        }
        let portStarts = portBoundaries.sorted().map { UInt16($0) }
        var portMasks = [UInt64](repeating: 0, count: portStarts.count * words)
        for (row, start) in portStarts.enumerated() {
            for (bit, rule) in rules.enumerated() where RuleClassifier.ports(of: rule.traffic).contains(start) {
                set(&portMasks, row, bit)
            }
        }

        // Address intervals: every CIDR start and the address after its end are boundaries.
        var boundaries: Set<Pair> = [Pair(high: 0, low: 0)]
        for rule in rules {
            for block in rule.cidrs {
                let range = RuleClassifier.bounds(of: block)
                boundaries.insert(range.lowerBound)
                if let next = range.upperBound.successor(version: block.version) { boundaries.insert(next) }
            }
        }
        let starts = boundaries.sorted()
        var addressMasks = [UInt64](repeating: 0, count: starts.count * words)
        for (row, start) in starts.enumerated() {
            for (bit, rule) in rules.enumerated() {
                if rule.cidrs.contains(where: { RuleClassifier.bounds(of: $0).contains(start) }) {
                    set(&addressMasks, row, bit)
                }
            }
        }
        self.protocolMasks = protocolMasks
        self.portStarts = portStarts
        self.portMasks = portMasks
        var portRows = [UInt16](repeating: 0, count: 65536)
        for (row, start) in portStarts.enumerated() {
            let end = row + 1 < portStarts.count ? Int(portStarts[row + 1]) : 65536
            for port in Int(start)..<end { portRows[port] = UInt16(row) }
        }
        self.portRows = portRows
        self.icmpTypeMasks = icmpTypeMasks
        self.icmpCodeRules = icmpCodeRules
        addressStartsHigh = starts.map(\.high)
        addressStartsLow = starts.map(\.low)
        // Rows are sorted by start; an IPv4 classifier has high == 0 throughout.
        if rules.contains(where: { $0.cidrs.contains { $0.version == 4 } }) {
            var buckets = [UInt32](repeating: 0, count: 65536 * 2)
            var row = 0
            for bucket in 0..<65536 {
                let first = UInt64(bucket) << 16, last = first | 0xffff
                while row + 1 < starts.count && starts[row + 1].low <= first { row += 1 }
                var end = row
                while end + 1 < starts.count && starts[end + 1].low <= last { end += 1 }
                buckets[bucket * 2] = UInt32(row)
                buckets[bucket * 2 + 1] = UInt32(end)
            }
            v4Buckets = buckets
        } else {
            v4Buckets = []
        }
        self.addressMasks = addressMasks
        literalAllMask = literalAll
        unrestrictedMask = unrestricted
        func literal(_ proto: Int) -> [Bool] {
            (0..<portStarts.count).map { row in
                (0..<words).contains { w in
                    protocolMasks[proto * words + w] & portMasks[row * words + w] & literalAll[w] != 0
                }
            }
        }
        literalTCP = literal(6)
        literalUDP = literal(17)
        self.allResponsesOpen = allResponsesOpen
    }

    /// What part of a packet the rules are matched against.
    struct Query {
        var ipProtocol: UInt8
        /// The destination port (TCP/UDP): an ingress rule's local port, an egress rule's remote one.
        var port: UInt16
        var hasPort: Bool
        var icmpType: UInt8
        var icmpCode: UInt8
        var hasICMP: Bool
        /// The peer: the source of an inbound packet, the destination of an outbound one.
        var peer: IPAddress
        /// A later fragment: only rules that restrict neither ports nor types can match.
        var protocolOnly: Bool
    }

    /// The `RuleRegistry` index of the first rule that permits the query, or -1.
    func firstMatch(_ q: Query) -> Int32 {
        let bit = firstBit(q, literalAllOnly: false)
        return bit < 0 ? -1 : ruleIndexes[bit]
    }

    /// Whether a rule with the literal all-addresses peer permits the query (untracked test). Such a
    /// rule matches every address, so for TCP and UDP the answer depends on the port alone and comes
    /// from a table.
    func literalAllPermits(_ q: Query) -> Bool {
        if q.hasPort && !q.protocolOnly {
            if q.ipProtocol == IPProtocol.tcp { return literalTCP[Int(portRows[Int(q.port)])] }
            if q.ipProtocol == IPProtocol.udp { return literalUDP[Int(portRows[Int(q.port)])] }
        }
        return firstBit(q, literalAllOnly: true) >= 0
    }

    /// Whether a literal-all rule permits all response traffic of this protocol (untracked test).
    func allResponsesOpen(_ ipProtocol: UInt8) -> Bool { allResponsesOpen[Int(ipProtocol)] }

    private func firstBit(_ q: Query, literalAllOnly: Bool) -> Int {
        if ruleIndexes.isEmpty { return -1 }
        let p = Int(q.ipProtocol) * words
        let portRow = (q.hasPort && !q.protocolOnly) ? Int(portRows[Int(q.port)]) * words : -1
        let icmpRow = (q.hasICMP && !q.protocolOnly) ? Int(q.icmpType) * words : -1
        // Every address is in a literal all-addresses rule's block: no address lookup then.
        let addressRow = literalAllOnly ? -1 : addressRow(q.peer) * words
        for w in 0..<words {
            var m = protocolMasks[p + w]
            if addressRow >= 0 { m &= addressMasks[addressRow + w] }
            if portRow >= 0 { m &= portMasks[portRow + w] }
            if icmpRow >= 0 {
                var types = icmpTypeMasks[icmpRow + w]
                for rule in icmpCodeRules where rule.bit / 64 == w && rule.type == q.icmpType && rule.code == q.icmpCode {
                    types |= 1 << UInt64(rule.bit % 64)
                }
                m &= types
            }
            if q.protocolOnly { m &= unrestrictedMask[w] }
            if literalAllOnly { m &= literalAllMask[w] }
            if m != 0 { return w * 64 + m.trailingZeroBitCount }
        }
        return -1
    }

    private func addressRow(_ a: IPAddress) -> Int {
        // Last start <= a, comparing (high, low). IPv4 narrows the search with a table by the top
        // 16 bits, so most lookups find their row without searching.
        var lo = 0, hi = addressStartsHigh.count - 1
        if a.isIPv4 && !v4Buckets.isEmpty {
            let bucket = Int(a.v4 >> 16)
            lo = Int(v4Buckets[bucket * 2])
            hi = Int(v4Buckets[bucket * 2 + 1])
        }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            let h = addressStartsHigh[mid], l = addressStartsLow[mid]
            if h < a.high || (h == a.high && l <= a.low) { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    static func lastAtOrBelow(_ starts: [UInt16], _ value: UInt16) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= value { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    static func ports(of traffic: Traffic) -> PortRange {
        switch traffic {
        case .tcp(let r), .udp(let r): r
        default: .all
        }
    }

    /// A 128-bit address value for interval arithmetic.
    struct Pair: Hashable, Comparable {
        var high: UInt64
        var low: UInt64
        static func < (a: Pair, b: Pair) -> Bool { (a.high, a.low) < (b.high, b.low) }
        func successor(version: UInt8) -> Pair? {
            if version == 4 { return low >= 0xffff_ffff ? nil : Pair(high: 0, low: low + 1) }
            if low == .max { return high == .max ? nil : Pair(high: high + 1, low: 0) }
            return Pair(high: high, low: low + 1)
        }
    }

    /// First and last address of a block.
    static func bounds(of block: CIDR) -> ClosedRange<Pair> {
        let n = block.network
        let length = Int(block.prefixLength)
        if block.version == 4 {
            let hostBits = 32 - length
            let span: UInt64 = hostBits >= 32 ? 0xffff_ffff : (UInt64(1) << UInt64(hostBits)) - 1
            return Pair(high: 0, low: n.low)...Pair(high: 0, low: n.low | span)
        }
        let highHost: UInt64 = length >= 64 ? 0 : (length == 0 ? .max : UInt64.max >> UInt64(length))
        let lowHost: UInt64 = length >= 128 ? 0 : (length <= 64 ? .max : UInt64.max >> UInt64(length - 64))
        return Pair(high: n.high, low: n.low)...Pair(high: n.high | highHost, low: n.low | lowHost)
    }
}
