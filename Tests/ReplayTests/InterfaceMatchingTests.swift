import Firewall
import Packets
import PolicyFiles
@testable import Replay
import Testing

/// Which interface a capture was taken on, told by the addresses in its frames: called as a
/// library on captures built in memory.
@Suite struct InterfaceMatchingTests {
    let captures = Captures()
    let candidates = [
        InterfaceCandidate(id: "eni-a", addresses: [IPAddress(parsing: "10.0.0.5")!]),
        InterfaceCandidate(id: "eni-b", addresses: [IPAddress(parsing: "10.0.1.7")!], prefixes: [CIDR(parsing: "10.0.2.0/28")!]),
    ]

    @Test func eachCaptureGoesToTheInterfaceInMostOfItsFrames() throws {
        let a = try captures.write("a.pcap", Captures.ssh("10.0.0.5", start: 1000, frames: 6))
        let b = try captures.write("b.pcap", Captures.ssh("10.0.1.7", start: 1000, frames: 4))
        let delegated = try captures.write("c.pcap", Captures.ssh("10.0.2.3", start: 2000, frames: 3))
        let matches = try InterfaceMatching.match([b, a, delegated], to: candidates, options: .init())
        #expect(matches.map(\.interface) == [1, 0, 1])
        #expect(matches[0].counts == [0, 4] && matches[1].counts == [6, 0] && matches[2].counts == [0, 3])
        // Every frame was read: the first and last times are known, for the overlap check.
        #expect(matches[1].read == 6)
        #expect(matches[1].first == Timestamp(seconds: 1000) && matches[1].last == Timestamp(seconds: 1005))
    }

    @Test func aCaptureWithNoAddressOfAnyInterfaceIsAnError() throws {
        let other = try captures.write("other.pcap", Captures.ssh("10.9.9.9", start: 1000, frames: 2))
        #expect {
            try InterfaceMatching.match([other], to: candidates, options: .init())
        } throws: { error in
            "\(error)".hasPrefix("\(other): no frame carries an address of the network interfaces given (eni-a 10.0.0.5; eni-b 10.0.1.7)")
        }
    }

    @Test func aTieIsAnErrorNamingBothInterfaces() throws {
        // Every frame between the two interfaces: as many carry eni-a's address as eni-b's.
        let between = try captures.write("between.pcap", Captures.ssh("10.0.0.5", "10.0.1.7", start: 1000, frames: 4))
        #expect {
            try InterfaceMatching.match([between], to: candidates, options: .init())
        } throws: { error in
            "\(error)".contains("as many frames (4) carry the addresses of eni-a as of eni-b")
        }
    }

    @Test func anUnreadableCaptureIsAReplayError() throws {
        let missing = captures.folder.appendingPathComponent("missing.pcap").path
        #expect(throws: ReplayError.self) { try InterfaceMatching.match([missing], to: candidates, options: .init()) }
    }
}
