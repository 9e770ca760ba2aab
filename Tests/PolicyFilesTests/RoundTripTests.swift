import Firewall
import Packets
import PolicyFiles
import Testing

/// What must agree between two ways of writing the same policy: everything the engine reads.
/// (Where a rule was written, address kinds and AWS-only bookkeeping such as association ids differ.)
private struct Essence: Equatable {
    var groups: [SecurityGroup]
    var attached: [String]
    var addresses: [IPAddress]
    var subnetCIDRs: [CIDR]
    var acls: [NetworkACL]
    var activeACL: String?
    var prefixLists: [String: [CIDR]]
    var tracking: TrackingSettings
    var edits: [PolicyEdit]
    var times: [EditTime]

    init(_ loaded: LoadedPolicy) {
        let p = loaded.policy
        groups = p.securityGroups
        attached = p.instance.groupIDs
        addresses = p.instance.addresses.map(\.address)
        subnetCIDRs = p.instance.subnetCIDRs
        acls = p.networkACLs
        activeACL = p.networkACLID
        prefixLists = p.prefixLists
        tracking = p.tracking
        edits = loaded.timeline.edits.map(\.edit)
        times = loaded.timeline.edits.map(\.time)
    }
}

@Test func scenarioAndAWSJSONWithCloudTrailNormaliseToTheSameModel() throws {
    let scenario = try PolicyLoader.load(policyFiles: [fixture("roundtrip/scenario.yaml")])
    let aws = try PolicyLoader.load(
        policyFiles: ["sg.json", "sgr.json", "eni.json", "subnets.json", "acl.json", "pl-0rt.json"].map { fixture("roundtrip/" + $0) },
        timelineFiles: [fixture("roundtrip/trail.json")])
    let a = Essence(scenario), b = Essence(aws)
    #expect(a.groups == b.groups)
    #expect(a.attached == b.attached)
    #expect(a.addresses == b.addresses)
    #expect(a.subnetCIDRs == b.subnetCIDRs)
    #expect(a.acls == b.acls)
    #expect(a.activeACL == b.activeACL)
    #expect(a.prefixLists == b.prefixLists)
    #expect(a.tracking == b.tracking)
    #expect(a.edits == b.edits)
    #expect(a.times == b.times)
    #expect(a == b)
    // And the states they reach agree too.
    var x = scenario.policy, y = aws.policy
    for edit in scenario.timeline.edits { #expect(x.apply(edit).isEmpty) }
    for edit in aws.timeline.edits { #expect(y.apply(edit).isEmpty) }
    #expect(x.securityGroups == y.securityGroups)
    #expect(x.activeNetworkACL == y.activeNetworkACL)
}
