// STAND-IN, repointed at merge to FTXEval's `ResponseFormat` / `JSONConstraint` (notes serve-api §2).
import FTXData
import FTXModel

/// `response_format` of a request, as parsed here until FTXEval's `ResponseFormat` is merged.
public enum RequestedFormat: Equatable, Sendable {
    case text, jsonObject, jsonSchema(JSONValue)

    /// The OpenAI object {"type": "text"|"json_object"|"json_schema", "json_schema": {...}}.
    init(json: JSONValue) throws {
        guard case .string(let type)? = json["type"] else {
            throw ServeError.bad("response_format needs a \"type\" (text, json_object or json_schema)", param: "response_format")
        }
        switch type {
        case "text": self = .text
        case "json_object": self = .jsonObject
        case "json_schema":
            guard let s = json["json_schema"], case .object = s else {
                throw ServeError.bad("response_format json_schema needs a \"json_schema\" object", param: "response_format")
            }
            self = .jsonSchema(s)
        default: throw ServeError.bad("unknown response_format type \"\(type)\"", param: "response_format.type")
        }
    }

    /// The log's `response_format`: nil for text.
    var logName: String? {
        switch self {
        case .text: return nil
        case .jsonObject: return "json_object"
        case .jsonSchema: return "json_schema"
        }
    }
}

/// The decoding constraint of a format; nil for plain text.
func makeConstraint(_ format: RequestedFormat, tokenizer: Tokenizer) throws -> TokenConstraint? {
    if format == .text { return nil }
    throw ServeError.bad("response_format \(format.logName ?? "") is not supported yet", param: "response_format")
}
