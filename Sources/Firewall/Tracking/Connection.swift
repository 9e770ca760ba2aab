import Packets

/// One connection-tracking entry and its state machine (docs/semantics.md §5.3–5.4). A value type kept
/// in the `ConnectionTable` pool; the engine updates it through `update(…)`, which returns nothing
/// and changes only this entry.
public struct Connection: Sendable {
    // Field order keeps the entry at 64 bytes (one cache line in the table): the key's 38 bytes, the
    // two one-byte enums in its tail, then the rest. Creation time and expiry bookkeeping live in
    // the table's side arrays, touched only when an entry is created, explained or expired.
    public var key: FlowKey
    public var state: State
    /// The direction of the first packet (the "original" direction).
    public var originalDirection: Direction
    /// Nanoseconds: when the last permitted packet passed (the idle timer's start).
    public var lastSeen: Int64
    /// The frame that created it (0 for entries assumed established before the capture).
    public var createdFrame: UInt32
    /// The rule (`RuleRegistry` index) that permitted the first packet; -1 if none is known.
    public var rule: Int32
    var flags: Flags
    /// UDP: completed request-response transactions (saturating).
    var transactions: UInt8
    /// The table slot's state: 0 empty, 1 live, 2 deleted.
    var slotState: UInt8 = 0

    public enum State: UInt8, Sendable {
        /// TCP: SYN seen, handshake incomplete.
        case tcpNotEstablished
        case tcpEstablished
        /// TCP: both FINs, or a FIN then the other side's ACK.
        case tcpClosing
        /// TCP: a RST was seen (sticky).
        case tcpAfterReset
        /// UDP, one way or a single request-response.
        case udp
        /// UDP from the second completed transaction.
        case udpStream
        case icmp
        case other

        public var label: String {
            switch self {
            case .tcpNotEstablished: "tcp not established"
            case .tcpEstablished: "tcp established"
            case .tcpClosing: "tcp closing"
            case .tcpAfterReset: "tcp after reset"
            case .udp: "udp"
            case .udpStream: "udp stream"
            case .icmp: "icmp"
            case .other: "other protocol"
            }
        }
    }

    struct Flags: OptionSet, Sendable {
        var rawValue: UInt8
        /// TCP: the responder's SYN-ACK was seen.
        static let synAckSeen = Flags(rawValue: 1 << 0)
        static let finFromOriginal = Flags(rawValue: 1 << 1)
        static let finFromReply = Flags(rawValue: 1 << 2)
        /// UDP: the last permitted packet went in the original direction.
        static let lastWasOriginal = Flags(rawValue: 1 << 3)
        /// Assumed established before the capture (`--assume-established`).
        static let preexisting = Flags(rawValue: 1 << 4)
    }

    public var isPreexisting: Bool { flags.contains(.preexisting) }

    /// A new entry for the flow's first permitted packet.
    init(key: FlowKey, packet: borrowing DecodedPacket, direction: Direction, time: Int64, frame: Int, rule: Int32) {
        self.key = key
        lastSeen = time
        createdFrame = UInt32(clamping: frame)
        self.rule = rule
        originalDirection = direction
        flags = []
        transactions = 0
        switch key.ipProtocol {
        case IPProtocol.tcp:
            let f = packet.tcpFlags
            if f.contains(.rst) {
                state = .tcpAfterReset
            } else if f.contains(.syn) && !f.contains(.ack) {
                state = .tcpNotEstablished
            } else {
                state = .tcpEstablished  // loose pickup, a SYN-ACK included
            }
            if f.contains(.fin) { flags.insert(.finFromOriginal) }
        case IPProtocol.udp:
            state = .udp
            flags.insert(.lastWasOriginal)
        case IPProtocol.icmp, IPProtocol.icmpv6:
            state = .icmp
        default:
            state = .other
        }
    }

    /// An entry assumed established before the capture, idle since `since` (the first frame). Its
    /// first captured packet is then judged like any later packet and updates it (a RST or FIN on it
    /// counts from there).
    init(preexisting key: FlowKey, packet: borrowing DecodedPacket, direction: Direction, since: Int64, rule: Int32) {
        self.init(key: key, packet: packet, direction: direction, time: since, frame: 0, rule: rule)
        flags = [.preexisting]
        if key.ipProtocol == IPProtocol.tcp { state = .tcpEstablished }
        if key.ipProtocol == IPProtocol.udp { flags.insert(.lastWasOriginal) }
    }

    /// A later permitted packet of the flow: refreshes the idle timer and advances the state.
    mutating func update(packet: borrowing DecodedPacket, direction: Direction, time: Int64) {
        if time > lastSeen { lastSeen = time }
        let original = direction == originalDirection
        switch state {
        case .tcpNotEstablished, .tcpEstablished, .tcpClosing:
            let f = packet.tcpFlags
            if f.contains(.rst) {
                state = .tcpAfterReset
                return
            }
            // Handshake: the responder's SYN-ACK, then an ACK (no SYN) from the initiator.
            if state == .tcpNotEstablished {
                if !original && f.contains(.syn) && f.contains(.ack) {
                    flags.insert(.synAckSeen)
                } else if original && flags.contains(.synAckSeen) && f.contains(.ack) && !f.contains(.syn) {
                    state = .tcpEstablished
                }
            }
            // Closing: both sides sent a FIN, or a FIN was followed by an ACK from the other side.
            let otherSideFinned = flags.contains(original ? .finFromReply : .finFromOriginal)
            if f.contains(.fin) { flags.insert(original ? .finFromOriginal : .finFromReply) }
            let bothFinned = flags.contains(.finFromOriginal) && flags.contains(.finFromReply)
            if bothFinned || (otherSideFinned && f.contains(.ack)) {
                state = .tcpClosing
            }
        case .tcpAfterReset:
            break  // sticky; later packets only refresh the 10 s timer
        case .udp, .udpStream:
            // A transaction completes when a reply-direction packet follows an original-direction one.
            if !original && flags.contains(.lastWasOriginal) {
                transactions = transactions == .max ? .max : transactions + 1
                if transactions >= 2 { state = .udpStream }
            }
            if original { flags.insert(.lastWasOriginal) } else { flags.remove(.lastWasOriginal) }
        case .icmp, .other:
            break
        }
    }
}
