import Packets

/// The policy edits of a run in the order they take effect (docs/semantics.md §7).
///
///     let timeline = Timeline([late, early])          // sorted: early, late
///     let due = timeline.resolved(firstFrame: t0)     // every time absolute, still in order
///
/// Edits are sorted stably by time, so edits with equal times keep their input order. Times
/// relative to the first frame and absolute times can only be ordered against each other once the
/// first frame is known: until `resolved(firstFrame:)`, a timeline that mixes them keeps each kind
/// sorted and the kinds in input order (`mixesTimeKinds` says so).
public struct Timeline: Hashable, Sendable {
    public private(set) var edits: [TimedEdit]

    public init(_ edits: [TimedEdit] = []) {
        self.edits = edits
        sort()
    }

    public var isEmpty: Bool { edits.isEmpty }
    public var count: Int { edits.count }

    /// True when some times are absolute and others relative to the first frame.
    public var mixesTimeKinds: Bool {
        var absolute = false, relative = false
        for edit in edits {
            if case .absolute = edit.time { absolute = true } else { relative = true }
        }
        return absolute && relative
    }

    /// Adds edits and re-sorts (stable: existing edits stay ahead of new ones at equal times).
    public mutating func append(contentsOf more: [TimedEdit]) {
        edits.append(contentsOf: more)
        sort()
    }

    /// The same edits with every time made absolute against the first frame, sorted stably.
    public func resolved(firstFrame: Timestamp) -> Timeline {
        var copy = self
        copy.edits = edits.map {
            var edit = $0
            edit.time = .absolute($0.time.resolved(firstFrame: firstFrame))
            return edit
        }
        copy.sort()
        return copy
    }

    /// Stable sort by time within each kind of time; the kinds do not move against each other.
    private mutating func sort() {
        func key(_ time: EditTime) -> Int64 {
            switch time {
            case .absolute(let t): t.nanoseconds
            case .afterFirstFrame(let d): d.nanoseconds
            }
        }
        for wantAbsolute in [true, false] {
            let slots = edits.indices.filter {
                if case .absolute = edits[$0].time { return wantAbsolute }
                return !wantAbsolute
            }
            // Sort by (time, input position): stable whatever the standard library's algorithm.
            let sorted = slots.map { (key(edits[$0].time), $0) }.sorted { $0 < $1 }.map { edits[$0.1] }
            for (slot, edit) in zip(slots, sorted) { edits[slot] = edit }
        }
    }
}
