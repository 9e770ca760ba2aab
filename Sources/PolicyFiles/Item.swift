import Firewall

/// A value in a parsed file together with where it is: the cursor every parser walks with.
///
///     let group = try root.required("SecurityGroups").array()[0]
///     let port = try group.required("FromPort").integer()     // error names SecurityGroups[0].FromPort
///
/// Keys are matched exactly first, then ignoring the case of their first letter, since AWS writes
/// `GroupId` in CLI output and `groupId` in CloudTrail.
struct Item {
    let node: Node
    /// `SecurityGroups[0].IpPermissions[1]`; empty at the root.
    let path: String
    let file: ParsedFile.Origin

    /// An error at this value.
    func error(_ message: String) -> InputError {
        InputError(file: file.name, line: file.line(node.line), path: path, message: message)
    }

    var location: SourceLocation {
        SourceLocation(file: file.name, line: file.line(node.line), path: path)
    }

    var isNull: Bool {
        if case .null = node.value { return true }
        return false
    }

    // MARK: Objects

    /// The member `key`, or nil when absent or null.
    func field(_ key: String) -> Item? {
        guard case .object(let pairs) = node.value else { return nil }
        let match = pairs.first(where: { $0.key == key })
            ?? pairs.first(where: { Item.sameIgnoringFirstLetterCase($0.key, key) })
        guard let match, !Item(node: match.value, path: "", file: file).isNull else { return nil }
        return Item(node: match.value, path: child(match.key), file: file)
    }

    /// The first member present among `keys`.
    func field(anyOf keys: [String]) -> Item? {
        for key in keys { if let item = field(key) { return item } }
        return nil
    }

    func required(_ key: String) throws(InputError) -> Item {
        guard case .object = node.value else { throw error("expected an object, found \(node.kindName)") }
        guard let item = field(key) else { throw error("\(key) is missing") }
        return item
    }

    /// The members in order.
    func members() throws(InputError) -> [(key: String, value: Item)] {
        guard case .object(let pairs) = node.value else { throw error("expected an object, found \(node.kindName)") }
        return pairs.map { ($0.key, Item(node: $0.value, path: child($0.key), file: file)) }
    }

    var keys: [String] {
        guard case .object(let pairs) = node.value else { return [] }
        return pairs.map(\.key)
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private static func sameIgnoringFirstLetterCase(_ a: String, _ b: String) -> Bool {
        guard let x = a.first, let y = b.first, a.count == b.count else { return false }
        return x.lowercased() == y.lowercased() && a.dropFirst() == b.dropFirst()
    }

    // MARK: Lists

    /// The elements of a list.
    func array() throws(InputError) -> [Item] {
        guard case .array(let nodes) = node.value else { throw error("expected a list, found \(node.kindName)") }
        return nodes.enumerated().map { Item(node: $1, path: path + "[\($0)]", file: file) }
    }

    /// A list written plainly or in EC2's `{"items": [...]}` wrapping; `{}` is the empty list.
    func items() throws(InputError) -> [Item] {
        switch node.value {
        case .array: return try array()
        case .object(let pairs):
            if pairs.isEmpty { return [] }
            if let inner = field("items") ?? field("item") { return try inner.items() }
            throw error("expected a list or {\"items\": [...]}, found an object with \(pairs.map(\.key).joined(separator: ", "))")
        default:
            throw error("expected a list, found \(node.kindName)")
        }
    }

    /// A single object or a list of them (EC2 query-style parameters hold one either way).
    func oneOrMany() throws(InputError) -> [Item] {
        if case .object(let pairs) = node.value, !pairs.contains(where: { $0.key == "items" }) { return [self] }
        return try items()
    }

    // MARK: Scalars

    func string() throws(InputError) -> String {
        switch node.value {
        case .string(let s): return s
        case .number(let n): return n
        default: throw error("expected text, found \(node.kindName)")
        }
    }

    /// An integer written as a number or as digits in a string; `what` names it in errors.
    func integer(_ what: String = "value") throws(InputError) -> Int64 {
        let text: String
        switch node.value {
        case .number(let n): text = n
        case .string(let s): text = s.trimmingSpaces
        default: throw error("\(what) must be a whole number, found \(node.kindName)")
        }
        guard let value = Item.parseInteger(text) else {
            throw error("\(what) \(text.quotedIfOdd) is not a whole number in range")
        }
        return value
    }

    /// `-?digits`, within Int64; nil otherwise (fractions, exponents, huge values).
    static func parseInteger(_ text: String) -> Int64? {
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.count <= 18, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }

    func bool() throws(InputError) -> Bool {
        switch node.value {
        case .bool(let b): return b
        case .string(let s) where s.lowercased() == "true": return true
        case .string(let s) where s.lowercased() == "false": return false
        default: throw error("expected true or false, found \(node.kindName)")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }

    /// The text itself when it is short and plain, else quoted and shortened: safe inside a message.
    var quotedIfOdd: String {
        let short = count > 60 ? String(prefix(57)) + "…" : self
        let plain = !short.isEmpty && short.allSatisfy { !$0.isWhitespace && $0 != "\"" && $0.isASCII && !$0.isNewline }
        return plain ? short : "\"" + short.map { $0.isNewline ? " " : String($0) }.joined() + "\""
    }
}
