import Foundation

/// Evaluates a parsed template. Scopes: globals, then one per for-loop body (Jinja's rule: a `set`
/// inside a loop does not leak out; namespaces are how templates carry state across iterations).
struct JinjaInterpreter {
    var scopes: [[String: JinjaValue]]

    init(globals: [String: JinjaValue]) { scopes = [globals] }

    mutating func run(_ nodes: [JNode]) throws -> String {
        var out = ""
        try exec(nodes, &out)
        return out
    }

    func lookup(_ name: String) -> JinjaValue {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return .undefined
    }

    mutating func exec(_ nodes: [JNode], _ out: inout String) throws {
        for n in nodes {
            switch n {
            case .text(let s): out += s
            case .output(let e, let line): out += try eval(e, line).rendered
            case .ifNode(let branches, let otherwise):
                var done = false
                for (c, body) in branches where try eval(c, nil).truthy {
                    try exec(body, &out); done = true; break
                }
                if !done, let o = otherwise { try exec(o, &out) }
            case .set(let name, let attr, let e, let line):
                let v = try eval(e, line)
                if let attr {
                    guard case .namespace(let ns) = lookup(name) else {
                        throw ModelError.template("cannot set \(name).\(attr): \(name) is not a namespace", line: line)
                    }
                    ns.values[attr] = v
                } else {
                    scopes[scopes.count - 1][name] = v
                }
            case .forNode(let vars, let iterE, let filter, let body, let otherwise, let line):
                let iv = try eval(iterE, line)
                guard var items = iv.iterated else { throw ModelError.template("cannot loop over a \(iv.typeName)", line: line) }
                if let filter {
                    items = try items.filter { item in
                        scopes.append(try bind(vars, item, line))
                        defer { scopes.removeLast() }
                        return try eval(filter, line).truthy
                    }
                }
                if items.isEmpty, let o = otherwise { try exec(o, &out); continue }
                for (idx, item) in items.enumerated() {
                    var scope = try bind(vars, item, line)
                    let n = items.count
                    scope["loop"] = .dict([
                        "index": .int(idx + 1), "index0": .int(idx), "first": .bool(idx == 0), "last": .bool(idx == n - 1),
                        "length": .int(n), "revindex": .int(n - idx), "revindex0": .int(n - idx - 1),
                        "previtem": idx > 0 ? items[idx - 1] : .undefined,
                        "nextitem": idx + 1 < n ? items[idx + 1] : .undefined,
                    ])
                    scopes.append(scope)
                    defer { scopes.removeLast() }
                    try exec(body, &out)
                }
            }
        }
    }

    func bind(_ vars: [String], _ item: JinjaValue, _ line: Int) throws -> [String: JinjaValue] {
        if vars.count == 1 { return [vars[0]: item] }
        guard case .list(let parts) = item, parts.count == vars.count else {
            throw ModelError.template("cannot unpack \(item.typeName) into \(vars.count) names", line: line)
        }
        var s: [String: JinjaValue] = [:]
        for (k, v) in zip(vars, parts) { s[k] = v }
        return s
    }

    func eval(_ e: JExpr, _ line: Int?) throws -> JinjaValue {
        switch e {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return .list(try items.map { try eval($0, line) })
        case .dict(let items):
            var d: [String: JinjaValue] = [:], keys: [String] = []
            for (k, v) in items {
                let key = try eval(k, line).rendered
                if d[key] == nil { keys.append(key) }
                d[key] = try eval(v, line)
            }
            return .dict(d, keys: keys)
        case .attr(let base, let name):
            let b = try eval(base, line)
            switch b {
            case .dict(let d, _): return d[name] ?? .undefined
            case .namespace(let ns): return ns.values[name] ?? .undefined
            default: return .undefined
            }
        case .index(let base, let idx):
            let b = try eval(base, line), i = try eval(idx, line)
            switch (b, i) {
            case (.dict(let d, _), _): return d[i.rendered] ?? .undefined
            case (.namespace(let ns), _): return ns.values[i.rendered] ?? .undefined
            case (.list(let l), .int(let n)):
                let k = n < 0 ? l.count + n : n
                return k >= 0 && k < l.count ? l[k] : .undefined
            case (.string(let s), .int(let n)):
                let cs = Array(s), k = n < 0 ? cs.count + n : n
                return k >= 0 && k < cs.count ? .string(String(cs[k])) : .undefined
            default: return .undefined
            }
        case .slice(let base, let lo, let hi, let step):
            let b = try eval(base, line)
            let st = try step.map { try eval($0, line) }
            let stepN: Int
            if case .int(let s)? = st { stepN = s } else { stepN = 1 }
            guard stepN != 0 else { throw ModelError.template("slice step 0", line: line) }
            func bounds(_ count: Int) throws -> [Int] {
                func norm(_ x: JExpr?, _ dflt: Int) throws -> Int {
                    guard let x else { return dflt }
                    guard case .int(var v) = try eval(x, line) else { return dflt }
                    if v < 0 { v += count }
                    return stepN > 0 ? min(max(v, 0), count) : min(max(v, -1), count - 1)
                }
                let a = try norm(lo, stepN > 0 ? 0 : count - 1), z = try norm(hi, stepN > 0 ? count : -1)
                return Array(stride(from: a, to: z, by: stepN))
            }
            switch b {
            case .list(let l): return .list(try bounds(l.count).map { l[$0] })
            case .string(let s): let cs = Array(s); return .string(String(try bounds(cs.count).map { cs[$0] }))
            default: return .undefined
            }
        case .unary(let op, let x):
            let v = try eval(x, line)
            if op == "not" { return .bool(!v.truthy) }
            switch v {
            case .int(let n): return .int(-n)
            case .double(let d): return .double(-d)
            default: throw ModelError.template("cannot negate a \(v.typeName)", line: line)
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
            guard case .name(let f) = fn else { throw ModelError.template("call of a non-function", line: line) }
            return try call(function: f, av, kv, line)
        }
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue, _ line: Int?) throws -> JinjaValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "~": return .string(a.rendered + b.rendered)
        case "in":
            switch b {
            case .string(let s): return .bool(s.contains(a.rendered))
            case .list(let l): return .bool(l.contains { $0.equals(a) })
            case .dict(let d, _): return .bool(d[a.rendered] != nil)
            case .undefined, .none: return .bool(false)
            default: throw ModelError.template("'in' on a \(b.typeName)", line: line)
            }
        case "<", ">", "<=", ">=":
            if case .string(let x) = a, case .string(let y) = b {
                return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
            }
            guard let x = a.number, let y = b.number else { throw ModelError.template("cannot compare \(a.typeName) and \(b.typeName)", line: line) }
            return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.int(let x), .int(let y)): return .int(x + y)
            default:
                if let x = a.number, let y = b.number { return .double(x + y) }
                throw ModelError.template("cannot add \(a.typeName) and \(b.typeName)", line: line)
            }
        default:
            if case .int(let x) = a, case .int(let y) = b {
                switch op {
                case "-": return .int(x - y)
                case "*": return .int(x * y)
                case "//": guard y != 0 else { throw ModelError.template("division by zero", line: line) }; return .int(Int((Double(x) / Double(y)).rounded(.down)))
                case "%": guard y != 0 else { throw ModelError.template("division by zero", line: line) }; return .int(((x % y) + y) % y)
                case "/": guard y != 0 else { throw ModelError.template("division by zero", line: line) }; return .double(Double(x) / Double(y))
                default: break
                }
            }
            if op == "*", case .string(let s) = a, case .int(let n) = b { return .string(String(repeating: s, count: max(0, n))) }
            guard let x = a.number, let y = b.number else { throw ModelError.template("cannot apply \(op) to \(a.typeName) and \(b.typeName)", line: line) }
            switch op {
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/": return .double(x / y)
            case "//": return .double((x / y).rounded(.down))
            case "%": return .double(x.truncatingRemainder(dividingBy: y))
            default: throw ModelError.template("unsupported operator \(op)", line: line)
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
            return n % d == 0
        case "eq", "equalto", "==": return args.first.map { v.equals($0) } ?? false
        case "ne", "!=": return !(args.first.map { v.equals($0) } ?? false)
        case "in": return try args.first.map { try binary("in", v, $0, line).truthy } ?? false
        default: throw ModelError.template("unsupported test 'is \(name)'", line: line)
        }
    }
}
