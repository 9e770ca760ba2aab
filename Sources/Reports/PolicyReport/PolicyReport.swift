import Firewall
import Packets

/// The normalised policy and timeline as a person checks them (`sgreplay policy`): the instance,
/// each group's rules with ids, each NACL in rule order per direction, the edits in time order
/// with their source, and what the loader noted. Text for people, JSON for scripts.
public enum PolicyReport {
    // MARK: Text

    public static func text(_ loaded: LoadedPolicy) -> String {
        var out: [String] = []
        let policy = loaded.policy
        let instance = policy.instance

        out.append("Instance \(instance.eniID ?? "(interface id unknown)")"
            + (loaded.derivedFromEndState ? "  [start state derived from an end-state snapshot]" : ""))
        let addresses = instance.addresses.map { "\($0.address) (\($0.kind.rawValue))" }
            + instance.delegatedPrefixes.map { "\($0) (delegated prefix)" }
        out.append("  addresses  " + (addresses.isEmpty ? "none given: the busiest address of the capture is taken" : addresses.joined(separator: ", ")))
        let subnet = [instance.subnetID].compactMap { $0 } + instance.subnetCIDRs.map(\.description)
        out.append("  subnet     " + (subnet.isEmpty ? "unknown (the NACL applies to every peer)" : subnet.joined(separator: " ")))
        out.append("  groups     " + (instance.groupIDs.isEmpty ? "none" : instance.groupIDs.map { id in
            policy.group(id).map { $0.name.map { "\(id) (\($0))" } ?? id } ?? "\(id) (not in the policy)"
        }.joined(separator: ", ")))
        out.append("  nacl       " + (policy.networkACLID ?? "none (the NACL stage allows everything)"))
        out.append("  tracking   " + trackingText(policy.tracking))

        for group in policy.securityGroups {
            let attached = instance.groupIDs.contains(group.id) ? "attached" : "not attached"
            out.append("")
            out.append("Security group \(group.id)\(group.name.map { " (\($0))" } ?? ""), \(attached)")
            for direction in RuleDirection.allCases {
                let rules = group.rules(direction)
                out.append("  \(direction.word)" + (rules.isEmpty ? ": no rules" : ""))
                out += table(rules.map { rule in
                    [rule.id ?? "-", rule.traffic.description, (direction == .ingress ? "from " : "to ") + peerText(rule.peer, policy),
                     rule.ruleDescription.map { "\"\($0)\"" } ?? "", rule.source?.description ?? ""]
                }, indent: "    ")
            }
        }

        for acl in policy.networkACLs {
            let inForce = acl.id == policy.networkACLID ? "in force" : "not in force"
            out.append("")
            out.append("Network ACL \(acl.id), \(inForce)")
            for direction in RuleDirection.allCases {
                out.append("  \(direction.word)")
                var rows = acl.entries(direction).map { entry in
                    [String(entry.ruleNumber), entry.action.rawValue, entry.traffic.description,
                     (direction == .ingress ? "from " : "to ") + entry.cidr.description, entry.source?.description ?? ""]
                }
                rows.append(["*", "deny", "all traffic", direction == .ingress ? "from anywhere" : "to anywhere", ""])
                out += table(rows, indent: "    ")
            }
        }

        if !policy.prefixLists.isEmpty || !policy.groupMembers.isEmpty {
            out.append("")
            out.append("Referenced data")
            for id in policy.prefixLists.keys.sorted() {
                out.append("  \(id): " + (policy.prefixLists[id] ?? []).map(\.description).joined(separator: ", "))
            }
            for id in policy.groupMembers.keys.sorted() {
                out.append("  \(id) members: " + (policy.groupMembers[id] ?? []).map(\.description).joined(separator: ", "))
            }
        }

        out.append("")
        out.append("Timeline: " + (loaded.timeline.isEmpty ? "no edits" : "\(loaded.timeline.count) edit(s)"))
        if loaded.timeline.mixesTimeKinds {
            out.append("  (absolute times and offsets from the first frame are ordered against each other once the capture is read)")
        }
        for edit in loaded.timeline.edits {
            out.append("  \(edit.time)  \(edit.edit)")
            let from = [edit.origin, edit.source?.description].compactMap { $0 }
            if !from.isEmpty { out.append("      " + from.joined(separator: " — ")) }
        }
        let ignored = loaded.ignoredEvents
        if ignored.total > 0 || ignored.notUnderstood > 0 {
            // Records not understood are not ignored: each is also a warning below.
            out.append("  ignored CloudTrail records: \(ignored.failed) failed (errorCode), \(ignored.notEdits) not rule edits, "
                + "\(ignored.otherResources) for other groups, ACLs or interfaces; "
                + "\(ignored.notUnderstood) not understood, so not applied" + (ignored.notUnderstood > 0 ? " (see Warnings)" : ""))
        }
        if !loaded.notes.isEmpty {
            out.append("")
            out.append("Notes")
            out += loaded.notes.map { "  " + $0 }
        }
        if !loaded.warnings.isEmpty {
            out.append("")
            out.append("Warnings")
            out += loaded.warnings.map { "  " + $0.description }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func trackingText(_ tracking: TrackingSettings) -> String {
        var parts = [tracking.timeouts.description]
        parts.append("table " + (tracking.conntrackMax.map { "max \($0) entries" } ?? "unlimited"))
        if tracking.trackAllPeers { parts.append("every peer tracked") }
        if !tracking.automaticallyTrackedPeers.isEmpty {
            parts.append("always tracked: " + tracking.automaticallyTrackedPeers.map(\.description).joined(separator: ", "))
        }
        if !tracking.exemptCIDRs.isEmpty { parts.append("also exempt: " + tracking.exemptCIDRs.map(\.description).joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    static func peerText(_ peer: Peer, _ policy: Policy) -> String {
        switch peer {
        case .cidr(let block): return block.description
        case .prefixList(let id):
            return id + (policy.prefixLists[id].map { " (\($0.count) CIDR\($0.count == 1 ? "" : "s"))" } ?? " (entries unknown)")
        case .securityGroup(let id):
            return id + (policy.groupMembers[id].map { " (\($0.count) member\($0.count == 1 ? "" : "s"))" } ?? " (members unknown)")
        }
    }

    /// Left-aligned columns; trailing empty cells are dropped.
    static func table(_ rows: [[String]], indent: String) -> [String] {
        guard let columns = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            var line = indent
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 && !row[(i + 1)...].allSatisfy(\.isEmpty) {
                    line += String(repeating: " ", count: widths[i] - cell.count + 2)
                }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    // MARK: JSON

    public static func json(_ loaded: LoadedPolicy) -> JSON {
        let policy = loaded.policy
        let instance = policy.instance
        return .object([
            ("instance", .object([
                ("eni", instance.eniID.map(JSON.string) ?? .null),
                ("addresses", .array(instance.addresses.map { .object([("address", .string($0.address.description)), ("kind", .string($0.kind.rawValue))]) })),
                ("delegated_prefixes", .array(instance.delegatedPrefixes.map { .string($0.description) })),
                ("subnet", instance.subnetID.map(JSON.string) ?? .null),
                ("subnet_cidrs", .array(instance.subnetCIDRs.map { .string($0.description) })),
                ("security_groups", .array(instance.groupIDs.map(JSON.string))),
                ("network_acl", policy.networkACLID.map(JSON.string) ?? .null),
            ])),
            ("tracking", .object([
                ("tcp_established_timeout", .int(Int(policy.tracking.timeouts.tcpEstablished.nanoseconds / 1_000_000_000))),
                ("udp_timeout", .int(Int(policy.tracking.timeouts.udp.nanoseconds / 1_000_000_000))),
                ("udp_stream_timeout", .int(Int(policy.tracking.timeouts.udpStream.nanoseconds / 1_000_000_000))),
                ("conntrack_max", policy.tracking.conntrackMax.map(JSON.int) ?? .null),
                ("track_all_peers", .bool(policy.tracking.trackAllPeers)),
                ("automatically_tracked", .array(policy.tracking.automaticallyTrackedPeers.map { .string($0.description) })),
                ("exempt", .array(policy.tracking.exemptCIDRs.map { .string($0.description) })),
            ])),
            ("security_groups", .array(policy.securityGroups.map { group in
                .object([
                    ("id", .string(group.id)), ("name", group.name.map(JSON.string) ?? .null),
                    ("attached", .bool(instance.groupIDs.contains(group.id))),
                    ("rules", .array(group.rules.map(ruleJSON))),
                ])
            })),
            ("network_acls", .array(policy.networkACLs.map { acl in
                .object([
                    ("id", .string(acl.id)), ("in_force", .bool(acl.id == policy.networkACLID)),
                    ("entries", .array(RuleDirection.allCases.flatMap { acl.entries($0) }.map(entryJSON))),
                ])
            })),
            ("prefix_lists", .object(policy.prefixLists.keys.sorted().map { id in
                (id, .array((policy.prefixLists[id] ?? []).map { .string($0.description) }))
            })),
            ("group_members", .object(policy.groupMembers.keys.sorted().map { id in
                (id, .array((policy.groupMembers[id] ?? []).map { .string($0.description) }))
            })),
            ("timeline", .array(loaded.timeline.edits.map { edit in
                .object([
                    ("time", .string(edit.time.description)),
                    ("edit", .string(edit.edit.description)),
                    ("origin", edit.origin.map(JSON.string) ?? .null),
                    ("source", edit.source.map { .string($0.description) } ?? .null),
                ])
            })),
            ("ignored_events", .object([
                ("failed", .int(loaded.ignoredEvents.failed)), ("not_edits", .int(loaded.ignoredEvents.notEdits)),
                ("other_resources", .int(loaded.ignoredEvents.otherResources)),
                ("not_understood", .int(loaded.ignoredEvents.notUnderstood)),
            ])),
            ("derived_from_end_state", .bool(loaded.derivedFromEndState)),
            ("notes", .array(loaded.notes.map(JSON.string))),
            ("warnings", .array(loaded.warnings.map { .string($0.description) })),
        ])
    }

    static func trafficJSON(_ traffic: Traffic) -> [(String, JSON)] {
        var pairs: [(String, JSON)] = [("protocol", .string(traffic.protocolName))]
        switch traffic {
        case .tcp(let ports), .udp(let ports):
            pairs += [("from_port", .int(Int(ports.lower))), ("to_port", .int(Int(ports.upper)))]
        case .icmp(let types), .icmpv6(let types):
            pairs += [("icmp_type", types.type.map { .int(Int($0)) } ?? .int(-1)), ("icmp_code", types.code.map { .int(Int($0)) } ?? .int(-1))]
        case .all, .protocolNumber:
            break
        }
        return pairs
    }

    static func ruleJSON(_ rule: SecurityGroupRule) -> JSON {
        let peer: (String, JSON)
        switch rule.peer {
        case .cidr(let block): peer = ("cidr", .string(block.description))
        case .prefixList(let id): peer = ("prefix_list", .string(id))
        case .securityGroup(let id): peer = ("security_group", .string(id))
        }
        return .object(
            [("id", rule.id.map(JSON.string) ?? .null), ("direction", .string(rule.direction.word))]
                + trafficJSON(rule.traffic)
                + [peer, ("description", rule.ruleDescription.map(JSON.string) ?? .null),
                   ("text", .string(rule.description)), ("source", rule.source.map { .string($0.description) } ?? .null)])
    }

    static func entryJSON(_ entry: NetworkACLEntry) -> JSON {
        .object(
            [("rule_number", .int(entry.ruleNumber)), ("direction", .string(entry.direction.word)),
             ("action", .string(entry.action.rawValue))]
                + trafficJSON(entry.traffic)
                + [("cidr", .string(entry.cidr.description)), ("source", entry.source.map { .string($0.description) } ?? .null)])
    }
}
