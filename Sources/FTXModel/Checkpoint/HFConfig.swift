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
        guard let arch = Architecture.named(type) else {
            throw ModelError.unsupported(path: path, "model_type \(type) (supported: \(Architecture.supportedNames))")
        }
        if arch.ropeStyle == .normal, json["attention_bias"] as? Bool == true {
            throw ModelError.unsupported(path: path, "attention_bias: true for model_type \(type)")
        }
        let hidden = try require("hidden_size"), heads = try require("num_attention_heads")
        let kvHeads = try int("num_key_value_heads") ?? heads
        let headDim = try int("head_dim") ?? (heads > 0 ? hidden / heads : 0)
        let layers = try require("num_hidden_layers"), ffn = try require("intermediate_size")
        let vocab = try require("vocab_size")
        // transformers 5 moves rope_theta and rope_scaling into rope_parameters.
        let ropeParams = json["rope_parameters"] as? [String: Any]
        let scaling = (json["rope_scaling"] as? [String: Any]) ?? ropeParams
        let theta = try double("rope_theta") ?? double("rope_theta", in: ropeParams ?? [:]) ?? 10000
        var factors: [Float]?
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
            default: throw ModelError.unsupported(path: path, "rope scaling \(kind) (supported: llama3)")
            }
        }
        let config = LlamaConfig(vocabSize: vocab, hiddenSize: hidden, intermediateSize: ffn, numLayers: layers,
                                 numHeads: heads, numKVHeads: kvHeads, headDim: headDim, ropeTheta: Float(theta),
                                 rmsNormEps: Float(try double("rms_norm_eps") ?? 1e-6),
                                 contextLength: try int("max_position_embeddings") ?? 2048,
                                 tiedEmbeddings: json["tie_word_embeddings"] as? Bool ?? false,
                                 architecture: arch, ropeFreqFactors: factors)
        try config.validate(path: path)
        return config
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
