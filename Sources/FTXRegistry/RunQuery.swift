import Foundation

/// The small, safe expression language of `ftx runs --where`: comparisons of run fields, params and
/// metrics against literals, joined with `and`/`or`/`not` and parentheses, e.g.
/// `lora_r <= 16 and pass_rate > 0.8` or `status = 'passed' and not (learning_rate >= 1e-3)`.
/// It compiles to a parameterized SQL condition: names become fixed column expressions chosen from
/// a whitelist, literals become `?` bindings; no user text is ever pasted into SQL.
public indirect enum RunQuery: Equatable, Sendable {
    case compare(Operand, ComparisonOp, Operand)
    case and(RunQuery, RunQuery)
    case or(RunQuery, RunQuery)
    case not(RunQuery)

    public enum Operand: Equatable, Sendable {
        case field(String)
        case number(Double)
        case string(String)
    }

    public enum ComparisonOp: String, Sendable {
        case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "=", ne = "!="
    }

    /// A value bound to a `?` placeholder.
    public enum Binding: Equatable, Sendable {
        case number(Double)
        case text(String)
    }

    public static func parse(_ text: String) throws -> RunQuery {
        var parser = QueryParser(text: text)
        return try parser.parseAll()
    }

    /// Compiles to an SQL condition over the `runs` table aliased `r`. `resolve` maps a field name
    /// to a fixed SQL expression (from a whitelist) plus the bindings that expression needs.
    public func sql(resolve: (String) throws -> (sql: String, bindings: [Binding])) throws -> (sql: String, bindings: [Binding]) {
        switch self {
        case .and(let a, let b):
            let l = try a.sql(resolve: resolve), r = try b.sql(resolve: resolve)
            return ("(\(l.sql) AND \(r.sql))", l.bindings + r.bindings)
        case .or(let a, let b):
            let l = try a.sql(resolve: resolve), r = try b.sql(resolve: resolve)
            return ("(\(l.sql) OR \(r.sql))", l.bindings + r.bindings)
        case .not(let a):
            let inner = try a.sql(resolve: resolve)
            // A missing value (NULL) is "not matching", also under `not`.
            return ("(COALESCE(NOT \(inner.sql), 0))", inner.bindings)
        case .compare(let lhs, let op, let rhs):
            let l = try Self.operandSQL(lhs, resolve), r = try Self.operandSQL(rhs, resolve)
            let sqlOp = op == .ne ? "<>" : (op == .eq ? "=" : op.rawValue)
            return ("(\(l.sql) \(sqlOp) \(r.sql))", l.bindings + r.bindings)
        }
    }

    private static func operandSQL(_ o: Operand, _ resolve: (String) throws -> (sql: String, bindings: [Binding]))
        throws -> (sql: String, bindings: [Binding]) {
        switch o {
        case .field(let name): return try resolve(name)
        case .number(let v): return ("?", [.number(v)])
        case .string(let s): return ("?", [.text(s)])
        }
    }

    /// Every field name the expression mentions (to validate them before compiling).
    public var fields: [String] {
        switch self {
        case .and(let a, let b), .or(let a, let b): return a.fields + b.fields
        case .not(let a): return a.fields
        case .compare(let l, _, let r):
            return [l, r].compactMap { if case .field(let f) = $0 { return f } else { return nil } }
        }
    }
}

/// Recursive-descent parser; errors name the column (1-based) of the offending token.
struct QueryParser {
    enum Token: Equatable {
        case ident(String), number(Double), string(String), op(RunQuery.ComparisonOp)
        case and, or, not, lparen, rparen, end
    }

    let text: String
    private var tokens: [(Token, Int)] = []
    private var pos = 0

    init(text: String) { self.text = text }

    mutating func parseAll() throws -> RunQuery {
        tokens = try tokenize()
        let q = try parseOr()
        if case let (tok, col) = tokens[pos], tok != .end {
            throw RegistryError.query("unexpected \(describe(tok))", column: col, expression: text)
        }
        return q
    }

    private mutating func parseOr() throws -> RunQuery {
        var q = try parseAnd()
        while tokens[pos].0 == .or { pos += 1; q = .or(q, try parseAnd()) }
        return q
    }

    private mutating func parseAnd() throws -> RunQuery {
        var q = try parseNot()
        while tokens[pos].0 == .and { pos += 1; q = .and(q, try parseNot()) }
        return q
    }

    private mutating func parseNot() throws -> RunQuery {
        if tokens[pos].0 == .not { pos += 1; return .not(try parseNot()) }
        if tokens[pos].0 == .lparen {
            let col = tokens[pos].1
            pos += 1
            let q = try parseOr()
            guard tokens[pos].0 == .rparen else {
                throw RegistryError.query("missing ')' for '(' at column \(col)", column: tokens[pos].1, expression: text)
            }
            pos += 1
            return q
        }
        let lhs = try parseOperand()
        guard case .op(let op) = tokens[pos].0 else {
            throw RegistryError.query("expected a comparison (<, <=, >, >=, =, !=) but found \(describe(tokens[pos].0))",
                                      column: tokens[pos].1, expression: text)
        }
        pos += 1
        let rhs = try parseOperand()
        if case .field = lhs {} else if case .field = rhs {} else {
            throw RegistryError.query("a comparison needs a field name on one side", column: tokens[pos - 1].1, expression: text)
        }
        return .compare(lhs, op, rhs)
    }

    private mutating func parseOperand() throws -> RunQuery.Operand {
        let (tok, col) = tokens[pos]
        switch tok {
        case .ident(let s): pos += 1; return .field(s)
        case .number(let v): pos += 1; return .number(v)
        case .string(let s): pos += 1; return .string(s)
        default:
            throw RegistryError.query("expected a field, number or quoted string but found \(describe(tok))", column: col, expression: text)
        }
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .ident(let s): return "'\(s)'"
        case .number(let v): return "number \(v)"
        case .string(let s): return "string '\(s)'"
        case .op(let o): return "'\(o.rawValue)'"
        case .and: return "'and'"
        case .or: return "'or'"
        case .not: return "'not'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .end: return "end of expression"
        }
    }

    private func tokenize() throws -> [(Token, Int)] {
        var out: [(Token, Int)] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { CharacterSet.letters.contains(c) || c == "_" }
        func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || CharacterSet.decimalDigits.contains(c) || c == "." || c == "-" }
        while i < chars.count {
            let c = chars[i]
            let col = i + 1
            if c == " " || c == "\t" || c == "\n" { i += 1; continue }
            if c == "(" { out.append((.lparen, col)); i += 1; continue }
            if c == ")" { out.append((.rparen, col)); i += 1; continue }
            if "<>=!".unicodeScalars.contains(c) {
                let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
                let two = next == "=" ? String(c) + "=" : String(c)
                let op: RunQuery.ComparisonOp?
                switch two {
                case "<": op = .lt
                case "<=": op = .le
                case ">": op = .gt
                case ">=": op = .ge
                case "=", "==": op = .eq
                case "!=": op = .ne
                default: op = nil
                }
                guard let op else { throw RegistryError.query("unknown operator '\(two)'", column: col, expression: text) }
                out.append((.op(op), col))
                i += two.unicodeScalars.count
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var s = ""
                while j < chars.count && chars[j] != c { s.unicodeScalars.append(chars[j]); j += 1 }
                guard j < chars.count else { throw RegistryError.query("unterminated string", column: col, expression: text) }
                out.append((.string(s), col))
                i = j + 1
                continue
            }
            if CharacterSet.decimalDigits.contains(c) || ((c == "-" || c == ".") && i + 1 < chars.count
                && CharacterSet.decimalDigits.contains(chars[i + 1])) {
                var j = i + 1
                while j < chars.count, CharacterSet.decimalDigits.contains(chars[j]) || "._eE".unicodeScalars.contains(chars[j])
                    || ((chars[j] == "-" || chars[j] == "+") && (chars[j - 1] == "e" || chars[j - 1] == "E")) { j += 1 }
                let lit = String(String.UnicodeScalarView(chars[i..<j])).replacingOccurrences(of: "_", with: "")
                guard let v = Double(lit) else { throw RegistryError.query("bad number '\(lit)'", column: col, expression: text) }
                out.append((.number(v), col))
                i = j
                continue
            }
            if isIdentStart(c) {
                var j = i + 1
                while j < chars.count, isIdent(chars[j]) { j += 1 }
                let word = String(String.UnicodeScalarView(chars[i..<j]))
                switch word.lowercased() {
                case "and": out.append((.and, col))
                case "or": out.append((.or, col))
                case "not": out.append((.not, col))
                case "true": out.append((.number(1), col))
                case "false": out.append((.number(0), col))
                default: out.append((.ident(word), col))
                }
                i = j
                continue
            }
            throw RegistryError.query("unexpected character '\(c)'", column: col, expression: text)
        }
        out.append((.end, chars.count + 1))
        return out
    }
}
