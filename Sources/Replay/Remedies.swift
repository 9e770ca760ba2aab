import Firewall
import PolicyFiles
import Packets
import Reports

/// Proposals that would have stopped the flows that kept going only because of tracking, each
/// checked by replaying the capture with it added at the edit's instant.
public enum Remedies {
    /// Replays the capture of `request` once per proposal for every edit (or edits at one instant)
    /// after which some flow passed only by tracking, and returns what each proposal would have
    /// changed. The replays write nothing and say nothing but their progress.
    public static func evaluate(baseline: Summary, request: ReplayRequest) throws(ReplayError) -> [Summary.Remedy] {
        var check = request
        check.labelsPath = nil
        check.annotatePath = nil
        check.explainFrames = []
        check.explainFlow = nil
        check.quiet = true
        return try evaluate(baseline: baseline, engineOptions: request.engineOptions, policy: request.policy) {
            loaded, engine throws(ReplayError) in
            check.policy = loaded
            check.engineOptions = engine
            return try CaptureReplay.run(check).summary
        }
    }

    /// The same with any replay: `replay` runs the capture (or a timeline of captures, summed up
    /// with `Summary.timeline`) under a policy and options with the proposal applied.
    public static func evaluate(
        baseline: Summary, engineOptions: EngineOptions, policy: LoadedPolicy,
        replay: (LoadedPolicy, EngineOptions) throws(ReplayError) -> Summary
    ) throws(ReplayError) -> [Summary.Remedy] {
        var remedies: [Summary.Remedy] = []
        for group in baseline.editGroups {
            let period = group.last! + 1
            let flows = Array(baseline.periods[period].trackingFlows.keys)
            guard !flows.isEmpty else { continue }
            let at = baseline.edits[group.last!].time
            let target = Set(flows)
            let before = packets(of: target, in: baseline, from: period)
            let baselineDropped = baseline.count(of: .dropped) + baseline.count(of: .lostConntrackExhausted)
            let baselineTargetDrops = drops(of: target, in: baseline, from: period)

            for proposal in proposals(for: flows, at: at, policy: policy.policy) {
                var loaded = policy
                var engine = engineOptions
                proposal.apply(&loaded, &engine)
                let replayed = try replay(loaded, engine)
                let after = packets(of: target, in: replayed, from: period)
                let stopped = before.packets - after.packets
                let dropped = replayed.count(of: .dropped) + replayed.count(of: .lostConntrackExhausted)
                // Drops beyond those of the flows themselves (both directions) are other traffic's.
                let targetDrops = drops(of: target, in: replayed, from: period) - baselineTargetDrops
                remedies.append(Summary.Remedy(
                    afterEdit: group.last!, proposal: proposal.text, trackedPackets: before.packets, stoppedPackets: stopped,
                    flows: flows.count, flowsStopped: before.flows - after.flows,
                    otherDrops: max(0, dropped - baselineDropped - targetDrops)))
            }
        }
        return remedies
    }

    /// Packets and flows among `flows` that passed only by tracking from `period` on.
    public static func packets(of flows: Set<FlowKey>, in summary: Summary, from period: Int) -> (packets: Int, flows: Int) {
        var packets = 0
        var seen = Set<FlowKey>()
        for p in period..<summary.periods.count {
            for (key, figures) in summary.periods[p].trackingFlows where flows.contains(key) {
                packets += figures.packets
                seen.insert(key)
            }
        }
        return (packets, seen.count)
    }

    /// Dropped packets of `flows` that the policy before the edit would have let through.
    public static func drops(of flows: Set<FlowKey>, in summary: Summary, from period: Int) -> Int {
        var n = 0
        for p in period..<summary.periods.count {
            for key in flows {
                n += (summary.periods[p].cutFlows[key]?.packets ?? 0) + (summary.periods[p].blockedFlows[key]?.packets ?? 0)
            }
        }
        return n
    }

    public struct Proposal {
        public var text: String
        public var apply: (inout LoadedPolicy, inout EngineOptions) -> Void
    }

    /// What could have been done at `at`: deny the peers in the NACL, the shortest TCP established
    /// timeout AWS allows, or ending the connections.
    public static func proposals(for flows: [FlowKey], at: Timestamp, policy: Policy) -> [Proposal] {
        var out: [Proposal] = []
        let peers = Array(Set(flows.map(\.peer))).sorted()
        let outside = peers.filter { peer in !policy.instance.subnetCIDRs.contains { $0.contains(peer) } }
        if !outside.isEmpty {
            let aclID = policy.networkACLID ?? "acl-default"
            let used = Set(policy.activeNetworkACL?.entries.map(\.ruleNumber) ?? [])
            var number = 1
            var entries: [NetworkACLEntry] = []
            for peer in outside.prefix(8) {
                for direction in RuleDirection.allCases {
                    while used.contains(number) { number += 1 }
                    entries.append(NetworkACLEntry(
                        ruleNumber: number, direction: direction, traffic: .all, cidr: CIDR(host: peer), action: .deny))
                }
                number += 1
            }
            let list = outside.prefix(8).map { "\(CIDR(host: $0))" }.joined(separator: ", ")
            let text = "add NACL deny entries for \(list) (both directions, numbered first) at \(at.rfc3339)"
                + (policy.activeNetworkACL == nil ? " (to the subnet's default NACL, taken as allowing all)" : "")
            out.append(Proposal(text: text) { loaded, _ in
                if loaded.policy.activeNetworkACL == nil {
                    // AWS's default NACL: everything allowed both ways.
                    var acl = NetworkACL(id: aclID)
                    for direction in RuleDirection.allCases {
                        for all in ["0.0.0.0/0", "::/0"] {
                            if let block = CIDR(parsing: all) {
                                acl.entries.append(NetworkACLEntry(ruleNumber: 100, direction: direction, traffic: .all, cidr: block, action: .allow))
                            }
                        }
                    }
                    loaded.policy.networkACLs.append(acl)
                    loaded.policy.networkACLID = aclID
                }
                var timeline = loaded.timeline
                timeline.append(contentsOf: entries.map {
                    TimedEdit(time: .absolute(at), edit: .createNetworkACLEntry(aclID: aclID, entry: $0), origin: "remedy")
                })
                loaded.timeline = timeline
            })
        }
        if flows.contains(where: { $0.ipProtocol == IPProtocol.tcp }) {
            out.append(Proposal(text: "set the interface's TcpEstablishedTimeout to 60 s (AWS's minimum) at \(at.rfc3339)") { loaded, _ in
                var timeline = loaded.timeline
                timeline.append(contentsOf: [TimedEdit(
                    time: .absolute(at), edit: .setTimeouts(eniID: nil, TimeoutChange(tcpEstablished: .seconds(60))), origin: "remedy")])
                loaded.timeline = timeline
            })
        }
        out.append(Proposal(text: "end the \(flows.count == 1 ? "connection" : "\(flows.count) connections") at \(at.rfc3339) (restart the service or kill the sessions): the entries go and the peer would need a new connection, which the rules no longer allow") { _, options in
            options.connectionResets.append(EngineOptions.ConnectionReset(time: at, flows: flows))
        })
        return out
    }
}
