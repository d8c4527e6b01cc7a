/// The JSON Schema subset ftx understands: `type` (a name or a list), `required`, `properties`,
/// `enum`, `items`, `additionalProperties` (true or false), plus annotations that change nothing (`$schema`, `title`, `description`, …).
/// Any other keyword is rejected when the suite is loaded, so a schema never silently checks less
/// than its author thinks.
public struct JSONSchemaSubset: Sendable {
    public let schema: EvalJSON

    static let typeNames = ["string", "number", "integer", "boolean", "object", "array", "null"]
    static let supported = ["type", "required", "properties", "enum", "items", "additionalProperties"]
    static let annotations = ["$schema", "$id", "title", "description", "default", "examples", "$comment"]

    /// Validates the schema itself; the error names the JSON-pointer-ish place inside the schema.
    public init(_ schema: EvalJSON) throws {
        try JSONSchemaSubset.check(schema, at: "schema")
        self.schema = schema
    }

    public struct SchemaError: Error { public let message: String; public let hint: String? }

    static func check(_ s: EvalJSON, at place: String) throws {
        guard case .object(let pairs) = s else {
            throw SchemaError(message: "\(place) must be a mapping, got \(s.typeName)", hint: nil)
        }
        for (k, v) in pairs {
            switch k {
            case "type":
                let names: [EvalJSON]
                if case .array(let a) = v { names = a } else { names = [v] }
                for n in names {
                    guard case .string(let t) = n, typeNames.contains(t) else {
                        throw SchemaError(message: "\(place).type: '\(n.plainText)' is not a JSON Schema type",
                                          hint: Suggest.hint(n.plainText, in: typeNames))
                    }
                }
            case "required":
                guard case .array(let a) = v, a.allSatisfy({ if case .string = $0 { return true }; return false }) else {
                    throw SchemaError(message: "\(place).required must be a list of property names", hint: nil)
                }
            case "properties":
                guard case .object(let props) = v else {
                    throw SchemaError(message: "\(place).properties must be a mapping of name to schema", hint: nil)
                }
                for (name, sub) in props { try check(sub, at: "\(place).properties.\(name)") }
            case "enum":
                guard case .array(let a) = v, !a.isEmpty else {
                    throw SchemaError(message: "\(place).enum must be a non-empty list", hint: nil)
                }
            case "items":
                try check(v, at: "\(place).items")
            case "additionalProperties":
                guard case .bool = v else {
                    throw SchemaError(message: "\(place).additionalProperties must be true or false (a schema there is not supported)", hint: nil)
                }
            default:
                if annotations.contains(k) { continue }
                throw SchemaError(message: "\(place): keyword '\(k)' is not supported",
                                  hint: Suggest.closest(k, in: supported).map { "did you mean '\($0)'? supported: \(supported.joined(separator: ", "))" }
                                      ?? "supported keywords: \(supported.joined(separator: ", "))")
            }
        }
    }

    /// Nil when `value` conforms; otherwise the first violation, e.g. "$.category: not one of enum".
    public func violation(of value: EvalJSON) -> String? {
        JSONSchemaSubset.violation(schema, value, at: "$")
    }

    static func violation(_ s: EvalJSON, _ v: EvalJSON, at path: String) -> String? {
        if let t = s["type"] {
            let names: [String]
            if case .array(let a) = t { names = a.map(\.plainText) } else { names = [t.plainText] }
            let actual = v.typeName
            let ok = names.contains(actual) || (actual == "integer" && names.contains("number"))
            if !ok { return "\(path): expected \(names.joined(separator: " or ")), got \(actual)" }
        }
        if case .array(let options)? = s["enum"], !options.contains(v) {
            return "\(path): \(v.jsonText) is not one of \(EvalJSON.array(options).jsonText)"
        }
        if case .object = v {
            if case .array(let req)? = s["required"] {
                for r in req where v[r.plainText] == nil { return "\(path): missing required property '\(r.plainText)'" }
            }
            if case .bool(false)? = s["additionalProperties"], case .object(let pairs) = v {
                var declared = Set<String>()
                if case .object(let props)? = s["properties"] { declared = Set(props.map(\.0)) }
                for (k, _) in pairs where !declared.contains(k) { return "\(path): property '\(k)' is not allowed" }
            }
            if case .object(let props)? = s["properties"] {
                for (name, sub) in props {
                    if let child = v[name], let msg = violation(sub, child, at: "\(path).\(name)") { return msg }
                }
            }
        }
        if case .array(let items) = v, let itemSchema = s["items"] {
            for (i, item) in items.enumerated() {
                if let msg = violation(itemSchema, item, at: "\(path)[\(i)]") { return msg }
            }
        }
        return nil
    }
}
