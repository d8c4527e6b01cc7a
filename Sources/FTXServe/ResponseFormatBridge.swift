import FTXCore
import FTXData
import FTXEval
import FTXModel

/// A request's `response_format`: FTXEval's `ResponseFormat` (the same one eval suites use, so eval
/// measures what production serves), with its errors as 400s naming the field.
extension ResponseFormat {
    init(request json: JSONValue) throws {
        do { try self.init(json: json) } catch let e as FTXError {
            throw ServeError.bad(e.message + (e.hint.map { " (\($0))" } ?? ""), param: "response_format")
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

/// The decoding constraint of a format (nil for plain text); a schema outside the subset is a 400.
func makeConstraint(_ format: ResponseFormat, tokenizer: Tokenizer) throws -> TokenConstraint? {
    do { return try format.constraint(tokenizer: tokenizer) } catch let e as FTXError {
        throw ServeError.bad(e.message, param: "response_format")
    }
}
