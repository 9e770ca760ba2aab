/// The tracking table: live `Connection`s by `FlowKey`, with expiry at the exact instant.
///
///     var table = ConnectionTable()
///     if let i = table.find(key) { table[i].update(…) } else { table.insert(Connection(…)) }
///     table.expire(upTo: now, timeouts) { expired in … }
///
/// Entries live in a pool with stable indexes (a free list reuses slots); an open-addressing index
/// (linear probing, backward-shift deletion) maps keys to pool indexes, each index word carrying a
/// hash tag so most probes never touch the pool. Expiry is a min-heap of check times: an entry has
/// a node at or before its true expiry, refreshed entries are re-queued only when their node comes
/// up, so a packet that merely refreshes an entry costs no heap work. No allocation per packet
/// once the arrays have grown.
struct ConnectionTable: Sendable {
    /// Pool of entries; `serial == 0` marks a free slot.
    private(set) var pool: [Connection] = []
    private var freeList: [UInt32] = []
    /// Open-addressing index: 0 = empty, else (hash tag << 32) | (pool index + 1).
    private var index: [UInt64]
    private var mask: Int
    private var heap: [HeapNode] = []
    private var nextSerial: UInt32 = 1
    /// Live entries.
    private(set) var count = 0

    struct HeapNode: Sendable {
        var time: Int64
        var slot: UInt32
        var serial: UInt32
    }

    init(initialCapacity: Int = 1024) {
        var capacity = 16
        while capacity < initialCapacity * 2 { capacity <<= 1 }
        index = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// The pool index of the live entry for `key`, if any.
    func find(_ key: FlowKey) -> Int? {
        let hash = key.fastHash
        let tag = hash >> 32
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let word = index[i]
            if word == 0 { return nil }
            if word >> 32 == tag {
                let slot = Int(word & 0xffff_ffff) - 1
                if pool[slot].key == key { return slot }
            }
            i = (i + 1) & mask
        }
    }

    subscript(slot: Int) -> Connection {
        get { pool[slot] }
        _modify { yield &pool[slot] }
    }

    /// Adds a new entry (its key must not be present) and schedules its expiry check.
    @discardableResult
    mutating func insert(_ connection: Connection, expiry: Int64) -> Int {
        if (count + 1) * 2 > index.count { grow() }
        var entry = connection
        entry.serial = nextSerial
        nextSerial = nextSerial == .max ? 1 : nextSerial + 1
        entry.scheduled = expiry
        let slot: Int
        if let free = freeList.popLast() {
            slot = Int(free)
            pool[slot] = entry
        } else {
            slot = pool.count
            pool.append(entry)
        }
        place(hash: entry.key.fastHash, slot: slot)
        count += 1
        push(HeapNode(time: expiry, slot: UInt32(slot), serial: entry.serial))
        return slot
    }

    /// Re-queues an entry whose expiry moved earlier than its queued check (a state change to a
    /// shorter timeout, or a timeout setting lowered).
    mutating func reschedule(_ slot: Int, expiry: Int64) {
        guard expiry < pool[slot].scheduled else { return }
        pool[slot].scheduled = expiry
        push(HeapNode(time: expiry, slot: UInt32(slot), serial: pool[slot].serial))
    }

    /// Removes every entry whose expiry (`lastSeen + timeout(state)`) is at or before `now`, in
    /// expiry order, calling `expired` for each just before it goes.
    mutating func expire(upTo now: Int64, _ timeouts: TimeoutTable, _ expired: (Connection, Int64) -> Void = { _, _ in }) {
        while let top = heap.first, top.time <= now {
            popTop()
            let slot = Int(top.slot)
            let entry = pool[slot]
            // A node for a freed or reused slot, or superseded by a newer node, is stale.
            guard entry.serial == top.serial, entry.scheduled == top.time else { continue }
            let due = timeouts.expiry(of: entry)
            if due <= now {
                expired(entry, due)
                remove(slot: slot)
            } else {
                pool[slot].scheduled = due
                push(HeapNode(time: due, slot: top.slot, serial: top.serial))
            }
        }
    }

    /// Every live entry, for rescheduling after a timeout change and for reports.
    func forEachLive(_ body: (Int, Connection) -> Void) {
        for (slot, entry) in pool.enumerated() where entry.serial != 0 { body(slot, entry) }
    }

    /// Queues a fresh check for every entry (after the timeouts changed).
    mutating func rescheduleAll(_ timeouts: TimeoutTable) {
        heap.removeAll(keepingCapacity: true)
        for slot in pool.indices where pool[slot].serial != 0 {
            let due = timeouts.expiry(of: pool[slot])
            pool[slot].scheduled = due
            push(HeapNode(time: due, slot: UInt32(slot), serial: pool[slot].serial))
        }
    }

    /// Bytes held per live entry on average (pool, index and heap), for the memory report.
    var bytesPerEntry: Int {
        guard count > 0 else { return 0 }
        let bytes = pool.capacity * MemoryLayout<Connection>.stride + index.capacity * 8
            + heap.capacity * MemoryLayout<HeapNode>.stride + freeList.capacity * 4
        return bytes / count
    }

    // MARK: Index

    private mutating func place(hash: UInt64, slot: Int) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while index[i] != 0 { i = (i + 1) & mask }
        index[i] = (hash >> 32) << 32 | UInt64(slot + 1)
    }

    private mutating func remove(slot: Int) {
        let key = pool[slot].key
        let hash = key.fastHash
        var i = Int(truncatingIfNeeded: hash) & mask
        while Int(index[i] & 0xffff_ffff) - 1 != slot { i = (i + 1) & mask }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var hole = i
        var j = (i + 1) & mask
        while index[j] != 0 {
            let other = Int(index[j] & 0xffff_ffff) - 1
            let home = Int(truncatingIfNeeded: pool[other].key.fastHash) & mask
            // Move j into the hole unless its home lies cyclically in (hole, j].
            let distanceHome = (j - home) & mask
            let distanceHole = (j - hole) & mask
            if distanceHome >= distanceHole {
                index[hole] = index[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        index[hole] = 0
        pool[slot].serial = 0
        freeList.append(UInt32(slot))
        count -= 1
    }

    private mutating func grow() {
        let capacity = index.count * 2
        index = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for slot in pool.indices where pool[slot].serial != 0 {
            place(hash: pool[slot].key.fastHash, slot: slot)
        }
    }

    // MARK: Heap

    private mutating func push(_ node: HeapNode) {
        heap.append(node)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].time <= heap[i].time { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count && heap[l].time < heap[smallest].time { smallest = l }
            if r < heap.count && heap[r].time < heap[smallest].time { smallest = r }
            if smallest == i { break }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
