/// What the evaluator needs from a model. FTXEval drives models only through this protocol, so its
/// tests use a fake and `LlamaEvalModel` adapts FTXModel's engine.
public protocol EvalModel {
    /// Who the model is (recorded in the report).
    var identity: ModelIdentity { get }
    /// Renders chat turns to the prompt text the model continues (its chat template with the
    /// generation prompt appended). Called only when the suite has `chat_template: true`.
    func renderChat(_ messages: [EvalMessage]) throws -> String
    /// Generates one output per prompt (a batch; the runner sends chunks of `batch_size`).
    func generate(_ prompts: [String], params: EvalGenerationParams) throws -> [GenerationOutput]
    /// Negative log-likelihood (nats) of `expected` following `prompt`, and the number of scored tokens.
    func score(prompt: String, expected: String) throws -> (nll: Double, tokens: Int)
    /// `score` of several cases at once (a model may batch them into fewer forward passes); the
    /// default scores them one by one.
    func score(batch: [(prompt: String, expected: String)]) throws -> [(nll: Double, tokens: Int)]
}

extension EvalModel {
    public func score(batch: [(prompt: String, expected: String)]) throws -> [(nll: Double, tokens: Int)] {
        try batch.map { try score(prompt: $0.prompt, expected: $0.expected) }
    }
}

public struct EvalMessage: Codable, Hashable, Sendable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public struct ModelIdentity: Codable, Equatable, Sendable {
    /// e.g. the GGUF file name.
    public var name: String
    /// SHA-256 of the model file (or another stable identity), if known.
    public var sha256: String?
    /// The adapter applied on top, if any (path or id), and its hash.
    public var adapter: String?
    public var adapterSHA256: String?
    public init(name: String, sha256: String? = nil, adapter: String? = nil, adapterSHA256: String? = nil) {
        self.name = name; self.sha256 = sha256; self.adapter = adapter; self.adapterSHA256 = adapterSHA256
    }
    enum CodingKeys: String, CodingKey { case name, sha256, adapter, adapterSHA256 = "adapter_sha256" }
}

public struct EvalGenerationParams: Codable, Equatable, Sendable {
    public var maxTokens: Int
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    public var seed: UInt64
    public var stop: [String]
    /// Constrained output (nil: free text). A model must honour it: `LlamaEvalModel` masks every
    /// token that cannot continue a valid value.
    public var responseFormat: ResponseFormat?
    public init(maxTokens: Int = 256, temperature: Double = 0, topK: Int = 0, topP: Double = 1,
                seed: UInt64 = 0, stop: [String] = [], responseFormat: ResponseFormat? = nil) {
        self.maxTokens = maxTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.seed = seed; self.stop = stop; self.responseFormat = responseFormat
    }
    enum CodingKeys: String, CodingKey {
        case maxTokens = "max_tokens", temperature, topK = "top_k", topP = "top_p", seed, stop
        case responseFormat = "response_format"
    }
}

public struct GenerationOutput: Sendable {
    public var text: String
    public var outputTokens: Int
    public var promptTokens: Int
    /// "stop" (a stop string or end of sequence) or "length" (max_tokens reached).
    public var finishReason: String
    /// Wall time attributed to this output (its batch's time for batched generation).
    public var seconds: Double
    public init(text: String, outputTokens: Int, promptTokens: Int, finishReason: String, seconds: Double) {
        self.text = text; self.outputTokens = outputTokens; self.promptTokens = promptTokens
        self.finishReason = finishReason; self.seconds = seconds
    }
}
