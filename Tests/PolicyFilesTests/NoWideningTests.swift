import Firewall
import Packets
@testable import PolicyFiles
import Testing

/// Issue 12: no rule is widened, and prefix lists are taken as AWS prints them.

/// An ICMP code narrows a type; with FromPort -1 (every type) AWS refuses the rule. Reading it as
/// "all types" would let more through than anything AWS could hold, so it is an input error.
@Test(arguments: [
    (#"{"IpProtocol": "icmp", "FromPort": -1, "ToPort": 4, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#, 4),
    (#"{"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}"#, 0),
    (#"{"IpProtocol": "1", "ToPort": 3, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#, 3),
])
func securityGroupICMPCodeWithoutATypeIsRefused(permission: String, code: Int) {
    let scratch = Scratch()
    let path = scratch.write("sg.json", #"{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [\#(permission)]}]}"#)
    let error = loadError(policy: [path])
    #expect(error?.description == "\(path): SecurityGroups[0].IpPermissions[0].ToPort: ICMP code \(code) with FromPort -1 (all types) "
        + "is not a rule AWS accepts: a code needs a specific type; give the type in FromPort, or ToPort -1 for all codes")
}

@Test func securityGroupICMPTypeAndCodeStillRead() throws {
    let scratch = Scratch()
    let path = scratch.write("sg.json", #"""
        {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [
          {"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
          {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
          {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}]}
        """#)
    let rules = try PolicyLoader.load(policyFiles: [path]).policy.securityGroups[0].rules.map(\.traffic)
    #expect(rules == [.icmp(ICMPTypeCode(type: 3, code: 4)), .icmp(ICMPTypeCode(type: 8, code: nil)), .icmp(.any)])
}

@Test func networkACLICMPCodeWithoutATypeIsRefused() {
    let scratch = Scratch()
    let path = scratch.write("acl.json", #"""
        {"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
          {"RuleNumber": 100, "Protocol": "1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0",
           "IcmpTypeCode": {"Type": -1, "Code": 4}}]}]}
        """#)
    #expect(loadError(policy: [path])?.description == "\(path): NetworkAcls[0].Entries[0].IcmpTypeCode.Code: ICMP code 4 with Type -1 "
        + "(all types) is not a rule AWS accepts: a code needs a specific type; give the type in Type, or Code -1 for all codes")
}

@Test func cloudTrailICMPCodeWithoutATypeIsRefused() {
    let scratch = Scratch()
    let sg = scratch.write("sg.json", #"{"SecurityGroups": [{"GroupId": "sg-1"}]}"#)
    let trail = scratch.write("trail.json", #"""
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventSource": "ec2.amazonaws.com",
          "eventName": "AuthorizeSecurityGroupIngress",
          "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": [
            {"ipProtocol": "icmp", "fromPort": -1, "toPort": 4, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}}]}
        """#)
    let error = loadError(policy: [sg], timeline: [trail])
    #expect(error?.path == "Records[0].requestParameters.ipPermissions.items[0].toPort")
    #expect(error?.message.hasPrefix("ICMP code 4 with FromPort -1 (all types) is not a rule AWS accepts") == true)
}

@Test(arguments: ["icmp -1:4 from 10.0.0.0/8", "{protocol: icmp, icmp-code: 4, from: 10.0.0.0/8}",
                  "{protocol: icmp, icmp-type: -1, icmp-code: 4, from: 10.0.0.0/8}"])
func scenarioICMPCodeWithoutATypeIsRefused(rule: String) {
    let scratch = Scratch()
    let path = scratch.write("s.yaml", """
        instance: 10.0.0.5
        groups:
          sg-1:
            inbound:
              - \(rule)
        """)
    let error = loadError(policy: [path])
    #expect(error?.file == path && error?.line == 5)
    #expect(error?.message.contains("ICMP code 4 with") == true)
    #expect(error?.message.contains("is not a rule AWS accepts") == true)
}

// MARK: Prefix lists

/// AWS CLI documentation's describe-prefix-lists example (Apache-2.0), with DynamoDB's list added
/// from the same page's PowerShell example.
let describePrefixLists = """
    {"PrefixLists": [
      {"PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["54.231.0.0/17"], "PrefixListId": "pl-63a5400a"},
      {"PrefixListName": "com.amazonaws.eu-west-1.dynamodb", "Cidrs": ["52.94.5.0/24", "52.119.240.0/21", "52.94.24.0/23"],
       "PrefixListId": "pl-6fa54006"}]}
    """

@Test func describePrefixListsGivesTheBlocksOfEachList() throws {
    let scratch = Scratch()
    let lists = scratch.write("prefix-lists.json", describePrefixLists)
    let sg = scratch.write("sg.json", #"""
        {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissionsEgress": [
          {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-63a5400a"}]}]}]}
        """#)
    let loaded = try PolicyLoader.load(policyFiles: [sg, lists])
    #expect(loaded.policy.prefixLists["pl-63a5400a"] == [cidr("54.231.0.0/17")])
    #expect(loaded.policy.prefixLists["pl-6fa54006"]?.count == 3)
    #expect(loaded.policy.cidrs(of: .prefixList("pl-63a5400a")) == [cidr("54.231.0.0/17")])
    #expect(!loaded.notes.contains { $0.contains("pl-63a5400a") })
}

/// describe-managed-prefix-lists (metadata only, as the AWS CLI documentation prints it) is refused
/// with the command that gives the entries.
@Test func describeManagedPrefixListsSaysWhichCommandGivesTheEntries() {
    let scratch = Scratch()
    let path = scratch.write("managed.json", #"""
        {"PrefixLists": [{"PrefixListId": "pl-0123456abcabcabc1", "AddressFamily": "IPv4", "State": "create-complete",
          "PrefixListArn": "arn:aws:ec2:us-west-2:123456789012:prefix-list/pl-0123456abcabcabc1",
          "PrefixListName": "vpc-cidrs", "MaxEntries": 10, "Version": 1, "OwnerId": "123456789012"}]}
        """#)
    let error = loadError(policy: [path])
    #expect(error?.path == "PrefixLists[0]")
    #expect(error?.message.contains("describe-managed-prefix-lists") == true)
    #expect(error?.message.contains("get-managed-prefix-list-entries --prefix-list-id pl-0123456abcabcabc1") == true)
}

@Test func aBadBlockInDescribePrefixListsNamesIt() {
    let scratch = Scratch()
    let path = scratch.write("pl.json", #"{"PrefixLists": [{"PrefixListId": "pl-1", "Cidrs": ["10.0.0.0/8", "nope"]}]}"#)
    #expect(loadError(policy: [path])?.description == "\(path): PrefixLists[0].Cidrs[1]: nope is not a CIDR block")
}
