/// A parsed JSON or YAML value, with the line it started on: the one tree every parser here reads.
///
/// Numbers keep their text so that a port of `70000` or `1e400` can be reported as written.
/// YAML plain scalars become null, booleans or numbers as YAML 1.2's core schema says; quoted
/// scalars are always strings.
struct Node: Sendable {
    indirect enum Value: Sendable {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Node])
        case object([(key: String, value: Node)])
    }

    var value: Value
    /// 1-based line of the value's first character; 0 when unknown.
    var line: Int

    init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// What the value is, for messages: "a string", "an object"…
    var kindName: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
