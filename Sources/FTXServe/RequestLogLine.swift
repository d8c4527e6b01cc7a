import Foundation

/// One line of the request log (`.ftx/serve/ENV/YYYY-MM-DD.jsonl`, UTC days): written by `ftx serve`
/// once per request when it ends, read by `ftx monitor`. Field names are the file format: add
/// fields, never rename them.
public struct RequestLogLine: Codable, Sendable, Equatable {
    /// "req-" + 16 hex digits; also the response's `id` suffix and its `x-request-id` header.
    public var id: String
    /// When the request arrived, ISO 8601 UTC with milliseconds.
    public var time: String
    /// The deploy environment the request was served from (`prod`); for a request that named a run
    /// id, the server's own `--env`.
    public var env: String
    /// What the request's `model` field asked for (an environment, a run id, or the base name).
    public var model: String
    /// The commit id of the adapter that answered (`x-ftx-adapter`); nil for the base alone or when
    /// no adapter was resolved (unknown model).
    public var adapter: String?
    /// "chat.completions" or "completions".
    public var endpoint: String
    public var stream: Bool
    /// HTTP status sent (200, or the 4xx/5xx of the error).
    public var status: Int
    /// Chat turns as sent ([{"role","content"}]), nil with `--no-log-content` or for completions.
    public var messages: [LoggedMessage]?
    /// The completion prompt as sent, nil with `--no-log-content` or for chat.
    public var prompt: String?
    /// The generated text, nil with `--no-log-content`.
    public var output: String?
    /// Sizes and SHA-256 hashes (hex) of the input (the rendered prompt text) and the output, kept
    /// even with `--no-log-content`.
    public var inputBytes: Int
    public var inputSHA256: String
    public var outputBytes: Int
    public var outputSHA256: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// Milliseconds waiting for a decode slot, until the first token, and in all.
    public var queueMs: Double
    public var ttftMs: Double?
    public var latencyMs: Double
    /// "stop", "length", or nil when the request failed.
    public var finishReason: String?
    /// nil on success; otherwise one of `ServeErrorKind`'s raw values (`bad_request`,
    /// `unauthorized`, `not_found`, `too_large`, `queue_full`, `loading`, `timeout`,
    /// `client_closed`, `internal`).
    public var error: String?
    /// `response_format.type` when the request constrained its output ("json_object", "json_schema").
    public var responseFormat: String?

    public struct LoggedMessage: Codable, Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) { self.role = role; self.content = content }
    }

    enum CodingKeys: String, CodingKey {
        case id, time, env, model, adapter, endpoint, stream, status, messages, prompt, output
        case inputBytes = "input_bytes", inputSHA256 = "input_sha256"
        case outputBytes = "output_bytes", outputSHA256 = "output_sha256"
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        case queueMs = "queue_ms", ttftMs = "ttft_ms", latencyMs = "latency_ms"
        case finishReason = "finish_reason", error
        case responseFormat = "response_format"
    }

    public init(id: String, time: String, env: String, model: String, adapter: String?, endpoint: String,
                stream: Bool, status: Int, messages: [LoggedMessage]? = nil, prompt: String? = nil, output: String? = nil,
                inputBytes: Int, inputSHA256: String, outputBytes: Int, outputSHA256: String,
                promptTokens: Int, completionTokens: Int, queueMs: Double, ttftMs: Double?, latencyMs: Double,
                finishReason: String?, error: String?, responseFormat: String? = nil) {
        self.id = id; self.time = time; self.env = env; self.model = model; self.adapter = adapter
        self.endpoint = endpoint; self.stream = stream; self.status = status; self.messages = messages
        self.prompt = prompt; self.output = output; self.inputBytes = inputBytes; self.inputSHA256 = inputSHA256
        self.outputBytes = outputBytes; self.outputSHA256 = outputSHA256; self.promptTokens = promptTokens
        self.completionTokens = completionTokens; self.queueMs = queueMs; self.ttftMs = ttftMs
        self.latencyMs = latencyMs; self.finishReason = finishReason; self.error = error
        self.responseFormat = responseFormat
    }
}
