import FTXData
import FTXModel

/// `response_format` as OpenAI sends it and eval suites write it (`generation.response_format`).
public enum ResponseFormat: Sendable, Equatable {
    case text, jsonObject, jsonSchema(name: String, schema: JSONValue)

    static let keys = ["type", "json_schema"]
    static let schemaKeys = ["name", "schema", "strict", "description"]
    static let types = ["text", "json_object", "json_schema"]

    private static func fail(_ m: String, hint: String? = nil) -> EvalError {
        EvalError.other(m, location: "response_format", hint: hint)
    }

    /// Parses the OpenAI object {"type": "text"|"json_object"|"json_schema", "json_schema": {"name", "schema", "strict"}}.
    /// The schema is checked here (and compiled once), so a bad one fails before any generation.
    /// `strict: true` forbids undeclared properties in every object schema that declares some
    /// (what OpenAI's strict mode requires), by writing `additionalProperties: false` into them.
    public init(json: JSONValue) throws {
        guard case .object(let members) = json else { throw Self.fail("response_format must be an object with a 'type'") }
        for m in members where !Self.keys.contains(m.key) {
            throw Self.fail("unknown response_format key '\(m.key)'", hint: Suggest.hint(m.key, in: Self.keys))
        }
        guard case .string(let type)? = json["type"] else {
            throw Self.fail("response_format needs a 'type'", hint: "one of: \(Self.types.joined(separator: ", "))")
        }
        switch type {
        case "text": self = .text
        case "json_object": self = .jsonObject
        case "json_schema":
            guard case .object(let spec)? = json["json_schema"] else {
                throw Self.fail("response_format json_schema needs a 'json_schema' object with a 'schema'")
            }
            for m in spec where !Self.schemaKeys.contains(m.key) {
                throw Self.fail("unknown json_schema key '\(m.key)'", hint: Suggest.hint(m.key, in: Self.schemaKeys))
            }
            var name = "response"
            if let n = json["json_schema"]?["name"] {
                guard case .string(let s) = n else { throw Self.fail("json_schema.name must be a string") }
                name = s
            }
            guard var schema = json["json_schema"]?["schema"] else { throw Self.fail("json_schema has no 'schema'") }
            switch json["json_schema"]?["strict"] {
            case nil, .bool(false)?: break
            case .bool(true)?:
                guard let closed = try? JSONParser.parse(Self.closingObjects(EvalJSON(schema)).jsonText) else {
                    throw Self.fail("json_schema.schema has a number out of range")
                }
                schema = closed
            default: throw Self.fail("json_schema.strict must be true or false")
            }
            _ = try JSONConstraintSchema.compile(schema)
            self = .jsonSchema(name: name, schema: schema)
        default:
            throw Self.fail("unknown response_format type '\(type)'", hint: Suggest.hint(type, in: Self.types))
        }
    }

    /// nil for .text.
    public func constraint(tokenizer: Tokenizer) throws -> JSONConstraint? {
        switch self {
        case .text: return nil
        case .jsonObject: return try JSONConstraint(tokenizer: tokenizer, schema: nil)
        case .jsonSchema(_, let schema): return try JSONConstraint(tokenizer: tokenizer, schema: schema)
        }
    }

    /// The OpenAI object again, as eval's JSON value (what a report records).
    public var evalJSON: EvalJSON {
        switch self {
        case .text: return .object([("type", .string("text"))])
        case .jsonObject: return .object([("type", .string("json_object"))])
        case .jsonSchema(let name, let schema):
            return .object([("type", .string("json_schema")),
                             ("json_schema", .object([("name", .string(name)), ("schema", EvalJSON(schema))]))])
        }
    }

    /// `additionalProperties: false` in every schema object that has `properties` and says nothing.
    static func closingObjects(_ s: EvalJSON) -> EvalJSON {
        guard case .object(var pairs) = s else { return s }
        for i in pairs.indices {
            switch pairs[i].0 {
            case "items": pairs[i].1 = closingObjects(pairs[i].1)
            case "properties":
                if case .object(let props) = pairs[i].1 { pairs[i].1 = .object(props.map { ($0.0, closingObjects($0.1)) }) }
            default: break
            }
        }
        if s["properties"] != nil, s["additionalProperties"] == nil { pairs.append(("additionalProperties", .bool(false))) }
        return .object(pairs)
    }
}

extension ResponseFormat: Codable {
    /// Encoded as the OpenAI object (reports record it that way).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(json: JSONParser.parse(text)) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad response_format: \(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(evalJSON.jsonText)
    }
}
