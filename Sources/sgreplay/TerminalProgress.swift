#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Replay
import Synchronization

/// The replay's progress as one line on standard error, only when standard error is a terminal
/// (quiet when piped or redirected, and never on standard output), redrawn about once a second:
///
///     sgreplay: 43% read, 4,325,376 frames, 1.52 M frames/s, 0:08
///
/// or, for several captures, how many are done (redrawn under a lock, so lines never interleave):
///
///     sgreplay: analysed: 2 of 5 done (hour-2.pcap, 1,204,332 frames)
final class TerminalProgress: ProgressSink {
    private struct Batch {
        var label = ""
        var total = 0
        var done = 0
        var shown = false
    }
    private let batch = Mutex(Batch())
    let showsProgress = isatty(STDERR_FILENO) != 0

    func show(_ report: ProgressReport) {
        writeStandardError("\r" + TerminalProgress.line(report) + "\u{1B}[K")
    }

    func clear() { writeStandardError("\r\u{1B}[K") }

    func note(_ message: String) { warn(message) }

    func batchStarted(_ label: String, of total: Int) {
        batch.withLock { $0.label = label; $0.total = total; $0.done = 0 }
    }

    func captureDone(_ path: String, frames: Int?) {
        guard showsProgress else { return }
        batch.withLock { s in
            s.done += 1
            s.shown = true
            let what = frames.map { ", \(TerminalProgress.grouped($0)) frames" } ?? ""
            writeStandardError("\rsgreplay: \(s.label): \(s.done) of \(s.total) done (\(path)\(what))\u{1B}[K")
        }
    }

    func batchEnded() {
        batch.withLock { s in
            if s.shown { writeStandardError("\r\u{1B}[K") }
            s.shown = false
        }
    }

    /// "sgreplay: 43% read, 4,325,376 frames, 1.52 M frames/s, 0:08"
    static func line(_ r: ProgressReport) -> String {
        var text = "sgreplay: " + r.label
        if let bytesRead = r.bytesRead, let totalBytes = r.totalBytes, totalBytes > 0 {
            text += "\(min(100, bytesRead * 100 / totalBytes))% read, "
        }
        text += grouped(r.frames) + " frames"
        let seconds = max(r.elapsed, 1) / 1_000_000_000
        if r.elapsed > 0 {
            let rate = Double(r.frames) * 1e9 / Double(r.elapsed)
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
}
