/// Splits a SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement at a time, so
/// migration files are split here. Semicolons inside quotes ('…', "…", E'…'), dollar-quoted bodies
/// ($$…$$, $fn$…$fn$) and comments (-- …, nested /* … */) do not split.
public enum SQLScript {
    /// The statements of `script`, trimmed, without their semicolons; empty ones dropped.
    public static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {
                let end = chars[i...].firstIndex(of: "\n") ?? chars.count
                current.append(contentsOf: chars[i..<end]); i = end
            } else if c == "/" && next == "*" {
                var depth = 0, j = i
                repeat {
                    if chars[j] == "/" && j + 1 < chars.count && chars[j + 1] == "*" { depth += 1; j += 2 }
                    else if chars[j] == "*" && j + 1 < chars.count && chars[j + 1] == "/" { depth -= 1; j += 2 }
                    else { j += 1 }
                } while depth > 0 && j < chars.count
                current.append(contentsOf: chars[i..<j]); i = j
            } else if c == "'" || c == "\"" {
                var j = i + 1
                let escapes = c == "'" && i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                while j < chars.count {
                    if escapes && chars[j] == "\\" { j += 2; continue }
                    if chars[j] == c { if j + 1 < chars.count && chars[j + 1] == c { j += 2; continue } else { break } }
                    j += 1
                }
                let end = min(j + 1, chars.count)
                current.append(contentsOf: chars[i..<end]); i = end
            } else if c == "$", let tagEnd = dollarTagEnd(chars, from: i) {
                let tag = Array(chars[i...tagEnd])
                var j = tagEnd + 1
                while j < chars.count && !(chars[j] == "$" && Array(chars[j..<min(j + tag.count, chars.count)]) == tag) { j += 1 }
                let end = min(j + tag.count, chars.count)
                current.append(contentsOf: chars[i..<end]); i = end
            } else if c == ";" {
                flush(); i += 1
            } else {
                current.append(c); i += 1
            }
        }
        flush()
        return statements
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start` (`$$` or `$name$`), if it is one.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        // A `$` right after an identifier character is a positional parameter or part of a name.
        if start > 0, chars[start - 1].properties.isAlphabetic || ("0"..."9").contains(chars[start - 1]) || chars[start - 1] == "_" { return nil }
        var j = start + 1
        while j < chars.count {
            let c = chars[j]
            if c == "$" { return j }
            guard c.properties.isAlphabetic || c == "_" || (j > start + 1 && ("0"..."9").contains(c)) else { return nil }
            j += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
