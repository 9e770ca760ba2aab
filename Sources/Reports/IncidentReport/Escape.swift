/// Escaping for the incident reports: every piece of text taken from the inputs (group ids, rule and
/// edit descriptions, notes, file names, flow text, reasons) goes through one of these before it is
/// written into HTML or Markdown. Written once, tested once (ReportsTests/EscapingTests).
///
///     Escape.html("<script>alert(1)</script>")    // "&lt;script&gt;alert(1)&lt;/script&gt;"
///     Escape.markdown("a | b <i>")               // "a \| b \<i>"
///     Escape.code("tcp a > b | c")               // "`tcp a > b \| c`" (a table cell's code span)
public enum Escape {
    /// Text for HTML element content and for attribute values in double or single quotes. Control
    /// characters other than tab and newline, which HTML does not allow, become U+FFFD.
    public static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case "\u{0}"..."\u{1f}", "\u{7f}"..."\u{9f}": out += "\u{fffd}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// ASCII punctuation that Markdown (CommonMark, GitHub's tables, strikethrough and autolinks)
    /// could read as syntax, raw HTML or an entity; each is written with a backslash before it.
    /// `]`, `(` and `!` need none: no link can start without an unescaped `[`.
    static let markdownSpecial: Set<Unicode.Scalar> = ["\\", "`", "*", "_", "[", "<", ">", "|", "&", "~", "#"]

    /// Text for a Markdown paragraph, list item, heading or table cell: syntax characters escaped
    /// with a backslash, line breaks (which would end a table row or a list item) as spaces. An
    /// underscore between two letters or digits (`syn_sent`) is left alone: it cannot start or end
    /// emphasis there, and the text stays readable as plain text in a ticket.
    public static func markdown(_ s: String) -> String {
        let scalars = Array(singleLine(s).unicodeScalars)
        var out = ""
        out.reserveCapacity(scalars.count + 8)
        for (i, scalar) in scalars.enumerated() {
            if scalar == "_", i > 0, i + 1 < scalars.count, isWordCharacter(scalars[i - 1]), isWordCharacter(scalars[i + 1]) {
                out.unicodeScalars.append(scalar)
                continue
            }
            if markdownSpecial.contains(scalar) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || c.properties.numericType != nil
    }

    /// A Markdown code span inside a table cell (flows, addresses, file names): shown literally, in
    /// a fence longer than any run of backticks inside; `|` escaped, which GitHub's tables need even
    /// in code spans; line breaks as spaces. Raw HTML inside a code span is never interpreted.
    public static func code(_ s: String, inTable: Bool = true) -> String {
        var text = singleLine(s)
        if inTable { text = text.replacingAll("|", with: "\\|") }
        var longest = 0, run = 0
        for c in text.unicodeScalars {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || text.isEmpty ? " " : ""
        return fence + pad + text + pad + fence
    }

    /// Line breaks and other control characters as spaces (NUL as U+FFFD).
    static func singleLine(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\u{0}": out += "\u{fffd}"
            case "\u{1}"..."\u{1f}", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    /// Every occurrence of `target` replaced (the standard library has no such method without Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
