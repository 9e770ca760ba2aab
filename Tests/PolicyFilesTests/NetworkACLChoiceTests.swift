import Firewall
import Packets
import PolicyFiles
import Testing

// The ACL in force when no ACL given lists the subnet: the default ACL of the interface's own
// VPC, never another VPC's.

private let base = [fixture("security-groups.json"), fixture("network-interfaces.json"), fixture("subnets.json")]

@Test func theFallbackIsTheDefaultACLOfTheInterfacesVPC() throws {
    // acl-0other-default (vpc-0other) comes first in the file; the subnet's VPC is vpc-0app.
    let loaded = try PolicyLoader.load(policyFiles: base + [fixture("network-acls-two-vpcs.json")], eni: "eni-0app")
    #expect(loaded.policy.networkACLID == "acl-0app-default")
    #expect(loaded.policy.activeNetworkACL?.entry(.ingress, 50)?.action == .deny)
    #expect(loaded.notes.contains("no network ACL lists subnet subnet-0app: using vpc-0app's default ACL acl-0app-default"))
}

@Test func noACLOfTheInterfacesVPCMeansTheNACLStageAllowsEverythingWithANote() throws {
    let scratch = Scratch()
    // Only the other VPC's default ACL, and an ACL of vpc-0app for another subnet.
    let acls = scratch.write("acls.json", """
        {"NetworkAcls": [
          {"NetworkAclId": "acl-0other-default", "VpcId": "vpc-0other", "IsDefault": true, "Associations": [],
           "Entries": [{"RuleNumber": 100, "Egress": false, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}]},
          {"NetworkAclId": "acl-0db", "VpcId": "vpc-0app", "IsDefault": false,
           "Associations": [{"NetworkAclAssociationId": "aclassoc-0db", "NetworkAclId": "acl-0db", "SubnetId": "subnet-0db"}],
           "Entries": []}
        ]}
        """)
    let loaded = try PolicyLoader.load(policyFiles: base + [acls], eni: "eni-0app")
    #expect(loaded.policy.networkACLID == nil)
    #expect(loaded.policy.activeNetworkACL == nil)
    #expect(loaded.notes.contains { $0.hasPrefix("no network ACL of vpc-0app is given for subnet subnet-0app") && $0.contains("the NACL stage allows everything") })
    // Even a single ACL of another VPC is not taken.
    let single = scratch.write("single.json", """
        {"NetworkAcls": [{"NetworkAclId": "acl-0other-default", "VpcId": "vpc-0other", "IsDefault": true, "Associations": [], "Entries": []}]}
        """)
    #expect(try PolicyLoader.load(policyFiles: base + [single], eni: "eni-0app").policy.networkACLID == nil)
}

@Test func theSubnetsVPCIsUsedWhenTheInterfaceGivesNone() throws {
    let scratch = Scratch()
    let eni = scratch.write("eni.json", """
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0app", "SubnetId": "subnet-0app", "PrivateIpAddress": "10.0.1.10"}]}
        """)
    let loaded = try PolicyLoader.load(
        policyFiles: [fixture("subnets.json"), eni, fixture("network-acls-two-vpcs.json")], eni: "eni-0app")
    #expect(loaded.policy.networkACLID == "acl-0app-default")
}

@Test func defaultsOfSeveralVPCsAndAnUnknownVPCAreAnError() {
    let scratch = Scratch()
    let eni = scratch.write("eni.json", """
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0app", "SubnetId": "subnet-0app", "PrivateIpAddress": "10.0.1.10"}]}
        """)
    let error = loadError(policy: [eni, fixture("network-acls-two-vpcs.json")], eni: "eni-0app")
    #expect(error?.path == "NetworkAcls")
    #expect(error?.message.hasPrefix("no network ACL lists subnet subnet-0app and the default ACLs given belong to several VPCs") == true)
}

@Test func theOnlyACLGivenIsNotTakenWhenItIsAnotherVPCs() throws {
    let scratch = Scratch()
    // The interface's subnet is not given, its VPC is.
    let eni = scratch.write("eni.json", """
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0app", "VpcId": "vpc-0app", "PrivateIpAddress": "10.0.1.10"}]}
        """)
    let acl = scratch.write("acl.json", """
        {"NetworkAcls": [{"NetworkAclId": "acl-0other-default", "VpcId": "vpc-0other", "IsDefault": true, "Associations": [], "Entries": []}]}
        """)
    let loaded = try PolicyLoader.load(policyFiles: [eni, acl], eni: "eni-0app")
    #expect(loaded.policy.networkACLID == nil)
    #expect(loaded.notes.contains("the only network ACL given, acl-0other-default, is vpc-0other's, not vpc-0app's: the NACL stage allows everything"))
}
