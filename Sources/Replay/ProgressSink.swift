#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a replay reports how far it got: the executable draws it as a line on a terminal. Called
/// once per capture or now and then (about once a second, asked every 65 536th frame), never per
/// frame; every method may be called from any thread.
public protocol ProgressSink: AnyObject, Sendable {
    /// Whether anything is shown at all (standard error is a terminal); asked once per pass.
    var showsProgress: Bool { get }
    /// During a pass over one capture, about once a second.
    func show(_ report: ProgressReport)
    /// The pass whose progress was shown has ended.
    func clear()
    /// A leading warning about the run (the instance address taken), before the summary.
    func note(_ message: String)
    /// Several captures: a batch of `total` captures begins (`label`: what is done to them).
    func batchStarted(_ label: String, of total: Int)
    /// One capture of the batch is done (`frames`: how many it had, when replayed).
    func captureDone(_ path: String, frames: Int?)
    /// The batch has ended: the line goes.
    func batchEnded()
}

/// How far one pass over a capture got.
public struct ProgressReport: Sendable {
    /// "first pass: ", "checking a remedy: ", or "" for the main pass.
    public var label: String
    public var frames: Int
    /// Nanoseconds since the pass began.
    public var elapsed: Int64
    public var bytesRead: Int?
    /// The capture's size, when it is a regular file.
    public var totalBytes: Int?
}

/// Reports nothing (tests, and replays that run in parallel with others).
public final class SilentProgress: ProgressSink {
    public init() {}
    public var showsProgress: Bool { false }
    public func show(_ report: ProgressReport) {}
    public func clear() {}
    public func note(_ message: String) {}
    public func batchStarted(_ label: String, of total: Int) {}
    public func captureDone(_ path: String, frames: Int?) {}
    public func batchEnded() {}
}

/// One pass's progress: the read loop calls `frame(_:)` with each frame's number; only every
/// 65 536th frame asks the clock, so the per-frame cost is one test of the low bits, and the sink
/// hears of it at most once a second.
struct PassProgress {
    private let sink: any ProgressSink
    private let enabled: Bool
    private let label: String
    private let totalBytes: Int?
    private let started: Int64
    private var lastShown: Int64
    private var shown = false

    static let checkEvery = 1 << 16
    static let interval: Int64 = 1_000_000_000

    init(capture path: String, label: String, sink: any ProgressSink, show: Bool) {
        self.sink = sink
        enabled = show && sink.showsProgress
        self.label = label
        var info = stat()
        totalBytes = path != "-" && stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0
            ? Int(info.st_size) : nil
        started = PassProgress.now()
        lastShown = started
    }

    @inline(__always)
    mutating func frame(_ number: Int, bytesRead: @autoclosure () -> Int?) {
        if number & (PassProgress.checkEvery - 1) == 0 && enabled { check(frames: number, bytesRead: bytesRead()) }
    }

    private mutating func check(frames: Int, bytesRead: Int?) {
        let now = PassProgress.now()
        guard now - lastShown >= PassProgress.interval else { return }
        lastShown = now
        shown = true
        sink.show(ProgressReport(
            label: label, frames: frames, elapsed: now - started, bytesRead: bytesRead, totalBytes: totalBytes))
    }

    /// Clears the line, if one was drawn.
    mutating func finish() {
        if shown { sink.clear() }
        shown = false
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
