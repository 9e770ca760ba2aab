import Packets

/// A flow's figures that add up from one capture to the next of a timeline.
protocol AccumulatedFlow {
    var packets: Int { get set }
    var bytes: Int { get set }
    var lastTime: Timestamp { get set }
    var state: String { get set }
    var expires: Timestamp { get set }
}

extension AccumulatedFlow {
    /// Adds the figures of the flow's part in a later capture (a related flow has no state of its own).
    mutating func add(later f: Summary.FlowFigures) {
        packets += f.packets
        bytes += f.bytes
        lastTime = f.lastTime
        if !f.state.isEmpty {
            state = f.state
            expires = f.expires
        }
    }
}
