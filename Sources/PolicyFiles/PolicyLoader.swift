import Firewall
import Packets

/// Whether the policy files describe the state before the timeline or after it.
public enum PolicyState: String, Sendable, CaseIterable {
    /// Before the first edit (the default, docs/semantics.md §7).
    case start
    /// After the last edit: a snapshot taken after the incident; the start is derived by undoing the timeline.
    case end
}

/// The one entry point for policy and timeline inputs (`--policy`, `--timeline`, `--eni`,
/// `--instance`, `--policy-state`).
///
///     let loaded = try PolicyLoader.load(
///         policyFiles: ["sg.json", "eni.json"], timelineFiles: ["trail.json.gz"], eni: nil,
///         extraInstanceAddresses: [], policyState: .start)
///
/// Files are recognised by content, never by name. Every problem that makes an input unusable is
/// an `InputError` naming the file and the line or JSON path; problems the run can live with are
/// `loaded.warnings` and `loaded.notes`.
public enum PolicyLoader {
    /// A timeline held in memory rather than in a file (`--edit`): read like a timeline file, and
    /// named by `name` (e.g. `--edit 1`) in messages and edit sources, which give no line numbers.
    public struct TimelineText: Sendable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }

        /// One scenario timeline item, e.g. `{at: +35s, nacl-create: inbound 50 deny all from 203.0.113.1/32}`.
        public static func item(_ item: String, name: String) -> TimelineText {
            TimelineText(name: name, text: "timeline:\n  - \(item)\n")
        }
    }

    public static func load(
        policyFiles: [String], timelineFiles: [String] = [], timelineTexts: [TimelineText] = [], eni: String? = nil,
        extraInstanceAddresses: [IPAddress] = [], policyState: PolicyState = .start
    ) throws(InputError) -> LoadedPolicy {
        var parts = PolicyParts()
        for path in policyFiles {
            try readPolicyFile(ParsedFile.load(path).root, into: &parts)
        }
        var policy = try combine(parts, eni: eni, extraAddresses: extraInstanceAddresses, notes: &parts.notes)
        var notes = parts.notes

        var edits = parts.scenarios.flatMap(\.edits)
        var ignored = LoadedPolicy.IgnoredEvents()
        var scope = CloudTrail.Scope(
            groupIDs: Set(policy.securityGroups.map(\.id)), aclIDs: Set(policy.networkACLs.map(\.id)),
            eniID: policy.instance.eniID,
            associationIDs: Set(policy.activeNetworkACL?.associations[policy.instance.subnetID ?? ""].map { [$0] } ?? []))
        // Group names, for CloudTrail records that name groups by name: the groups' own, and those
        // the interfaces' Groups give (peers need not be groups of the policy).
        var names: [String: String] = [:]
        for record in parts.interfaces { names.merge(record.groupNames) { first, _ in first } }
        for group in policy.securityGroups {
            if let name = group.name ?? names[group.id] { names[group.id] = name } else { scope.unnamedGroupIDs.append(group.id) }
        }
        for (id, name) in names.sorted(by: { $0.key < $1.key }) { scope.groupsByName[name, default: []].append(id) }
        for record in parts.interfaces {
            guard let instance = record.instanceID else { continue }
            if record.isPrimary == true { scope.primaryInterfaces[instance] = record.id }
            if record.id == policy.instance.eniID {
                scope.attachment = CloudTrail.Scope.Attachment(instanceID: instance, isPrimary: record.isPrimary)
            }
        }
        var timelineWarnings: [PolicyWarning] = []
        // Timeline files, then timelines given as text (`--edit`), read alike.
        for source in timelineFiles.map(TimelineSource.file) + timelineTexts.map(TimelineSource.text) {
            let root: Item
            switch source {
            case .file(let path): root = try ParsedFile.load(path).root
            case .text(let text): root = try ParsedFile.parse(Array(text.text.utf8), name: text.name, showsLines: false).root
            }
            if CloudTrail.recognises(root) {
                let result = try CloudTrail.edits(from: try CloudTrail.records(root), scope: &scope)
                edits += result.edits
                ignored.failed += result.ignored.failed
                ignored.notEdits += result.ignored.notEdits
                ignored.otherResources += result.ignored.otherResources
                ignored.notUnderstood += result.ignored.notUnderstood
                timelineWarnings += result.warnings
                for note in result.notes where !notes.contains(note) { notes.append(note) }
            } else if ScenarioFile.recognises(root) {
                if let key = root.keys.first(where: { ScenarioFile.policyKeys.contains($0) }), let item = root.field(key) {
                    throw item.error("a timeline file holds only timeline:; this one has \(key): give it with --policy")
                }
                edits += try ScenarioFile.parse(root).edits
            } else {
                throw root.error(
                    "not a timeline file: expected CloudTrail (Records or lookup-events' Events) or a scenario timeline:, found \(describeKeys(root))")
            }
        }
        edits = edits.map { resolveInstanceACL($0, policy.networkACLID) }
        let timeline = Timeline(edits)

        var warnings = timelineWarnings
        if policyState == .end {
            if timeline.mixesTimeKinds {
                throw InputError(
                    file: timelineFiles.first ?? timelineTexts.first?.name ?? policyFiles.first ?? "timeline",
                    message: "--policy-state end needs the edits in one order, but some times are absolute and others relative to the first frame; write them all one way")
            }
            let (start, undoWarnings) = timeline.startState(fromEnd: policy)
            policy = start
            warnings += undoWarnings
        }
        // Dry run: the warnings the engine will meet when it applies the edits.
        var replay = policy
        for edit in timeline.edits { warnings += replay.apply(edit) }

        return LoadedPolicy(
            policy: policy, timeline: timeline, warnings: warnings, notes: notes, ignoredEvents: ignored,
            derivedFromEndState: policyState == .end)
    }

    private enum TimelineSource {
        case file(String)
        case text(TimelineText)
    }

    /// Sorts one policy file into `parts` by its top-level key.
    static func readPolicyFile(_ root: Item, into parts: inout PolicyParts) throws(InputError) {
        guard case .object = root.node.value else {
            throw root.error("not a policy file: expected an object at the top, found \(root.node.kindName)")
        }
        if root.field("SecurityGroups") != nil {
            try AWSDescribeFiles.securityGroups(root, into: &parts)
        } else if root.field("SecurityGroupRules") != nil {
            try AWSDescribeFiles.securityGroupRules(root, into: &parts)
        } else if root.field("NetworkAcls") != nil {
            try AWSDescribeFiles.networkACLs(root, into: &parts)
        } else if root.field("NetworkInterfaces") != nil {
            try AWSDescribeFiles.networkInterfaces(root, into: &parts)
        } else if root.field("Subnets") != nil {
            try AWSDescribeFiles.subnets(root, into: &parts)
        } else if root.field("Entries") != nil {
            try AWSDescribeFiles.prefixListEntries(root, into: &parts)
        } else if root.field("PrefixLists") != nil {
            try AWSDescribeFiles.prefixLists(root, into: &parts)
        } else if CloudTrail.recognises(root) {
            throw root.error("this is a CloudTrail file, a timeline: give it with --timeline")
        } else if ScenarioFile.recognises(root) {
            parts.scenarios.append(try ScenarioFile.parse(root))
        } else {
            throw root.error(
                "not a policy file: expected a scenario (instance, groups, nacl, settings, timeline) or AWS CLI JSON "
                    + "(SecurityGroups, SecurityGroupRules, NetworkAcls, NetworkInterfaces, Subnets, Entries or PrefixLists), found \(describeKeys(root))")
        }
    }

    static func describeKeys(_ root: Item) -> String {
        let keys = root.keys
        if keys.isEmpty { return case_(root) }
        let shown = keys.prefix(5).joined(separator: ", ")
        return "keys " + shown + (keys.count > 5 ? ", …" : "")
    }

    private static func case_(_ root: Item) -> String {
        if case .object = root.node.value { return "an empty object" }
        return root.node.kindName
    }

    /// Scenario NACL edits without `acl:` are about the instance's ACL.
    private static func resolveInstanceACL(_ timed: TimedEdit, _ active: String?) -> TimedEdit {
        var copy = timed
        let id = active ?? ScenarioTimeline.instanceACL
        switch timed.edit {
        case .createNetworkACLEntry(ScenarioTimeline.instanceACL, let entry): copy.edit = .createNetworkACLEntry(aclID: id, entry: entry)
        case .replaceNetworkACLEntry(ScenarioTimeline.instanceACL, let entry): copy.edit = .replaceNetworkACLEntry(aclID: id, entry: entry)
        case .deleteNetworkACLEntry(ScenarioTimeline.instanceACL, let d, let n):
            copy.edit = .deleteNetworkACLEntry(aclID: id, direction: d, ruleNumber: n)
        default: break
        }
        return copy
    }
}

// MARK: Several interfaces, several captures

/// An interface of a `NetworkInterfaces` input, for telling which one a capture was taken on.
public struct InterfaceCandidate: Hashable, Sendable {
    public var id: String
    /// The addresses a capture on the interface shows: private IPv4 (primary and secondary) and IPv6.
    /// Public addresses are left out: AWS translates them before the interface sees the packet.
    public var addresses: [IPAddress]
    /// Delegated prefixes (addresses inside them are the interface's too).
    public var prefixes: [CIDR]

    public init(id: String, addresses: [IPAddress], prefixes: [CIDR] = []) {
        self.id = id
        self.addresses = addresses
        self.prefixes = prefixes
    }

    public func owns(_ address: IPAddress) -> Bool {
        addresses.contains(address) || prefixes.contains { $0.contains(address) }
    }
}

extension PolicyLoader {
    /// The interfaces `load` could not choose among: every interface of the `NetworkInterfaces`
    /// inputs when they list several and neither `eni` nor an instance address (`--instance`, a
    /// scenario's) picks one — exactly when `load` without `eni` fails with "several network
    /// interfaces". Empty otherwise. Reads only the policy files (timelines are not needed).
    public static func unchosenInterfaces(
        policyFiles: [String], eni: String? = nil, extraInstanceAddresses: [IPAddress] = []
    ) throws(InputError) -> [InterfaceCandidate] {
        guard eni == nil else { return [] }
        var parts = PolicyParts()
        for path in policyFiles {
            try readPolicyFile(ParsedFile.load(path).root, into: &parts)
        }
        guard parts.interfaces.count > 1, holders(parts, extraAddresses: extraInstanceAddresses).count != 1 else { return [] }
        return parts.interfaces.map { record in
            InterfaceCandidate(
                id: record.id, addresses: record.addresses.filter { $0.kind != .public }.map(\.address),
                prefixes: record.prefixes)
        }
    }
}
