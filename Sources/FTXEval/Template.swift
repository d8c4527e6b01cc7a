import Foundation

/// `{{…}}` placeholders in assertion values, resolved per case:
///   {{expected}}            the case's expected output (the completion / last assistant turn)
///   {{expected.category}}   a field of the expected output parsed as JSON (any JSON path after `expected`)
///   {{input}}               the case's input
///   {{NAME}}                a top-level scalar field of the case row (e.g. {{category}})
/// A value that is exactly one placeholder keeps the JSON type of what it names (so
/// `value: "{{expected.count}}"` compares numbers as numbers).
public struct CaseContext {
    public var id: String
    public var input: String
    public var expected: String
    public var fields: [String: String]
    public private(set) lazy var expectedJSON: EvalJSON? = EvalJSON.parse(expected)

    public init(id: String, input: String, expected: String, fields: [String: String]) {
        self.id = id; self.input = input; self.expected = expected; self.fields = fields
    }
}

public enum Template {
    public static func hasPlaceholders(_ v: EvalJSON) -> Bool {
        switch v {
        case .string(let s): return s.contains("{{")
        case .array(let a): return a.contains(where: hasPlaceholders)
        case .object(let p): return p.contains { hasPlaceholders($0.1) }
        default: return false
        }
    }

    public struct Unresolved: Error { public let name: String }

    /// Resolves placeholders in strings anywhere inside `v` (schemas may use them too).
    public static func resolve(_ v: EvalJSON, _ ctx: inout CaseContext) throws -> EvalJSON {
        switch v {
        case .string(let s):
            guard s.contains("{{") else { return v }
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.dropFirst(2).range(of: "{{") == nil {
                return try lookup(String(trimmed.dropFirst(2).dropLast(2)), &ctx)
            }
            var out = "", rest = Substring(s)
            while let open = rest.range(of: "{{") {
                out += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].range(of: "}}") else { out += rest[open.lowerBound...]; rest = ""; break }
                out += try lookup(String(rest[open.upperBound..<close.lowerBound]), &ctx).plainText
                rest = rest[close.upperBound...]
            }
            return .string(out + rest)
        case .array(let a): return .array(try a.map { try resolve($0, &ctx) })
        case .object(let p): return .object(try p.map { ($0.0, try resolve($0.1, &ctx)) })
        default: return v
        }
    }

    static func lookup(_ raw: String, _ ctx: inout CaseContext) throws -> EvalJSON {
        let name = raw.trimmingCharacters(in: .whitespaces)
        if name == "expected" { return .string(ctx.expected) }
        if name == "input" { return .string(ctx.input) }
        if name == "id" { return .string(ctx.id) }
        if name.hasPrefix("expected.") || name.hasPrefix("expected[") || name.hasPrefix("expected$") {
            var pathText = String(name.dropFirst("expected".count))
            if pathText.hasPrefix("$") { pathText.removeFirst() }
            guard case .success(let path) = JSONPath.parse("$" + pathText) else { throw Unresolved(name: name) }
            guard let json = ctx.expectedJSON, let v = path.lookup(json) else { throw Unresolved(name: name) }
            return v
        }
        if let f = ctx.fields[name] { return .string(f) }
        throw Unresolved(name: name)
    }
}
