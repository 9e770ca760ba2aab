import Foundation
import Replay
import Testing

/// No output may be an input or another output, however the paths are spelled.
@Suite struct FilePathsTests {
    let captures = Captures()

    @Test func anOutputThatIsTheCaptureIsRefused() throws {
        let capture = try captures.write("c.pcap", Captures.ssh("10.0.0.5", start: 1000, frames: 1))
        let respelled = captures.folder.appendingPathComponent("./sub/../c.pcap").path
        try FileManager.default.createDirectory(
            at: captures.folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        #expect(throws: ReplayError.failed(
            "--labels \(respelled): is the same file as the capture \(capture); "
                + "an input is never overwritten: nothing was written, give --labels another file")
        ) {
            try FilePaths.check(outputs: [NamedPath("--labels", respelled)], inputs: [NamedPath("the capture", capture)])
        }
    }

    @Test func twoOutputsThatAreOneFileAreRefusedAndDistinctOnesPass() throws {
        let a = captures.folder.appendingPathComponent("out.jsonl").path
        let b = captures.folder.appendingPathComponent("./out.jsonl").path
        #expect(throws: ReplayError.self) {
            try FilePaths.check(outputs: [NamedPath("--labels", a), NamedPath("--report", b)], inputs: [])
        }
        let c = captures.folder.appendingPathComponent("report.md").path
        try FilePaths.check(outputs: [NamedPath("--labels", a), NamedPath("--report", c)], inputs: [])
    }
}
