import Foundation
import FTXCore

/// Mutable attribute bag made by `namespace(...)` (the one mutable value of Jinja).
final class JinjaNamespace { var values: [String: JinjaValue] = [:] }

/// Values of the Jinja interpreter, with Python's rendering and truthiness.
indirect enum JinjaValue {
    case undefined, none, bool(Bool), int(Int), double(Double), string(String)
    case list([JinjaValue])
    case dict([String: JinjaValue], keys: [String])
    case namespace(JinjaNamespace)

    static func dict(_ d: [String: JinjaValue]) -> JinjaValue { .dict(d, keys: d.keys.sorted()) }

    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let n): return n != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .dict(let d, _): return !d.isEmpty
        case .namespace: return true
        }
    }

    /// str(value) as Jinja renders it.
    var rendered: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python repr (used inside lists/dicts and for None/True/False).
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let n): return String(n)
        case .double(let d): return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : String(d)
        case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let l): return "[" + l.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d, let keys): return "{" + keys.map { "'\($0)': \(d[$0]!.repr)" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        }
    }

    /// JSON text (tojson).
    var json: String {
        switch self {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let n): return String(n)
        case .double(let d): return String(d)
        case .string(let s): return JSONString.quoted(s, asciiOnly: true)  // tojson: ensure_ascii
        case .list(let l): return "[" + l.map(\.json).joined(separator: ", ") + "]"
        case .dict(let d, let keys): return "{" + keys.map { JinjaValue.string($0).json + ": " + d[$0]!.json }.joined(separator: ", ") + "}"
        case .namespace: return "{}"
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

    func equals(_ o: JinjaValue) -> Bool {
        switch (self, o) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dict(let a, _), .dict(let b, _)): return a.count == b.count && a.allSatisfy { k, v in b[k].map { v.equals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default: return false
        }
    }

    var number: Double? {
        switch self {
        case .int(let n): return Double(n)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Items iterated by a for loop.
    var iterated: [JinjaValue]? {
        switch self {
        case .list(let l): return l
        case .dict(_, let keys): return keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .undefined, .none: return []
        default: return nil
        }
    }
}
