import Firewall
import Packets
import PolicyFiles
import Testing

// ModifyInstanceAttribute groupSet (the primary interface's groups), and records of applied
// events that yield no edit: warnings counted as notUnderstood, never silently skipped.

/// The AWS fixtures; without an interfaces file, without the ACLs too (the subnet is then unknown).
private func policyFiles(interfaces: String? = fixture("network-interfaces.json")) -> [String] {
    [fixture("security-groups.json"), fixture("security-group-rules.json"), fixture("subnets.json"), fixture("pl-0s3.json"),
     fixture("prefix-list-named.json")] + (interfaces.map { [$0, fixture("network-acls.json")] } ?? [])
}

private func groupChange(_ instance: String = "i-0app") -> String {
    """
    {"Records": [{"eventTime": "2024-03-02T09:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "ModifyInstanceAttribute",
      "eventID": "d-1", "requestParameters": {"instanceId": "\(instance)", "groupSet": {"items": [{"groupId": "sg-0db"}]}},
      "responseElements": {"_return": true}}]}
    """
}

/// describe-network-interfaces with the analysed eni-0app at `deviceIndex` of i-0app, and
/// (when `withPrimary`) eni-0main at device index 0.
private func interfaces(_ scratch: Scratch, deviceIndex: Int, withPrimary: Bool) -> String {
    let main = """
        {"NetworkInterfaceId": "eni-0main", "SubnetId": "subnet-0app", "VpcId": "vpc-0app", "PrivateIpAddress": "10.0.1.5",
         "Groups": [{"GroupId": "sg-0db", "GroupName": "db"}],
         "Attachment": {"AttachmentId": "eni-attach-0main", "DeviceIndex": 0, "NetworkCardIndex": 0, "InstanceId": "i-0app", "Status": "attached"}},
        """
    return scratch.write("eni-\(deviceIndex)-\(withPrimary).json", """
        {"NetworkInterfaces": [\(withPrimary ? main : "")
          {"NetworkInterfaceId": "eni-0app", "SubnetId": "subnet-0app", "VpcId": "vpc-0app", "PrivateIpAddress": "10.0.1.10",
           "Groups": [{"GroupId": "sg-0web", "GroupName": "web"}],
           "Attachment": {"AttachmentId": "eni-attach-0app", "DeviceIndex": \(deviceIndex), "NetworkCardIndex": 0, "InstanceId": "i-0app", "Status": "attached"}}
        ]}
        """)
}

@Test func modifyInstanceAttributeSetsThePrimaryInterfacesGroups() throws {
    let loaded = try PolicyLoader.load(policyFiles: policyFiles(), timelineFiles: [fixture("cloudtrail-instance.json")], eni: "eni-0app")
    #expect(loaded.timeline.edits.map(\.edit) == [.setGroups(eniID: "eni-0app", groupIDs: ["sg-0web", "sg-0db"])])
    #expect(loaded.warnings.isEmpty)
    // i-0someone-else: another instance. instanceType, disableApiTermination, sourceDestCheck: not rule edits.
    #expect(loaded.ignoredEvents == LoadedPolicy.IgnoredEvents(notEdits: 3, otherResources: 1))
    var policy = loaded.policy
    #expect(policy.instance.groupIDs == ["sg-0web"])
    for edit in loaded.timeline.edits { #expect(policy.apply(edit).isEmpty) }
    #expect(policy.instance.groupIDs == ["sg-0web", "sg-0db"])
}

@Test func modifyInstanceAttributeOfAnotherInterfaceIsNotAppliedAndSaysWhy() throws {
    let scratch = Scratch()
    let trail = scratch.write("trail.json", groupChange())
    // The analysed interface is i-0app's second one; the primary is eni-0main.
    for withPrimary in [true, false] {
        let files = policyFiles(interfaces: interfaces(scratch, deviceIndex: 1, withPrimary: withPrimary))
        let loaded = try PolicyLoader.load(policyFiles: files, timelineFiles: [trail], eni: "eni-0app")
        #expect(loaded.timeline.isEmpty)
        #expect(loaded.ignoredEvents == LoadedPolicy.IgnoredEvents(otherResources: 1))
        let warning = try #require(loaded.warnings.first)
        #expect(warning.source?.path == "Records[0]")
        #expect(warning.message.hasPrefix("ModifyInstanceAttribute (eventID d-1) was not applied: it sets the groups of i-0app's primary interface"))
        #expect(warning.message.contains("not of eni-0app, which is attached to i-0app at another device index"))
        #expect(warning.message.contains("eni-0main") == withPrimary)
    }
    // The analysed interface at device index 0 of i-0app: applied.
    let primary = try PolicyLoader.load(
        policyFiles: policyFiles(interfaces: interfaces(scratch, deviceIndex: 0, withPrimary: false)), timelineFiles: [trail], eni: "eni-0app")
    #expect(primary.timeline.edits.map(\.edit) == [.setGroups(eniID: "eni-0app", groupIDs: ["sg-0db"])])
}

@Test func modifyInstanceAttributeIsNotAppliedWhenTheAttachmentIsUnknown() throws {
    let scratch = Scratch()
    let trail = scratch.write("trail.json", groupChange())
    // No NetworkInterfaces file: the interface's attachment is unknown.
    let bare = try PolicyLoader.load(policyFiles: policyFiles(interfaces: nil), timelineFiles: [trail], eni: "eni-0app")
    #expect(bare.timeline.isEmpty)
    #expect(bare.ignoredEvents.notUnderstood == 1)
    #expect(bare.warnings.map(\.description) == [
        "\(trail): Records[0]: ModifyInstanceAttribute (eventID d-1) was not applied: it sets the groups of i-0app's primary interface, and sgreplay cannot tell whether that is eni-0app: its attachment is unknown (give describe-network-interfaces, whose Attachment has InstanceId and DeviceIndex)",
    ])
    // eni-0db has no Attachment: an instance whose primary interface is not given cannot be told
    // from it; i-0app's primary is eni-0app, so that one is another interface's.
    let other = scratch.write("other.json", groupChange("i-0unknown"))
    let db = try PolicyLoader.load(policyFiles: policyFiles(), timelineFiles: [other, trail], eni: "eni-0db")
    #expect(db.timeline.isEmpty)
    #expect(db.ignoredEvents == LoadedPolicy.IgnoredEvents(otherResources: 1, notUnderstood: 1))
    #expect(db.warnings.count == 1)
    #expect(db.warnings.first?.source?.file == other)
}

@Test func recordsOfAppliedEventsThatYieldNoEditAreWarningsCountedApart() throws {
    let path = fixture("cloudtrail-not-understood.json")
    let loaded = try PolicyLoader.load(policyFiles: policyFiles(), timelineFiles: [path], eni: "eni-0app")
    #expect(loaded.timeline.isEmpty)
    // DescribeInstances and the description change are not rule edits; the other three are not understood.
    #expect(loaded.ignoredEvents == LoadedPolicy.IgnoredEvents(notEdits: 2, notUnderstood: 3))
    #expect(loaded.ignoredEvents.total == 2)
    #expect(loaded.warnings.map(\.source?.path) == ["Records[1]", "Records[2]", "Records[3]"])
    #expect(loaded.warnings.allSatisfy { $0.source?.file == path })
    #expect(loaded.warnings.map(\.message) == [
        "AuthorizeSecurityGroupIngress (eventID c0000001-0000-4000-8000-000000000001) was not applied: it names no rule: ipPermissions has no items and there is no ipProtocol, cidrIp or sourceSecurityGroupName",
        "AuthorizeSecurityGroupIngress was not applied: requestParameters.ipPermissions.items[0] names no peer: no ipRanges, ipv6Ranges, prefixListIds or groups",
        "ModifyNetworkInterfaceAttribute (eventID c0000003-0000-4000-8000-000000000003) was not applied: it changes securityGroupReferencing, which sgreplay does not know",
    ])
}

@Test func anEditEventWithoutParametersIsNotUnderstood() throws {
    let scratch = Scratch()
    let path = scratch.write("t.json", """
        {"Events": [{"EventId": "f-1", "CloudTrailEvent": "{\\"eventTime\\": \\"2024-03-01T12:00:00Z\\", \\"eventSource\\": \\"ec2.amazonaws.com\\", \\"eventName\\": \\"CreateNetworkAclEntry\\", \\"eventID\\": \\"f-1\\", \\"requestParameters\\": null}"}]}
        """)
    let loaded = try PolicyLoader.load(policyFiles: policyFiles(), timelineFiles: [path], eni: "eni-0app")
    #expect(loaded.ignoredEvents.notUnderstood == 1)
    #expect(loaded.warnings.map(\.description) == [
        "\(path): Events[0].CloudTrailEvent: CreateNetworkAclEntry (eventID f-1) was not applied: the record has no requestParameters",
    ])
}
