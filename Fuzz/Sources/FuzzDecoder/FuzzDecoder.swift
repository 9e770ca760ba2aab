import Firewall
import Packets

/// Input: one byte choosing the link type, one byte of options, then the frame's captured bytes.
/// Every decode must stay inside the bytes (AddressSanitizer checks) and the engine must accept
/// whatever the decoder produces.
nonisolated(unsafe) var engine = Engine(policy: fuzzPolicy(), options: EngineOptions())
nonisolated(unsafe) var frame = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let links: [LinkType] = [.ethernet, .linuxCooked, .linuxCooked2, .rawIP, .rawIPv4, .rawIPv6, .null, .loop]
    let link = links[Int(data[0]) % links.count]
    let bytes = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    var packet = DecodedPacket()
    // The wire length may exceed the captured bytes (a snapshot length), never the other way round.
    let wire = bytes.count + Int(data[1] >> 4) * 100
    Decoder(linkType: link, decapsulateVXLAN: data[1] & 1 != 0).decode(bytes, wireLength: wire, into: &packet)
    _ = packet.anomaly?.description
    frame += 1
    let j = engine.judge(packet, frame: frame, time: Timestamp(seconds: 1_700_000_000 + Int64(frame)))
    _ = engine.reasonText(j, packet: packet)
    return 0
}

func fuzzPolicy() -> LoadedPolicy {
    var policy = Policy()
    for text in ["10.0.0.5", "2001:db8::5"] {
        if let a = IPAddress(parsing: text) { policy.instance.add(a, kind: .given) }
    }
    policy.instance.groupIDs = ["sg-a"]
    var group = SecurityGroup(id: "sg-a")
    let cidr = { (t: String) in CIDR(parsing: t)! }
    group.rules = [
        SecurityGroupRule(id: "sgr-1", groupID: "sg-a", direction: .ingress, traffic: .tcp(PortRange(22)), peer: .cidr(cidr("203.0.113.0/24"))),
        SecurityGroupRule(id: "sgr-2", groupID: "sg-a", direction: .ingress, traffic: .icmp(.any), peer: .cidr(cidr("0.0.0.0/0"))),
        SecurityGroupRule(id: "sgr-3", groupID: "sg-a", direction: .egress, traffic: .all, peer: .cidr(cidr("0.0.0.0/0"))),
        SecurityGroupRule(id: "sgr-4", groupID: "sg-a", direction: .ingress, traffic: .udp(PortRange(53)), peer: .cidr(cidr("::/0"))),
    ]
    policy.securityGroups = [group]
    policy.tracking.conntrackMax = 64
    return LoadedPolicy(policy: policy)
}

// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzDecoder_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
