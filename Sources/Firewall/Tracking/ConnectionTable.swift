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

    /// The slots and their side arrays, in anonymous memory the system zeroes on first touch: a
    /// table of empty slots costs memory only as it fills, and a table being rebuilt gives its
    /// memory back as it is read (`release`), so the old and the new table are not both resident.
    final class Storage {
        let slots: UnsafeMutablePointer<Connection>
        /// Per slot: when the entry was created, the time of its newest heap node, a serial that
        /// tells a reused slot apart.
        let created: UnsafeMutablePointer<Int64>
        let scheduled: UnsafeMutablePointer<Int64>
        let serials: UnsafeMutablePointer<UInt32>
        let capacity: Int
        private let mappings: [Mapping]

        struct Mapping {
            var base: UnsafeMutableRawPointer
            var length: Int
        }

        init(capacity: Int) {
            self.capacity = capacity
            // Large slot arrays on 2 MiB pages where the kernel allows it: lookups are random over
            // the whole table, and with 4 KiB pages each one would also miss the TLB.
            let s = Storage.map(capacity * MemoryLayout<Connection>.stride, hugePages: true)
            let c = Storage.map(capacity * 8, hugePages: false)
            let d = Storage.map(capacity * 8, hugePages: false)
            let e = Storage.map(capacity * 4, hugePages: false)
            mappings = [s.mapping, c.mapping, d.mapping, e.mapping]
            slots = s.start.bindMemory(to: Connection.self, capacity: capacity)
            created = c.start.bindMemory(to: Int64.self, capacity: capacity)
            scheduled = d.start.bindMemory(to: Int64.self, capacity: capacity)
            serials = e.start.bindMemory(to: UInt32.self, capacity: capacity)
        }

        /// Zeroed memory of `bytes` (2 MiB-aligned for large slot arrays).
        private static func map(_ bytes: Int, hugePages: Bool) -> (start: UnsafeMutableRawPointer, mapping: Mapping) {
            let huge = hugePages && bytes >= 1 << 22
            let length = bytes + (huge ? 1 << 21 : 0)
            guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                base != MAP_FAILED
            else { fatalError("out of memory for a tracking table of \(bytes) bytes") }
            var start = base
            if huge {
                let address = Int(bitPattern: base)
                start = base + ((1 << 21) - address & ((1 << 21) - 1)) & ((1 << 21) - 1)
                #if os(Linux)
                _ = madvise(start, bytes, 14)  // MADV_HUGEPAGE
                #endif
            }
            return (start, Mapping(base: base, length: length))
        }

        func copy() -> Storage {
            let other = Storage(capacity: capacity)
            other.slots.update(from: slots, count: capacity)
            other.created.update(from: created, count: capacity)
            other.scheduled.update(from: scheduled, count: capacity)
            other.serials.update(from: serials, count: capacity)
            return other
        }

        /// Gives the memory of slots `range` back to the system (whole pages inside it; they read
        /// as zero afterwards). Only for a table being dropped: nothing may read them again.
        func release(_ range: Range<Int>) {
            Storage.release(UnsafeMutableRawPointer(slots), MemoryLayout<Connection>.stride, range)
            Storage.release(UnsafeMutableRawPointer(created), 8, range)
            Storage.release(UnsafeMutableRawPointer(scheduled), 8, range)
            Storage.release(UnsafeMutableRawPointer(serials), 4, range)
        }

        private static func release(_ base: UnsafeMutableRawPointer, _ stride: Int, _ range: Range<Int>) {
            let page = 4096
            let from = (Int(bitPattern: base) + range.lowerBound * stride + page - 1) / page * page
            let to = (Int(bitPattern: base) + range.upperBound * stride) / page * page
            if to > from { _ = madvise(UnsafeMutableRawPointer(bitPattern: from), to - from, MADV_DONTNEED) }
        }

        deinit {
            for m in mappings { munmap(m.base, m.length) }
        }
    }

    init(initialCapacity: Int = 1024) {
        var capacity = 16
        while capacity < initialCapacity * 2 { capacity <<= 1 }
        storage = Storage(capacity: capacity)
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

    /// Starts loading the cache lines where the probe for a key with this `FlowKey.fastHash` begins
    /// (a hint; no effect on the table).
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

    func createdTime(_ slot: Int) -> Int64 { storage.created[slot] }

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
        storage.created[i] = time
        storage.serials[i] = nextSerial
        nextSerial = nextSerial == .max ? 1 : nextSerial + 1
        storage.scheduled[i] = expiry
        count += 1
        push(HeapNode(time: expiry, slot: UInt32(i), serial: storage.serials[i]))
        return i
    }

    /// Re-queues an entry whose expiry moved earlier than its queued check (a state change to a
    /// shorter timeout).
    mutating func reschedule(_ slot: Int, expiry: Int64) {
        guard expiry < storage.scheduled[slot] else { return }
        makeUnique()
        storage.scheduled[slot] = expiry
        push(HeapNode(time: expiry, slot: UInt32(slot), serial: storage.serials[slot]))
    }

    /// Removes every entry whose expiry (`lastSeen + timeout(state)`) is at or before `now`, in
    /// expiry order, calling `expired` for each just before it goes.
    mutating func expire(upTo now: Int64, _ timeouts: TimeoutTable, _ expired: (Connection, Int64) -> Void = { _, _ in }) {
        while let top = heap.first, top.time <= now {
            popTop()
            let slot = Int(top.slot)
            // A node for a freed or reused slot, or superseded by a newer node, is stale.
            guard storage.slots[slot].slotState == 1, storage.serials[slot] == top.serial,
                storage.scheduled[slot] == top.time
            else { continue }
            let entry = storage.slots[slot]
            let due = timeouts.expiry(of: entry)
            if due <= now {
                expired(entry, due)
                makeUnique()
                storage.slots[slot].slotState = 2
                storage.serials[slot] = 0
                tombstones += 1
                count -= 1
            } else {
                makeUnique()
                storage.scheduled[slot] = due
                push(HeapNode(time: due, slot: top.slot, serial: top.serial))
            }
        }
    }

    /// Removes a live entry now (a what-if reset; expiry normally removes entries).
    mutating func remove(_ slot: Int) {
        guard storage.slots[slot].slotState == 1 else { return }
        makeUnique()
        storage.slots[slot].slotState = 2
        storage.serials[slot] = 0
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
        makeUnique()
        for i in 0..<storage.capacity where storage.slots[i].slotState == 1 {
            let due = timeouts.expiry(of: storage.slots[i])
            storage.scheduled[i] = due
            push(HeapNode(time: due, slot: UInt32(i), serial: storage.serials[i]))
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
        var capacity = old.capacity
        while (count + 1) * 2 > capacity { capacity <<= 1 }
        storage = Storage(capacity: capacity)
        heap.removeAll(keepingCapacity: true)
        tombstones = 0
        let mask = capacity - 1
        let new = storage
        // The old table gives its memory back as it is read, a few hundred slots at a time.
        let chunk = 1 << 15
        for j in 0..<old.capacity {
            if old.slots[j].slotState == 1 {
                var i = Int(truncatingIfNeeded: old.slots[j].key.fastHash) & mask
                while new.slots[i].slotState != 0 { i = (i + 1) & mask }
                new.slots[i] = old.slots[j]
                new.created[i] = old.created[j]
                new.scheduled[i] = old.scheduled[j]
                new.serials[i] = old.serials[j]
                push(HeapNode(time: old.scheduled[j], slot: UInt32(i), serial: old.serials[j]))
            }
            if (j + 1) % chunk == 0 { old.release((j + 1 - chunk)..<(j + 1)) }
        }
    }

    // MARK: Heap

    // A 4-ary min-heap: a node's children share one cache line, and a million-node heap is 10 levels
    // deep instead of 20, each a likely cache miss when an expiry check is popped.

    private mutating func push(_ node: HeapNode) {
        heap.append(node)
        heap.withUnsafeMutableBufferPointer { h in
            var i = h.count - 1
            while i > 0 {
                let parent = (i - 1) >> 2
                if h[parent].time <= node.time { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = node
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var i = 0
            while true {
                let first = 4 * i + 1
                if first >= n { break }
                var smallest = first
                var c = first + 1
                let end = min(first + 4, n)
                while c < end {
                    if h[c].time < h[smallest].time { smallest = c }
                    c += 1
                }
                if h[smallest].time >= last.time { break }
                h[i] = h[smallest]
                i = smallest
            }
            h[i] = last
        }
    }
}
