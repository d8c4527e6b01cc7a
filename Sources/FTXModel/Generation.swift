/// Sampling and stopping settings for `generate`.
public struct GenerationParams: Sendable {
    public var maxTokens: Int
    /// 0 = greedy.
    public var temperature: Float
    /// 0 = off.
    public var topK: Int
    /// 1 = off.
    public var topP: Float
    /// 1 = off.
    public var repetitionPenalty: Float
    public var seed: UInt64
    /// Generation stops when the text ends with one of these (the stop string is not included).
    public var stop: [String]
    /// Stop at the tokenizer's EOS token (and other end-of-turn control tokens).
    public var stopAtEOS: Bool
    /// Numerics of quantized matmuls: `.int8` (default) quantizes activations to 8-bit blocks as
    /// llama.cpp does (several times faster decode); `.exact` keeps f32 activations.
    public var matmuls: MatmulMode

    public init(maxTokens: Int = 128, temperature: Float = 0, topK: Int = 0, topP: Float = 1,
                repetitionPenalty: Float = 1, seed: UInt64 = 0, stop: [String] = [], stopAtEOS: Bool = true,
                matmuls: MatmulMode = .int8) {
        self.maxTokens = maxTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.repetitionPenalty = repetitionPenalty; self.seed = seed; self.stop = stop; self.stopAtEOS = stopAtEOS
        self.matmuls = matmuls
    }
}

/// One finished generation.
public struct GenerationResult: Sendable {
    public let text: String
    public let tokenIDs: [Int]
    public let promptTokens: Int
    /// "stop" (EOS or a stop string) or "length" (maxTokens reached).
    public let finishReason: String
    public let seconds: Double

    public init(text: String, tokenIDs: [Int], promptTokens: Int, finishReason: String, seconds: Double) {
        self.text = text; self.tokenIDs = tokenIDs; self.promptTokens = promptTokens
        self.finishReason = finishReason; self.seconds = seconds
    }
}
