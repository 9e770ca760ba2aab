internal import CPrefetch
import Firewall
import Packets
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `Analysis` on two threads. The capture loop's thread reads frames, decodes them and classifies
/// them under the rules in force (`RuleClock`) into a ring; a second thread does the tracking
/// table's part of judging, counts and labels them, strictly in capture order. The two halves
/// overlap, so a run takes about as long as the slower one rather than both. The results are the same as `Analysis`'s, frame for frame (the tests run every trace
/// both ways, and with a ring of two slots).
///
///     guard let pipeline = PipelinedAnalysis(analysis) else { … judge on this thread … }
///     reader.forEachPacket { record, bytes in pipeline.process(frame: …, bytes: bytes, …) }
///     let analysis = pipeline.finish()
///
/// The judging thread owns the `Analysis` from `init` until `finish()` returns it: nothing else may
/// touch it in between. The ring is the only memory both threads see; each side announces its
/// position every few dozen frames, so the cache lines of the counters are rarely shared.
public final class PipelinedAnalysis {
    private let ring: FrameRing
    private var thread: pthread_t
    /// This thread's state, behind a pointer: a class's stored properties passed `inout` would be
    /// checked for exclusive access at run time, several times per frame.
    private let reading: UnsafeMutablePointer<Reading>
    private var finished = false

    struct Reading {
        var decoder: Decoder
        /// The rules in force at each frame's instant: this thread classifies frames for the engine.
        var clock: RuleClock
        /// Frames decoded into the ring, and the judging side's count as last read.
        var written = 0
        var judgedSeen = 0
    }

    /// Whether a run should use two threads: more than one core, unless `SGREPLAY_PIPELINE` says
    /// otherwise (0: never, for comparing or where a second busy thread hurts; 1: always, even on
    /// one core, for tests).
    public static var isWorthwhile: Bool {
        if let setting = getenv("SGREPLAY_PIPELINE") {
            let value = String(cString: setting)
            if value == "0" { return false }
            if value == "1" { return true }
        }
        return sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
    }

    /// Frames in flight: 1024, or `SGREPLAY_PIPELINE_SLOTS` (a power of two from 2: the tests run
    /// with a ring of two slots, where the two threads wait for each other at nearly every frame).
    public static var configuredCapacity: Int {
        guard let setting = getenv("SGREPLAY_PIPELINE_SLOTS"), let n = Int(String(cString: setting)),
            n >= 2, n & (n - 1) == 0
        else { return 1024 }
        return n
    }

    /// Starts the judging thread with `analysis`; nil if no thread could be started. `capacity`:
    /// frames in flight (a power of two); 1024 slots of ~250 bytes stay within the L2 cache.
    public init?(_ analysis: Analysis, capacity: Int = PipelinedAnalysis.configuredCapacity) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        reading = .allocate(capacity: 1)
        reading.initialize(to: Reading(decoder: analysis.decoder, clock: analysis.clock))
        ring = FrameRing(analysis: analysis, capacity: capacity)
        thread = pthread_t()
        let context = Unmanaged.passRetained(ring).toOpaque()
        let started = pthread_create(&thread, nil, { raw in
            let ring = Unmanaged<FrameRing>.fromOpaque(raw!).takeRetainedValue()
            ring.judgeAll()
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<FrameRing>.fromOpaque(context).release()
            finished = true
            return nil
        }
    }

    deinit {
        // A run abandoned by an error thrown from the capture loop: stop the judging thread cleanly.
        if !finished { _ = finish() }
        reading.deinitialize(count: 1)
        reading.deallocate()
    }

    /// Decodes one frame into the ring (this thread); the judging thread takes it from there.
    public func process(frame: Int, time: Timestamp, bytes: RawSpan, wireLength: Int, linkType: LinkType) {
        let slot = nextSlot()
        Analysis.decode(
            &reading.pointee.decoder, frame: frame, time: time, bytes: bytes, wireLength: wireLength, linkType: linkType,
            into: slot)
        reading.pointee.clock.classify(&slot.pointee.packet, time: time, into: &slot.pointee.classification)
        published()
    }

    /// A frame that holds no packet (a pcapng custom block): counted and labelled in its place.
    public func processNonPacket(frame: Int, time: Timestamp) {
        Analysis.nonPacket(frame: frame, time: time, into: nextSlot())
        reading.pointee.clock.observe(time: time)
        published()
    }

    /// Waits for the judging thread to take every frame, ends the run (`Analysis.finish()`) and
    /// hands the analysis back. `finishingEngine: false` leaves the engine's timeline open (see
    /// `Analysis.finish(finishingEngine:)`).
    public func finish(finishingEngine: Bool = true) -> Analysis {
        precondition(!finished, "finish() called twice")
        finished = true
        ring.written.store(reading.pointee.written, ordering: .releasing)
        ring.closed.store(true, ordering: .releasing)
        pthread_join(thread, nil)
        var analysis = ring.analysis.take()!
        analysis.finish(finishingEngine: finishingEngine)
        return analysis
    }

    @inline(__always)
    private func nextSlot() -> UnsafeMutablePointer<Analysis.Pending> {
        let written = reading.pointee.written
        if written &- reading.pointee.judgedSeen == ring.capacity { waitForRoom() }
        // The slots' cache lines were last in the judging core's cache: ask for them a few frames
        // early, so that writing a slot does not wait for them; but only slots already judged, or
        // the judging core would have to fetch its next frames back.
        let ahead = written &+ FrameRing.prefetchDistance
        if ahead &- reading.pointee.judgedSeen < ring.capacity {
            FrameRing.prefetch(ring.slots + (ahead & ring.mask))
        }
        return ring.slots + (written & ring.mask)
    }

    @inline(__always)
    private func published() {
        let written = reading.pointee.written &+ 1
        reading.pointee.written = written
        // In batches: every store is a cache line the judging thread must fetch again.
        if written & 31 == 0 { ring.written.store(written, ordering: .releasing) }
    }

    private func waitForRoom() {
        // Everything decoded so far must be visible, or the judging side could be waiting too.
        let written = reading.pointee.written
        ring.written.store(written, ordering: .releasing)
        var spins = 0
        while true {
            let judged = ring.judged.load(ordering: .acquiring)
            reading.pointee.judgedSeen = judged
            // Resume with room for a batch, not one slot: writing right behind the judging side
            // would make both cores pass the same cache lines back and forth.
            if written &- judged <= ring.capacity - ring.resumeRoom { return }
            FrameRing.pause(&spins)
        }
    }
}

/// The frames in flight between the two threads of a `PipelinedAnalysis`, and the judging loop.
final class FrameRing: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Analysis.Pending>
    let capacity: Int
    let mask: Int
    /// Free slots the reading side waits for once the ring is full.
    let resumeRoom: Int
    /// Frames the reading side has decoded, and frames the judging side is done with.
    let written = Atomic<Int>(0)
    let judged = Atomic<Int>(0)
    /// Set once the reading side has written its last frame.
    let closed = Atomic<Bool>(false)
    /// Handed to the judging thread at its start and back at its end (thread start and join order
    /// both accesses); nil while the thread has it, so that its copy is the only reference.
    var analysis: Analysis?

    init(analysis: Analysis, capacity: Int) {
        self.analysis = analysis
        self.capacity = capacity
        mask = capacity - 1
        resumeRoom = max(1, min(256, capacity / 4))
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Analysis.Pending(), count: capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    /// The judging thread: judges every frame in ring order until the reading side closes. Each
    /// frame's tracking-table slot is prefetched `Analysis.lag` frames ahead, as `Analysis` does.
    func judgeAll() {
        var analysis = self.analysis.take()!
        var next = 0, available = 0, prefetched = 0, spins = 0
        while true {
            if next == available {
                judged.store(next, ordering: .releasing)
                available = written.load(ordering: .acquiring)
                if next == available {
                    if closed.load(ordering: .acquiring) {
                        // `written` was stored before `closed`: this read sees the final count.
                        available = written.load(ordering: .acquiring)
                        if next == available { break }
                    } else {
                        FrameRing.pause(&spins)
                    }
                    continue
                }
                spins = 0
            }
            let ahead = min(next &+ Analysis.lag, available)
            while prefetched < ahead {
                analysis.engine.prefetch(&slots[prefetched & mask].classification)
                prefetched &+= 1
            }
            FrameRing.prefetch(slots + ((next &+ FrameRing.prefetchDistance) & mask))
            analysis.judge(slots + (next & mask), annotationSlot: 0)
            next &+= 1
            if next & 63 == 0 { judged.store(next, ordering: .releasing) }
        }
        judged.store(next, ordering: .releasing)
        self.analysis = analysis
    }

    /// How far ahead each side asks for the slots it will use next.
    static let prefetchDistance = 6


    /// Starts loading every cache line of a slot (a hint).
    @inline(__always)
    static func prefetch(_ slot: UnsafeMutablePointer<Analysis.Pending>) {
        let raw = UnsafeRawPointer(slot)
        var offset = 0
        while offset < MemoryLayout<Analysis.Pending>.size {
            sgreplay_prefetch(raw + offset)
            offset &+= 64
        }
    }

    /// One step of waiting for the other thread: a hundred pauses (a few microseconds), then
    /// yielding the core, then short sleeps.
    static func pause(_ spins: inout Int) {
        spins &+= 1
        if spins < 128 {
            sgreplay_pause()
        } else if spins < 160 {
            sched_yield()
        } else {
            // Far behind (labels being written, a slow pipe): a short sleep, not a busy core that
            // another capture's replay could use.
            usleep(20)
        }
    }
}
