/// Where a rule, entry or edit was written: a file and a line (YAML) or JSON path.
///
///     SourceLocation(file: "sg.json", path: "SecurityGroups[0].IpPermissions[1]")
///     // "sg.json: SecurityGroups[0].IpPermissions[1]"
///     SourceLocation(file: "scenario.yaml", line: 12)      // "scenario.yaml:12"
///
/// It is metadata: two rules that say the same thing are equal wherever they were written.
public struct SourceLocation: Hashable, Sendable {
    public var file: String
    /// 1-based line, when the format has lines worth citing (YAML); nil for JSON.
    public var line: Int?
    /// The JSON path (`Records[3].requestParameters`) or YAML key path, when known.
    public var path: String?

    public init(file: String, line: Int? = nil, path: String? = nil) {
        self.file = file
        self.line = line
        self.path = path
    }
}

extension SourceLocation: CustomStringConvertible {
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let path, !path.isEmpty { text += ": " + path }
        return text
    }
}

/// Something worth telling the user about the inputs that did not stop the run (docs/semantics.md §7:
/// an edit naming an unknown group, rule or NACL entry is a warning and is otherwise ignored).
public struct PolicyWarning: Hashable, Sendable {
    public var source: SourceLocation?
    public var message: String

    public init(_ message: String, at source: SourceLocation? = nil) {
        self.message = message
        self.source = source
    }
}

extension PolicyWarning: CustomStringConvertible {
    public var description: String {
        guard let source else { return message }
        return "\(source): \(message)"
    }
}
