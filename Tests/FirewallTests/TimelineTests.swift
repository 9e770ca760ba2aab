import Firewall
import Packets
import Testing

private let all4 = CIDR(parsing: "0.0.0.0/0")!
private let office = CIDR(parsing: "203.0.113.1/32")!

private func ssh(id: String? = "sgr-ssh") -> SecurityGroupRule {
    SecurityGroupRule(id: id, groupID: "sg-web", direction: .ingress, traffic: .tcp(PortRange(22)), peer: .cidr(office))
}

private func startPolicy() -> Policy {
    var policy = Policy()
    policy.instance = Instance(eniID: "eni-1", groupIDs: ["sg-web"])
    policy.securityGroups = [SecurityGroup(id: "sg-web", rules: [
        ssh(), SecurityGroupRule(id: "sgr-out", groupID: "sg-web", direction: .egress, traffic: .all, peer: .cidr(all4)),
    ])]
    var acl = NetworkACL(id: "acl-1", associations: ["subnet-1": "aclassoc-1"])
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all, cidr: all4, action: .allow))
    policy.networkACLs = [acl, NetworkACL(id: "acl-2")]
    policy.networkACLID = "acl-1"
    policy.instance.subnetID = "subnet-1"
    return policy
}

private func at(_ seconds: Int64, _ edit: PolicyEdit) -> TimedEdit {
    TimedEdit(time: .afterFirstFrame(.seconds(seconds)), edit: edit, source: SourceLocation(file: "t.yaml", line: Int(seconds)))
}

@Test func timelineSortsStablyByTime() {
    let edits = [at(30, .detachGroup("a")), at(10, .detachGroup("b")), at(30, .detachGroup("c")), at(10, .detachGroup("d"))]
    let timeline = Timeline(edits)
    #expect(timeline.edits.map(\.edit) == [.detachGroup("b"), .detachGroup("d"), .detachGroup("a"), .detachGroup("c")])
}

@Test func resolvingRelativeTimesOrdersThemAgainstAbsoluteOnes() {
    let t0 = Timestamp(seconds: 1_700_000_000)
    let absolute = TimedEdit(time: .absolute(Timestamp(seconds: 1_700_000_020)), edit: .detachGroup("abs"))
    let timeline = Timeline([at(30, .detachGroup("rel30")), absolute, at(10, .detachGroup("rel10"))])
    #expect(timeline.mixesTimeKinds)
    let resolved = timeline.resolved(firstFrame: t0)
    #expect(!resolved.mixesTimeKinds)
    #expect(resolved.edits.map(\.edit) == [.detachGroup("rel10"), .detachGroup("abs"), .detachGroup("rel30")])
    #expect(resolved.edits.first?.time == .absolute(Timestamp(seconds: 1_700_000_010)))
    #expect(EditTime.afterFirstFrame(Interval(nanoseconds: 1_500_000_000)).description == "+1.5s")
    #expect(absolute.time.description == "2023-11-14T22:13:40Z")
}

@Test func revokeByPermissionIgnoresDescriptionAndRemovesTheRule() {
    var policy = startPolicy()
    var revoke = ssh(id: nil)
    revoke.ruleDescription = "something else"
    let warnings = policy.apply(.revokeByPermission(groupID: "sg-web", rules: [revoke]))
    #expect(warnings.isEmpty)
    #expect(policy.rulesInForce(.ingress).isEmpty)
}

@Test func editsNamingUnknownThingsWarnWithTheirSourceAndChangeNothing() {
    var policy = startPolicy()
    let before = policy
    let source = SourceLocation(file: "trail.json", path: "Records[4]")
    let cases: [PolicyEdit] = [
        .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-missing"], revokedRules: []),
        .authorize(groupID: "sg-nope", rules: [ssh()]),
        .modify(groupID: "sg-web", updates: [RuleUpdate(ruleID: "sgr-missing", traffic: .all, peer: .cidr(all4))]),
        .deleteNetworkACLEntry(aclID: "acl-1", direction: .egress, ruleNumber: 7),
        .replaceNetworkACLEntry(aclID: "acl-1", entry: NetworkACLEntry(ruleNumber: 9, direction: .ingress, traffic: .all, cidr: all4, action: .deny)),
        .createNetworkACLEntry(aclID: "acl-9", entry: NetworkACLEntry(ruleNumber: 9, direction: .ingress, traffic: .all, cidr: all4, action: .deny)),
        .detachGroup("sg-other"),
    ]
    for edit in cases {
        let warnings = policy.apply(edit, source: source)
        #expect(warnings.count == 1, "\(edit)")
        #expect(warnings.first?.description.hasPrefix("trail.json: Records[4]: ") == true)
        #expect(policy == before, "\(edit) changed the policy")
    }
    #expect(policy.apply(.revokeByID(groupID: "sg-web", ruleIDs: ["sgr-missing"], revokedRules: []), source: source).first?.message
        == "revoke names rule sg-web/sgr-missing, which is not in the group; ignored")
}

@Test func modifyKeepsIdAndDirection() {
    var policy = startPolicy()
    let wide = CIDR(parsing: "10.0.0.0/8")!
    #expect(policy.apply(.modify(groupID: "sg-web", updates: [RuleUpdate(ruleID: "sgr-ssh", traffic: .tcp(PortRange(2222)), peer: .cidr(wide), description: "moved")])).isEmpty)
    let rule = policy.group("sg-web")?.rules.first { $0.id == "sgr-ssh" }
    #expect(rule?.direction == .ingress)
    #expect(rule?.traffic == .tcp(PortRange(2222)))
    #expect(rule?.peer == .cidr(wide))
    #expect(rule?.ruleDescription == "moved")
}

@Test func groupSetNACLAndTimeoutEditsApply() {
    var policy = startPolicy()
    #expect(policy.apply(.setGroups(eniID: "eni-1", groupIDs: [])).isEmpty)
    #expect(policy.rulesInForce(.ingress).isEmpty)
    #expect(policy.apply(.setGroups(eniID: "eni-other", groupIDs: ["sg-web"])).count == 1)
    #expect(policy.instance.groupIDs.isEmpty)
    #expect(policy.apply(.replaceNetworkACLAssociation(associationID: "aclassoc-1", aclID: "acl-2", newAssociationID: "aclassoc-2")).isEmpty)
    #expect(policy.networkACLID == "acl-2")
    #expect(policy.activeNetworkACL?.associations["subnet-1"] == "aclassoc-2")
    // Another subnet's association does not move the instance's.
    #expect(policy.apply(.replaceNetworkACLAssociation(associationID: "aclassoc-zzz", aclID: "acl-1", newAssociationID: nil)).isEmpty)
    #expect(policy.networkACLID == "acl-2")
    #expect(policy.apply(.setTimeouts(eniID: nil, TimeoutChange(tcpEstablished: .seconds(350)))).isEmpty)
    #expect(policy.tracking.timeouts.tcpEstablished == .seconds(350))
    #expect(policy.tracking.timeouts.udp == .seconds(30))
}

@Test func undoingAnExactTimelineRebuildsTheStart() {
    let start = startPolicy()
    let deny = NetworkACLEntry(ruleNumber: 50, direction: .ingress, traffic: .tcp(PortRange(22)), cidr: office, action: .deny)
    let timeline = Timeline([
        at(10, .revokeByPermission(groupID: "sg-web", rules: [ssh()])),
        at(20, .createNetworkACLEntry(aclID: "acl-1", entry: deny)),
        at(30, .authorize(groupID: "sg-web", rules: [SecurityGroupRule(id: "sgr-new", groupID: "sg-web", direction: .ingress, traffic: .udp(PortRange(53)), peer: .cidr(all4))])),
        at(40, .detachGroup("sg-web")),
        at(50, .setTimeouts(eniID: nil, TimeoutChange(udp: .seconds(60)))),
        at(60, .setTimeouts(eniID: nil, TimeoutChange(udp: .seconds(45)))),
    ])
    var end = start
    for edit in timeline.edits { #expect(end.apply(edit).isEmpty) }
    let (rebuilt, warnings) = timeline.startState(fromEnd: end)
    // The first timeout edit's earlier value is unknown: reported, the later value kept.
    #expect(warnings.count == 1)
    #expect(warnings.first?.message.contains("udp timeout is unknown") == true)
    #expect(warnings.first?.source == SourceLocation(file: "t.yaml", line: 50))
    var expected = start
    expected.tracking.timeouts.udp = .seconds(60)
    // The re-added SSH rule matches the original's permission (and here its id too).
    #expect(rebuilt.instance.groupIDs == ["sg-web"])
    #expect(rebuilt.activeNetworkACL?.entries == start.activeNetworkACL?.entries)
    #expect(rebuilt.tracking == expected.tracking)
    let rules = rebuilt.group("sg-web")?.rules ?? []
    #expect(rules.count == 2)
    #expect(rules.contains { $0.samePermission(as: ssh()) })
    #expect(!rules.contains { $0.id == "sgr-new" })
}

@Test func undoReportsEditsWhosePreviousStateIsUnknownByName() {
    var end = startPolicy()
    end.securityGroups[0].rules.removeAll { $0.id == "sgr-ssh" }
    let timeline = Timeline([
        at(10, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-ssh"], revokedRules: [])),
        at(20, .replaceNetworkACLEntry(aclID: "acl-1", entry: NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .all, cidr: all4, action: .allow))),
        at(30, .setGroups(eniID: nil, groupIDs: ["sg-web"])),
    ])
    let (start, warnings) = timeline.startState(fromEnd: end)
    #expect(warnings.map(\.message) == [
        "cannot undo +10s revoke sg-web/sgr-ssh: what rule sgr-ssh allowed is unknown, so the start state lacks it",
        "cannot undo +20s replace acl-1 inbound 100 allow all traffic from 0.0.0.0/0: the entry it replaced is unknown, so the start state keeps the new one",
        "cannot undo +30s set groups to sg-web: the groups attached before it are unknown, so the start state keeps sg-web",
    ])
    #expect(start.group("sg-web")?.rules.count == 1)
}

@Test func undoUsesEarlierEditsAndKnownRevokedContent() {
    let deny = NetworkACLEntry(ruleNumber: 70, direction: .egress, traffic: .all, cidr: all4, action: .deny)
    let allow = NetworkACLEntry(ruleNumber: 70, direction: .egress, traffic: .all, cidr: all4, action: .allow)
    var end = startPolicy()
    end.networkACLs[0].set(allow)
    end.instance.groupIDs = ["sg-web"]
    let timeline = Timeline([
        at(10, .createNetworkACLEntry(aclID: "acl-1", entry: deny)),
        at(20, .replaceNetworkACLEntry(aclID: "acl-1", entry: allow)),
        at(30, .setGroups(eniID: nil, groupIDs: ["sg-web", "sg-x"])),
        at(40, .setGroups(eniID: nil, groupIDs: ["sg-web"])),
        at(50, .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-gone"], revokedRules: [
            SecurityGroupRule(id: "sgr-gone", groupID: "sg-web", direction: .ingress, traffic: .udp(PortRange(123)), peer: .cidr(all4)),
        ])),
    ])
    let (start, warnings) = timeline.startState(fromEnd: end)
    // Only the first set-groups has no earlier state.
    #expect(warnings.count == 1)
    #expect(start.activeNetworkACL?.entry(.egress, 70) == nil)
    #expect(start.group("sg-web")?.rules.contains { $0.id == "sgr-gone" && $0.traffic == .udp(PortRange(123)) } == true)
}
