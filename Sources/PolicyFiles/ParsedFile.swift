/// A policy or timeline file read and parsed into a tree, JSON or YAML by its first character.
///
///     let file = try ParsedFile.load("sg.json")
///     file.root.keys      // ["SecurityGroups"]
struct ParsedFile {
    struct Origin: Sendable {
        /// The path as the user gave it: every message starts with it.
        var name: String
        /// YAML places are lines; JSON places are paths.
        var isYAML: Bool
        /// Whether messages give line numbers: not for text the user gave on the command line
        /// (`--edit`), whose lines are those of the wrapper around it.
        var showsLines = true

        /// The line to name for a value on `line` (0: unknown).
        func line(_ line: Int) -> Int? { isYAML && showsLines && line > 0 ? line : nil }
    }

    let root: Item

    static func load(_ path: String) throws(InputError) -> ParsedFile {
        try parse(InputFile.read(path), name: path)
    }

    /// Parses text: JSON when it starts with `{` or `[`, YAML otherwise. `showsLines: false`:
    /// messages name `name` and the key path, without a line.
    static func parse(_ bytes: [UInt8], name: String, pathPrefix: String = "", showsLines: Bool = true) throws(InputError) -> ParsedFile {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[start]) { start += 1 }
        guard start < bytes.count else { throw InputError(file: name, path: pathPrefix.isEmpty ? nil : pathPrefix, message: "the file is empty") }
        if bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
            do {
                let node = try JSONParser.parse(bytes)
                return ParsedFile(root: Item(node: node, path: pathPrefix, file: Origin(name: name, isYAML: false, showsLines: showsLines)))
            } catch {
                throw InputError(file: name, line: pathPrefix.isEmpty && showsLines ? error.line : nil,
                                 path: pathPrefix.isEmpty ? nil : pathPrefix, message: error.message)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(file: name, message: "not JSON or YAML: the file is not UTF-8 text")
        }
        if bytes.contains(0) {
            throw InputError(file: name, message: "not JSON or YAML: the file holds binary data")
        }
        do {
            guard let node = try YAMLReader.parse(text) else { throw InputError(file: name, message: "the file is empty") }
            return ParsedFile(root: Item(node: node, path: pathPrefix, file: Origin(name: name, isYAML: true, showsLines: showsLines)))
        } catch let error as YAMLReader.Failure {
            throw InputError(file: name, line: showsLines ? error.line : nil, message: error.message)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: name, message: "not JSON or YAML")
        }
    }
}
