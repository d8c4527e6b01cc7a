import Foundation
import FTXData
import FTXEval

/// A `POST /v1/chat/completions` or `/v1/completions` body, validated: every field OpenAI clients
/// send that the server honours, with the type and range errors a client gets as 400s.
public struct CompletionRequest: Sendable {
    public enum Endpoint: String, Sendable { case chat = "chat.completions", completions }

    public var endpoint: Endpoint
    public var model: String?
    /// Chat turns (chat) or nil; `prompt` for completions.
    public var messages: [RequestLogLine.LoggedMessage]?
    public var prompt: String?
    public var maxTokens: Int?
    public var temperature: Float = 1
    public var topP: Float = 1
    public var seed: UInt64 = 0
    public var stop: [String] = []
    public var stream = false
    public var format: ResponseFormat = .text

    /// Most stop strings (OpenAI allows 4).
    public static let maxStops = 4

    /// Parses the raw body: invalid UTF-8, malformed JSON and wrong field types are 400s.
    public static func parse(_ body: [UInt8], endpoint: Endpoint) throws -> CompletionRequest {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw ServeError.bad("the request body is not valid UTF-8")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch let e as JSONParseError {
            throw ServeError.bad("the request body is not valid JSON: \(e.detail) at byte \(e.offset)")
        }
        guard case .object = json else { throw ServeError.bad("the request body must be a JSON object") }
        return try CompletionRequest(json: json, endpoint: endpoint)
    }

    init(json: JSONValue, endpoint: Endpoint) throws {
        self.endpoint = endpoint
        model = try Self.string(json, "model")
        switch endpoint {
        case .chat:
            guard case .array(let turns)? = json["messages"], !turns.isEmpty else {
                throw ServeError.bad("\"messages\" must be a non-empty array of {role, content}", param: "messages")
            }
            messages = try turns.enumerated().map { i, t in
                guard case .string(let role)? = t["role"] else { throw ServeError.bad("messages[\(i)].role must be a string", param: "messages") }
                return RequestLogLine.LoggedMessage(role: role, content: try Self.content(t["content"], at: "messages[\(i)].content"))
            }
        case .completions:
            var value = json["prompt"]
            if case .array(let a)? = value, a.count == 1 { value = a[0] }
            guard case .string(let s)? = value else {
                throw ServeError.bad("\"prompt\" must be a string (one prompt per request)", param: "prompt")
            }
            prompt = s
        }
        if let n = try Self.number(json, "n"), n != 1 { throw ServeError.bad("only n = 1 is supported", param: "n") }
        if let m = try Self.number(json, "max_tokens") ?? Self.number(json, "max_completion_tokens") {
            guard m >= 1, m <= Double(Int32.max), m == m.rounded() else {
                throw ServeError.bad("max_tokens must be a positive integer", param: "max_tokens")
            }
            maxTokens = Int(m)
        }
        if let t = try Self.number(json, "temperature") {
            guard t >= 0, t <= 2 else { throw ServeError.bad("temperature must be between 0 and 2", param: "temperature") }
            temperature = Float(t)
        }
        if let p = try Self.number(json, "top_p") {
            guard p > 0, p <= 1 else { throw ServeError.bad("top_p must be in (0, 1]", param: "top_p") }
            topP = Float(p)
        }
        if let s = try Self.number(json, "seed") {
            guard s == s.rounded(), abs(s) < 9.2e18 else { throw ServeError.bad("seed must be an integer", param: "seed") }
            seed = UInt64(bitPattern: Int64(s))
        }
        switch json["stop"] {
        case nil, .null?: break
        case .string(let s)?: stop = [s]
        case .array(let a)?:
            stop = try a.map { v in
                guard case .string(let s) = v else { throw ServeError.bad("stop must be a string or an array of strings", param: "stop") }
                return s
            }
        default: throw ServeError.bad("stop must be a string or an array of strings", param: "stop")
        }
        guard stop.count <= Self.maxStops, !stop.contains("") else {
            throw ServeError.bad("stop takes at most \(Self.maxStops) non-empty strings", param: "stop")
        }
        switch json["stream"] {
        case nil, .null?: break
        case .bool(let b)?: stream = b
        default: throw ServeError.bad("stream must be a boolean", param: "stream")
        }
        if let f = json["response_format"], f != .null { format = try ResponseFormat(request: f) }
    }

    static func string(_ json: JSONValue, _ key: String) throws -> String? {
        switch json[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw ServeError.bad("\(key) must be a string", param: key)
        }
    }

    static func number(_ json: JSONValue, _ key: String) throws -> Double? {
        switch json[key] {
        case nil, .null?: return nil
        case .number(let s)?:
            guard let d = Double(s), d.isFinite else { throw ServeError.bad("\(key) is not a number", param: key) }
            return d
        default: throw ServeError.bad("\(key) must be a number", param: key)
        }
    }

    /// A message's content: a string, or OpenAI's array of parts of which the text parts count.
    static func content(_ v: JSONValue?, at place: String) throws -> String {
        switch v {
        case .string(let s)?: return s
        case .array(let parts)?:
            return try parts.map { p in
                guard case .string("text")? = p["type"], case .string(let t)? = p["text"] else {
                    throw ServeError.bad("\(place): only text parts are supported", param: "messages")
                }
                return t
            }.joined()
        default: throw ServeError.bad("\(place) must be a string", param: "messages")
        }
    }
}
