import Foundation
import FTXTensor

/// A decoder model of a supported family (`Architecture`) ready to run: weights, tokenizer, chat
/// template, optional adapter.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    /// Applied unmerged in forward (y += scale·B·(A·x)).
    public var adapter: LoRAWeights?
    /// The GGUF the model came from (nil for in-process models).
    public let gguf: GGUFFile?

    public init(config: LlamaConfig, weights: LlamaWeights, tokenizer: Tokenizer, chatTemplate: ChatTemplate?,
                gguf: GGUFFile? = nil) {
        self.config = config; self.weights = weights; self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate; self.gguf = gguf
    }

    /// Loads a GGUF of a supported family (memory-mapped; quantized weights stay in blocks), or a
    /// Hugging Face checkpoint folder (`HFCheckpoint`, in its own dtype).
    public static func load(path: String) throws -> LlamaModel {
        if HFCheckpoint.isCheckpoint(path) { return try HFCheckpoint.load(directory: path) }
        let g = try GGUFFile(path: path)
        return try load(gguf: g)
    }

    public static func load(gguf g: GGUFFile) throws -> LlamaModel {
        let path = g.path
        let archName = g.string("general.architecture") ?? "llama"
        guard let arch = Architecture.named(archName) else {
            throw ModelError.unsupported(path: path, "architecture \(archName) (supported: \(Architecture.supportedNames))")
        }
        let p = arch.name + "."
        let hidden = try g.requireInt(p + "embedding_length")
        let layers = try g.requireInt(p + "block_count")
        let heads = try g.requireInt(p + "attention.head_count")
        let kvHeads = g.int(p + "attention.head_count_kv") ?? heads
        let ffn = try g.requireInt(p + "feed_forward_length")
        guard hidden > 0, layers > 0, layers <= 1024, heads > 0, kvHeads > 0, heads % kvHeads == 0,
              hidden % heads == 0, ffn > 0 else {
            throw ModelError.badMetadata(path: path, key: p + "attention.head_count",
                                         "inconsistent shape: hidden \(hidden), heads \(heads), kv heads \(kvHeads), layers \(layers)")
        }
        let headDim = g.int(p + "attention.key_length") ?? hidden / heads
        guard headDim > 0, headDim % 2 == 0, headDim <= 1024 else {
            throw ModelError.badMetadata(path: path, key: p + "attention.key_length", "head dimension \(headDim)")
        }
        guard let embInfo = g.tensor("token_embd.weight") else {
            throw ModelError.badTensor(path: path, tensor: "token_embd.weight", "missing")
        }
        let vocab = g.int(p + "vocab_size") ?? embInfo.rows
        let tokenizer = try Tokenizer.fromGGUF(g)
        func linear(_ name: String, out: Int, in inF: Int) throws -> LinearWeight {
            guard let t = g.tensor(name) else { throw ModelError.badTensor(path: path, tensor: name, "missing") }
            guard t.dims.count <= 2, t.cols == inF, t.rows == out else {
                throw ModelError.badTensor(path: path, tensor: name, "shape \(t.dims) where [\(inF), \(out)] was expected")
            }
            return LinearWeight(type: t.type, data: g.pointer(t), out: out, in: inF, owner: g.file)
        }
        func vector(_ name: String, _ n: Int) throws -> [Float] {
            guard let t = g.tensor(name) else { throw ModelError.badTensor(path: path, tensor: name, "missing") }
            guard t.elementCount == n else {
                throw ModelError.badTensor(path: path, tensor: name, "has \(t.elementCount) values where \(n) were expected")
            }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { dequantizeRow(t.type, g.pointer(t), $0.baseAddress!, count: n) }
            return out
        }
        let hasOutput = g.tensor("output.weight") != nil
        if let cap = g.double(p + "final_logit_softcapping"), cap != 0 {
            throw ModelError.unsupported(path: path, "final logit softcapping (\(p)final_logit_softcapping = \(cap))")
        }
        // Llama 3's frequency scaling, as the converter stores it.
        let freqFactors = try g.tensor("rope_freqs.weight").map { _ in try vector("rope_freqs.weight", headDim / 2) }
        var config = LlamaConfig(
            vocabSize: vocab, hiddenSize: hidden, intermediateSize: ffn, numLayers: layers, numHeads: heads,
            numKVHeads: kvHeads, headDim: headDim,
            ropeTheta: Float(g.double(p + "rope.freq_base") ?? 10000),
            rmsNormEps: Float(g.double(p + "attention.layer_norm_rms_epsilon") ?? 1e-5),
            contextLength: g.int(p + "context_length") ?? 2048, tiedEmbeddings: !hasOutput,
            architecture: arch, ropeFreqFactors: freqFactors)
        try readRopeScaling(g, into: &config)
        if arch.slidingWindowLayers { try readGemma3Layout(g, into: &config) }
        if arch.fusedProjections { try readPhi3Layout(g, into: &config) }
        try config.validate(path: path)

        let embedding = try linear("token_embd.weight", out: vocab, in: hidden)
        var blocks: [LlamaLayerWeights] = []
        let qDim = heads * headDim, kvDim = kvHeads * headDim
        for l in 0..<layers {
            let b = "blk.\(l)."
            // Phi-3's fused matrices (attn_qkv; ffn_up with gate rows first) as row-range views.
            let qkv = arch.fusedProjections ? try linear(b + "attn_qkv.weight", out: qDim + 2 * kvDim, in: hidden) : nil
            let gateUp = arch.fusedProjections ? try linear(b + "ffn_up.weight", out: 2 * ffn, in: hidden) : nil
            func part(_ fused: LinearWeight?, _ lo: Int, _ n: Int, _ name: String) throws -> LinearWeight {
                try fused.map { $0.rows(lo, count: n) } ?? linear(b + name + ".weight", out: n, in: hidden)
            }
            blocks.append(LlamaLayerWeights(
                attnNorm: try vector(b + "attn_norm.weight", hidden),
                q: try part(qkv, 0, qDim, "attn_q"),
                k: try part(qkv, qDim, kvDim, "attn_k"),
                v: try part(qkv, qDim + kvDim, kvDim, "attn_v"),
                o: try linear(b + "attn_output.weight", out: hidden, in: heads * headDim),
                ffnNorm: try vector(b + "ffn_norm.weight", hidden),
                gate: try part(gateUp, 0, ffn, "ffn_gate"),
                up: try part(gateUp, ffn, ffn, "ffn_up"),
                down: try linear(b + "ffn_down.weight", out: hidden, in: ffn),
                qBias: arch.attentionBias ? try vector(b + "attn_q.bias", heads * headDim) : nil,
                kBias: arch.attentionBias ? try vector(b + "attn_k.bias", kvHeads * headDim) : nil,
                vBias: arch.attentionBias ? try vector(b + "attn_v.bias", kvHeads * headDim) : nil,
                qNorm: arch.qkNorm ? try vector(b + "attn_q_norm.weight", headDim) : nil,
                kNorm: arch.qkNorm ? try vector(b + "attn_k_norm.weight", headDim) : nil,
                postAttnNorm: arch.postNorms ? try vector(b + "post_attention_norm.weight", hidden) : nil,
                postFFNNorm: arch.postNorms ? try vector(b + "post_ffw_norm.weight", hidden) : nil))
        }
        let output = hasOutput ? try linear("output.weight", out: vocab, in: hidden) : embedding
        let weights = LlamaWeights(config: config, tokenEmbedding: embedding, layers: blocks,
                                   outputNorm: try vector("output_norm.weight", hidden), output: output)
        let template = g.string("tokenizer.chat_template").map {
            ChatTemplate(source: $0, bosToken: tokenizer.bosID.map(tokenizer.piece), eosToken: tokenizer.eosID.map(tokenizer.piece),
                         origin: "\(g.path): tokenizer.chat_template")
        }
        return LlamaModel(config: config, weights: weights, tokenizer: tokenizer, chatTemplate: template, gguf: g)
    }

    /// Gemma 3's hyper-parameters as llama.cpp reads them: a sliding window (none when absent or
    /// 0), its layout (`attention.sliding_window_pattern`, a period or one bool per layer; default
    /// period 6, every 6th layer global), the local layers' RoPE base (`rope.freq_base_swa`, default
    /// 10000), and llama.cpp's attention scale (1/√headDim, 1/√(hidden/heads) for the 62-layer 27B).
    /// Linear RoPE scaling (of the global layers) is read by `readRopeScaling`, as for every family.
    static func readGemma3Layout(_ g: GGUFFile, into c: inout LlamaConfig) throws {
        let p = c.architecture.name + ".", path = g.path
        if let w = g.int(p + "attention.sliding_window"), w > 0 {
            var layers = SlidingWindow.pattern(g.int(p + "attention.sliding_window_pattern") ?? 6, count: c.numLayers)
            if case .array(let a)? = g.metadata[p + "attention.sliding_window_pattern"] {
                guard a.count == c.numLayers else {
                    throw ModelError.badMetadata(path: path, key: p + "attention.sliding_window_pattern",
                                                 "\(a.count) values for \(c.numLayers) layers")
                }
                layers = a.values.map { $0.bool ?? false }
            }
            c.slidingWindow = SlidingWindow(size: w, layers: layers, ropeTheta: Float(g.double(p + "rope.freq_base_swa") ?? 10000))
        }
        c.attentionScale = gemma3LlamaCppAttentionScale(c)
    }

    /// `rope.scaling.type`, which llama.cpp's converter writes for any family whose config has
    /// `rope_scaling`: linear (positions divided by `rope.scaling.factor`, as frequency divisors on top
    /// of Llama 3's `rope_freqs`) is read; YaRN, LongRoPE and anything else are refused by name, since
    /// ignoring them would change the angle at every position.
    static func readRopeScaling(_ g: GGUFFile, into c: inout LlamaConfig) throws {
        let path = g.path, key = c.architecture.name + ".rope.scaling.type"
        switch g.string(key) {
        case nil, "none": break
        case "linear":
            let factorKey = c.architecture.name + ".rope.scaling.factor"
            let factor = g.double(factorKey) ?? 1
            guard factor.isFinite, factor > 0 else { throw ModelError.badMetadata(path: path, key: factorKey, "\(factor)") }
            if factor != 1 {
                c.ropeFreqFactors = (c.ropeFreqFactors ?? [Float](repeating: 1, count: c.headDim / 2)).map { $0 * Float(factor) }
            }
        case let other?:
            throw ModelError.unsupported(path: path, "rope scaling \(other) (\(key); supported: none, linear, and Llama 3's rope_freqs)")
        }
    }

    /// Phi-3's hyper-parameters as the converter writes them. A sliding window (`attention.sliding_window`,
    /// 0 for none) applies to every layer, as transformers does; llama.cpp currently ignores it for
    /// phi3 (full attention), so the two differ on sequences longer than the window. Partial rotary
    /// (Phi-4-mini) and LongRoPE (the 128k models' rope_factors_long/short) are refused.
    static func readPhi3Layout(_ g: GGUFFile, into c: inout LlamaConfig) throws {
        let p = c.architecture.name + ".", path = g.path
        if let rot = g.int(p + "rope.dimension_count"), rot != c.headDim {
            throw ModelError.unsupported(path: path, "partial rotary embedding (\(p)rope.dimension_count = \(rot) of head dimension \(c.headDim); supported: all \(c.headDim))")
        }
        for t in ["rope_factors_long.weight", "rope_factors_short.weight"] where g.tensor(t) != nil {
            throw ModelError.unsupported(path: path, "LongRoPE scaling (tensor \(t), the 128k-context models; supported: plain RoPE, the 4k models)")
        }
        if let w = g.int(p + "attention.sliding_window"), w > 0 {
            c.slidingWindow = SlidingWindow(size: w, layers: [Bool](repeating: true, count: c.numLayers), ropeTheta: c.ropeTheta)
        }
    }

    /// llama.cpp's Gemma 3 attention scale: 1/√headDim, except 1/√(hidden/heads) for the 62-layer 27B.
    static func gemma3LlamaCppAttentionScale(_ c: LlamaConfig) -> Float {
        Float(1 / Double(c.numLayers == 62 ? c.hiddenSize / c.numHeads : c.headDim).squareRoot())
    }

    /// A model with random f32 weights (deterministic in `seed`), for fast unit tests.
    /// Norm weights are 1; projections are N(0, 0.02·√(64/in))-ish uniform; a ChatML template is attached.
    public static func random(config: LlamaConfig, seed: UInt64, tokenizer: Tokenizer) -> LlamaModel {
        var rng = SplitMix64(seed: seed)
        func lin(_ out: Int, _ inF: Int, scale: Float? = nil) -> LinearWeight {
            let s = scale ?? (1 / Float(inF).squareRoot())
            let data = (0..<(out * inF)).map { _ in (rng.nextFloat() * 2 - 1) * s * 1.7 }
            return LinearWeight(f32: data, out: out, in: inF)
        }
        let c = config
        let emb = lin(c.vocabSize, c.hiddenSize, scale: 0.5)
        return assembled(config: c, tokenizer: tokenizer, embedding: emb, projection: { lin($0, $1) },
                         output: { c.tiedEmbeddings ? emb : lin(c.vocabSize, c.hiddenSize) })
    }

    /// A model from an embedding, `projection(out, in)` for every projection of every layer (called in
    /// the order q, k, v, o, gate, up, down, layer by layer), then `output()`; norm weights 1, ChatML.
    public static func assembled(config c: LlamaConfig, tokenizer: Tokenizer, embedding: LinearWeight,
                                 projection: (Int, Int) -> LinearWeight, output: () -> LinearWeight) -> LlamaModel {
        var blocks: [LlamaLayerWeights] = []
        for _ in 0..<c.numLayers {
            blocks.append(LlamaLayerWeights(
                attnNorm: [Float](repeating: 1, count: c.hiddenSize),
                q: projection(c.qDim, c.hiddenSize), k: projection(c.kvDim, c.hiddenSize), v: projection(c.kvDim, c.hiddenSize),
                o: projection(c.hiddenSize, c.qDim),
                ffnNorm: [Float](repeating: 1, count: c.hiddenSize),
                gate: projection(c.intermediateSize, c.hiddenSize), up: projection(c.intermediateSize, c.hiddenSize),
                down: projection(c.hiddenSize, c.intermediateSize)))
        }
        let w = LlamaWeights(config: c, tokenEmbedding: embedding, layers: blocks,
                             outputNorm: [Float](repeating: 1, count: c.hiddenSize), output: output())
        return LlamaModel(config: c, weights: w, tokenizer: tokenizer,
                          chatTemplate: ChatTemplate(source: ChatTemplate.chatML,
                                                     bosToken: tokenizer.bosID.map(tokenizer.piece),
                                                     eosToken: tokenizer.eosID.map(tokenizer.piece)))
    }
}

/// Small deterministic RNG (SplitMix64) used for random models and sampling.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
