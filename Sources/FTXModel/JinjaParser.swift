/// Parser of the Jinja subset: statements for/if/elif/else/set (and namespace attributes), and
/// expressions with Python-like precedence, filters, tests, calls, slices, list/dict literals.
/// Statement nesting and each expression tree are held to JinjaLimits.maxDepth while they are
/// built, so neither the parser, the interpreter nor the trees' release can overflow the stack.
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
    case ifNode([(JExpr, line: Int, [JNode])], otherwise: [JNode]?)
    case forNode(vars: [String], iter: JExpr, filter: JExpr?, body: [JNode], otherwise: [JNode]?, line: Int)
    case set(name: String, attr: String?, JExpr, line: Int)
}

struct JinjaParser {
    let source: String
    private var parts: [JinjaPart] = []
    private var pi = 0
    private var nesting = 0

    init(source: String) { self.source = source }

    mutating func parse() throws -> [JNode] {
        guard source.utf8.count <= JinjaLimits.maxSourceBytes else {
            throw ModelError.template("the template is \(source.utf8.count) bytes, over the \(JinjaLimits.maxSourceBytes >> 20) MiB limit", line: nil)
        }
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
                nodes.append(.output(x.e, line: line))
            case .statement(let toks, let line):
                guard case .name(let kw)? = toks.first else { throw ModelError.template("empty statement", line: line) }
                if until.contains(kw) { return (nodes, (kw, line, toks)) }
                if kw == "if" || kw == "for" {
                    nesting += 1
                    guard nesting <= JinjaLimits.maxDepth else {
                        throw ModelError.template("statements nested deeper than \(JinjaLimits.maxDepth) levels", line: line)
                    }
                }
                defer { if kw == "if" || kw == "for" { nesting -= 1 } }
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
                    nodes.append(.set(name: name, attr: attr, value.e, line: line))
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
        var branches: [(JExpr, line: Int, [JNode])] = []
        var otherwise: [JNode]? = nil
        var condToks = Array(toks.dropFirst()), condLine = line
        while true {
            var e = ExprParser(toks: condToks, line: condLine)
            let cond = try e.expression()
            try e.end()
            let (body, end) = try block(until: ["elif", "else", "endif"])
            branches.append((cond.e, condLine, body))
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
        var filter: Parsed? = nil
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
        return .forNode(vars: vars, iter: iter.e, filter: filter?.e, body: body, otherwise: otherwise, line: line)
    }
}

