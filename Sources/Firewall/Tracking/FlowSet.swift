/// A set of flows by 64-bit fingerprint (`FlowKey.fastHash`), for "has this flow been seen before":
/// open addressing over one array of words, 16 bytes per flow at most, one probe run per query.
/// Two flows sharing a 64-bit fingerprint would be taken as one: with a million flows the chance is
/// about one in thirty million.
struct FlowSet: Sendable {
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    /// Adds the flow; returns whether it was new.
    mutating func insert(_ key: FlowKey) -> Bool { insert(hash: key.fastHash) }

    /// The same, with `key.fastHash` already computed.
    mutating func insert(hash: UInt64) -> Bool {
        var fingerprint = hash
        if fingerprint == 0 { fingerprint = 1 }  // 0 marks an empty slot
        var i = Int(truncatingIfNeeded: fingerprint >> 17) & mask
        while true {
            let slot = slots[i]
            if slot == fingerprint { return false }
            if slot == 0 { break }
            i = (i + 1) & mask
        }
        slots[i] = fingerprint
        count += 1
        if count * 2 > slots.count { grow() }
        return true
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for fingerprint in old where fingerprint != 0 {
            var i = Int(truncatingIfNeeded: fingerprint >> 17) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = fingerprint
        }
    }
}
