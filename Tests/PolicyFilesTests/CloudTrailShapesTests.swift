import Firewall
import Packets
import PolicyFiles
import Testing

// Authorize/Revoke in both CloudTrail shapes (ipPermissions items and the top-level
// ipProtocol/fromPort/toPort/cidrIp form), groupName, and source groups named by name.

private let awsPolicy = [
    fixture("security-groups.json"), fixture("security-group-rules.json"), fixture("network-acls.json"),
    fixture("network-interfaces.json"), fixture("subnets.json"), fixture("pl-0s3.json"), fixture("prefix-list-named.json"),
]

private func load(_ timeline: [String], policy: [String] = awsPolicy, eni: String? = "eni-0app") throws -> LoadedPolicy {
    try PolicyLoader.load(policyFiles: policy, timelineFiles: timeline, eni: eni)
}

/// The policy once every edit up to and including the one made from the record at `path`.
private func state(after path: String, _ loaded: LoadedPolicy) -> Policy {
    var policy = loaded.policy
    for edit in loaded.timeline.edits {
        #expect(policy.apply(edit).isEmpty, "\(edit.edit)")
        if edit.source?.path == path { break }
    }
    return policy
}

private func web(_ policy: Policy) -> [SecurityGroupRule] { policy.group("sg-0web")?.rules ?? [] }

private func rule(_ direction: RuleDirection, _ traffic: Traffic, _ peer: Peer) -> SecurityGroupRule {
    SecurityGroupRule(groupID: "sg-0web", direction: direction, traffic: traffic, peer: peer)
}

private func has(_ rules: [SecurityGroupRule], _ wanted: SecurityGroupRule, id: String? = nil) -> Bool {
    rules.contains { $0.samePermission(as: wanted) && (id == nil || $0.id == id) }
}

@Test func flatAndNestedShapesInBothDirectionsAreAppliedAndRevoked() throws {
    let loaded = try load([fixture("cloudtrail-flat.json")])
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.ignoredEvents == LoadedPolicy.IgnoredEvents(otherResources: 1))
    #expect(loaded.timeline.count == 14)

    let cases: [(authorize: String, revoke: String, rule: SecurityGroupRule, id: String?)] = [
        // Flat, Ingress, with securityGroupRuleSet; revoked by id.
        ("Records[0]", "Records[1]", rule(.ingress, .tcp(PortRange(2222)), .cidr(cidr("198.51.100.0/24"))), "sgr-0flat-in"),
        // Flat, Egress, with securityGroupRuleSet; revoked by id.
        ("Records[2]", "Records[3]", rule(.egress, .tcp(PortRange(5432)), .cidr(cidr("10.1.0.0/16"))), "sgr-0flat-out"),
        // ipPermissions, Egress, with securityGroupRuleSet; revoked by id.
        ("Records[4]", "Records[5]", rule(.egress, .udp(PortRange(123)), .cidr(cidr("192.0.2.123/32"))), "sgr-0ntp"),
        // Flat, Ingress, no rule set: no id, so revoked by permission (flat form too).
        ("Records[6]", "Records[7]", rule(.ingress, .tcp(PortRange(8443)), .cidr(cidr("192.0.2.0/24"))), nil),
        // Flat, Egress, no rule set; revoked by permission.
        ("Records[8]", "Records[9]", rule(.egress, .udp(PortRange(514)), .cidr(cidr("10.9.0.0/16"))), nil),
        // ipPermissions, Ingress, IPv6, with rule set; revoked by id.
        ("Records[10]", "Records[11]", rule(.ingress, .tcp(PortRange(9000, 9001)!), .cidr(cidr("2001:db8:9::/48"))), "sgr-0metrics"),
    ]
    for c in cases {
        let before = web(state(after: c.authorize, loaded))
        #expect(has(before, c.rule, id: c.id), "\(c.authorize) adds \(c.rule.permission)")
        if let id = c.id {
            let edit = loaded.timeline.edits.first { $0.source?.path == c.revoke }?.edit
            #expect(edit == .revokeByID(groupID: "sg-0web", ruleIDs: [id], revokedRules: []))
        }
        #expect(!has(web(state(after: c.revoke, loaded)), c.rule), "\(c.revoke) removes \(c.rule.permission)")
    }
    let authorizeEdit = loaded.timeline.edits[0]
    #expect(authorizeEdit.origin == "CloudTrail AuthorizeSecurityGroupIngress by arn:aws:iam::111122223333:user/mallory")
}

@Test func groupNameIsResolvedAmongThePolicysGroups() throws {
    let loaded = try load([fixture("cloudtrail-flat.json")])
    let edit = loaded.timeline.edits.first { $0.source?.path == "Records[12]" }?.edit
    guard case .authorize(let group, let rules) = edit else { Issue.record("Records[12]: \(String(describing: edit))"); return }
    #expect(group == "sg-0web")
    #expect(rules.map(\.permission) == [rule(.ingress, .tcp(PortRange(3389)), .cidr(cidr("203.0.113.9/32"))).permission])
    #expect(has(web(state(after: "Records[12]", loaded)), rule(.ingress, .tcp(PortRange(3389)), .cidr(cidr("203.0.113.9/32")))))
    // Records[14] names a group the policy does not have: another resource, counted.
    #expect(!loaded.timeline.edits.contains { $0.source?.path == "Records[14]" })
}

@Test func aSourceGroupNamedAloneGrantsAllTCPUDPAndICMPFromIt() throws {
    let loaded = try load([fixture("cloudtrail-flat.json")])
    let end = web(state(after: "Records[13]", loaded))
    for traffic: Traffic in [.tcp(.all), .udp(.all), .icmp(ICMPTypeCode(type: nil, code: nil))] {
        #expect(has(end, rule(.ingress, traffic, .securityGroup("sg-0db"))), "\(traffic)")
    }
}

@Test func aGroupPairNamedByNameIsResolvedOrNotUnderstood() throws {
    let scratch = Scratch()
    func trail(_ pair: String, response: String = #"{"_return": true}"#) -> String {
        scratch.write("pair-\(pair.hashValue)-\(response.hashValue).json", """
            {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventSource": "ec2.amazonaws.com", "eventID": "e-1",
              "eventName": "AuthorizeSecurityGroupIngress", "recipientAccountId": "111122223333",
              "requestParameters": {"groupId": "sg-0web", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 6379,
                "toPort": 6379, "groups": {"items": [\(pair)]}, "ipRanges": {}, "ipv6Ranges": {}, "prefixListIds": {}}]}},
              "responseElements": \(response)}]}
            """)
    }
    // aws ec2 authorize-security-group-ingress --source-group db: the CLI sends the name only.
    let byName = try load([trail(#"{"groupName": "db"}"#)])
    #expect(byName.timeline.edits.first?.edit == .authorize(groupID: "sg-0web", rules: [
        rule(.ingress, .tcp(PortRange(6379)), .securityGroup("sg-0db")),
    ]))
    // A name no group has, but AWS's response says which group the new rule references.
    let answered = try load([trail(#"{"groupName": "cache"}"#, response: """
        {"_return": true, "securityGroupRuleSet": {"items": [{"groupId": "sg-0web", "securityGroupRuleId": "sgr-0cache",
          "isEgress": false, "ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379,
          "referencedGroupInfo": {"groupId": "sg-0cache", "userId": "111122223333"}}]}}
        """)])
    guard case .authorize(_, let rules) = answered.timeline.edits.first?.edit else { Issue.record("no edit"); return }
    #expect(rules.map(\.peer) == [.securityGroup("sg-0cache")])
    #expect(rules.map(\.id) == ["sgr-0cache"])
    // A name the interfaces' Groups give (sg-0cache is the group of another interface).
    let interfaces = scratch.write("eni.json", """
        {"NetworkInterfaces": [
          {"NetworkInterfaceId": "eni-0app", "SubnetId": "subnet-0app", "VpcId": "vpc-0app", "PrivateIpAddress": "10.0.1.10",
           "Groups": [{"GroupId": "sg-0web", "GroupName": "web"}]},
          {"NetworkInterfaceId": "eni-0cache", "SubnetId": "subnet-0app", "VpcId": "vpc-0app", "PrivateIpAddress": "10.0.1.30",
           "Groups": [{"GroupId": "sg-0cache", "GroupName": "cache"}]}
        ]}
        """)
    let viaInterfaces = try load(
        [trail(#"{"groupName": "cache"}"#)],
        policy: [fixture("security-groups.json"), fixture("network-acls.json"), fixture("subnets.json"), interfaces])
    #expect(viaInterfaces.timeline.edits.first?.edit == .authorize(groupID: "sg-0web", rules: [
        rule(.ingress, .tcp(PortRange(6379)), .securityGroup("sg-0cache")),
    ]))
    // Neither: not guessed.
    let unknown = try load([trail(#"{"groupName": "cache"}"#)])
    #expect(unknown.timeline.isEmpty)
    #expect(unknown.ignoredEvents.notUnderstood == 1)
    #expect(unknown.warnings.map(\.message) == [
        "AuthorizeSecurityGroupIngress (eventID e-1) was not applied: it names source group cache by name only; no group of the policy has that name and the response gives no rule to tell its id",
    ])
}

@Test func aGroupNameIsNotUnderstoodWhenThePolicysGroupsHaveNoNames() throws {
    let scratch = Scratch()
    let path = scratch.write("t.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventSource": "ec2.amazonaws.com",
          "eventName": "AuthorizeSecurityGroupIngress",
          "requestParameters": {"groupName": "web", "ipPermissions": {}, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
            "cidrIp": "0.0.0.0/0"}}]}
        """)
    // describe-security-group-rules alone gives groups without names.
    let loaded = try load([path], policy: [fixture("security-group-rules.json")], eni: nil)
    #expect(loaded.timeline.isEmpty)
    #expect(loaded.ignoredEvents.notUnderstood == 1)
    #expect(loaded.ignoredEvents.otherResources == 0)
    #expect(loaded.warnings.first?.message.contains("cannot tell whether that is one of sg-0web") == true)
    #expect(loaded.warnings.first?.source?.path == "Records[0]")
}

@Test func aRevokeOfUnknownPermissionsIsANoOpWithANote() throws {
    let scratch = Scratch()
    let path = scratch.write("t.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventSource": "ec2.amazonaws.com",
          "eventName": "RevokeSecurityGroupIngress",
          "requestParameters": {"groupId": "sg-0web", "ipPermissions": {}, "ipProtocol": "tcp", "fromPort": 25, "toPort": 25,
            "cidrIp": "192.0.2.25/32"},
          "responseElements": {"_return": false, "unknownIpPermissionSet": {"items": [{"ipProtocol": "tcp", "fromPort": 25,
            "toPort": 25, "groups": {}, "ipRanges": {"items": [{"cidrIp": "192.0.2.25/32"}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}}}]}
        """)
    let loaded = try load([path])
    #expect(loaded.timeline.isEmpty)
    #expect(loaded.ignoredEvents.notEdits == 1)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.notes.contains { $0.contains("Records[0]: RevokeSecurityGroupIngress changed nothing: AWS lists every permission in unknownIpPermissionSet") })
}

@Test func malformedValuesInTheFlatShapeAreErrorsNamingThePath() {
    let scratch = Scratch()
    let port = scratch.write("port.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventName": "AuthorizeSecurityGroupIngress",
          "requestParameters": {"groupId": "sg-0web", "ipPermissions": {}, "ipProtocol": "tcp", "fromPort": 22, "toPort": 70000,
            "cidrIp": "0.0.0.0/0"}}]}
        """)
    let error = loadError(policy: [fixture("security-group-rules.json")], timeline: [port])
    #expect(error?.path == "Records[0].requestParameters.toPort")
    #expect(error?.message == "port 70000 is out of range 0-65535")
    let block = scratch.write("cidr.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventName": "AuthorizeSecurityGroupEgress",
          "requestParameters": {"groupId": "sg-0web", "ipPermissions": {}, "ipProtocol": "-1", "cidrIp": "10.0.0.300/8"}}]}
        """)
    let cidrError = loadError(policy: [fixture("security-group-rules.json")], timeline: [block])
    #expect(cidrError?.path == "Records[0].requestParameters.cidrIp")
}
