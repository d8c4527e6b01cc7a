import FTXTensor

/// A model family as a small description over the one shared decoder block (RMSNorm, attention
/// with RoPE and grouped-query heads, gated MLP): which optional block features it switches on and
/// how it rotates. Inference (`LlamaModel.forward`) and training run every family through the same
/// code; adding a family that needs no new feature is adding a value here.
public struct Architecture: Sendable, Equatable, Codable {
    /// `general.architecture` in GGUF, and the prefix of its hyper-parameter keys.
    public let name: String
    /// How q and k rotate; it also decides whether GGUF stores their rows permuted (`normal`).
    public let ropeStyle: RoPEStyle
    /// q, k and v projections carry a bias (`blk.N.attn_{q,k,v}.bias`).
    public let attentionBias: Bool
    /// A per-head RMSNorm on q and on k before RoPE (`blk.N.attn_{q,k}_norm.weight`, head-dim wide).
    public let qkNorm: Bool
    /// RMSNorm of the attention output and of the MLP output before each joins the residual stream
    /// (`blk.N.post_attention_norm`, `blk.N.post_ffw_norm`).
    public let postNorms: Bool
    /// The MLP's gate nonlinearity: act(gate)·up.
    public let activation: GatedActivation
    /// Embeddings are multiplied by √hidden before the first block.
    public let scalesEmbedding: Bool
    /// What Hugging Face checkpoints store of every RMSNorm weight w: w − offset (Gemma's x·(1 + w)).
    /// GGUF files hold w itself (the converter adds the offset), so only the folder reader uses it.
    public let hfNormOffset: Float
    /// Layers alternate between a sliding window and full attention (`LlamaConfig.slidingWindow`).
    public let slidingWindowLayers: Bool
    /// Files store q, k, v as one matrix (`attn_qkv`, HF `qkv_proj`) and gate, up as one (`ffn_up`
    /// with 2·ffn rows, gate first; HF `gate_up_proj`). The loaders split them into row-range views,
    /// so the block runs unchanged; LoRA adapts each fused matrix as one module (PEFT's).
    public let fusedProjections: Bool

    public init(name: String, ropeStyle: RoPEStyle, attentionBias: Bool = false, qkNorm: Bool = false,
                postNorms: Bool = false, activation: GatedActivation = .silu, scalesEmbedding: Bool = false,
                hfNormOffset: Float = 0, slidingWindowLayers: Bool = false, fusedProjections: Bool = false) {
        self.name = name; self.ropeStyle = ropeStyle; self.attentionBias = attentionBias; self.qkNorm = qkNorm
        self.postNorms = postNorms; self.activation = activation; self.scalesEmbedding = scalesEmbedding
        self.hfNormOffset = hfNormOffset; self.slidingWindowLayers = slidingWindowLayers
        self.fusedProjections = fusedProjections
    }

    /// Llama 1–3 (Llama 3's frequency scaling is the `rope_freqs` tensor, see `LlamaConfig.ropeFreqFactors`).
    public static let llama = Architecture(name: "llama", ropeStyle: .normal)
    public static let mistral = Architecture(name: "mistral", ropeStyle: .normal)
    /// Qwen2 and Qwen2.5: biases on q, k, v.
    public static let qwen2 = Architecture(name: "qwen2", ropeStyle: .neox, attentionBias: true)
    /// Qwen3 (dense): q/k norms instead of biases, and a head dim of its own (q width ≠ hidden).
    public static let qwen3 = Architecture(name: "qwen3", ropeStyle: .neox, qkNorm: true)
    /// Gemma 3 text models (270m, 1b, and the text stack of the larger ones): q/k norms, pre- and
    /// post-norms around attention and MLP, GeGLU, √hidden embeddings, (1 + w) norms in checkpoints,
    /// sliding-window layers with their own RoPE base interleaved with global ones.
    public static let gemma3 = Architecture(name: "gemma3", ropeStyle: .neox, qkNorm: true, postNorms: true,
                                            activation: .geluTanh, scalesEmbedding: true, hfNormOffset: 1,
                                            slidingWindowLayers: true)

    /// Phi-3 / Phi-3.5 mini: fused qkv and gate-up weights, NEOX RoPE, untied head; a sliding
    /// window (`sliding_window`) on every layer, as transformers applies it.
    public static let phi3 = Architecture(name: "phi3", ropeStyle: .neox, fusedProjections: true)

    public static let supported: [Architecture] = [.llama, .mistral, .qwen2, .qwen3, .gemma3, .phi3]

    /// The family `general.architecture` names, or nil.
    public static func named(_ name: String) -> Architecture? { supported.first { $0.name == name } }

    /// "llama, mistral, qwen2, qwen3, gemma3, phi3", for errors.
    public static var supportedNames: String { supported.map(\.name).joined(separator: ", ") }
}

extension Architecture {
    /// The projections one LoRA module covers and the one that stands for it (its first): q, k, v
    /// form `qkv_proj` and gate, up form `gate_up_proj` when the family fuses them; else `p` alone.
    public func loraGroup(_ p: Projection) -> [Projection] {
        guard fusedProjections else { return [p] }
        switch p {
        case .q, .k, .v: return [.q, .k, .v]
        case .gate, .up: return [.gate, .up]
        default: return [p]
        }
    }

    /// The projection standing for `p`'s LoRA module (q for k and v of a fused qkv).
    public func loraLeader(_ p: Projection) -> Projection { loraGroup(p)[0] }

    /// The LoRA modules this family's adapters can target, by their leaders (q, o, gate, down when fused).
    public var loraModules: [Projection] { Projection.allCases.filter { loraLeader($0) == $0 } }

    /// PEFT's module name of the LoRA module led by `p` (`qkv_proj`, `gate_up_proj` when fused).
    public func peftModuleName(_ p: Projection) -> String {
        guard fusedProjections, loraGroup(p).count > 1 else { return p.rawValue + "_proj" }
        return loraLeader(p) == .q ? "qkv_proj" : "gate_up_proj"
    }

    /// llama.cpp's tensor base name of the module led by `p` (`attn_qkv`, and `ffn_up` for gate-up).
    public func ggufModuleName(_ p: Projection) -> String {
        guard fusedProjections, loraGroup(p).count > 1 else { return p.ggufName }
        return loraLeader(p) == .q ? "attn_qkv" : "ffn_up"
    }
}
