internal import CPrefetch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tracking table: live `Connection`s by `FlowKey`, with expiry at the exact instant.
///
///     var table = ConnectionTable()
///     if let i = table.find(key) { table[i].update(…) } else { table.insert(Connection(…), created: t, expiry: e) }
///     table.expire(upTo: now, timeouts)
///
/// An open-addressing array of 64-byte entries aligned to cache lines (linear probing, deletion by
/// tombstone), so finding a flow costs one memory access in the common case: with hundreds of
/// thousands of flows that access is the dominant per-packet cost. Side arrays hold what only
/// creation and expiry need. Expiry is a min-heap of check times: an entry has a node at or before its
/// true expiry and is re-queued only when its node comes up, so a packet that merely refreshes an
/// entry costs no heap work. Slots stay put until the table is rebuilt (growth, or too many
/// tombstones), which re-queues every entry. No allocation per packet once the arrays have grown.
struct ConnectionTable: @unchecked Sendable {
    private var storage: Storage
    /// Per slot: when the entry was created, the time of its newest heap node, a serial that tells a
    /// reused slot apart.
    private var created: [Int64]
    private var scheduled: [Int64]
    private var serials: [UInt32]
    private var heap: [HeapNode] = []
    private var nextSerial: UInt32 = 1
    private var tombstones = 0
    /// Live entries.
    private(set) var count = 0

    struct HeapNode: Sendable {
        var time: Int64
        var slot: UInt32
        var serial: UInt32
    }

    /// The slots, 64-byte aligned; zeroed memory is a table of empty slots.
    final class Storage {
        let slots: UnsafeMutablePointer<Connection>
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            let bytes = capacity * MemoryLayout<Connection>.stride
            // Large tables on 2 MiB pages where the kernel allows it: lookups are random over the
            // whole table, and with 4 KiB pages each one would also miss the TLB.
            let alignment = bytes >= 1 << 22 ? 1 << 21 : 64
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
            #if os(Linux)
            if alignment > 64 { _ = madvise(raw, bytes, 14) }  // MADV_HUGEPAGE
            #endif
            memset(raw, 0, bytes)
            slots = raw.bindMemory(to: Connection.self, capacity: capacity)
        }

        func copy() -> Storage {
            let other = Storage(capacity: capacity)
            other.slots.update(from: slots, count: capacity)
            return other
        }

        deinit { UnsafeMutableRawPointer(slots).deallocate() }
    }

    init(initialCapacity: Int = 1024) {
        var capacity = 16
        while capacity < initialCapacity * 2 { capacity <<= 1 }
        storage = Storage(capacity: capacity)
        created = [Int64](repeating: 0, count: capacity)
        scheduled = [Int64](repeating: 0, count: capacity)
        serials = [UInt32](repeating: 0, count: capacity)
    }

    private var mask: Int { storage.capacity - 1 }

    /// Copy-on-write: a table copied by value gets its own slots before it changes.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The slot of the live entry for `key`, if any.
    func find(_ key: FlowKey) -> Int? { find(key, hash: key.fastHash) }

    /// The same, with `key.fastHash` already computed.
    func find(_ key: FlowKey, hash: UInt64) -> Int? {
        let slots = storage.slots
        let mask = self.mask
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            switch slots[i].slotState {
            case 0: return nil
            case 1 where slots[i].key == key: return i
            default: i = (i + 1) & mask
            }
        }
    }

    /// Starts loading the cache line where `key`'s probe begins (a hint; no effect on the table).
    @inline(__always)
    func prefetch(_ key: FlowKey) { prefetch(hash: key.fastHash) }

    @inline(__always)
    func prefetch(hash: UInt64) {
        // Two slots: with linear probing at up to 80% occupancy (tombstones included) a lookup often
        // reads the next slot too.
        let i = Int(truncatingIfNeeded: hash) & mask
        sgreplay_prefetch(storage.slots + i)
        sgreplay_prefetch(storage.slots + ((i + 1) & mask))
    }

    subscript(slot: Int) -> Connection {
        get { storage.slots[slot] }
        _modify {
            makeUnique()
            yield &storage.slots[slot]
        }
    }

    func createdTime(_ slot: Int) -> Int64 { created[slot] }

    /// Adds a new entry (its key must not be present) and schedules its expiry check; returns its slot.
    @discardableResult
    mutating func insert(_ connection: Connection, created time: Int64, expiry: Int64) -> Int {
        makeUnique()
        // Up to 80% full: probes after the first stay in neighbouring cache lines.
        if (count + tombstones + 1) * 5 > storage.capacity * 4 { rebuild() }
        var entry = connection
        entry.slotState = 1
        let slots = storage.slots
        var i = Int(truncatingIfNeeded: entry.key.fastHash) & mask
        while slots[i].slotState == 1 { i = (i + 1) & mask }
        if slots[i].slotState == 2 { tombstones -= 1 }
        slots[i] = entry
        created[i] = time
        serials[i] = nextSerial
        nextSerial = nextSerial == .max ? 1 : nextSerial + 1
        scheduled[i] = expiry
        count += 1
        push(HeapNode(time: expiry, slot: UInt32(i), serial: serials[i]))
        return i
    }

    /// Re-queues an entry whose expiry moved earlier than its queued check (a state change to a
    /// shorter timeout).
    mutating func reschedule(_ slot: Int, expiry: Int64) {
        guard expiry < scheduled[slot] else { return }
        scheduled[slot] = expiry
        push(HeapNode(time: expiry, slot: UInt32(slot), serial: serials[slot]))
    }

    /// Removes every entry whose expiry (`lastSeen + timeout(state)`) is at or before `now`, in
    /// expiry order, calling `expired` for each just before it goes.
    mutating func expire(upTo now: Int64, _ timeouts: TimeoutTable, _ expired: (Connection, Int64) -> Void = { _, _ in }) {
        while let top = heap.first, top.time <= now {
            popTop()
            let slot = Int(top.slot)
            // A node for a freed or reused slot, or superseded by a newer node, is stale.
            guard storage.slots[slot].slotState == 1, serials[slot] == top.serial, scheduled[slot] == top.time else { continue }
            let entry = storage.slots[slot]
            let due = timeouts.expiry(of: entry)
            if due <= now {
                expired(entry, due)
                makeUnique()
                storage.slots[slot].slotState = 2
                serials[slot] = 0
                tombstones += 1
                count -= 1
            } else {
                scheduled[slot] = due
                push(HeapNode(time: due, slot: top.slot, serial: top.serial))
            }
        }
    }

    /// Removes a live entry now (a what-if reset; expiry normally removes entries).
    mutating func remove(_ slot: Int) {
        guard storage.slots[slot].slotState == 1 else { return }
        makeUnique()
        storage.slots[slot].slotState = 2
        serials[slot] = 0
        tombstones += 1
        count -= 1
    }

    /// Every live entry.
    func forEachLive(_ body: (Int, Connection) -> Void) {
        for i in 0..<storage.capacity where storage.slots[i].slotState == 1 { body(i, storage.slots[i]) }
    }

    /// Queues a fresh check for every entry (after the timeouts changed).
    mutating func rescheduleAll(_ timeouts: TimeoutTable) {
        heap.removeAll(keepingCapacity: true)
        for i in 0..<storage.capacity where storage.slots[i].slotState == 1 {
            let due = timeouts.expiry(of: storage.slots[i])
            scheduled[i] = due
            push(HeapNode(time: due, slot: UInt32(i), serial: serials[i]))
        }
    }

    /// Bytes held per live entry on average (slots, side arrays, heap), for the memory report.
    var bytesPerEntry: Int {
        guard count > 0 else { return 0 }
        let perSlot = MemoryLayout<Connection>.stride + 8 + 8 + 4
        return (storage.capacity * perSlot + heap.capacity * MemoryLayout<HeapNode>.stride) / count
    }

    /// Rebuilds into a table sized for the live entries (doubling when more than half full),
    /// dropping tombstones; every entry keeps its expiry check.
    private mutating func rebuild() {
        let old = storage
        let oldCreated = created, oldScheduled = scheduled, oldSerials = serials
        var capacity = old.capacity
        while (count + 1) * 2 > capacity { capacity <<= 1 }
        storage = Storage(capacity: capacity)
        created = [Int64](repeating: 0, count: capacity)
        scheduled = [Int64](repeating: 0, count: capacity)
        serials = [UInt32](repeating: 0, count: capacity)
        heap.removeAll(keepingCapacity: true)
        tombstones = 0
        let mask = capacity - 1
        for j in 0..<old.capacity where old.slots[j].slotState == 1 {
            var i = Int(truncatingIfNeeded: old.slots[j].key.fastHash) & mask
            while storage.slots[i].slotState != 0 { i = (i + 1) & mask }
            storage.slots[i] = old.slots[j]
            created[i] = oldCreated[j]
            scheduled[i] = oldScheduled[j]
            serials[i] = oldSerials[j]
            push(HeapNode(time: oldScheduled[j], slot: UInt32(i), serial: oldSerials[j]))
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
