import Foundation
import FTXCore

/// Mutable attribute bag made by `namespace(...)` (the one mutable value of Jinja).
final class JinjaNamespace { var values: [String: JinjaValue] = [:] }

/// Values of the Jinja interpreter, with Python's rendering and truthiness. Lists and dicts carry
/// their nesting depth (1 + their deepest item), so a template cannot nest values deeper than the
/// interpreter may recurse without anyone walking the value to find out.
indirect enum JinjaValue {
    case undefined, none, bool(Bool), int(Int), double(Double), string(String)
    case list([JinjaValue], depth: Int)
    case dict([String: JinjaValue], keys: [String], depth: Int)
    case namespace(JinjaNamespace)

    static func list(_ items: [JinjaValue]) -> JinjaValue {
        .list(items, depth: 1 + items.reduce(0) { max($0, $1.depth) })
    }
    static func dict(_ d: [String: JinjaValue], keys: [String]) -> JinjaValue {
        .dict(d, keys: keys, depth: 1 + d.values.reduce(0) { max($0, $1.depth) })
    }
    static func dict(_ d: [String: JinjaValue]) -> JinjaValue { .dict(d, keys: d.keys.sorted()) }

    var depth: Int {
        switch self {
        case .list(_, let d), .dict(_, _, let d): return d
        default: return 0
        }
    }

    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let n): return n != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l, _): return !l.isEmpty
        case .dict(let d, _, _): return !d.isEmpty
        case .namespace: return true
        }
    }

    /// str(value) as Jinja renders it; lists and dicts as Python's repr, charged to `b`.
    func rendered(_ b: JinjaBudget) throws -> String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default:
            var out = ""
            try append(to: &out, json: false, b)
            return out
        }
    }

    /// Python's repr (`json: false`: how values show inside lists and dicts) or JSON text
    /// (`json: true`: tojson, ensure_ascii), appended to `out` and charged to `b`.
    func append(to out: inout String, json: Bool, _ b: JinjaBudget) throws {
        switch self {
        case .undefined: if json { try b.append("null", to: &out) }
        case .none: try b.append(json ? "null" : "None", to: &out)
        case .bool(let v): try b.append(json ? (v ? "true" : "false") : (v ? "True" : "False"), to: &out)
        case .int(let n): try b.append(String(n), to: &out)
        case .double(let d):
            try b.append(!json && d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : String(d), to: &out)
        case .string(let s):
            try b.text(s.utf8.count)
            try b.append(json ? JSONString.quoted(s, asciiOnly: true) : "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'", to: &out)
        case .list(let l, _):
            try b.append("[", to: &out)
            for (i, x) in l.enumerated() {
                if i > 0 { try b.append(", ", to: &out) }
                try x.append(to: &out, json: json, b)
            }
            try b.append("]", to: &out)
        case .dict(let d, let keys, _):
            try b.append("{", to: &out)
            for (i, k) in keys.enumerated() {
                if i > 0 { try b.append(", ", to: &out) }
                try JinjaValue.string(k).append(to: &out, json: json, b)
                try b.append(": ", to: &out)
                try d[k]!.append(to: &out, json: json, b)
            }
            try b.append("}", to: &out)
        case .namespace: try b.append(json ? "{}" : "<Namespace>", to: &out)
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .namespace: return "namespace"
        }
    }

    /// Python's ==, one step per value compared (shared sublists make a small value compare long).
    func equals(_ o: JinjaValue, _ b: JinjaBudget) throws -> Bool {
        try b.spend()
        switch (self, o) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.int(let x), .double(let y)): return Double(x) == y
        case (.double(let x), .int(let y)): return x == Double(y)
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)):
            try b.text(min(x.utf8.count, y.utf8.count))
            return x == y
        case (.list(let x, _), .list(let y, _)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where try !p.equals(q, b) { return false }
            return true
        case (.dict(let x, _, _), .dict(let y, _, _)):
            guard x.count == y.count else { return false }
            for (k, v) in x {
                guard let w = y[k], try v.equals(w, b) else { return false }
            }
            return true
        case (.namespace(let x), .namespace(let y)): return x === y
        default: return false
        }
    }

    var number: Double? {
        switch self {
        case .int(let n): return Double(n)
        case .double(let d): return d
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    /// Items iterated by a for loop (a string's characters, a dict's keys), charged to `b`.
    func iterated(_ b: JinjaBudget) throws -> [JinjaValue]? {
        switch self {
        case .list(let l, _): return l
        case .dict(_, let keys, _):
            try b.items(keys.count)
            return keys.map { .string($0) }
        case .string(let s):
            try b.items(s.utf8.count)
            return s.map { .string(String($0)) }
        case .undefined, .none: return []
        default: return nil
        }
    }
}
