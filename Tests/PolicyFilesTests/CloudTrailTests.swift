import Firewall
import Packets
import PolicyFiles
import Testing

private func loadTrail(_ timeline: [String], eni: String? = "eni-0app") throws -> LoadedPolicy {
    try PolicyLoader.load(
        policyFiles: [
            fixture("security-groups.json"), fixture("security-group-rules.json"), fixture("network-acls.json"),
            fixture("network-interfaces.json"), fixture("subnets.json"), fixture("pl-0s3.json"), fixture("prefix-list-named.json"),
        ],
        timelineFiles: timeline, eni: eni)
}

private func seconds(_ time: EditTime) -> Int64? {
    if case .absolute(let t) = time { return t.nanoseconds / 1_000_000_000 }
    return nil
}

@Test func cloudTrailRecordsBecomeEditsInTimeOrder() throws {
    let loaded = try loadTrail([fixture("cloudtrail.json")])
    let edits = loaded.timeline.edits
    #expect(edits.count == 10)
    let times = edits.compactMap { seconds($0.time) }
    #expect(times == times.sorted())
    // The file lists the revoke (12:05) before the authorize (12:01).
    guard case .authorize(let group, let rules) = edits[0].edit else { Issue.record("first edit: \(edits[0].edit)"); return }
    #expect(group == "sg-0web")
    #expect(rules.map(\.id) == ["sgr-0partner", "sgr-0partner6", "sgr-0dns-corp", "sgr-0dns-db"])
    #expect(rules.map(\.peer) == [.cidr(cidr("198.51.100.0/24")), .cidr(cidr("2001:db8:beef::/48")), .prefixList("pl-0corp"), .securityGroup("sg-0db")])
    #expect(rules[0].traffic == .tcp(PortRange(8080, 8081)!))
    #expect(rules[0].ruleDescription == "partner")
    #expect(edits[0].origin == "CloudTrail AuthorizeSecurityGroupIngress by arn:aws:iam::111122223333:user/alice")
    #expect(edits[0].source?.path == "Records[1]")
    #expect(edits[1].edit == .revokeByPermission(groupID: "sg-0web", rules: [
        SecurityGroupRule(groupID: "sg-0web", direction: .ingress, traffic: .tcp(PortRange(22)), peer: .cidr(cidr("203.0.113.1/32"))),
    ]))
    #expect(edits[2].edit == .revokeByID(groupID: "sg-0web", ruleIDs: ["sgr-0out6"], revokedRules: []))
    #expect(edits[3].edit == .modify(groupID: "sg-0web", updates: [
        RuleUpdate(ruleID: "sgr-0https4", traffic: .tcp(PortRange(443)), peer: .cidr(cidr("10.0.0.0/8")), description: "internal only"),
    ]))
    #expect(edits[4].edit == .createNetworkACLEntry(aclID: "acl-0app", entry: NetworkACLEntry(
        ruleNumber: 50, direction: .ingress, traffic: .tcp(PortRange(22)), cidr: cidr("203.0.113.0/24"), action: .deny)))
    #expect(edits[5].edit == .replaceNetworkACLEntry(aclID: "acl-0app", entry: NetworkACLEntry(
        ruleNumber: 120, direction: .ingress, traffic: .icmp(ICMPTypeCode(type: 8, code: nil)), cidr: cidr("10.0.0.0/8"), action: .allow)))
    #expect(edits[6].edit == .deleteNetworkACLEntry(aclID: "acl-0app", direction: .egress, ruleNumber: 101))
    #expect(edits[7].edit == .setTimeouts(eniID: "eni-0app", TimeoutChange(tcpEstablished: .seconds(120), udp: .seconds(30))))
    #expect(edits[8].edit == .setGroups(eniID: "eni-0app", groupIDs: ["sg-0web", "sg-0db"]))
    #expect(edits[9].edit == .replaceNetworkACLAssociation(associationID: "aclassoc-0app", aclID: "acl-0default", newAssociationID: "aclassoc-0new"))
}

@Test func failedOtherAndForeignEventsAreSkippedAndCounted() throws {
    let loaded = try loadTrail([fixture("cloudtrail.json")])
    // errorCode: the duplicate authorize.
    #expect(loaded.ignoredEvents.failed == 1)
    // DescribeSecurityGroups and an S3 PutObject.
    #expect(loaded.ignoredEvents.notEdits == 2)
    // sg-0someone-else, acl-0elsewhere, eni-0db, the other subnet's association.
    #expect(loaded.ignoredEvents.otherResources == 4)
    #expect(loaded.warnings.isEmpty)
}

@Test func cloudTrailEditsApplyToThePolicy() throws {
    let loaded = try loadTrail([fixture("cloudtrail.json")])
    var policy = loaded.policy
    for edit in loaded.timeline.edits { #expect(policy.apply(edit).isEmpty) }
    let web = try #require(policy.group("sg-0web"))
    #expect(!web.rules.contains { $0.id == "sgr-0ssh" })
    #expect(!web.rules.contains { $0.id == "sgr-0out6" })
    #expect(web.rules.first { $0.id == "sgr-0https4" }?.peer == .cidr(cidr("10.0.0.0/8")))
    #expect(policy.instance.groupIDs == ["sg-0web", "sg-0db"])
    #expect(policy.networkACLID == "acl-0default")
    #expect(policy.networkACL("acl-0app")?.entry(.ingress, 50)?.action == .deny)
    #expect(policy.tracking.timeouts.tcpEstablished == .seconds(120))
    #expect(policy.tracking.timeouts.udpStream == .seconds(120))
}

@Test func gzipCompressedTrailsAreRead() throws {
    let loaded = try loadTrail([fixture("cloudtrail-small.json.gz")])
    #expect(loaded.timeline.count == 2)
    #expect(loaded.ignoredEvents.failed == 1)
    guard case .authorize = loaded.timeline.edits.first?.edit else { Issue.record("expected the authorize first"); return }
}

@Test func lookupEventsOutputIsRead() throws {
    let loaded = try loadTrail([fixture("lookup-events.json")])
    #expect(loaded.timeline.count == 3)
    #expect(loaded.ignoredEvents.failed == 1)
    #expect(loaded.timeline.edits.map { $0.source?.path } == ["Events[1].CloudTrailEvent", "Events[0].CloudTrailEvent", "Events[3].CloudTrailEvent"])
}

@Test func truncatedGzipIsAnErrorNamingTheFile() {
    let scratch = Scratch()
    let whole = (try? Array(String(contentsOfFile: fixture("cloudtrail.json"), encoding: .utf8).utf8)) ?? []
    _ = whole
    let path = scratch.write("cut.json.gz", bytes: [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0xab, 0x56])
    let error = loadError(timeline: [path])
    #expect(error?.file == path)
    #expect(error?.message == "gzip: the compressed data is truncated")
}

@Test func revokeByRuleIdAcceptsEveryWrapping() throws {
    let scratch = Scratch()
    let shapes = [
        #"["sgr-0ssh"]"#, #"{"items": ["sgr-0ssh"]}"#, #"{"items": [{"securityGroupRuleId": "sgr-0ssh"}]}"#,
        #"[{"securityGroupRuleId": "sgr-0ssh"}]"#, #""sgr-0ssh""#,
    ]
    for (i, shape) in shapes.enumerated() {
        let path = scratch.write("t\(i).json", """
            {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventName": "RevokeSecurityGroupIngress",
              "requestParameters": {"groupId": "sg-0web", "securityGroupRuleIds": \(shape)}}]}
            """)
        let loaded = try PolicyLoader.load(policyFiles: [fixture("security-group-rules.json")], timelineFiles: [path])
        #expect(loaded.timeline.edits.first?.edit == .revokeByID(groupID: "sg-0web", ruleIDs: ["sgr-0ssh"], revokedRules: []), "\(shape)")
    }
}
