import Foundation

/// Evaluates a parsed template. Scopes: globals, then one per for-loop body (Jinja's rule: a `set`
/// inside a loop does not leak out; namespaces are how templates carry state across iterations).
/// All work is charged to `budget` (JinjaLimits): sizes are checked before anything is allocated,
/// integer arithmetic does not wrap.
struct JinjaInterpreter {
    var scopes: [[String: JinjaValue]]
    let budget = JinjaBudget()

    init(globals: [String: JinjaValue]) { scopes = [globals] }

    /// The keys of a for loop's `loop` variable, in the order its repr lists them.
    static let loopKeys = ["first", "index", "index0", "last", "length", "nextitem", "previtem", "revindex", "revindex0"]

    mutating func run(_ nodes: [JNode]) throws -> String {
        var out = ""
        try exec(nodes, &out)
        return out
    }

    func lookup(_ name: String) -> JinjaValue {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return .undefined
    }

    /// str(v), charged.
    func str(_ v: JinjaValue) throws -> String { try v.rendered(budget) }

    func fail(_ m: String, _ line: Int?) -> ModelError { .template(m, line: line) }

    mutating func exec(_ nodes: [JNode], _ out: inout String) throws {
        for n in nodes {
            try budget.spend()
            switch n {
            case .text(let s): try budget.append(s, to: &out)
            case .output(let e, let line):
                budget.line = line
                try budget.append(try str(eval(e, line)), to: &out)
            case .ifNode(let branches, let otherwise):
                var done = false
                for (c, line, body) in branches {
                    budget.line = line
                    if try eval(c, line).truthy { try exec(body, &out); done = true; break }
                }
                if !done, let o = otherwise { try exec(o, &out) }
            case .set(let name, let attr, let e, let line):
                budget.line = line
                let v = try eval(e, line)
                if let attr {
                    guard case .namespace(let ns) = lookup(name) else {
                        throw fail("cannot set \(name).\(attr): \(name) is not a namespace", line)
                    }
                    ns.values[attr] = v
                } else {
                    scopes[scopes.count - 1][name] = v
                }
            case .forNode(let vars, let iterE, let filter, let body, let otherwise, let line):
                budget.line = line
                let iv = try eval(iterE, line)
                guard var items = try iv.iterated(budget) else { throw fail("cannot loop over a \(iv.typeName)", line) }
                if let filter {
                    items = try items.filter { item in
                        scopes.append(try bind(vars, item, line))
                        defer { scopes.removeLast() }
                        return try eval(filter, line).truthy
                    }
                }
                if items.isEmpty, let o = otherwise { try exec(o, &out); continue }
                for (idx, item) in items.enumerated() {
                    budget.line = line
                    try budget.spend()
                    var scope = try bind(vars, item, line)
                    let n = items.count
                    scope["loop"] = .dict([
                        "index": .int(idx + 1), "index0": .int(idx), "first": .bool(idx == 0), "last": .bool(idx == n - 1),
                        "length": .int(n), "revindex": .int(n - idx), "revindex0": .int(n - idx - 1),
                        "previtem": idx > 0 ? items[idx - 1] : .undefined,
                        "nextitem": idx + 1 < n ? items[idx + 1] : .undefined,
                    ], keys: Self.loopKeys)
                    scopes.append(scope)
                    defer { scopes.removeLast() }
                    try exec(body, &out)
                }
            }
        }
    }

    func bind(_ vars: [String], _ item: JinjaValue, _ line: Int) throws -> [String: JinjaValue] {
        if vars.count == 1 { return [vars[0]: item] }
        guard case .list(let parts, _) = item, parts.count == vars.count else {
            throw fail("cannot unpack \(item.typeName) into \(vars.count) names", line)
        }
        var s: [String: JinjaValue] = [:]
        for (k, v) in zip(vars, parts) { s[k] = v }
        return s
    }

    func eval(_ e: JExpr, _ line: Int?) throws -> JinjaValue {
        try budget.spend()
        switch e {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items):
            let v = JinjaValue.list(try items.map { try eval($0, line) })
            try budget.depth(v.depth)
            return v
        case .dict(let items):
            var d: [String: JinjaValue] = [:], keys: [String] = []
            for (k, v) in items {
                let key = try str(eval(k, line))
                if d[key] == nil { keys.append(key) }
                d[key] = try eval(v, line)
            }
            let v = JinjaValue.dict(d, keys: keys)
            try budget.depth(v.depth)
            return v
        case .attr(let base, let name):
            switch try eval(base, line) {
            case .dict(let d, _, _): return d[name] ?? .undefined
            case .namespace(let ns): return ns.values[name] ?? .undefined
            default: return .undefined
            }
        case .index(let base, let idx):
            let b = try eval(base, line), i = try eval(idx, line)
            switch (b, i) {
            case (.dict(let d, _, _), _): return d[try str(i)] ?? .undefined
            case (.namespace(let ns), _): return ns.values[try str(i)] ?? .undefined
            case (.list(let l, _), .int(let n)):
                let k = n < 0 ? l.count + n : n
                return k >= 0 && k < l.count ? l[k] : .undefined
            case (.string(let s), .int(let n)):
                try budget.text(s.utf8.count)
                let k = n < 0 ? s.count + n : n
                guard k >= 0, let at = s.index(s.startIndex, offsetBy: k, limitedBy: s.endIndex), at < s.endIndex else { return .undefined }
                return .string(String(s[at]))
            default: return .undefined
            }
        case .slice(let base, let lo, let hi, let step):
            let b = try eval(base, line)
            let stepN: Int
            if case .int(let s)? = try step.map({ try eval($0, line) }) { stepN = s } else { stepN = 1 }
            guard stepN != 0, stepN != .min else { throw fail("slice step \(stepN)", line) }
            func bound(_ x: JExpr?) throws -> Int? {
                guard let x, case .int(let v) = try eval(x, line) else { return nil }
                return v
            }
            let a = try bound(lo), z = try bound(hi)
            switch b {
            case .list(let l, _):
                let r = sliced(l, count: l.count, a, z, stepN)
                try budget.items(r.count)
                return .list(r)
            case .string(let s):
                try budget.text(s.utf8.count)
                return .string(String(sliced(s, count: s.count, a, z, stepN)))
            default: return .undefined
            }
        case .unary(let op, let x):
            let v = try eval(x, line)
            if op == "not" { return .bool(!v.truthy) }
            switch v {
            case .int(let n): return .int(try checked(0.subtractingReportingOverflow(n), line))
            case .double(let d): return .double(-d)
            default: throw fail("cannot negate a \(v.typeName)", line)
            }
        case .binary(let op, let a, let b):
            if op == "and" { let l = try eval(a, line); return l.truthy ? try eval(b, line) : l }
            if op == "or" { let l = try eval(a, line); return l.truthy ? l : try eval(b, line) }
            return try binary(op, try eval(a, line), try eval(b, line), line)
        case .cond(let a, let c, let b):
            if try eval(c, line).truthy { return try eval(a, line) }
            return try b.map { try eval($0, line) } ?? .undefined
        case .test(let x, let name, let args, let neg):
            let r = try test(name, try eval(x, line), try args.map { try eval($0, line) }, line)
            return .bool(neg ? !r : r)
        case .filter(let x, let name, let args, let kw):
            return try filter(name, try eval(x, line), try args.map { try eval($0, line) },
                              Dictionary(kw.map { ($0.0, try eval($0.1, line)) }, uniquingKeysWith: { $1 }), line)
        case .call(let fn, let args, let kw):
            let av = try args.map { try eval($0, line) }
            let kv = Dictionary(try kw.map { ($0.0, try eval($0.1, line)) }, uniquingKeysWith: { $1 })
            if case .attr(let base, let method) = fn {
                return try call(method: method, on: try eval(base, line), av, kv, line)
            }
            guard case .name(let f) = fn else { throw fail("call of a non-function", line) }
            return try call(function: f, av, kv, line)
        }
    }

    /// Python's seq[a:z:step] (bounds clamped as Python clamps them), walking indices rather than
    /// copying the sequence.
    func sliced<C: BidirectionalCollection>(_ c: C, count: Int, _ lo: Int?, _ hi: Int?, _ step: Int) -> [C.Element] {
        func norm(_ v: Int?, _ dflt: Int) -> Int {
            guard var v else { return dflt }
            if v < 0 { v += count }
            return step > 0 ? min(max(v, 0), count) : min(max(v, -1), count - 1)
        }
        let a = norm(lo, step > 0 ? 0 : count - 1), z = norm(hi, step > 0 ? count : -1)
        var out: [C.Element] = []
        guard step > 0 ? a < z : a > z, a >= 0, a < count else { return out }
        var pos = a, at = c.index(c.startIndex, offsetBy: a)
        while step > 0 ? pos < z : pos > z {
            out.append(c[at])
            let (next, overflow) = pos.addingReportingOverflow(step)
            guard !overflow, next >= 0, next < count, let i = c.index(at, offsetBy: step, limitedBy: step > 0 ? c.endIndex : c.startIndex) else { break }
            pos = next; at = i
        }
        return out
    }

    func checked(_ r: (partialValue: Int, overflow: Bool), _ line: Int?) throws -> Int {
        guard !r.overflow else { throw fail("integer overflow", line) }
        return r.partialValue
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue, _ line: Int?) throws -> JinjaValue {
        switch op {
        case "==": return .bool(try a.equals(b, budget))
        case "!=": return .bool(try !a.equals(b, budget))
        case "~": return .string(try concat(try str(a), try str(b)))
        case "in":
            switch b {
            case .string(let s): return .bool(try contains(s, try str(a)))
            case .list(let l, _): return .bool(try l.contains { try $0.equals(a, budget) })
            case .dict(let d, _, _): return .bool(d[try str(a)] != nil)
            case .undefined, .none: return .bool(false)
            default: throw fail("'in' on a \(b.typeName)", line)
            }
        case "<", ">", "<=", ">=":
            if case .string(let x) = a, case .string(let y) = b {
                try budget.text(min(x.utf8.count, y.utf8.count))
                return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
            }
            guard let x = a.number, let y = b.number else { throw fail("cannot compare \(a.typeName) and \(b.typeName)", line) }
            return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(try concat(x, y))
            case (.list(let x, _), .list(let y, _)):
                try budget.items(x.count + y.count)
                return .list(x + y)
            case (.int(let x), .int(let y)): return .int(try checked(x.addingReportingOverflow(y), line))
            default:
                if let x = a.number, let y = b.number { return .double(x + y) }
                throw fail("cannot add \(a.typeName) and \(b.typeName)", line)
            }
        default:
            if case .int(let x) = a, case .int(let y) = b {
                switch op {
                case "-": return .int(try checked(x.subtractingReportingOverflow(y), line))
                case "*": return .int(try checked(x.multipliedReportingOverflow(by: y), line))
                case "//", "%":
                    guard y != 0 else { throw fail("division by zero", line) }
                    // Python's floor division and modulo (the sign of the divisor).
                    if y == -1 { return .int(op == "%" ? 0 : try checked(0.subtractingReportingOverflow(x), line)) }
                    let q = x / y, r = x % y, floors = r != 0 && (r < 0) != (y < 0)
                    return .int(op == "%" ? (floors ? r + y : r) : (floors ? q - 1 : q))
                case "/": guard y != 0 else { throw fail("division by zero", line) }; return .double(Double(x) / Double(y))
                default: break
                }
            }
            if op == "*", case .string(let s) = a, case .int(let n) = b {
                try budget.textProduct(s.utf8.count, max(0, n))
                return .string(String(repeating: s, count: max(0, n)))
            }
            guard let x = a.number, let y = b.number else { throw fail("cannot apply \(op) to \(a.typeName) and \(b.typeName)", line) }
            switch op {
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/": return .double(x / y)
            case "//": return .double((x / y).rounded(.down))
            case "%": return .double(x.truncatingRemainder(dividingBy: y))
            default: throw fail("unsupported operator \(op)", line)
            }
        }
    }

    func test(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ line: Int?) throws -> Bool {
        switch name {
        case "defined": if case .undefined = v { return false }; return true
        case "undefined": if case .undefined = v { return true }; return false
        case "none": if case .none = v { return true }; return false
        case "string": if case .string = v { return true }; return false
        case "number": return v.number != nil && v.typeName != "bool"
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "mapping": if case .dict = v { return true }; return false
        case "sequence", "iterable":
            switch v { case .list, .string, .dict: return true; default: return false }
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "even", "odd":
            guard case .int(let n) = v else { return false }
            return (n % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case .int(let n) = v, case .int(let d)? = args.first, d != 0 else { return false }
            return d == -1 || n % d == 0
        case "eq", "equalto", "==": return try args.first.map { try v.equals($0, budget) } ?? false
        case "ne", "!=": return !(try args.first.map { try v.equals($0, budget) } ?? false)
        case "in": return try args.first.map { try binary("in", v, $0, line).truthy } ?? false
        default: throw fail("unsupported test 'is \(name)'", line)
        }
    }
}
