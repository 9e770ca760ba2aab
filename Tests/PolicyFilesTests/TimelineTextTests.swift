import Firewall
import Packets
import PolicyFiles
import Testing

/// `--edit` items are timelines read from memory: named by the option, with no line numbers (the
/// lines would be those of the wrapper around the item), never a file.
@Test func aTimelineFromMemoryLoadsLikeATimelineFileAndIsNamedByItsName() throws {
    let loaded = try PolicyLoader.load(
        policyFiles: [fixture("seed000-ssh.yaml")],
        timelineTexts: [.item("{at: +40s, revoke: sg-web/sgr-ssh}", name: "--edit 1")])
    let edit = try #require(loaded.timeline.edits.last)
    #expect(edit.time == .afterFirstFrame(.seconds(40)))
    #expect(edit.source?.file == "--edit 1")
    #expect(edit.source?.line == nil)
    #expect(edit.source?.path == "timeline[0]")
}

@Test func aBadTimelineFromMemoryNamesItWithoutALine() {
    for (item, message) in [
        ("{at: +1s, nacl-create: sideways}", "--edit 2: timeline[0].nacl-create: sideways is not a direction: write inbound or outbound"),
        ("{at: +1s", "--edit 2: invalid YAML"),
        ("nonsense", "--edit 2: timeline[0]: expected an object, found a string"),
    ] {
        do {
            _ = try PolicyLoader.load(
                policyFiles: [fixture("seed000-ssh.yaml")],
                timelineTexts: [.item("{at: +1s, revoke: sg-web/sgr-ssh}", name: "--edit 1"), .item(item, name: "--edit 2")])
            Issue.record("\(item) loaded")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
            #expect(error.line == nil)
        }
    }
}
