import Foundation
import Testing
import TestSupport

/// The progress line: drawn on standard error when it is a terminal, never otherwise, never on
/// standard output. Progress is checked every 65 536 frames and drawn when a second has passed, so
/// the capture is fed through standard input in two halves 1.5 s apart: the check after the pause
/// is due to draw.
@Suite(.serialized) struct ProgressTests {
    /// A classic pcap of `count` identical small TCP frames.
    static func capture(frames count: Int) -> (header: [UInt8], frames: [UInt8]) {
        let frame = B.ethernet(type: 0x0800, synIPv4)
        var header: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8)
        header += [0xff, 0xff, 0, 0, 1, 0, 0, 0]
        var out: [UInt8] = []
        out.reserveCapacity(count * (16 + frame.count))
        let length = UInt8(frame.count)
        for i in 0..<count {
            let seconds = UInt32(1_700_000_000 + i / 1000)
            out += [UInt8(seconds & 0xff), UInt8(seconds >> 8 & 0xff), UInt8(seconds >> 16 & 0xff), UInt8(seconds >> 24)]
            out += [0, 0, 0, 0, length, 0, 0, 0, length, 0, 0, 0]
            out += frame
        }
        return (header, out)
    }

    /// Writes the capture to `handle` in two halves with a pause between them, then closes it.
    static func feed(_ handle: FileHandle) {
        let (header, frames) = capture(frames: 140_000)
        let half = 70_000 * (16 + B.ethernet(type: 0x0800, synIPv4).count)
        handle.write(Data(header + frames[..<half]))
        Thread.sleep(forTimeInterval: 1.5)
        handle.write(Data(frames[half...]))
        try? handle.close()
    }

    @Test func progressIsDrawnOnATerminalAndClearedAtTheEnd() throws {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            Issue.record("script (util-linux) is needed to run sgreplay on a terminal")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("capture.fifo").path, summary = directory.appendingPathComponent("summary.txt").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let feeder = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            ProgressTests.feed(handle)
        }
        feeder.start()
        // script gives the command a terminal; its output is what the terminal showed.
        let binary = productsDirectory.appendingPathComponent("sgreplay").path
        let command = "'\(binary)' analyze - --instance 10.0.0.5 < '\(fifo)' > '\(summary)'"
        let run = try runProgram(script, ["-qefc", command, "/dev/null"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("\rsgreplay: "))
        #expect(run.stdout.contains(" frames, "))
        #expect(run.stdout.contains(" frames/s, 0:0"))
        #expect(run.stdout.hasSuffix("\r\u{1B}[K"), "the line is cleared at the end: \(run.stdout.debugDescription)")
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.hasPrefix("standard input: 140000 frames"))
        #expect(!text.contains("frames/s") && !text.contains("\r"))
    }

    @Test func noProgressWhenStandardErrorIsNotATerminal() throws {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("sgreplay")
        process.arguments = ["analyze", "-", "--instance", "10.0.0.5"]
        let input = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = error
        try process.run()
        let feeder = Thread { ProgressTests.feed(input.fileHandleForWriting) }
        feeder.start()
        let stderr = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.isEmpty, "\(stderr.debugDescription)")
    }
}
