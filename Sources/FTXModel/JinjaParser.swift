/// Parser of the Jinja subset: statements for/if/elif/else/set (and namespace attributes), and
/// expressions with Python-like precedence, filters, tests, calls, slices, list/dict literals.
indirect enum JExpr {
    case literal(JinjaValue)
    case name(String)
    case attr(JExpr, String)
    case index(JExpr, JExpr)
    case slice(JExpr, JExpr?, JExpr?, JExpr?)
    case call(JExpr, [JExpr], [(String, JExpr)])
    case filter(JExpr, String, [JExpr], [(String, JExpr)])
    case test(JExpr, String, [JExpr], negated: Bool)
    case unary(String, JExpr)
    case binary(String, JExpr, JExpr)
    case cond(JExpr, JExpr, JExpr?)
    case list([JExpr])
    case dict([(JExpr, JExpr)])
}

indirect enum JNode {
    case text(String)
    case output(JExpr, line: Int)
    case ifNode([(JExpr, [JNode])], otherwise: [JNode]?)
    case forNode(vars: [String], iter: JExpr, filter: JExpr?, body: [JNode], otherwise: [JNode]?, line: Int)
    case set(name: String, attr: String?, JExpr, line: Int)
}

struct JinjaParser {
    let source: String
    private var parts: [JinjaPart] = []
    private var pi = 0

    init(source: String) { self.source = source }

    mutating func parse() throws -> [JNode] {
        parts = try JinjaLexer(source).parts()
        pi = 0
        let (nodes, end) = try block(until: [])
        if let end { throw ModelError.template("unexpected {% \(end.0) %}", line: end.1) }
        return nodes
    }

    /// Parses nodes until a statement whose keyword is in `until`; returns it (keyword, line, tokens).
    private mutating func block(until: Set<String>) throws -> ([JNode], (String, Int, [JinjaToken])?) {
        var nodes: [JNode] = []
        while pi < parts.count {
            let part = parts[pi]
            pi += 1
            switch part {
            case .text(let s): nodes.append(.text(s))
            case .output(let toks, let line):
                var e = ExprParser(toks: toks, line: line)
                let x = try e.expression()
                try e.end()
                nodes.append(.output(x, line: line))
            case .statement(let toks, let line):
                guard case .name(let kw)? = toks.first else { throw ModelError.template("empty statement", line: line) }
                if until.contains(kw) { return (nodes, (kw, line, toks)) }
                switch kw {
                case "if": nodes.append(try ifStatement(toks, line: line))
                case "for": nodes.append(try forStatement(toks, line: line))
                case "set":
                    var e = ExprParser(toks: Array(toks.dropFirst()), line: line)
                    let name = try e.name()
                    var attr: String? = nil
                    if e.accept(.op(".")) { attr = try e.name() }
                    try e.expect(.op("="))
                    let value = try e.expression()
                    try e.end()
                    nodes.append(.set(name: name, attr: attr, value, line: line))
                case "generation", "endgeneration": break   // HF's assistant-mask markers render nothing
                default:
                    throw ModelError.template("unsupported statement {% \(kw) %}", line: line)
                }
            }
        }
        if !until.isEmpty { throw ModelError.template("missing {% \(until.sorted().joined(separator: " / ")) %}", line: nil) }
        return (nodes, nil)
    }

    private mutating func ifStatement(_ toks: [JinjaToken], line: Int) throws -> JNode {
        var branches: [(JExpr, [JNode])] = []
        var otherwise: [JNode]? = nil
        var condToks = Array(toks.dropFirst()), condLine = line
        while true {
            var e = ExprParser(toks: condToks, line: condLine)
            let cond = try e.expression()
            try e.end()
            let (body, end) = try block(until: ["elif", "else", "endif"])
            branches.append((cond, body))
            guard let (kw, l, t) = end else { throw ModelError.template("missing {% endif %}", line: line) }
            if kw == "elif" { condToks = Array(t.dropFirst()); condLine = l; continue }
            if kw == "else" {
                let (eb, end2) = try block(until: ["endif"])
                guard end2 != nil else { throw ModelError.template("missing {% endif %}", line: line) }
                otherwise = eb
            }
            break
        }
        return .ifNode(branches, otherwise: otherwise)
    }

    private mutating func forStatement(_ toks: [JinjaToken], line: Int) throws -> JNode {
        var e = ExprParser(toks: Array(toks.dropFirst()), line: line)
        var vars = [try e.name()]
        while e.accept(.op(",")) { vars.append(try e.name()) }
        try e.expect(.name("in"))
        let iter = try e.orExpr()
        var filter: JExpr? = nil
        if e.accept(.name("if")) { filter = try e.orExpr() }
        try e.end()
        let (body, end) = try block(until: ["else", "endfor"])
        guard let (kw, _, _) = end else { throw ModelError.template("missing {% endfor %}", line: line) }
        var otherwise: [JNode]? = nil
        if kw == "else" {
            let (eb, end2) = try block(until: ["endfor"])
            guard end2 != nil else { throw ModelError.template("missing {% endfor %}", line: line) }
            otherwise = eb
        }
        return .forNode(vars: vars, iter: iter, filter: filter, body: body, otherwise: otherwise, line: line)
    }
}

struct ExprParser {
    let toks: [JinjaToken]
    let line: Int
    var i = 0

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

    mutating func expression() throws -> JExpr {
        let a = try orExpr()
        if accept(.name("if")) {
            let c = try orExpr()
            var b: JExpr? = nil
            if accept(.name("else")) { b = try expression() }
            return .cond(a, c, b)
        }
        return a
    }
    mutating func orExpr() throws -> JExpr {
        var a = try andExpr()
        while accept(.name("or")) { a = .binary("or", a, try andExpr()) }
        return a
    }
    mutating func andExpr() throws -> JExpr {
        var a = try notExpr()
        while accept(.name("and")) { a = .binary("and", a, try notExpr()) }
        return a
    }
    mutating func notExpr() throws -> JExpr {
        if accept(.name("not")) { return .unary("not", try notExpr()) }
        return try compare()
    }
    mutating func compare() throws -> JExpr {
        var a = try concat()
        while true {
            if case .op(let o)? = peek, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                i += 1; a = .binary(o, a, try concat()); continue
            }
            if accept(.name("in")) { a = .binary("in", a, try concat()); continue }
            if peek == .name("not"), i + 1 < toks.count, toks[i + 1] == .name("in") {
                i += 2; a = .unary("not", .binary("in", a, try concat())); continue
            }
            if accept(.name("is")) {
                let neg = accept(.name("not"))
                let t = try name()
                var args: [JExpr] = []
                if accept(.op("(")) {
                    if !accept(.op(")")) {
                        repeat { args.append(try expression()) } while accept(.op(","))
                        try expect(.op(")"))
                    }
                } else if let p = peek, case .name(let n) = p, !["and", "or", "else", "if"].contains(n) {
                    args.append(try postfix())
                } else if case .string? = peek { args.append(try postfix()) }
                else if case .int? = peek { args.append(try postfix()) }
                a = .test(a, t, args, negated: neg); continue
            }
            return a
        }
    }
    mutating func concat() throws -> JExpr {
        var a = try additive()
        while accept(.op("~")) { a = .binary("~", a, try additive()) }
        return a
    }
    mutating func additive() throws -> JExpr {
        var a = try multiplicative()
        while case .op(let o)? = peek, o == "+" || o == "-" { i += 1; a = .binary(o, a, try multiplicative()) }
        return a
    }
    mutating func multiplicative() throws -> JExpr {
        var a = try unary()
        while case .op(let o)? = peek, ["*", "/", "//", "%"].contains(o) { i += 1; a = .binary(o, a, try unary()) }
        return a
    }
    mutating func unary() throws -> JExpr {
        if accept(.op("-")) { return .unary("-", try unary()) }
        if accept(.op("+")) { return try unary() }
        return try postfix()
    }
    mutating func args() throws -> ([JExpr], [(String, JExpr)]) {
        var pos: [JExpr] = [], kw: [(String, JExpr)] = []
        if accept(.op(")")) { return (pos, kw) }
        repeat {
            if case .name(let n)? = peek, i + 1 < toks.count, toks[i + 1] == .op("=") {
                i += 2; kw.append((n, try expression()))
            } else { pos.append(try expression()) }
        } while accept(.op(","))
        try expect(.op(")"))
        return (pos, kw)
    }
    mutating func postfix() throws -> JExpr {
        var a = try primary()
        while true {
            if accept(.op(".")) { a = .attr(a, try name()); continue }
            if accept(.op("(")) { let (p, k) = try args(); a = .call(a, p, k); continue }
            if accept(.op("[")) {
                var lo: JExpr? = nil
                if peek != .op(":") { lo = try expression() }
                if accept(.op(":")) {
                    var hi: JExpr? = nil, step: JExpr? = nil
                    if peek != .op("]") && peek != .op(":") { hi = try expression() }
                    if accept(.op(":")) { if peek != .op("]") { step = try expression() } }
                    try expect(.op("]"))
                    a = .slice(a, lo, hi, step)
                } else {
                    try expect(.op("]"))
                    guard let lo else { throw ModelError.template("empty index", line: line) }
                    a = .index(a, lo)
                }
                continue
            }
            if accept(.op("|")) {
                let f = try name()
                var p: [JExpr] = [], k: [(String, JExpr)] = []
                if accept(.op("(")) { (p, k) = try args() }
                a = .filter(a, f, p, k); continue
            }
            return a
        }
    }
    mutating func primary() throws -> JExpr {
        guard let t = peek else { throw ModelError.template("expression ends too early", line: line) }
        i += 1
        switch t {
        case .string(var s):
            while case .string(let more)? = peek { s += more; i += 1 }   // adjacent literals concatenate
            return .literal(.string(s))
        case .int(let n): return .literal(.int(n))
        case .float(let d): return .literal(.double(d))
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .op("("):
            let e = try expression()
            if accept(.op(",")) {   // tuple → list
                var items = [e]
                if !accept(.op(")")) {
                    repeat { items.append(try expression()) } while accept(.op(","))
                    try expect(.op(")"))
                }
                return .list(items)
            }
            try expect(.op(")"))
            return e
        case .op("["):
            var items: [JExpr] = []
            if !accept(.op("]")) {
                repeat { if peek == .op("]") { break }; items.append(try expression()) } while accept(.op(","))
                try expect(.op("]"))
            }
            return .list(items)
        case .op("{"):
            var items: [(JExpr, JExpr)] = []
            if !accept(.op("}")) {
                repeat {
                    if peek == .op("}") { break }
                    let k = try expression(); try expect(.op(":")); items.append((k, try expression()))
                } while accept(.op(","))
                try expect(.op("}"))
            }
            return .dict(items)
        default:
            throw ModelError.template("unexpected \(show(t))", line: line)
        }
    }
}
