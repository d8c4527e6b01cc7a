/// Expressions of the Jinja subset with Python-like precedence: or/and/not, comparisons, in, is-tests,
/// ~ + - * / // %, unary minus, filters, calls, attributes, indexes, slices, list/dict/tuple literals.
/// Every tree is built with its depth and refused past JinjaLimits.maxDepth; the parser's own
/// recursion (parentheses, `not`, unary minus) is held to the same limit.
/// An expression and the depth of its tree, known as the tree is built.
struct Parsed {
    let e: JExpr
    let depth: Int
}

struct ExprParser {
    let toks: [JinjaToken]
    let line: Int
    var i = 0
    /// Recursion depth of the parser itself (parentheses, `not not …`, `- - …`).
    private var nesting = 0

    init(toks: [JinjaToken], line: Int) { self.toks = toks; self.line = line }

    var peek: JinjaToken? { i < toks.count ? toks[i] : nil }
    mutating func accept(_ t: JinjaToken) -> Bool {
        if peek == t { i += 1; return true }
        return false
    }
    mutating func expect(_ t: JinjaToken) throws {
        guard accept(t) else { throw ModelError.template("expected \(show(t)), found \(peek.map(show) ?? "end of tag")", line: line) }
    }
    func end() throws {
        if let p = peek { throw ModelError.template("unexpected \(show(p))", line: line) }
    }
    mutating func name() throws -> String {
        guard case .name(let n)? = peek else { throw ModelError.template("expected a name, found \(peek.map(show) ?? "end of tag")", line: line) }
        i += 1
        return n
    }
    func show(_ t: JinjaToken) -> String {
        switch t {
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .int(let n): return "\(n)"
        case .float(let d): return "\(d)"
        case .op(let o): return "'\(o)'"
        }
    }

    func tooDeep() -> ModelError {
        .template("expression nested deeper than \(JinjaLimits.maxDepth) levels", line: line)
    }
    /// A node over `parts`, refused when its tree would be deeper than the limit.
    func node(_ e: JExpr, _ parts: [Parsed?]) throws -> Parsed {
        let d = 1 + parts.reduce(0) { max($0, $1?.depth ?? 0) }
        guard d <= JinjaLimits.maxDepth else { throw tooDeep() }
        return Parsed(e: e, depth: d)
    }
    mutating func enter() throws {
        nesting += 1
        guard nesting <= JinjaLimits.maxDepth else { throw tooDeep() }
    }

    mutating func expression() throws -> Parsed {
        try enter(); defer { nesting -= 1 }
        let a = try orExpr()
        if accept(.name("if")) {
            let c = try orExpr()
            var b: Parsed? = nil
            if accept(.name("else")) { b = try expression() }
            return try node(.cond(a.e, c.e, b?.e), [a, c, b])
        }
        return a
    }
    /// `a op b op c` as ((a op b) op c), for the operators `op` recognises in the next token.
    mutating func binaryChain(_ op: (JinjaToken?) -> String?, _ operand: (inout ExprParser) throws -> Parsed) throws -> Parsed {
        var a = try operand(&self)
        while let o = op(peek) {
            i += 1
            let b = try operand(&self)
            a = try node(.binary(o, a.e, b.e), [a, b])
        }
        return a
    }
    mutating func orExpr() throws -> Parsed {
        try binaryChain({ $0 == .name("or") ? "or" : nil }) { try $0.andExpr() }
    }
    mutating func andExpr() throws -> Parsed {
        try binaryChain({ $0 == .name("and") ? "and" : nil }) { try $0.notExpr() }
    }
    mutating func notExpr() throws -> Parsed {
        if accept(.name("not")) {
            try enter(); defer { nesting -= 1 }
            let x = try notExpr()
            return try node(.unary("not", x.e), [x])
        }
        return try compare()
    }
    mutating func compare() throws -> Parsed {
        var a = try concat()
        while true {
            if case .op(let o)? = peek, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                i += 1; let b = try concat(); a = try node(.binary(o, a.e, b.e), [a, b]); continue
            }
            if accept(.name("in")) { let b = try concat(); a = try node(.binary("in", a.e, b.e), [a, b]); continue }
            if peek == .name("not"), i + 1 < toks.count, toks[i + 1] == .name("in") {
                i += 2
                let b = try concat()
                let inner = try node(.binary("in", a.e, b.e), [a, b])
                a = try node(.unary("not", inner.e), [inner]); continue
            }
            if accept(.name("is")) {
                let neg = accept(.name("not"))
                let t = try name()
                var args: [Parsed] = []
                if accept(.op("(")) {
                    if !accept(.op(")")) {
                        repeat { args.append(try expression()) } while accept(.op(","))
                        try expect(.op(")"))
                    }
                } else if let p = peek, case .name(let n) = p, !["and", "or", "else", "if"].contains(n) {
                    args.append(try postfix())
                } else if case .string? = peek { args.append(try postfix()) }
                else if case .int? = peek { args.append(try postfix()) }
                a = try node(.test(a.e, t, args.map(\.e), negated: neg), [a] + args); continue
            }
            return a
        }
    }
    static func op(_ t: JinjaToken?, in ops: [String]) -> String? {
        if case .op(let o)? = t, ops.contains(o) { return o }
        return nil
    }
    mutating func concat() throws -> Parsed {
        try binaryChain({ Self.op($0, in: ["~"]) }) { try $0.additive() }
    }
    mutating func additive() throws -> Parsed {
        try binaryChain({ Self.op($0, in: ["+", "-"]) }) { try $0.multiplicative() }
    }
    mutating func multiplicative() throws -> Parsed {
        try binaryChain({ Self.op($0, in: ["*", "/", "//", "%"]) }) { try $0.unary() }
    }
    mutating func unary() throws -> Parsed {
        if accept(.op("-")) {
            try enter(); defer { nesting -= 1 }
            let x = try unary()
            return try node(.unary("-", x.e), [x])
        }
        if accept(.op("+")) {
            try enter(); defer { nesting -= 1 }
            return try unary()
        }
        return try postfix()
    }
    mutating func args() throws -> (pos: [Parsed], kw: [(String, Parsed)]) {
        var pos: [Parsed] = [], kw: [(String, Parsed)] = []
        if accept(.op(")")) { return (pos, kw) }
        repeat {
            if case .name(let n)? = peek, i + 1 < toks.count, toks[i + 1] == .op("=") {
                i += 2; kw.append((n, try expression()))
            } else { pos.append(try expression()) }
        } while accept(.op(","))
        try expect(.op(")"))
        return (pos, kw)
    }
    mutating func postfix() throws -> Parsed {
        var a = try primary()
        while true {
            if accept(.op(".")) { a = try node(.attr(a.e, try name()), [a]); continue }
            if accept(.op("(")) {
                let (p, k) = try args()
                a = try node(.call(a.e, p.map(\.e), k.map { ($0.0, $0.1.e) }), [a] + p + k.map(\.1)); continue
            }
            if accept(.op("[")) {
                var lo: Parsed? = nil
                if peek != .op(":") { lo = try expression() }
                if accept(.op(":")) {
                    var hi: Parsed? = nil, step: Parsed? = nil
                    if peek != .op("]") && peek != .op(":") { hi = try expression() }
                    if accept(.op(":")) { if peek != .op("]") { step = try expression() } }
                    try expect(.op("]"))
                    a = try node(.slice(a.e, lo?.e, hi?.e, step?.e), [a, lo, hi, step])
                } else {
                    try expect(.op("]"))
                    guard let lo else { throw ModelError.template("empty index", line: line) }
                    a = try node(.index(a.e, lo.e), [a, lo])
                }
                continue
            }
            if accept(.op("|")) {
                let f = try name()
                var p: [Parsed] = [], k: [(String, Parsed)] = []
                if accept(.op("(")) { (p, k) = try args() }
                a = try node(.filter(a.e, f, p.map(\.e), k.map { ($0.0, $0.1.e) }), [a] + p + k.map(\.1)); continue
            }
            return a
        }
    }
    mutating func primary() throws -> Parsed {
        guard let t = peek else { throw ModelError.template("expression ends too early", line: line) }
        i += 1
        switch t {
        case .string(var s):
            while case .string(let more)? = peek { s += more; i += 1 }   // adjacent literals concatenate
            return Parsed(e: .literal(.string(s)), depth: 1)
        case .int(let n): return Parsed(e: .literal(.int(n)), depth: 1)
        case .float(let d): return Parsed(e: .literal(.double(d)), depth: 1)
        case .name(let n):
            switch n {
            case "true", "True": return Parsed(e: .literal(.bool(true)), depth: 1)
            case "false", "False": return Parsed(e: .literal(.bool(false)), depth: 1)
            case "none", "None": return Parsed(e: .literal(.none), depth: 1)
            default: return Parsed(e: .name(n), depth: 1)
            }
        case .op("("):
            let e = try expression()
            if accept(.op(",")) {   // tuple → list
                var items = [e]
                if !accept(.op(")")) {
                    repeat { items.append(try expression()) } while accept(.op(","))
                    try expect(.op(")"))
                }
                return try node(.list(items.map(\.e)), items)
            }
            try expect(.op(")"))
            return e
        case .op("["):
            var items: [Parsed] = []
            if !accept(.op("]")) {
                repeat { if peek == .op("]") { break }; items.append(try expression()) } while accept(.op(","))
                try expect(.op("]"))
            }
            return try node(.list(items.map(\.e)), items)
        case .op("{"):
            var items: [(Parsed, Parsed)] = []
            if !accept(.op("}")) {
                repeat {
                    if peek == .op("}") { break }
                    let k = try expression(); try expect(.op(":")); items.append((k, try expression()))
                } while accept(.op(","))
                try expect(.op("}"))
            }
            return try node(.dict(items.map { ($0.0.e, $0.1.e) }), items.flatMap { [$0.0, $0.1] })
        default:
            throw ModelError.template("unexpected \(show(t))", line: line)
        }
    }
}
