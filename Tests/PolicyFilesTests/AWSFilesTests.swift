import Firewall
import Packets
import PolicyFiles
import Testing

private func loadAll(eni: String? = "eni-0app", timeline: [String] = []) throws -> LoadedPolicy {
    try PolicyLoader.load(
        policyFiles: [
            fixture("security-groups.json"), fixture("security-group-rules.json"), fixture("network-acls.json"),
            fixture("network-interfaces.json"), fixture("subnets.json"), fixture("pl-0s3.json"),
            fixture("prefix-list-named.json"),
        ],
        timelineFiles: timeline, eni: eni)
}

@Test func describeSecurityGroupsSplitsPermissionsIntoOneRulePerPeer() throws {
    let policy = try loadAll().policy
    let web = try #require(policy.group("sg-0web"))
    #expect(web.name == "web")
    #expect(web.rules(.ingress).count == 7)
    #expect(web.rules(.egress).count == 3)
    let texts = web.rules.map(\.description)
    #expect(texts.contains("sg-0web/sgr-0ssh inbound tcp 22 from 203.0.113.1/32"))
    #expect(texts.contains("sg-0web/sgr-0https6 inbound tcp 443 from ::/0"))
    #expect(texts.contains("sg-0web/sgr-0ping inbound icmp type 8 from 10.0.0.0/16"))
    #expect(texts.contains("sg-0web/sgr-0icmp6 inbound icmpv6 all types from 2001:db8::/32"))
    #expect(texts.contains("sg-0web/sgr-0pg inbound tcp 5432 from sg-0db"))
    #expect(texts.contains("sg-0web/sgr-0gre inbound protocol 47 from 192.0.2.0/24"))
    #expect(texts.contains("sg-0web/sgr-0out4 outbound all traffic to 0.0.0.0/0"))
    #expect(texts.contains("sg-0web/sgr-0s3 outbound tcp 443 to pl-0s3"))
    let ssh = try #require(web.rules.first { $0.id == "sgr-0ssh" })
    #expect(ssh.ruleDescription == "SSH from the office")
    #expect(ssh.source?.description.hasSuffix("security-groups.json: SecurityGroups[0].IpPermissions[0].IpRanges[0]") == true)
}

@Test func ruleIdsComeFromDescribeSecurityGroupRulesByContent() throws {
    let loaded = try loadAll()
    let rules = try #require(loaded.policy.group("sg-0web")).rules
    #expect(rules.allSatisfy { $0.id != nil })
    #expect(Set(rules.compactMap(\.id)).count == 10)
    #expect(!loaded.notes.contains { $0.contains("no sgr- id") })
}

@Test func describeSecurityGroupRulesAloneBuildsTheGroups() throws {
    let loaded = try PolicyLoader.load(policyFiles: [fixture("security-group-rules.json")])
    let web = try #require(loaded.policy.group("sg-0web"))
    #expect(web.rules.count == 10)
    #expect(web.rules.first { $0.id == "sgr-0pg" }?.peer == .securityGroup("sg-0db"))
    #expect(loaded.policy.instance.groupIDs == ["sg-0web"])
}

@Test func describeNetworkInterfacesGivesAddressesGroupsSubnetAndTimeouts() throws {
    let loaded = try loadAll()
    let instance = loaded.policy.instance
    #expect(instance.eniID == "eni-0app")
    #expect(instance.addresses.map(\.address.description) == ["10.0.1.10", "198.51.100.10", "10.0.1.11", "198.51.100.11", "2001:db8:1::10"])
    #expect(instance.addresses.map(\.kind) == [.privatePrimary, .public, .privateSecondary, .public, .ipv6])
    #expect(instance.delegatedPrefixes == [cidr("10.0.1.48/28")])
    #expect(instance.groupIDs == ["sg-0web"])
    #expect(instance.subnetID == "subnet-0app")
    #expect(instance.subnetCIDRs == [cidr("10.0.1.0/24"), cidr("2001:db8:1::/64")])
    let timeouts = loaded.policy.tracking.timeouts
    #expect(timeouts == ConnectionTrackingTimeouts(tcpEstablished: .seconds(350), udp: .seconds(60), udpStream: .seconds(120)))
    // The other interface carries sg-0db: its private address is that group's member.
    #expect(loaded.policy.groupMembers["sg-0db"] == [ip("10.0.1.20")])
}

@Test func multiInterfaceFileNeedsEniOrAnAddress() throws {
    let error = loadError(policy: [fixture("network-interfaces.json")])
    #expect(error?.description.contains("several network interfaces (eni-0app, eni-0db): choose the analysed one with --eni") == true)
    let byAddress = try PolicyLoader.load(policyFiles: [fixture("network-interfaces.json")], extraInstanceAddresses: [ip("10.0.1.20")])
    #expect(byAddress.policy.instance.eniID == "eni-0db")
    let unknown = loadError(policy: [fixture("network-interfaces.json")], eni: "eni-0nope")
    #expect(unknown?.message == "--eni eni-0nope is not among the network interfaces given (eni-0app, eni-0db)")
}

@Test func describeNetworkACLsPicksTheSubnetsACLAndDropsTheStarRule() throws {
    let policy = try loadAll().policy
    #expect(policy.networkACLID == "acl-0app")
    let acl = try #require(policy.activeNetworkACL)
    #expect(acl.entries(.ingress).map(\.ruleNumber) == [90, 100, 101, 110, 120, 130])
    #expect(acl.entries(.egress).map(\.ruleNumber) == [100, 101])
    #expect(acl.entry(.ingress, 100)?.traffic == .tcp(PortRange(22)))
    #expect(acl.entry(.ingress, 120)?.traffic == .icmp(ICMPTypeCode(type: 0, code: nil)))
    #expect(acl.entry(.ingress, 130)?.traffic == .udp(PortRange(53)))
    #expect(acl.entry(.ingress, 101)?.cidr == cidr("::/0"))
    #expect(acl.entry(.ingress, 90)?.action == .deny)
    #expect(acl.associations["subnet-0app"] == "aclassoc-0app")
    #expect(policy.networkACLs.count == 2)
}

@Test func prefixListIdsComeFromTheKeyOrTheFileName() throws {
    let policy = try loadAll().policy
    #expect(policy.prefixLists["pl-0s3"] == [cidr("52.216.0.0/15"), cidr("3.5.0.0/19")])
    #expect(policy.prefixLists["pl-0corp"] == [cidr("2001:db8:ffff::/48"), cidr("192.0.2.0/24")])
    #expect(policy.cidrs(of: .prefixList("pl-0s3"))?.count == 2)
}

@Test func groupsWithoutAnInterfaceFileAreAllAttached() throws {
    let loaded = try PolicyLoader.load(policyFiles: [fixture("security-groups.json")])
    #expect(loaded.policy.instance.groupIDs == ["sg-0web", "sg-0db"])
    #expect(loaded.notes.contains("no NetworkInterfaces file: every security group given is taken as attached"))
    #expect(loaded.notes.contains { $0.contains("prefix list pl-0s3 has no entries given") })
}

@Test func benchFilesParse() throws {
    let loaded = try PolicyLoader.load(
        policyFiles: [fixture("bench-security-groups.json"), fixture("bench-network-interfaces.json")],
        timelineFiles: [fixture("bench-cloudtrail.json")])
    #expect(loaded.policy.securityGroups.count == 3)
    #expect(loaded.policy.attachedGroups.map(\.rules.count) == [6, 290, 1])
    #expect(loaded.policy.instance.addresses.map(\.address) == [ip("10.0.0.5")])
    #expect(loaded.timeline.count == 2)
    #expect(loaded.warnings.isEmpty)
    var policy = loaded.policy
    for edit in loaded.timeline.edits { policy.apply(edit) }
    #expect(policy.group("sg-0bench00000000003")?.rules.isEmpty == true)
    #expect(policy.group("sg-0bench00000000001")?.rules.count == 5)
}
