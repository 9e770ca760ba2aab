import ArgumentParser
import Firewall
import Packets
import PolicyFiles
import Replay
import Reports

/// `sgreplay policy FILES… [--timeline FILE]…`: load the policy and timeline as `analyze` would
/// and print them normalised, so a person can check what the replay will use.
struct PolicyCommand: ParsableCommand, FileArguments {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Print the normalised policy and timeline that analyze would use.")

    @Argument(help: "Policy files: a scenario file or AWS CLI JSON (describe-security-groups, …).")
    var files: [String] = []

    @OptionGroup var inputs: PolicyInputOptions

    @Option(help: "Output format: text or json.")
    var format: Analyze.OutputFormat = .text

    var inputFiles: [NamedPath] { files.map { NamedPath("the policy file", $0) } + inputs.inputFiles }

    func validate() throws {
        if files.isEmpty && inputs.policy.isEmpty && inputs.timeline.isEmpty {
            throw ValidationError("give at least one policy or timeline file")
        }
    }

    func run() throws {
        let loaded = try inputs.load(extraPolicyFiles: files)
        let text = format == .json ? PolicyReport.json(loaded).pretty() + "\n" : PolicyReport.text(loaded)
        print(text, terminator: "")
    }
}

/// The policy options `analyze` and `policy` share (INTERFACE.md).
struct PolicyInputOptions: ParsableArguments {
    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy file (repeatable): scenario or AWS CLI JSON.", valueName: "file"))
    var policy: [String] = []

    @Option(name: .customLong("timeline"), help: ArgumentHelp("Rule edits (repeatable): scenario timeline, CloudTrail (.json, .json.gz) or lookup-events output.", valueName: "file"))
    var timeline: [String] = []

    @Option(name: .customLong("instance"), help: ArgumentHelp("An address of the instance (repeatable).", valueName: "addr"))
    var instance: [String] = []

    @Option(name: .customLong("eni"), help: ArgumentHelp("The analysed interface of a multi-interface describe-network-interfaces file.", valueName: "eni-id"))
    var eni: String?

    @Option(name: .customLong("edit"), help: ArgumentHelp(
        "What if: one more timeline edit (repeatable), written as a scenario timeline item, e.g. '{at: +35s, nacl-create: inbound 50 deny all from 203.0.113.1/32}'.",
        valueName: "edit"))
    var edit: [String] = []

    @Option(name: .customLong("policy-state"), help: "Whether the policy files describe the state at the start (default) or the end of the timeline.")
    var policyState: PolicyStateArgument = .start

    enum PolicyStateArgument: String, ExpressibleByArgument, CaseIterable {
        case start, end
    }

    func validate() throws {
        for address in instance where IPAddress(parsing: address) == nil {
            throw ValidationError("--instance \(address): not an IPv4 or IPv6 address")
        }
    }

    /// Loads every input; an unusable one is a `ReplayError` with its one-line message (status 2).
    /// `eni`: the interface to analyse, when not the one `--eni` names (several captures matched to
    /// the interfaces of a NetworkInterfaces input).
    func load(extraPolicyFiles: [String] = [], eni chosen: String? = nil) throws(ReplayError) -> LoadedPolicy {
        // Each --edit is a one-item timeline read from memory like a timeline file; messages and
        // edit sources name it "--edit N".
        let edits = edit.enumerated().map { PolicyLoader.TimelineText.item($1, name: "--edit \($0 + 1)") }
        do {
            return try PolicyLoader.load(
                policyFiles: extraPolicyFiles + policy, timelineFiles: timeline, timelineTexts: edits, eni: chosen ?? eni,
                extraInstanceAddresses: instance.compactMap { IPAddress(parsing: $0) },
                policyState: policyState == .end ? .end : .start)
        } catch {
            throw ReplayError(error)
        }
    }

    /// The policy and timeline files, for `FilePaths` (no output may be one of them).
    var inputFiles: [NamedPath] {
        policy.map { NamedPath("--policy", $0) } + timeline.map { NamedPath("--timeline", $0) }
    }
}
