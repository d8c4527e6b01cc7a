import Foundation

/// A Hugging Face checkpoint's `config.json` as a `LlamaConfig`: `model_type` picks the family,
/// the usual keys give the shape, and Llama 3's `rope_scaling` (or transformers 5's
/// `rope_parameters`) becomes the same frequency divisors llama.cpp's converter writes as `rope_freqs`.
public enum HFConfig {
    static func parse(_ json: [String: Any], path: String) throws -> LlamaConfig {
        func bad(_ key: String, _ m: String) -> ModelError { .badMetadata(path: path, key: key, m) }
        func int(_ key: String) throws -> Int? {
            guard let v = json[key], !(v is NSNull) else { return nil }
            guard let n = v as? Int else { throw bad(key, "\(v) is not an integer") }
            return n
        }
        func require(_ key: String) throws -> Int {
            guard let n = try int(key) else { throw ModelError.missingKey(path: path, key: key) }
            return n
        }
        func double(_ key: String, in obj: [String: Any]? = nil) throws -> Double? {
            guard let v = (obj ?? json)[key], !(v is NSNull) else { return nil }
            guard let d = v as? Double, d.isFinite else { throw bad(key, "\(v) is not a number") }
            return d
        }
        guard let type = json["model_type"] as? String else { throw ModelError.missingKey(path: path, key: "model_type") }
        if json["text_config"] != nil || type == "gemma3" {
            throw ModelError.unsupported(path: path, "model_type \(type) with a text_config (a multimodal checkpoint; text models such as gemma3_text are supported)")
        }
        // Gemma 3's text-only checkpoints say gemma3_text; llama.cpp's name is gemma3.
        guard let arch = Architecture.named(type == "gemma3_text" ? "gemma3" : type) else {
            let names = Architecture.supported.map { $0 == .gemma3 ? "gemma3_text" : $0.name }.joined(separator: ", ")
            throw ModelError.unsupported(path: path, "model_type \(type) (supported: \(names))")
        }
        if arch.ropeStyle == .normal, json["attention_bias"] as? Bool == true {
            throw ModelError.unsupported(path: path, "attention_bias: true for model_type \(type)")
        }
        let hidden = try require("hidden_size"), heads = try require("num_attention_heads")
        let kvHeads = try int("num_key_value_heads") ?? heads
        let headDim = try int("head_dim") ?? (heads > 0 ? hidden / heads : 0)
        let layers = try require("num_hidden_layers"), ffn = try require("intermediate_size")
        let vocab = try require("vocab_size")
        // transformers 5 moves rope_theta and rope_scaling into rope_parameters, per layer type
        // (full_attention, sliding_attention) for models that have both.
        let ropeParams = json["rope_parameters"] as? [String: Any]
        let globalParams = ropeParams?["full_attention"] as? [String: Any] ?? ropeParams
        let scaling = (json["rope_scaling"] as? [String: Any]) ?? globalParams
        let theta = try double("rope_theta") ?? double("rope_theta", in: globalParams ?? [:]) ?? 10000
        var factors: [Float]?
        if arch.fusedProjections { try phi3Refusals(json, ropeParams: ropeParams, scaling: scaling, path: path) }
        if let s = scaling {
            let kind = (s["rope_type"] ?? s["type"]) as? String ?? "default"
            switch kind {
            case "default": break
            case "llama3":
                func need(_ k: String) throws -> Double {
                    guard let v = try double(k, in: s) else { throw ModelError.missingKey(path: path, key: "rope_scaling.\(k)") }
                    return v
                }
                factors = try llama3FrequencyFactors(headDim: headDim, theta: theta, factor: need("factor"),
                                                     lowFreqFactor: need("low_freq_factor"), highFreqFactor: need("high_freq_factor"),
                                                     originalContext: need("original_max_position_embeddings"), path: path)
            case "linear":
                guard let f = try double("factor", in: s), f > 0 else { throw ModelError.missingKey(path: path, key: "rope_scaling.factor") }
                if f != 1 { factors = [Float](repeating: Float(f), count: max(0, headDim / 2)) }
            default: throw ModelError.unsupported(path: path, "rope scaling \(kind) (supported: llama3, linear)")
            }
        }
        var config = LlamaConfig(vocabSize: vocab, hiddenSize: hidden, intermediateSize: ffn, numLayers: layers,
                                 numHeads: heads, numKVHeads: kvHeads, headDim: headDim, ropeTheta: Float(theta),
                                 rmsNormEps: Float(try double("rms_norm_eps") ?? 1e-6),
                                 contextLength: try int("max_position_embeddings") ?? 2048,
                                 tiedEmbeddings: json["tie_word_embeddings"] as? Bool ?? arch.slidingWindowLayers,
                                 architecture: arch, ropeFreqFactors: factors)
        if arch.slidingWindowLayers { try gemma3Layout(json, ropeParams: ropeParams, into: &config, path: path) }
        if arch.fusedProjections, let w = json["sliding_window"], !(w is NSNull) {
            // transformers masks every Phi-3 layer with the window (llama.cpp currently does not).
            guard let size = w as? Int, size > 0 else { throw bad("sliding_window", "\(w) is not a positive integer") }
            config.slidingWindow = SlidingWindow(size: size, layers: [Bool](repeating: true, count: layers), ropeTheta: Float(theta))
        }
        try config.validate(path: path)
        return config
    }

    /// Phi-3 features this engine does not implement: partial rotary (Phi-4-mini) and LongRoPE
    /// (`rope_scaling` longrope/su, the 128k models).
    static func phi3Refusals(_ json: [String: Any], ropeParams: [String: Any]?, scaling: [String: Any]?, path: String) throws {
        let partial = (json["partial_rotary_factor"] ?? ropeParams?["partial_rotary_factor"]) as? Double ?? 1
        if partial != 1 {
            throw ModelError.unsupported(path: path, "partial_rotary_factor \(partial) for model_type phi3 (supported: 1.0, rotary over the whole head)")
        }
        if let s = scaling, let kind = (s["rope_type"] ?? s["type"]) as? String, kind != "default" {
            throw ModelError.unsupported(path: path, "rope_scaling \(kind) for model_type phi3 (LongRoPE of the 128k models; supported: none, the 4k models' plain RoPE)")
        }
    }

    /// Gemma 3's keys: no softcapping, GELU-tanh, the attention scale `query_pre_attn_scalar`^−½, the
    /// sliding window and which layers use it (`layer_types`, else `sliding_window_pattern`: every
    /// pattern-th layer is global), and the local RoPE base (`rope_local_base_freq`, or transformers 5's
    /// `rope_parameters.sliding_attention`), which has no frequency scaling.
    static func gemma3Layout(_ json: [String: Any], ropeParams: [String: Any]?, into c: inout LlamaConfig, path: String) throws {
        func present(_ k: String) -> Bool { json[k] != nil && !(json[k] is NSNull) }
        for k in ["final_logit_softcapping", "attn_logit_softcapping"] where present(k) {
            throw ModelError.unsupported(path: path, "\(k) \(json[k]!) (Gemma 3 has no softcapping; this engine does not implement it)")
        }
        if json["use_bidirectional_attention"] as? Bool == true {
            throw ModelError.unsupported(path: path, "use_bidirectional_attention: true (an embedding model, not a causal one)")
        }
        let act = (json["hidden_activation"] ?? json["hidden_act"]) as? String ?? "gelu_pytorch_tanh"
        guard act == "gelu_pytorch_tanh" else { throw ModelError.unsupported(path: path, "hidden_activation \(act) (supported: gelu_pytorch_tanh)") }
        if present("query_pre_attn_scalar") {
            guard let q = json["query_pre_attn_scalar"] as? Double, q.isFinite, q > 0 else {
                throw ModelError.badMetadata(path: path, key: "query_pre_attn_scalar", "\(json["query_pre_attn_scalar"]!) is not a positive number")
            }
            c.attentionScale = Float(1 / q.squareRoot())
        } else {
            c.attentionScale = 1 / Float(256).squareRoot()   // Gemma3TextConfig's default
        }
        guard present("sliding_window") else { return }
        guard let size = json["sliding_window"] as? Int else { throw ModelError.badMetadata(path: path, key: "sliding_window", "not an integer") }
        var layers = SlidingWindow.pattern(json["sliding_window_pattern"] as? Int ?? 6, count: c.numLayers)
        if present("layer_types") {
            guard let types = json["layer_types"] as? [String], types.count == c.numLayers,
                  types.allSatisfy({ $0 == "sliding_attention" || $0 == "full_attention" }) else {
                throw ModelError.badMetadata(path: path, key: "layer_types", "need \(c.numLayers) of sliding_attention / full_attention")
            }
            layers = types.map { $0 == "sliding_attention" }
        }
        let local = ropeParams?["sliding_attention"] as? [String: Any]
        if let kind = local?["rope_type"] as? String, kind != "default" {
            throw ModelError.unsupported(path: path, "rope scaling \(kind) on sliding-window layers")
        }
        let theta = (json["rope_local_base_freq"] as? Double) ?? (local?["rope_theta"] as? Double) ?? 10000
        c.slidingWindow = SlidingWindow(size: size, layers: layers, ropeTheta: Float(theta))
    }

    /// Llama 3's scaling as divisors of θ^(−2i/d), computed as llama.cpp's converter does: high
    /// frequencies stay (1), low ones are divided by `factor`, the band between is smoothed.
    public static func llama3FrequencyFactors(headDim: Int, theta: Double, factor: Double, lowFreqFactor: Double,
                                       highFreqFactor: Double, originalContext: Double, path: String) throws -> [Float] {
        guard headDim > 0, theta > 0, factor > 0, lowFreqFactor > 0, highFreqFactor > lowFreqFactor, originalContext > 0 else {
            throw ModelError.badMetadata(path: path, key: "rope_scaling", "llama3 scaling needs positive factors with high_freq_factor > low_freq_factor")
        }
        let lowWavelen = originalContext / lowFreqFactor, highWavelen = originalContext / highFreqFactor
        return (0..<(headDim / 2)).map { i in
            let wavelen = 2 * Double.pi / pow(theta, -2 * Double(i) / Double(headDim))
            if wavelen < highWavelen { return 1 }
            if wavelen > lowWavelen { return Float(factor) }
            let smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }
}
