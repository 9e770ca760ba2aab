/// A strict JSON (RFC 8259) parser into `Node`, standard library only.
///
///     let node = try JSONParser.parse(Array(text.utf8))
///
/// Hostile input cannot crash it: nesting deeper than `maximumDepth` is an error, numbers are
/// kept as text (never converted with traps), and every index is bounds-checked.
struct JSONParser {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    static let maximumDepth = 200

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    static func parse(_ bytes: [UInt8]) throws(Failure) -> Node {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let node = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw Failure(line: parser.line, message: "invalid JSON: unexpected text after the top-level value")
        }
        return node
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark is allowed before the text.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ message: String) -> Failure { Failure(line: line, message: "invalid JSON: " + message) }

    private mutating func skipWhitespace() {
        while let c = current {
            switch c {
            case 0x0A: line += 1; index += 1
            case 0x20, 0x09, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> Node {
        guard depth < JSONParser.maximumDepth else { throw fail("nested more than \(JSONParser.maximumDepth) levels deep") }
        let startLine = line
        guard let c = current else { throw fail("the text ends where a value should be") }
        switch c {
        case UInt8(ascii: "{"): return Node(try object(depth: depth), line: startLine)
        case UInt8(ascii: "["): return Node(try array(depth: depth), line: startLine)
        case UInt8(ascii: "\""): return Node(.string(try string()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return Node(.bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return Node(.bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return Node(.null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return Node(.number(try number()), line: startLine)
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for expected in word.utf8 {
            guard current == expected else { throw fail("unexpected text (expected \(word))") }
            index += 1
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> Node.Value {
        index += 1  // {
        var pairs: [(key: String, value: Node)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(pairs) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a quoted member name") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after member name \"\(key)\"") }
            index += 1
            skipWhitespace()
            pairs.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(pairs)
            default: throw fail("expected ',' or '}' after the value of \"\(key)\"")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> Node.Value {
        index += 1  // [
        var items: [Node] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: throw fail("expected ',' or ']' in a list")
            }
        }
    }

    private mutating func number() throws(Failure) -> String {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            var n = 0
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { index += 1; n += 1 }
            return n
        }
        let leadingZero = current == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0 else { throw fail("a number needs digits") }
        guard !(leadingZero && integerDigits > 1) else { throw fail("a number cannot start with 0") }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("a number needs digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(Failure) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard let c = current else { throw fail("a string is not closed") }
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = current else { throw fail("a string is not closed") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A surrogate pair: the low half must follow.
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                        else { throw fail("a \\u escape has an unpaired surrogate") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("a \\u escape has an unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("a \\u escape is not a character") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("unknown escape '\\\(Character(Unicode.Scalar(e)))' in a string")
                }
            case 0x0A:
                throw fail("a string runs past the end of the line")
            case 0..<0x20:
                throw fail("a control character is not allowed inside a string")
            default:
                out.append(c)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current else { throw fail("a \\u escape needs four hex digits") }
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
