/// A policy or timeline input that cannot be used: one line naming the file and the place.
///
///     sg.json: SecurityGroups[0].IpPermissions[1].FromPort: port 70000 is out of range 0-65535
///     scenario.yaml:12: groups.sg-web.inbound[0]: "10.0.0.300/32" is not a CIDR block
///
/// JSON places are JSON paths; YAML places are a line and the key path. The CLI prints
/// `description` and exits with status 2 (INTERFACE.md).
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// The line, for YAML and for JSON syntax errors.
    public var line: Int?
    /// The JSON path or YAML key path, when the problem is in a value.
    public var path: String?
    public var message: String

    public init(file: String, line: Int? = nil, path: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let path, !path.isEmpty { text += ": " + path }
        text += ": " + message
        // One line, whatever the message quoted.
        return String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
