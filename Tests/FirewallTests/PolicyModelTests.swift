import Firewall
import Packets
import Testing

private func cidr(_ text: String) -> CIDR {
    guard let block = CIDR(parsing: text) else { fatalError("bad test CIDR \(text)") }
    return block
}

private func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(parsing: text) else { fatalError("bad test address \(text)") }
    return address
}

@Test func cidrParsesCanonicalisesAndContains() {
    let block = cidr("100.68.0.18/18")
    #expect(block.description == "100.68.0.0/18")
    #expect(block == cidr("100.68.0.0/18"))
    #expect(block.contains(ip("100.68.63.255")))
    #expect(!block.contains(ip("100.68.64.0")))
    #expect(!block.contains(ip("::ffff:100.68.0.1")))
    let v6 = cidr("2001:db8:1::/64")
    #expect(v6.contains(ip("2001:db8:1::10")))
    #expect(!v6.contains(ip("2001:db8:2::10")))
    #expect(cidr("2001:db8::1/128").contains(ip("2001:db8::1")))
    #expect(cidr("0.0.0.0/0").contains(ip("203.0.113.9")))
}

@Test func cidrRejectsMalformedText() {
    for text in ["10.0.0.0/33", "::/129", "10.0.0.300/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0", "/8", "10.0.0.0/08x", ""] {
        #expect(CIDR(parsing: text) == nil, "\(text)")
    }
    #expect(CIDR(parsing: "10.0.0.7", allowingBareAddress: true)?.description == "10.0.0.7/32")
    #expect(CIDR(parsing: "2001:db8::7", allowingBareAddress: true)?.description == "2001:db8::7/128")
}

@Test func onlyLiteralAllAddressBlocksCountAsAllAddresses() {
    #expect(cidr("0.0.0.0/0").isAllAddresses)
    #expect(cidr("::/0").isAllAddresses)
    #expect(!cidr("0.0.0.0/1").isAllAddresses)
    #expect(!cidr("128.0.0.0/1").isAllAddresses)
}

@Test func portRangesAreOrderedAndKnowAll() {
    #expect(PortRange(443, 80) == nil)
    #expect(PortRange(1024, 65535)?.description == "1024-65535")
    #expect(PortRange(22).description == "22")
    #expect(PortRange.all.isAll)
    #expect(PortRange(0, 65535) == .all)
}

@Test func protocolNamesAndNumbersParseAsAWSAccepts() {
    #expect(IPProtocolName.parse("-1") == .all)
    #expect(IPProtocolName.parse("TCP") == .number(6))
    #expect(IPProtocolName.parse("icmpv6") == .number(58))
    #expect(IPProtocolName.parse("47") == .number(47))
    #expect(IPProtocolName.parse("256") == .invalid)
    #expect(IPProtocolName.parse("gre") == .invalid)
    #expect(Traffic.of(protocolNumber: 6, ports: PortRange(22)) == .tcp(PortRange(22)))
    #expect(Traffic.of(protocolNumber: 58) == .icmpv6(.any))
    #expect(Traffic.of(protocolNumber: 47) == .protocolNumber(47))
}

@Test func ruleDescriptionNamesGroupRuleAndPermission() {
    let rule = SecurityGroupRule(
        id: "sgr-0123", groupID: "sg-0abc", direction: .ingress, traffic: .tcp(PortRange(22)),
        peer: .cidr(cidr("203.0.113.1/32")))
    #expect(rule.description == "sg-0abc/sgr-0123 inbound tcp 22 from 203.0.113.1/32")
    let egress = SecurityGroupRule(groupID: "sg-0abc", direction: .egress, traffic: .all, peer: .prefixList("pl-0s3"))
    #expect(egress.description == "sg-0abc outbound all traffic to pl-0s3")
    let ping = SecurityGroupRule(groupID: "sg-0abc", direction: .ingress, traffic: .icmp(ICMPTypeCode(type: 3, code: 4)), peer: .securityGroup("sg-0db"))
    #expect(ping.permission == "inbound icmp type 3 code 4 from sg-0db")
}

@Test func samePermissionIgnoresIdDescriptionAndSource() {
    let a = SecurityGroupRule(
        id: "sgr-1", groupID: "sg-a", direction: .ingress, traffic: .tcp(PortRange(22)), peer: .cidr(cidr("10.0.0.0/8")),
        description: "one", source: SourceLocation(file: "a.json", path: "x"))
    let b = SecurityGroupRule(groupID: "sg-a", direction: .ingress, traffic: .tcp(PortRange(22)), peer: .cidr(cidr("10.0.0.0/8")))
    #expect(a.samePermission(as: b))
    #expect(a != b)
    var c = b
    c.direction = .egress
    #expect(!a.samePermission(as: c))
    var d = a
    d.source = SourceLocation(file: "elsewhere.yaml", line: 3)
    #expect(a == d)
}

@Test func networkACLKeepsOneEntryPerDirectionAndNumberInRuleOrder() {
    var acl = NetworkACL(id: "acl-1")
    let all = cidr("0.0.0.0/0")
    acl.set(NetworkACLEntry(ruleNumber: 200, direction: .ingress, traffic: .all, cidr: all, action: .deny))
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .ingress, traffic: .tcp(PortRange(22)), cidr: all, action: .allow))
    acl.set(NetworkACLEntry(ruleNumber: 100, direction: .egress, traffic: .all, cidr: all, action: .allow))
    let replaced = acl.set(NetworkACLEntry(ruleNumber: 200, direction: .ingress, traffic: .all, cidr: all, action: .allow))
    #expect(replaced?.action == .deny)
    #expect(acl.entries(.ingress).map(\.ruleNumber) == [100, 200])
    #expect(acl.entries(.ingress).last?.action == .allow)
    #expect(acl.entries(.egress).count == 1)
    #expect(acl.remove(.ingress, 300) == nil)
    #expect(acl.remove(.ingress, 100)?.ruleNumber == 100)
    #expect(acl.entries(.ingress).map(\.ruleNumber) == [200])
}

@Test func policyResolvesPeersAndRulesInForce() {
    var policy = Policy()
    let web = SecurityGroup(id: "sg-web", rules: [
        SecurityGroupRule(groupID: "sg-web", direction: .ingress, traffic: .tcp(PortRange(5432)), peer: .securityGroup("sg-db")),
        SecurityGroupRule(groupID: "sg-web", direction: .egress, traffic: .all, peer: .prefixList("pl-1")),
    ])
    let spare = SecurityGroup(id: "sg-spare", rules: [
        SecurityGroupRule(groupID: "sg-spare", direction: .ingress, traffic: .all, peer: .cidr(cidr("0.0.0.0/0"))),
    ])
    policy.securityGroups = [web, spare]
    policy.instance.groupIDs = ["sg-web"]
    policy.groupMembers["sg-db"] = [ip("10.0.1.20")]
    #expect(policy.rulesInForce(.ingress).count == 1)
    #expect(policy.cidrs(of: .securityGroup("sg-db")) == [cidr("10.0.1.20/32")])
    #expect(policy.cidrs(of: .prefixList("pl-1")) == nil)
    #expect(policy.cidrs(of: .cidr(cidr("10.0.0.0/8"))) == [cidr("10.0.0.0/8")])
}

@Test func instanceOwnsItsAddressesAndDelegatedPrefixes() {
    var instance = Instance()
    instance.add(ip("10.0.0.5"), kind: .privatePrimary)
    instance.add(ip("10.0.0.5"), kind: .given)
    instance.delegatedPrefixes = [cidr("10.0.0.48/28")]
    #expect(instance.addresses.count == 1)
    #expect(instance.owns(ip("10.0.0.5")))
    #expect(instance.owns(ip("10.0.0.50")))
    #expect(!instance.owns(ip("10.0.0.6")))
}
