import Firewall
import Packets
@testable import PolicyFiles
import Testing

/// One test per kind of unusable input: the one-line message names the file and the place.

private func sgFile(_ scratch: Scratch, permission: String) -> String {
    scratch.write("sg.json", """
        {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [
          {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
          \(permission)
        ]}]}
        """)
}

@Test func portOutOfRangeNamesTheJSONPath() {
    let scratch = Scratch()
    let path = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": 70000, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [path])?.description == "\(path): SecurityGroups[0].IpPermissions[1].FromPort: port 70000 is out of range 0-65535")
}

@Test func reversedPortRangeSaysHowToWriteIt() {
    let scratch = Scratch()
    let path = sgFile(scratch, permission: #"{"IpProtocol": "udp", "FromPort": 443, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [path])?.description
        == "\(path): SecurityGroups[0].IpPermissions[1].ToPort: port range 443-80 is reversed; write it as 80-443")
}

@Test func hugeAndFractionalNumbersAreErrorsNotTraps() {
    let scratch = Scratch()
    for number in ["1e400", "99999999999999999999999", "22.5", "-99999999999999999999"] {
        let path = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": \#(number), "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#)
        #expect(loadError(policy: [path])?.description
            == "\(path): SecurityGroups[0].IpPermissions[1].FromPort: port \(number) is not a whole number in range")
    }
}

@Test func invalidCIDRNamesTheJSONPath() {
    let scratch = Scratch()
    let path = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.300/8"}]}"#)
    #expect(loadError(policy: [path])?.description
        == "\(path): SecurityGroups[0].IpPermissions[1].IpRanges[0].CidrIp: 10.0.0.300/8 is not an IPv4 CIDR block")
    let v6 = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [v6])?.message == "10.0.0.0/8 is not an IPv6 CIDR block")
}

@Test func unknownProtocolNamesTheJSONPath() {
    let scratch = Scratch()
    let path = sgFile(scratch, permission: #"{"IpProtocol": "gre", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [path])?.description
        == "\(path): SecurityGroups[0].IpPermissions[1].IpProtocol: unknown protocol gre: use tcp, udp, icmp, icmpv6, -1 (all) or a number 0-255")
}

@Test func wrongTypesAreErrorsNamingThePlace() {
    let scratch = Scratch()
    let path = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": "twenty", "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [path])?.description == "\(path): SecurityGroups[0].IpPermissions[1].FromPort: port twenty is not a whole number in range")
    let list = scratch.write("list.json", #"{"SecurityGroups": {"GroupId": "sg-1"}}"#)
    #expect(loadError(policy: [list])?.description == "\(list): SecurityGroups: expected a list, found an object")
    let ranges = sgFile(scratch, permission: #"{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": "10.0.0.0/8"}"#)
    #expect(loadError(policy: [ranges])?.description == "\(ranges): SecurityGroups[0].IpPermissions[1].IpRanges: expected a list, found a string")
}

@Test func naclRuleNumberOutOfRangeNamesThePlace() {
    let scratch = Scratch()
    let path = scratch.write("acl.json", """
        {"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
          {"RuleNumber": 32767, "Egress": false, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"},
          {"RuleNumber": 40000, "Egress": false, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}
        """)
    #expect(loadError(policy: [path])?.description == "\(path): NetworkAcls[0].Entries[1].RuleNumber: NACL rule number 40000 is out of range 1-32766")
    // 32767 is only AWS's * rule in describe output; in an edit it is an error.
    let trail = scratch.write("trail.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventName": "CreateNetworkAclEntry",
          "requestParameters": {"networkAclId": "acl-1", "ruleNumber": 32767, "egress": false, "ruleAction": "allow", "aclProtocol": "-1", "cidrBlock": "0.0.0.0/0"}}]}
        """)
    let good = scratch.write("acl-ok.json", #"{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": []}]}"#)
    #expect(loadError(policy: [good], timeline: [trail])?.description
        == "\(trail): Records[0].requestParameters.ruleNumber: NACL rule number 32767 is out of range 1-32766")
}

@Test func yamlErrorsNameTheLine() {
    let scratch = Scratch()
    let path = scratch.write("s.yaml", """
        instance: 10.0.0.5
        groups:
          sg-web:
            inbound:
              - tcp 22 from 203.0.113.1/32
              - tcp 99999 from 0.0.0.0/0
        """)
    #expect(loadError(policy: [path])?.description == "\(path):6: groups.sg-web.inbound[1]: port 99999 is out of range 0-65535")
    let cidrFile = scratch.write("c.yaml", "groups:\n  sg-a:\n    outbound:\n      - all to 10.0.0.0/40\n")
    #expect(loadError(policy: [cidrFile])?.description
        == "\(cidrFile):4: groups.sg-a.outbound[0]: 10.0.0.0/40 is not a CIDR block, address, prefix list (pl-…) or group (sg-…)")
    let proto = scratch.write("p.yaml", "groups:\n  sg-a:\n    inbound: [sctp 9 from 0.0.0.0/0]\n")
    #expect(loadError(policy: [proto])?.description
        == "\(proto):3: groups.sg-a.inbound[0]: unknown protocol sctp: use tcp, udp, icmp, icmpv6, all (-1) or a number 0-255")
    let nacl = scratch.write("n.yaml", "nacl:\n  inbound:\n    - 0 allow all from 0.0.0.0/0\n")
    #expect(loadError(policy: [nacl])?.description == "\(nacl):3: nacl.inbound[0]: NACL rule number 0 is out of range 1-32766")
    let time = scratch.write("t.yaml", "timeline:\n  - at: soon\n    detach: sg-a\n")
    #expect(loadError(policy: [time])?.description.hasPrefix("\(time):2: timeline[0].at: soon is not a time") == true)
    let key = scratch.write("k.yaml", "settings:\n  conntrack-maximum: 5\n")
    #expect(loadError(policy: [key])?.description.hasPrefix("\(key):2: settings.conntrack-maximum: unknown key conntrack-maximum") == true)
    let syntax = scratch.write("y.yaml", "groups:\n  sg-a: [unclosed\n")
    #expect(loadError(policy: [syntax])?.description.hasPrefix("\(syntax):") == true)
    #expect(loadError(policy: [syntax])?.message.hasPrefix("invalid YAML") == true)
}

@Test func timelineEditNamingAnUnknownRuleIsAWarningNotAnError() throws {
    let scratch = Scratch()
    let trail = scratch.write("trail.json", """
        {"Records": [{"eventTime": "2024-03-01T12:00:00Z", "eventName": "RevokeSecurityGroupIngress",
          "requestParameters": {"groupId": "sg-0web", "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-0gone"}]}}}]}
        """)
    let loaded = try PolicyLoader.load(policyFiles: [fixture("security-group-rules.json")], timelineFiles: [trail])
    #expect(loaded.warnings.map(\.description) == ["\(trail): Records[0]: revoke names rule sg-0web/sgr-0gone, which is not in the group; ignored"])
}

@Test func fileOfNoKnownKindIsAnError() {
    let scratch = Scratch()
    let path = scratch.write("what.json", #"{"Reservations": [], "NextToken": null}"#)
    #expect(loadError(policy: [path])?.description.hasPrefix(
        "\(path): not a policy file: expected a scenario (instance, groups, nacl, settings, timeline) or AWS CLI JSON") == true)
    #expect(loadError(policy: [path])?.description.hasSuffix("found keys Reservations, NextToken") == true)
    let timeline = scratch.write("t.json", #"{"SecurityGroups": []}"#)
    #expect(loadError(timeline: [timeline])?.description.hasPrefix("\(timeline): not a timeline file") == true)
    #expect(loadError(policy: [fixture("cloudtrail.json")])?.message == "this is a CloudTrail file, a timeline: give it with --timeline")
    let list = scratch.write("l.json", "[1, 2]")
    #expect(loadError(policy: [list])?.description == "\(list): not a policy file: expected an object at the top, found a list")
}

@Test func notJSONOrYAMLIsAnError() {
    let scratch = Scratch()
    let broken = scratch.write("b.json", "{\"SecurityGroups\": [\n  {\"GroupId\": \"sg-1\",,}\n]}")
    #expect(loadError(policy: [broken])?.description == "\(broken):2: invalid JSON: expected a quoted member name")
    let binary = scratch.write("b.bin", bytes: [0x00, 0xff, 0xfe, 0x41])
    #expect(loadError(policy: [binary])?.description == "\(binary): not JSON or YAML: the file is not UTF-8 text")
    let prose = scratch.write("p.txt", "just some words\n")
    #expect(loadError(policy: [prose])?.description.contains("not a policy file") == true)
}

@Test func emptyMissingAndDirectoryInputsAreErrors() {
    let scratch = Scratch()
    let empty = scratch.write("empty.json", "  \n")
    #expect(loadError(policy: [empty])?.description == "\(empty): the file is empty")
    let missing = scratch.folder.appendingPathComponent("nope.json").path
    #expect(loadError(policy: [missing])?.description == "\(missing): cannot read the file: no such file")
    let folder = scratch.folder.path
    #expect(loadError(timeline: [folder])?.description == "\(folder): is a directory, not a policy or timeline file")
}

@Test func prefixListWithoutAnIdIsAnError() {
    let scratch = Scratch()
    let path = scratch.write("entries.json", #"{"Entries": [{"Cidr": "10.0.0.0/8"}]}"#)
    #expect(loadError(policy: [path])?.message
        == "cannot tell which prefix list these Entries belong to: add \"PrefixListId\" or name the file pl-….json")
}

@Test func errorMessagesAreOneLine() {
    let scratch = Scratch()
    let path = scratch.write("g.json", "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\\nudp\"}]}]}")
    let text = loadError(policy: [path])?.description ?? ""
    #expect(!text.isEmpty)
    #expect(!text.contains("\n"))
}

// MARK: Hostile input

@Test func deepNestingIsAnErrorNotACrash() {
    let scratch = Scratch()
    let deep = scratch.write("deep.json", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
    #expect(loadError(policy: [deep])?.message == "invalid JSON: nested more than 200 levels deep")
    let deepYAML = scratch.write("deep.yaml", "a: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n")
    #expect(loadError(policy: [deepYAML]) != nil)
}

@Test func yamlAliasBombIsRefused() {
    let scratch = Scratch()
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
    let path = scratch.write("bomb.yaml", text)
    #expect(loadError(policy: [path])?.message.contains("expands to more than") == true)
}

@Test func jsonParserHandlesEscapesAndRejectsBadOnes() throws {
    let node = try JSONParser.parse(Array(#"{"a": "x\u00e9\ud83d\ude00\n\/", "b": [true, false, null, -1.5e3]}"#.utf8))
    guard case .object(let pairs) = node.value, case .string(let s) = pairs[0].value.value else { Issue.record("shape"); return }
    #expect(s == "xé😀\n/")
    for bad in [#"{"a": "\ud83d"}"#, #"{"a": "\q"}"#, #"{"a": 01}"#, #"{"a": tru}"#, #"{"a": 1} x"#, #"{"a": "open"#] {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(bad.utf8)) }
    }
}
