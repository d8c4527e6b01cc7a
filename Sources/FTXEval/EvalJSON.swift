import Foundation
import FTXCore
import FTXData

/// A JSON value as assertions compare it: numbers as Double (1 == 1.0), objects as unordered maps
/// (key order kept for printing), booleans distinct from numbers. Parsed by FTXData's JSONParser,
/// so `is-json` means exactly "the whole output is one RFC 8259 JSON value".
public indirect enum EvalJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([EvalJSON])
    case object([(String, EvalJSON)])

    public static func == (a: EvalJSON, b: EvalJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            // Objects compare as unordered maps.
            guard x.count == y.count else { return false }
            let my = Dictionary(y, uniquingKeysWith: { _, last in last })
            for (k, v) in x { guard let w = my[k], w == v else { return false } }
            return true
        default: return false
        }
    }

    public subscript(key: String) -> EvalJSON? {
        if case .object(let pairs) = self { return pairs.last(where: { $0.0 == key })?.1 }
        return nil
    }

    /// JSON-Schema-style type name.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact JSON text (keys in their original order).
    public var jsonText: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// The text a template substitution inserts: strings unquoted, everything else as JSON.
    public var plainText: String {
        if case .string(let s) = self { return s }
        return jsonText
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += EvalJSON.formatNumber(d)
        case .string(let s): EvalJSON.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() { if i > 0 { out += "," }; v.write(into: &out) }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                EvalJSON.writeString(k, into: &out); out += ":"; v.write(into: &out)
            }
            out += "}"
        }
    }

    static func formatNumber(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static func writeString(_ s: String, into out: inout String) {
        JSONString.append(s, to: &out)
    }

    /// Parses `text` as one JSON value (surrounding whitespace allowed; FTXData's strict
    /// RFC 8259 parser). Nil when it is not JSON.
    public static func parse(_ text: String) -> EvalJSON? {
        guard let v = try? JSONParser.parse(text) else { return nil }
        return EvalJSON(v)
    }

    /// From FTXData's value (numbers as spelled → Double).
    public init(_ v: JSONValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let s): self = .number(Double(s) ?? .nan)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(EvalJSON.init))
        case .object(let members): self = .object(members.map { ($0.key, EvalJSON($0.value)) })
        }
    }

    /// Converts a Swift value built by Yams/Foundation (String, Int, Double, Bool, arrays, dicts).
    public static func from(any value: Any?) -> EvalJSON {
        switch value {
        case nil: return .null
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return .number(Double(i))
        case let d as Double: return .number(d)
        case let a as [Any]: return .array(a.map { from(any: $0) })
        case let m as [String: Any]: return .object(m.keys.sorted().map { ($0, from(any: m[$0])) })
        case is NSNull: return .null
        default: return .string("\(value!)")
        }
    }
}

