/// Weights of one transformer block.
public struct LlamaLayerWeights {
    public var attnNorm: [Float]
    public var q, k, v, o: LinearWeight
    public var ffnNorm: [Float]
    public var gate, up, down: LinearWeight

    public init(attnNorm: [Float], q: LinearWeight, k: LinearWeight, v: LinearWeight, o: LinearWeight,
                ffnNorm: [Float], gate: LinearWeight, up: LinearWeight, down: LinearWeight) {
        self.attnNorm = attnNorm; self.q = q; self.k = k; self.v = v; self.o = o
        self.ffnNorm = ffnNorm; self.gate = gate; self.up = up; self.down = down
    }

    public func weight(_ p: Projection) -> LinearWeight {
        switch p {
        case .q: return q
        case .k: return k
        case .v: return v
        case .o: return o
        case .gate: return gate
        case .up: return up
        case .down: return down
        }
    }
}

/// All weights of a Llama model. q/k rows are in GGUF (llama.cpp permuted) order.
public final class LlamaWeights {
    public let config: LlamaConfig
    /// vocab × hidden (row t = embedding of token t)
    public var tokenEmbedding: LinearWeight
    public var layers: [LlamaLayerWeights]
    public var outputNorm: [Float]
    /// vocab × hidden (the same object as tokenEmbedding when tied)
    public var output: LinearWeight

    public init(config: LlamaConfig, tokenEmbedding: LinearWeight, layers: [LlamaLayerWeights],
                outputNorm: [Float], output: LinearWeight) {
        self.config = config; self.tokenEmbedding = tokenEmbedding; self.layers = layers
        self.outputNorm = outputNorm; self.output = output
    }
}

/// LoRA applied unmerged at inference: y += scale · B·(A·x). A is (rank × in), B is (out × rank), row-major.
/// q/k B rows are in the engine's (GGUF/llama.cpp permuted) order; PEFT export un-permutes them.
public struct LoRAPair: Sendable {
    public var a: [Float]
    public var b: [Float]
    public let rank, inFeatures, outFeatures: Int
    public var scale: Float

    public init(a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int, scale: Float) {
        self.a = a; self.b = b; self.rank = rank
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.scale = scale
    }
}

/// An adapter: per block, the LoRA pairs of the adapted projections.
public struct LoRAWeights: Sendable {
    /// index = block
    public var layers: [[Projection: LoRAPair]]
    public init(layers: [[Projection: LoRAPair]]) { self.layers = layers }
}
