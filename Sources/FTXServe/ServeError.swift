import FTXCore

/// The kinds of failure a request can end with: the request log's `error` field and the OpenAI
/// error body's `code`. Raw values are the log format: add kinds, never rename them.
public enum ServeErrorKind: String, Sendable {
    case badRequest = "bad_request", unauthorized, notFound = "not_found", methodNotAllowed = "method_not_allowed"
    case tooLarge = "too_large", queueFull = "queue_full", loading, timeout, clientClosed = "client_closed", `internal`

    /// The HTTP status sent for this kind (499: the client went away, nginx's convention; logged only).
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .tooLarge: return 413
        case .queueFull: return 429
        case .loading: return 503
        case .timeout: return 504
        case .clientClosed: return 499
        case .internal: return 500
        }
    }

    /// OpenAI's `error.type` for the status.
    var openAIType: String {
        switch self {
        case .badRequest, .tooLarge, .methodNotAllowed: return "invalid_request_error"
        case .unauthorized: return "authentication_error"
        case .notFound: return "not_found_error"
        case .queueFull: return "rate_limit_error"
        case .loading, .timeout, .clientClosed, .internal: return "server_error"
        }
    }
}

/// A request that cannot be served, answered with OpenAI's error body; `param` names the field.
public struct ServeError: FTXError, Equatable {
    public let kind: ServeErrorKind
    public let message: String
    public let param: String?

    public init(_ kind: ServeErrorKind, _ message: String, param: String? = nil) {
        self.kind = kind; self.message = message; self.param = param
    }

    public static func bad(_ message: String, param: String? = nil) -> ServeError { ServeError(.badRequest, message, param: param) }

    /// `{"error":{"message","type","param","code"}}`.
    public var body: String {
        var s = "{\"error\":{\"message\":" + JSONString.quoted(message) + ",\"type\":" + JSONString.quoted(kind.openAIType)
        s += ",\"param\":" + (param.map { JSONString.quoted($0) } ?? "null")
        s += ",\"code\":" + JSONString.quoted(kind.rawValue) + "}}"
        return s
    }
}
