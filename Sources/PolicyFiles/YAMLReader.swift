internal import Yams

/// Reads YAML (the scenario format) into `Node` through Yams, keeping each value's line.
///
/// Guards against hostile input: libyaml stops nesting at 1000 levels, and aliases that would
/// expand past `maximumNodes` values (a "billion laughs" file) are an error, not an allocation storm.
enum YAMLReader {
    struct Failure: Error {
        var line: Int?
        var message: String
    }

    static let maximumNodes = 1_000_000

    static func parse(_ text: String) throws(Failure) -> Node? {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw describe(error)
        } catch {
            throw Failure(line: nil, message: "invalid YAML: \(error)")
        }
        guard let root else { return nil }
        var budget = maximumNodes
        return try convert(root, budget: &budget)
    }

    private static func describe(_ error: YamlError) -> Failure {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return Failure(line: mark.line, message: "invalid YAML: \(what)")
        case .reader(let problem, _, _, _):
            return Failure(line: nil, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Failure(
                line: context.mark.line,
                message: "invalid YAML: the key \(duplicates.joined(separator: ", ")) appears twice in one mapping")
        default:
            return Failure(line: nil, message: "invalid YAML: \(error)")
        }
    }

    private static func convert(_ node: Yams.Node, budget: inout Int) throws(Failure) -> Node {
        budget -= 1
        guard budget > 0 else {
            throw Failure(line: node.mark?.line, message: "the YAML expands to more than \(maximumNodes) values (aliases?)")
        }
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            return Node(scalarValue(scalar), line: line)
        case .sequence(let sequence):
            var items: [Node] = []
            for child in sequence { items.append(try convert(child, budget: &budget)) }
            return Node(.array(items), line: line)
        case .mapping(let mapping):
            var pairs: [(key: String, value: Node)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw Failure(line: key.mark?.line ?? line, message: "a mapping key must be plain text")
                }
                pairs.append((keyScalar.string, try convert(value, budget: &budget)))
            }
            return Node(.object(pairs), line: line)
        case .alias:
            throw Failure(line: line, message: "an unresolved YAML alias")
        }
    }

    /// YAML 1.2 core schema for plain scalars; quoted scalars stay strings.
    private static func scalarValue(_ scalar: Yams.Node.Scalar) -> Node.Value {
        let text = scalar.string
        guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if looksNumeric(text) { return .number(text) }
        return .string(text)
    }

    /// `-?digits(.digits)?([eE][+-]?digits)?`, as JSON writes numbers.
    private static func looksNumeric(_ text: String) -> Bool {
        var chars = Array(text.utf8)[...]
        func digits() -> Int {
            var n = 0
            while let c = chars.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { chars = chars.dropFirst(); n += 1 }
            return n
        }
        if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars = chars.dropFirst() }
        guard digits() > 0 else { return false }
        if chars.first == UInt8(ascii: ".") {
            chars = chars.dropFirst()
            guard digits() > 0 else { return false }
        }
        if chars.first == UInt8(ascii: "e") || chars.first == UInt8(ascii: "E") {
            chars = chars.dropFirst()
            if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars = chars.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return chars.isEmpty
    }
}
