import Firewall
import Packets
import PolicyFiles
import Testing

@Test func theDozenLineSeedScenarioLoads() throws {
    let loaded = try PolicyLoader.load(policyFiles: [fixture("seed000-ssh.yaml")])
    let policy = loaded.policy
    #expect(policy.instance.addresses.map(\.address) == [ip("10.0.0.5")])
    #expect(policy.instance.groupIDs == ["sg-web"])
    #expect(policy.rulesInForce(.ingress).map(\.description) == ["sg-web/sgr-ssh inbound tcp 22 from 203.0.113.1/32"])
    #expect(policy.rulesInForce(.egress).map(\.description) == ["sg-web outbound all traffic to 0.0.0.0/0"])
    #expect(loaded.timeline.edits.map(\.time) == [.afterFirstFrame(.seconds(30))])
    #expect(loaded.timeline.edits.first?.edit == .revokeByID(groupID: "sg-web", ruleIDs: ["sgr-ssh"], revokedRules: []))
    #expect(loaded.timeline.edits.first?.source?.line == 10)
    #expect(loaded.warnings.isEmpty)
}

@Test func scenarioShorthandCoversEveryRuleKind() throws {
    let scratch = Scratch()
    let path = scratch.write("s.yaml", """
        instance:
          eni: eni-0s
          addresses: [10.0.0.5, 2001:db8::5]
          subnet: [10.0.0.0/24, 2001:db8::/64]
        groups:
          sg-a:
            name: app
            inbound:
              - tcp 1024-65535 from ::/0
              - udp all from pl-0x
              - icmp 3:4 from 0.0.0.0/0
              - icmpv6 from ::/0
              - 47 from 192.0.2.1
              - {protocol: tcp, ports: 80, from: sg-0lb, description: from the load balancer}
              - {protocol: icmp, icmp-type: 8, from: 10.0.0.0/8}
            outbound:
              - -1 to 0.0.0.0/0
        nacl:
          inbound:
            - 100 allow tcp 22 from 0.0.0.0/0
            - 200 deny all 198.51.100.0/24
          outbound:
            - 100 allow all to 0.0.0.0/0
        prefix-lists:
          pl-0x: [192.0.2.0/24, 198.51.100.7]
        group-members:
          sg-0lb: [10.0.0.9, 10.0.0.10]
        settings:
          conntrack-max: 500
          tcp-established-timeout: 5m
          udp-timeout: 45
          auto-tracked: [10.0.0.100]
          exempt: [10.0.0.2/32]
        """)
    let policy = try PolicyLoader.load(policyFiles: [path]).policy
    let rules = policy.rulesInForce(.ingress)
    #expect(rules.map(\.traffic) == [
        .tcp(PortRange(1024, 65535)!), .udp(.all), .icmp(ICMPTypeCode(type: 3, code: 4)), .icmpv6(.any), .protocolNumber(47),
        .tcp(PortRange(80)), .icmp(ICMPTypeCode(type: 8, code: nil)),
    ])
    #expect(rules.map(\.peer.description) == ["::/0", "pl-0x", "0.0.0.0/0", "::/0", "192.0.2.1/32", "sg-0lb", "10.0.0.0/8"])
    #expect(rules[5].ruleDescription == "from the load balancer")
    #expect(policy.rulesInForce(.egress).first?.traffic == .all)
    #expect(policy.instance.eniID == "eni-0s")
    #expect(policy.instance.subnetCIDRs == [cidr("10.0.0.0/24"), cidr("2001:db8::/64")])
    #expect(policy.networkACLID == "acl-scenario")
    #expect(policy.activeNetworkACL?.entries(.ingress).map(\.description) == [
        "inbound 100 allow tcp 22 from 0.0.0.0/0", "inbound 200 deny all traffic from 198.51.100.0/24",
    ])
    #expect(policy.prefixLists["pl-0x"] == [cidr("192.0.2.0/24"), cidr("198.51.100.7/32")])
    #expect(policy.groupMembers["sg-0lb"] == [ip("10.0.0.9"), ip("10.0.0.10")])
    #expect(policy.tracking.conntrackMax == 500)
    #expect(policy.tracking.timeouts.tcpEstablished == .seconds(300))
    #expect(policy.tracking.timeouts.udp == .seconds(45))
    #expect(policy.tracking.automaticallyTrackedPeers == [cidr("10.0.0.100/32")])
    #expect(policy.tracking.exemptCIDRs == [cidr("10.0.0.2/32")])
}

@Test func scenarioTimelineTakesRelativeAndAbsoluteTimesAndEveryEdit() throws {
    let scratch = Scratch()
    let path = scratch.write("t.yaml", """
        instance: 10.0.0.5
        groups:
          sg-a:
            inbound: [{id: sgr-1, rule: tcp 22 from 0.0.0.0/0}]
          sg-b: {}
        nacl:
          inbound: [100 allow all from 0.0.0.0/0]
        timeline:
          - {at: +1.5s, authorize: sg-a outbound tcp 443 to 0.0.0.0/0}
          - {at: +2m, revoke: sg-a inbound tcp 22 from 0.0.0.0/0}
          - {at: +1h, modify: sg-a/sgr-1 tcp 2222 from 10.0.0.0/8}
          - {at: +500ms, attach: sg-b}
          - {at: 90, detach: sg-b}
          - {at: +1m30s, set-groups: [sg-a]}
          - {at: "2024-03-01T12:00:00.25+01:00", nacl-create: outbound 10 deny udp 53 to 0.0.0.0/0}
          - {at: 2024-03-01T11:00:01Z, nacl-replace: inbound 100 deny all from 0.0.0.0/0}
          - {at: 2024-03-01T11:00:02Z, nacl-delete: inbound 100}
          - {at: 2024-03-01T11:00:03Z, timeouts: {tcp-established: 60, udp-stream: 2m}}
          - {at: 2024-03-01T11:00:04Z, nacl-associate: acl-scenario}
        """)
    let timeline = try PolicyLoader.load(policyFiles: [path]).timeline
    #expect(timeline.mixesTimeKinds)
    let t0 = Timestamp(seconds: 1_709_290_800)  // 2024-03-01T11:00:00Z
    let resolved = timeline.resolved(firstFrame: t0)
    let offsets = resolved.edits.map { edit -> Int64 in
        guard case .absolute(let t) = edit.time else { return -1 }
        return (t - t0).nanoseconds / 1_000_000
    }
    #expect(offsets == [250, 500, 1000, 1500, 2000, 3000, 4000, 90_000, 90_000, 120_000, 3_600_000])
    let kinds = resolved.edits.map { String(describing: $0.edit).split(separator: " ").first.map(String.init) ?? "" }
    #expect(kinds == ["create", "attach", "replace", "authorize", "delete", "set", "associate", "detach", "set", "revoke", "modify"])
    #expect(resolved.edits[0].edit == .createNetworkACLEntry(aclID: "acl-scenario", entry: NetworkACLEntry(
        ruleNumber: 10, direction: .egress, traffic: .udp(PortRange(53)), cidr: cidr("0.0.0.0/0"), action: .deny)))
    #expect(resolved.edits[5].edit == .setTimeouts(eniID: nil, TimeoutChange(tcpEstablished: .seconds(60), udpStream: .seconds(120))))
    #expect(resolved.edits[10].edit == .modify(groupID: "sg-a", updates: [
        RuleUpdate(ruleID: "sgr-1", traffic: .tcp(PortRange(2222)), peer: .cidr(cidr("10.0.0.0/8"))),
    ]))
}

@Test func scenarioWrittenAsJSONLoadsTheSame() throws {
    let scratch = Scratch()
    let yaml = scratch.write("s.yaml", """
        instance: 10.0.0.5
        groups:
          sg-web:
            inbound: [tcp 22 from 203.0.113.1]
            outbound: [all to 0.0.0.0/0]
        timeline:
          - {at: +30s, revoke: sg-web inbound tcp 22 from 203.0.113.1/32}
        """)
    let json = scratch.write("s.json", """
        {"instance": "10.0.0.5",
         "groups": {"sg-web": {"inbound": ["tcp 22 from 203.0.113.1"], "outbound": ["all to 0.0.0.0/0"]}},
         "timeline": [{"at": "+30s", "revoke": "sg-web inbound tcp 22 from 203.0.113.1/32"}]}
        """)
    let a = try PolicyLoader.load(policyFiles: [yaml]), b = try PolicyLoader.load(policyFiles: [json])
    #expect(a.policy == b.policy)
    #expect(a.timeline.edits.map(\.edit) == b.timeline.edits.map(\.edit))
    #expect(a.timeline.edits.map(\.time) == b.timeline.edits.map(\.time))
}

@Test func aTimelineFileHoldsOnlyATimeline() throws {
    let scratch = Scratch()
    let timeline = scratch.write("edits.yaml", """
        timeline:
          - at: +10s
            detach: sg-web
        """)
    let loaded = try PolicyLoader.load(policyFiles: [fixture("seed000-ssh.yaml")], timelineFiles: [timeline])
    #expect(loaded.timeline.edits.map(\.edit) == [.revokeByID(groupID: "sg-web", ruleIDs: ["sgr-ssh"], revokedRules: []), .detachGroup("sg-web")].reversed())
    let error = loadError(timeline: [fixture("seed000-ssh.yaml")])
    #expect(error?.description.contains("a timeline file holds only timeline:; this one has instance: give it with --policy") == true)
}

@Test func scenarioEditsNamingUnknownThingsAreWarnings() throws {
    let scratch = Scratch()
    let path = scratch.write("w.yaml", """
        instance: 10.0.0.5
        groups:
          sg-web:
            inbound: [tcp 22 from 0.0.0.0/0]
        timeline:
          - {at: +1s, revoke: sg-web/sgr-nope}
          - {at: +2s, revoke: sg-ghost inbound tcp 22 from 0.0.0.0/0}
          - {at: +3s, nacl-delete: inbound 100}
        """)
    let loaded = try PolicyLoader.load(policyFiles: [path])
    #expect(loaded.warnings.map(\.description) == [
        "\(path):6: timeline[0]: revoke names rule sg-web/sgr-nope, which is not in the group; ignored",
        "\(path):7: timeline[1]: revoke names security group sg-ghost, which is not in the policy; ignored",
        "\(path):8: timeline[2]: the entry is for the instance's network ACL (none is defined), which is not in the policy; ignored",
    ])
}
