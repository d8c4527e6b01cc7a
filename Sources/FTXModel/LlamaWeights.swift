/// Weights of one transformer block: two RMSNorm vectors (four with post-norms), the seven projections, and the vectors
/// of the features a family switches on (`Architecture`). Generic over their storage, so the
/// training engine holds the same layout over its own (f32 buffers, NF4 blocks).
public struct LayerWeights<Norm, Weight> {
    public var attnNorm: Norm
    public var q, k, v, o: Weight
    public var ffnNorm: Norm
    public var gate, up, down: Weight
    /// Biases of q, k, v (`Architecture.attentionBias`), in the rows' order (GGUF's for q/k).
    public var qBias, kBias, vBias: Norm?
    /// Per-head RMSNorm weights of q and k, head-dim wide (`Architecture.qkNorm`).
    public var qNorm, kNorm: Norm?
    /// RMSNorm weights of the attention output and of the MLP output (`Architecture.postNorms`).
    public var postAttnNorm, postFFNNorm: Norm?

    public init(attnNorm: Norm, q: Weight, k: Weight, v: Weight, o: Weight,
                ffnNorm: Norm, gate: Weight, up: Weight, down: Weight,
                qBias: Norm? = nil, kBias: Norm? = nil, vBias: Norm? = nil, qNorm: Norm? = nil, kNorm: Norm? = nil,
                postAttnNorm: Norm? = nil, postFFNNorm: Norm? = nil) {
        self.attnNorm = attnNorm; self.q = q; self.k = k; self.v = v; self.o = o
        self.ffnNorm = ffnNorm; self.gate = gate; self.up = up; self.down = down
        self.qBias = qBias; self.kBias = kBias; self.vBias = vBias; self.qNorm = qNorm; self.kNorm = kNorm
        self.postAttnNorm = postAttnNorm; self.postFFNNorm = postFFNNorm
    }

    /// The bias of q, k or v, if the block has one.
    public func bias(_ p: Projection) -> Norm? {
        switch p {
        case .q: return qBias
        case .k: return kBias
        case .v: return vBias
        default: return nil
        }
    }

    public func weight(_ p: Projection) -> Weight {
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

    /// The same block over other storage: `norm` converts every vector, `weight(p, w)` each projection.
    public func map<N, W>(norm: (Norm) throws -> N, weight: (Projection, Weight) throws -> W) rethrows -> LayerWeights<N, W> {
        LayerWeights<N, W>(attnNorm: try norm(attnNorm), q: try weight(.q, q), k: try weight(.k, k), v: try weight(.v, v),
                           o: try weight(.o, o), ffnNorm: try norm(ffnNorm), gate: try weight(.gate, gate),
                           up: try weight(.up, up), down: try weight(.down, down),
                           qBias: try qBias.map(norm), kBias: try kBias.map(norm), vBias: try vBias.map(norm),
                           qNorm: try qNorm.map(norm), kNorm: try kNorm.map(norm),
                           postAttnNorm: try postAttnNorm.map(norm), postFFNNorm: try postFFNNorm.map(norm))
    }
}

/// A block as FTXModel loads it.
public typealias LlamaLayerWeights = LayerWeights<[Float], LinearWeight>

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
