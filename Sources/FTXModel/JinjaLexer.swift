/// Lexer of the Jinja subset chat templates use. Splits the source into text and tags, applying
/// `-` whitespace control and HF's `trim_blocks` / `lstrip_blocks`, then tokenizes tag contents.
enum JinjaPart {
    case text(String)
    case output([JinjaToken], line: Int)     // {{ … }}
    case statement([JinjaToken], line: Int)  // {% … %}
}

enum JinjaToken: Equatable {
    case name(String), string(String), int(Int), float(Double), op(String)
}

struct JinjaLexer {
    let source: [Character]

    init(_ s: String) { source = Array(s) }

    func parts() throws -> [JinjaPart] {
        var out: [JinjaPart] = []
        var i = 0, line = 1
        var text = ""
        var trimNextLeading = false   // after "-%}" / "-}}": strip whitespace
        var trimNextNewline = false   // trim_blocks: drop one newline after %}
        func flush() { if !text.isEmpty { out.append(.text(text)); text = "" } }
        while i < source.count {
            let c = source[i]
            if c == "{", i + 1 < source.count, "{%#".contains(source[i + 1]) {
                let kind = source[i + 1]
                var j = i + 2
                let stripBefore = j < source.count && source[j] == "-"
                if stripBefore { j += 1 }
                if stripBefore {
                    while let last = text.last, last.isWhitespace { text.removeLast() }
                } else if kind == "%" || kind == "#" {
                    // lstrip_blocks: drop spaces/tabs between the start of a line and a block tag.
                    var k = i
                    while k > 0, source[k - 1] == " " || source[k - 1] == "\t" { k -= 1 }
                    if k == 0 || source[k - 1] == "\n" {
                        var n = i - k
                        while n > 0, let last = text.last, last == " " || last == "\t" { text.removeLast(); n -= 1 }
                    }
                }
                let close: Character = kind == "{" ? "}" : kind
                var end = j
                var found = false
                var inStr: Character? = nil
                while end + 1 < source.count {
                    let ch = source[end]
                    if let q = inStr {
                        if ch == "\\" { end += 2; continue }
                        if ch == q { inStr = nil }
                    } else if kind != "#" && (ch == "'" || ch == "\"") {
                        inStr = ch
                    } else if ch == close && source[end + 1] == "}" { found = true; break }
                    end += 1
                }
                guard found else { throw ModelError.template("unclosed {\(kind) tag", line: line) }
                var bodyEnd = end
                let stripAfter = bodyEnd > j && source[bodyEnd - 1] == "-"
                if stripAfter { bodyEnd -= 1 }
                let body = String(source[j..<bodyEnd])
                flush()
                let tagLine = line
                for ch in source[i..<(end + 2)] where ch == "\n" { line += 1 }
                i = end + 2
                switch kind {
                case "{": out.append(.output(try tokenize(body, line: tagLine), line: tagLine))
                case "%": out.append(.statement(try tokenize(body, line: tagLine), line: tagLine))
                default: break
                }
                trimNextLeading = stripAfter
                trimNextNewline = kind != "{" && !stripAfter
                continue
            }
            if trimNextLeading {
                if c.isWhitespace { if c == "\n" { line += 1 }; i += 1; continue }
                trimNextLeading = false
            }
            if trimNextNewline {
                trimNextNewline = false
                if c == "\n" { line += 1; i += 1; continue }
            }
            if c == "\n" { line += 1 }
            text.append(c)
            i += 1
        }
        flush()
        return out
    }

    func tokenize(_ s: String, line: Int) throws -> [JinjaToken] {
        let cs = Array(s)
        var out: [JinjaToken] = []
        var i = 0
        while i < cs.count {
            let c = cs[i]
            if c.isWhitespace { i += 1; continue }
            if c.isLetter || c == "_" {
                var j = i
                while j < cs.count, cs[j].isLetter || cs[j].isNumber || cs[j] == "_" { j += 1 }
                out.append(.name(String(cs[i..<j]))); i = j; continue
            }
            if c.isNumber {
                var j = i
                while j < cs.count, cs[j].isNumber || (cs[j] == "." && j + 1 < cs.count && cs[j + 1].isNumber) { j += 1 }
                let lit = String(cs[i..<j])
                if lit.contains("."), let d = Double(lit) { out.append(.float(d)) }
                else if let n = Int(lit) { out.append(.int(n)) }
                else { throw ModelError.template("bad number \(lit)", line: line) }
                i = j; continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var str = ""
                while j < cs.count, cs[j] != c {
                    if cs[j] == "\\", j + 1 < cs.count {
                        j += 1
                        switch cs[j] {
                        case "n": str.append("\n")
                        case "t": str.append("\t")
                        case "r": str.append("\r")
                        default: str.append(cs[j])
                        }
                    } else { str.append(cs[j]) }
                    j += 1
                }
                guard j < cs.count else { throw ModelError.template("unterminated string", line: line) }
                out.append(.string(str)); i = j + 1; continue
            }
            let two = i + 1 < cs.count ? String(cs[i...(i + 1)]) : ""
            if ["==", "!=", "<=", ">=", "//", "**"].contains(two) { out.append(.op(two)); i += 2; continue }
            if "+-*/%~<>()[]{},.:|=!".contains(c) { out.append(.op(String(c))); i += 1; continue }
            throw ModelError.template("unexpected character '\(c)'", line: line)
        }
        return out
    }
}
