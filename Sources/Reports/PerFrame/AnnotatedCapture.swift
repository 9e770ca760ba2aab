import Capture
import Firewall
import Packets

/// The capture rewritten as pcapng with each frame's verdict and reason as a packet comment, so
/// that Wireshark's `frame.comment contains "allowed-by-tracking"` finds them:
///
///     sgreplay: allowed-by-tracking: tracking-entry: created at frame 8 (…) by sg-admin/sgr-ssh …
///
/// Every frame is written, in capture order, with its captured bytes, original length and
/// timestamp unchanged (nanoseconds: every interface has `if_tsresol` 9), so frame N of the output
/// is frame N of the input. One Interface Description Block per link type (raw IP keeps the input's
/// number). A pcapng custom block, which Wireshark lists as a frame, is copied back as it was when
/// its type allows copying (0x00000BAD; a custom block cannot carry a comment Wireshark would find);
/// one that asks rewriters not to copy it (0x40000BAD) becomes an empty packet with the comment, so
/// the numbering still holds.
///
/// Judging lags decoding (by `slotCount` frames: Replay's `Analysis.lag`), and the capture reader's bytes die at the next read, so
/// each waiting frame's bytes are copied into its slot's buffer, allocated once and grown only when
/// a bigger frame comes.
public final class AnnotatedCapture {
    public let output: OutputFile
    private var writer = PcapngWriter()
    /// The capture's own link type and snapshot length (other link types are written unlimited).
    private let linkTypeNumber: Int32
    private let snapshotLength: Int
    /// Reused for every comment.
    private var comment: [UInt8] = []
    private let slots: UnsafeMutablePointer<Slot>
    private let slotCount: Int
    /// The link type of the last packet kept: a custom block's stand-in packet takes it.
    private var lastLinkTypeNumber: Int32

    struct Slot {
        var storage: UnsafeMutableRawPointer? = nil
        var capacity = 0
        var count = 0
        var linkTypeNumber: Int32 = 1
        /// For a frame that is no packet: the custom block's type (0 when its body was not kept).
        var customBlockType: UInt32 = 0
    }

    /// Starts the file: a Section Header Block and the Interface Description Block of the capture's
    /// link type (`linkTypeNumber`: the reader's DLT value).
    public init(output: OutputFile, linkTypeNumber: Int32, snapshotLength: Int, slotCount: Int = 16) {
        self.output = output
        self.linkTypeNumber = linkTypeNumber
        self.snapshotLength = snapshotLength
        lastLinkTypeNumber = linkTypeNumber
        self.slotCount = slotCount
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(), count: slotCount)
        comment.reserveCapacity(512)
        var out = output.buffer
        output.buffer = []
        writer.appendSectionHeader(application: "sgreplay (analyze --annotate)", to: &out)
        _ = writer.interface(linkTypeNumber: linkTypeNumber, snapshotLength: snapshotLength, to: &out)
        output.buffer = out
    }

    deinit {
        for i in 0..<slotCount { slots[i].storage?.deallocate() }
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    /// Keeps a copy of a waiting packet's bytes in its slot.
    public func keep(slot i: Int, bytes: RawSpan, linkTypeNumber: Int32) {
        copy(bytes, into: i)
        slots[i].linkTypeNumber = linkTypeNumber
        slots[i].customBlockType = 0
        lastLinkTypeNumber = linkTypeNumber
    }

    /// Keeps a custom block's body (`CaptureRecord.customBlockType` says whether it may be copied).
    public func keepCustomBlock(slot i: Int, body: RawSpan, type: UInt32) {
        copy(body, into: i)
        slots[i].linkTypeNumber = lastLinkTypeNumber
        slots[i].customBlockType = type
    }

    /// Marks a slot as a frame that holds no packet and whose block was not kept.
    public func keepNonPacket(slot i: Int) {
        slots[i].count = 0
        slots[i].linkTypeNumber = lastLinkTypeNumber
        slots[i].customBlockType = 0
    }

    private func copy(_ bytes: RawSpan, into i: Int) {
        let count = bytes.byteCount
        if count > slots[i].capacity {
            slots[i].storage?.deallocate()
            let capacity = max(2048, count.nextPowerOfTwo)
            slots[i].storage = .allocate(byteCount: capacity, alignment: 16)
            slots[i].capacity = capacity
        }
        if count > 0, let storage = slots[i].storage {
            bytes.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: count) }
        }
        slots[i].count = count
    }

    /// Writes a judged packet: its bytes as kept in `slot`, and `sgreplay: <verdict>: <reason>`.
    public func write(
        slot i: Int, time: Timestamp, wireLength: Int, verdict: Verdict, reason: String, timingAmbiguous: Bool = false
    ) {
        comment.removeAll(keepingCapacity: true)
        comment.appendASCII("sgreplay: ")
        comment.append(contentsOf: verdict.label.utf8)
        comment.appendASCII(": ")
        comment.append(contentsOf: reason.utf8)
        if timingAmbiguous {
            comment.appendASCII("; timing-ambiguous: close to a policy edit, whose exact moment AWS does not record")
        }
        writePacket(slot: i, time: time, wireLength: wireLength)
    }

    /// Writes a frame that holds no packet (a pcapng custom block): copied back when allowed.
    public func writeNonPacket(slot i: Int, time: Timestamp, reason: String) {
        if slots[i].customBlockType == 0x0000_0BAD {
            var out = output.buffer
            output.buffer = []
            let body = RawSpan(_unsafeBytes: bytes(slot: i))
            writer.appendCustomBlock(type: 0x0000_0BAD, body: body, to: &out)
            output.buffer = out
            output.flushIfFull()
            return
        }
        comment.removeAll(keepingCapacity: true)
        comment.appendASCII("sgreplay: skipped: ")
        comment.append(contentsOf: reason.utf8)
        if slots[i].customBlockType != 0 {
            comment.appendASCII("; the block itself is not copied: its type, 0x40000BAD, asks rewriters not to")
        }
        slots[i].count = 0
        writePacket(slot: i, time: time, wireLength: 0)
    }

    private func writePacket(slot i: Int, time: Timestamp, wireLength: Int) {
        var out = output.buffer
        output.buffer = []  // take the buffer to append in place without a copy
        let number = slots[i].linkTypeNumber
        let interface = writer.interface(
            linkTypeNumber: number, snapshotLength: number == linkTypeNumber ? snapshotLength : 0,
            admitting: slots[i].count, to: &out)
        let packet = RawSpan(_unsafeBytes: bytes(slot: i))
        writer.appendEnhancedPacket(
            interface: interface, timestamp: time, packet: packet, originalLength: wireLength,
            comment: comment, to: &out)
        output.buffer = out
        output.flushIfFull()
    }

    private func bytes(slot i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slots[i].storage, count: slots[i].count)
    }

    /// Flushes, closes and renames the file into place (`OutputFile.commit`).
    public func commit() throws(OutputError) {
        try output.commit()
    }
}

@available(*, unavailable)
extension AnnotatedCapture: Sendable {}

extension Int {
    /// The least power of two at least `self` (for `self` ≥ 1).
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
