#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress line on standard error for long runs, redrawn about once a second, only when
/// standard error is a terminal (quiet when piped or redirected, and never on standard output):
///
///     sgreplay: 43% read, 4,325,376 frames, 1.52 M frames/s, 0:08
///
/// The read loop calls `frame(_:)` with each frame's number; only every 65 536th frame asks the
/// clock, so the per-frame cost is one test of the low bits. `finish()` clears the line.
struct Progress {
    let enabled: Bool
    /// "first pass: " while the capture is read to settle the first-pass questions.
    private let label: String
    /// The capture's size in bytes, when it is a regular file.
    private let totalBytes: Int?
    private let started: Int64
    private var lastShown: Int64
    private var shown = false

    static let checkEvery = 1 << 16
    static let interval: Int64 = 1_000_000_000

    init(capture path: String, label: String = "", quiet: Bool = false) {
        enabled = !quiet && isatty(STDERR_FILENO) != 0
        self.label = label
        var info = stat()
        totalBytes = path != "-" && stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0
            ? Int(info.st_size) : nil
        started = Progress.now()
        lastShown = started
    }

    /// Called with every frame's number; draws the line when a second has passed since the last one.
    @inline(__always)
    mutating func frame(_ number: Int, bytesRead: @autoclosure () -> Int?) {
        if number & (Progress.checkEvery - 1) == 0 && enabled { check(frames: number, bytesRead: bytesRead()) }
    }

    private mutating func check(frames: Int, bytesRead: Int?) {
        let now = Progress.now()
        guard now - lastShown >= Progress.interval else { return }
        lastShown = now
        shown = true
        let line = Progress.line(
            label: label, frames: frames, elapsed: now - started, bytesRead: bytesRead, totalBytes: totalBytes)
        writeStandardError("\r" + line + "\u{1B}[K")
    }

    /// Clears the line, if one was drawn.
    mutating func finish() {
        if shown { writeStandardError("\r\u{1B}[K") }
        shown = false
    }

    /// "sgreplay: 43% read, 4,325,376 frames, 1.52 M frames/s, 0:08"
    static func line(label: String, frames: Int, elapsed: Int64, bytesRead: Int?, totalBytes: Int?) -> String {
        var text = "sgreplay: " + label
        if let bytesRead, let totalBytes, totalBytes > 0 {
            text += "\(min(100, bytesRead * 100 / totalBytes))% read, "
        }
        text += grouped(frames) + " frames"
        let seconds = max(elapsed, 1) / 1_000_000_000
        if elapsed > 0 {
            let rate = Double(frames) * 1e9 / Double(elapsed)
            text += ", " + (rate >= 1e6 ? "\(Int(rate / 1e4) / 100).\(twoDigits(Int(rate / 1e4) % 100)) M" : grouped(Int(rate)))
                + " frames/s"
        }
        return text + ", \(seconds / 60):\(twoDigits(Int(seconds % 60)))"
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n).utf8)
        var out: [UInt8] = []
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 && d != 45 && digits[i - 1] != 45 { out.append(44) }
            out.append(d)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
