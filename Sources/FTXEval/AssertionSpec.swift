import Foundation

/// The assertion types (promptfoo's names where it has one). Each may be negated with `not-`.
public enum AssertionKind: String, CaseIterable, Codable, Sendable {
    case equals, contains, icontains
    case startsWith = "starts-with"
    case regex
    case isJSON = "is-json"
    case jsonSchema = "json-schema"
    case jsonField = "json-field"
    case similar
    case maxTokens = "max-tokens"
    case latencyMs = "latency-ms"

    /// Accepted spellings besides the canonical ones.
    static let aliases: [String: AssertionKind] = ["latency": .latencyMs, "starts_with": .startsWith,
                                                   "is_json": .isJSON, "json_schema": .jsonSchema,
                                                   "json_field": .jsonField, "max_tokens": .maxTokens,
                                                   "equal": .equals]
}

/// One assertion as declared in a suite (for all cases) or in a case row, validated at load time.
public struct AssertionSpec: @unchecked Sendable {
    public var kind: AssertionKind
    public var negated: Bool
    /// `value:` as written; strings may hold `{{…}}` templates resolved per case (see Template).
    public var value: EvalJSON?
    public var threshold: Double?
    public var weight: Double
    /// promptfoo's `metric`: a name under which this assertion's pass rate is reported.
    public var metric: String?
    public var path: JSONPath?
    public var method: SimilarityMethod
    /// Pre-compiled when `value` has no template; compiled per case otherwise.
    public var compiledRegex: NSRegularExpression?
    public var schema: JSONSchemaSubset?
    /// Where it was declared, "file:line".
    public var location: String

    /// `not-contains`, `json-field`, …
    public var typeName: String { (negated ? "not-" : "") + kind.rawValue }

    /// One line naming everything that decides this assertion's verdicts, e.g.
    /// `json-field path=$.category weight=2` (defaults left out), recorded in reports.
    public var canonicalText: String {
        var s = typeName
        if let path { s += " path=\(path.text)" }
        if let value { s += " value=\(value.jsonText)" }
        if let threshold { s += " threshold=\(EvalJSON.formatNumber(threshold))" }
        if weight != 1 { s += " weight=\(EvalJSON.formatNumber(weight))" }
        if let metric { s += " metric=\(metric)" }
        if kind == .similar { s += " method=\(method.rawValue)" }
        return s
    }

    static let keys = ["type", "value", "threshold", "weight", "metric", "path", "method"]

    /// Parses one assertion mapping. `fail(message, line, hint)` builds the error for this file.
    static func parse(_ node: LocatedNode, file: String,
                      fail: (String, Int?, String?) -> EvalError) throws -> AssertionSpec {
        guard let pairs = node.mapping else {
            throw fail("an assertion must be a mapping with 'type:', got \(node.typeDescription)", node.line,
                       "e.g. - type: contains\n        value: \"refund\"")
        }
        var fields: [String: LocatedNode] = [:]
        for (k, v) in pairs {
            guard keys.contains(k) else {
                throw fail("unknown assertion key '\(k)'", v.line, Suggest.hint(k, in: keys))
            }
            fields[k] = v
        }
        guard let typeNode = fields["type"], let rawType = typeNode.string else {
            throw fail("assertion has no 'type'", node.line,
                       "types: \(AssertionKind.allCases.map(\.rawValue).joined(separator: ", ")) (prefix 'not-' to negate)")
        }
        var name = rawType.trimmingCharacters(in: .whitespaces)
        let negated = name.hasPrefix("not-")
        if negated { name.removeFirst(4) }
        guard let kind = AssertionKind(rawValue: name) ?? AssertionKind.aliases[name] else {
            throw fail("unknown assertion type '\(rawType)'", typeNode.line,
                       Suggest.hint(name, in: AssertionKind.allCases.map(\.rawValue)))
        }
        let loc = "\(file):\(node.line.map(String.init) ?? "?")"
        var spec = AssertionSpec(kind: kind, negated: negated, value: fields["value"]?.json, threshold: nil,
                                 weight: 1, metric: nil, path: nil, method: .chrf, compiledRegex: nil,
                                 schema: nil, location: loc)
        if let t = fields["threshold"] {
            guard let d = t.number, d.isFinite else { throw fail("threshold must be a number", t.line, nil) }
            spec.threshold = d
        }
        if let w = fields["weight"] {
            guard let d = w.number, d.isFinite, d >= 0 else { throw fail("weight must be a number ≥ 0", w.line, nil) }
            spec.weight = d
        }
        if let m = fields["metric"] {
            guard let s = m.text, !s.isEmpty else { throw fail("metric must be a name", m.line, nil) }
            spec.metric = s
        }
        if let m = fields["method"] {
            guard kind == .similar else { throw fail("'method' applies only to 'similar'", m.line, nil) }
            guard let s = m.text, let method = SimilarityMethod(rawValue: s.lowercased()) ?? (s.lowercased() == "rougel" ? .rougeL : nil) else {
                throw fail("unknown similarity method '\(m.text ?? "")'", m.line,
                           Suggest.hint(m.text ?? "", in: SimilarityMethod.allCases.map(\.rawValue)))
            }
            spec.method = method
        }
        if let p = fields["path"] {
            guard kind == .jsonField else { throw fail("'path' applies only to 'json-field'", p.line, nil) }
            guard let s = p.text else { throw fail("path must be a string like $.category", p.line, nil) }
            switch JSONPath.parse(s) {
            case .success(let path): spec.path = path
            case .failure(let e): throw fail("bad JSON path '\(s)': \(e.reason)", p.line, "e.g. $.category or items[0].name")
            }
        }
        try spec.validateValue(line: fields["value"]?.line ?? node.line, fail: fail)
        return spec
    }

    /// Per-type checks of `value`/`threshold` so mistakes surface before any generation.
    mutating func validateValue(line: Int?, fail: (String, Int?, String?) -> EvalError) throws {
        let templated = value.map { Template.hasPlaceholders($0) } ?? false
        switch kind {
        case .equals, .similar:
            break  // default value: {{expected}}
        case .contains, .icontains, .startsWith:
            // Any scalar reads as its text (`value: 42`, `value: yes`); lists and mappings do not.
            switch value {
            case nil, .null?, .array?, .object?: throw fail("'\(typeName)' needs a string 'value'", line, nil)
            default: break
            }
        case .regex:
            guard let v = value, case .string(let pattern) = v else {
                throw fail("'regex' needs a pattern in 'value'", line, nil)
            }
            if !templated {
                do { compiledRegex = try NSRegularExpression(pattern: pattern) } catch {
                    throw fail("invalid regex '\(pattern)'", line, "the pattern must be an ICU regular expression")
                }
            }
        case .isJSON, .jsonSchema:
            if let v = value {
                do { schema = try JSONSchemaSubset(v) } catch let e as JSONSchemaSubset.SchemaError {
                    throw fail("bad JSON schema: \(e.message)", line, e.hint)
                }
            } else if kind == .jsonSchema {
                throw fail("'json-schema' needs a schema in 'value'", line, "e.g. value: {type: object, required: [category]}")
            }
        case .jsonField:
            guard path != nil else {
                throw fail("'json-field' needs 'path'", line, "e.g. path: $.category (value defaults to the same field of the expected output)")
            }
        case .maxTokens, .latencyMs:
            let limit = value?.plainText ?? threshold.map { "\($0)" }
            guard let l = limit, let d = Double(l), d >= 0 else {
                throw fail("'\(typeName)' needs a non-negative number in 'value'", line, nil)
            }
            _ = d
        }
        if kind == .similar, let t = threshold, !(0...1).contains(t) {
            throw fail("similarity threshold must be between 0 and 1", line, nil)
        }
    }
}
