/// Every security group rule the replay has seen, by a stable index, so that judgements name rules
/// with a small integer and reports can print them later. A rule keeps its index across edits
/// (same group, id and permission).
public struct RuleRegistry: Sendable {
    public private(set) var rules: [SecurityGroupRule] = []
    /// Each rule's description, built once: labels name a rule for every frame.
    public private(set) var texts: [String] = []
    private var indexes: [String: Int32] = [:]

    public init() {}

    /// The index of `rule`, registering it when new.
    mutating func index(of rule: SecurityGroupRule) -> Int32 {
        let key = "\(rule.groupID)|\(rule.id ?? "")|\(rule.permission)"
        if let i = indexes[key] { return i }
        let i = Int32(rules.count)
        rules.append(rule)
        texts.append(rule.description)
        indexes[key] = i
        return i
    }

    /// The description of the rule at `index`, or nil.
    public func text(_ index: Int32) -> String? {
        index >= 0 && Int(index) < texts.count ? texts[Int(index)] : nil
    }

    /// The description of the rule at `index`, or "a rule".
    public func name(_ index: Int32) -> String { text(index) ?? "a rule" }

    public subscript(index: Int32) -> SecurityGroupRule? {
        index >= 0 && Int(index) < rules.count ? rules[Int(index)] : nil
    }
}
