import Firewall
import Packets
import PolicyFiles
import Testing

@Test func endStateSnapshotRebuildsTheStartFromCloudTrail() throws {
    let scratch = Scratch()
    // The snapshot after the incident: SSH revoked, the partner rule added (with its id), a NACL deny created.
    let groups = scratch.write("sg-after.json", """
        {"SecurityGroups": [{"GroupId": "sg-0web", "GroupName": "web",
          "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081, "IpRanges": [{"CidrIp": "198.51.100.0/24", "Description": "partner"}]}
          ],
          "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}
        """)
    let acls = scratch.write("acl-after.json", """
        {"NetworkAcls": [{"NetworkAclId": "acl-0app", "Associations": [{"NetworkAclAssociationId": "aclassoc-0app", "SubnetId": "subnet-0app"}],
          "Entries": [
            {"RuleNumber": 50, "Egress": false, "Protocol": "6", "PortRange": {"From": 22, "To": 22}, "RuleAction": "deny", "CidrBlock": "203.0.113.0/24"},
            {"RuleNumber": 100, "Egress": false, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
            {"RuleNumber": 100, "Egress": true, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}
        """)
    let eni = scratch.write("eni.json", """
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0app", "SubnetId": "subnet-0app", "PrivateIpAddress": "10.0.1.10",
          "Groups": [{"GroupId": "sg-0web"}]}]}
        """)
    let trail = scratch.write("trail.json", """
        {"Records": [
          {"eventTime": "2024-03-01T12:08:00Z", "eventName": "CreateNetworkAclEntry",
           "requestParameters": {"networkAclId": "acl-0app", "ruleNumber": 50, "egress": false, "ruleAction": "deny",
             "portRange": {"from": 22, "to": 22}, "aclProtocol": "6", "cidrBlock": "203.0.113.0/24"}},
          {"eventTime": "2024-03-01T12:05:00Z", "eventName": "RevokeSecurityGroupIngress",
           "requestParameters": {"groupId": "sg-0web", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
             "ipRanges": {"items": [{"cidrIp": "203.0.113.1/32"}]}}]}}},
          {"eventTime": "2024-03-01T12:01:00Z", "eventName": "AuthorizeSecurityGroupIngress",
           "requestParameters": {"groupId": "sg-0web", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8081,
             "ipRanges": {"items": [{"cidrIp": "198.51.100.0/24", "description": "partner"}]}}]}}}
        ]}
        """)
    let loaded = try PolicyLoader.load(policyFiles: [groups, acls, eni], timelineFiles: [trail], policyState: .end)
    #expect(loaded.derivedFromEndState)
    #expect(loaded.warnings.isEmpty)
    let start = loaded.policy
    #expect(start.rulesInForce(.ingress).map(\.permission) == ["inbound tcp 22 from 203.0.113.1/32"])
    #expect(start.activeNetworkACL?.entries(.ingress).map(\.ruleNumber) == [100])
    // Replaying the timeline from the derived start reaches the snapshot again.
    var replay = start
    for edit in loaded.timeline.edits { #expect(replay.apply(edit).isEmpty) }
    #expect(replay.rulesInForce(.ingress).map(\.permission) == ["inbound tcp 8080-8081 from 198.51.100.0/24"])
    #expect(replay.activeNetworkACL?.entries(.ingress).map(\.ruleNumber) == [50, 100])
}

@Test func endStateReportsEditsThatCannotBeUndoneExactly() throws {
    let scratch = Scratch()
    let snapshot = scratch.write("now.yaml", """
        instance: 10.0.0.5
        groups:
          sg-web:
            inbound: [{id: sgr-2, rule: tcp 22 from 10.0.0.0/8}]
        nacl:
          inbound: [100 deny all from 0.0.0.0/0]
        timeline:
          - {at: +10s, revoke: sg-web/sgr-1}
          - {at: +20s, modify: sg-web/sgr-2 tcp 22 from 10.0.0.0/8}
          - {at: +30s, nacl-replace: inbound 100 deny all from 0.0.0.0/0}
        """)
    let loaded = try PolicyLoader.load(policyFiles: [snapshot], policyState: .end)
    #expect(loaded.warnings.map(\.message) == [
        "cannot undo +10s revoke sg-web/sgr-1: what rule sgr-1 allowed is unknown, so the start state lacks it",
        "cannot undo +20s modify sg-web/sgr-2 → tcp 22 10.0.0.0/8: the earlier content of rule sgr-2 is unknown, so the start state keeps the modified one",
        "cannot undo +30s replace acl-scenario inbound 100 deny all traffic from 0.0.0.0/0: the entry it replaced is unknown, so the start state keeps the new one",
        // The replay from that start then meets the revoke of a rule it could not restore.
        "revoke names rule sg-web/sgr-1, which is not in the group; ignored",
    ])
    #expect(loaded.warnings.first?.source?.line == 8)
}

@Test func endStateRefusesATimelineMixingTimeKinds() {
    let scratch = Scratch()
    let snapshot = scratch.write("mixed.yaml", """
        instance: 10.0.0.5
        groups: {sg-web: {}}
        timeline:
          - {at: +10s, detach: sg-web}
          - {at: 2024-03-01T12:00:00Z, attach: sg-web}
        """)
    let error = loadError(policy: [snapshot], state: .end)
    #expect(error?.message.hasPrefix("--policy-state end needs the edits in one order") == true)
    #expect(loadError(policy: [snapshot], state: .start) == nil)
}
