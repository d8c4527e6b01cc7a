import Foundation
import FTXCore
import FTXTensor

/// A loaded model written as a GGUF that llama.cpp reads (`ftx base add DIR`): the family's
/// hyper-parameter keys, the tokenizer and chat template, and every tensor under llama.cpp's names,
/// projections in their own type (F32/F16/BF16 as a checkpoint holds them) or quantized to Q8_0,
/// Q4_1 or Q4_K; norms, biases and RoPE factors stay F32. q/k rows are already in GGUF order in memory.
public enum GGUFModelExport {
    /// The block types projections can be quantized to when written.
    public enum Quantization: String, CaseIterable, Sendable {
        case q8_0, q4_1, q4_k

        /// The type a matrix with rows of `width` values is written in: Q4_K needs rows of whole
        /// 256-value blocks, and falls back to Q5_0 as llama.cpp's quantizer does (Qwen2-0.5B's
        /// 896-wide rows); nil when no block fits (the matrix keeps its own type).
        func type(forRowWidth width: Int) -> QuantType? {
            switch self {
            case .q8_0: return width % 32 == 0 ? .q8_0 : nil
            case .q4_1: return width % 32 == 0 ? .q4_1 : nil
            case .q4_k: return width % 256 == 0 ? .q4_K : width % 32 == 0 ? .q5_0 : nil
            }
        }
    }

    public static func write(_ model: LlamaModel, name: String, quantize: Quantization?, to path: String) throws {
        var w = GGUFWriter()
        let c = model.config, a = c.architecture.name, t = model.tokenizer
        w.set("general.architecture", .string(a))
        w.set("general.name", .string(name))
        if quantize != nil { w.set("general.quantization_version", .uint32(2)) }
        func u32(_ k: String, _ v: Int) { w.set("\(a).\(k)", .uint32(UInt32(v))) }
        u32("vocab_size", c.vocabSize); u32("context_length", c.contextLength); u32("embedding_length", c.hiddenSize)
        u32("block_count", c.numLayers); u32("feed_forward_length", c.intermediateSize)
        u32("attention.head_count", c.numHeads); u32("attention.head_count_kv", c.numKVHeads)
        u32("attention.key_length", c.headDim); u32("attention.value_length", c.headDim); u32("rope.dimension_count", c.headDim)
        w.set("\(a).rope.freq_base", .float32(c.ropeTheta))
        w.set("\(a).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps))
        if c.architecture.slidingWindowLayers { try gemma3Layout(c, &w, path: path) }
        // One factor for every frequency is linear scaling, which every family reads from these keys;
        // Llama 3's per-frequency factors go in the rope_freqs tensor below (llama.cpp's gemma3 reads
        // no such tensor).
        let uniformFactor = c.linearRoPEFactor
        if let factor = uniformFactor {
            w.set("\(a).rope.scaling.type", .string("linear"))
            w.set("\(a).rope.scaling.factor", .float32(factor))
        } else if c.ropeFreqFactors != nil && c.architecture.slidingWindowLayers {
            throw ModelError.unsupported(path: path, "per-frequency RoPE factors for \(a) (llama.cpp reads linear scaling only)")
        }
        w.set("tokenizer.ggml.model", .string(t.kind.rawValue))
        if t.kind == .byteLevelBPE { w.set("tokenizer.ggml.pre", .string(t.preTokenizer.rawValue)) }
        // llama.cpp prepends a space to SentencePiece text unless told not to (Gemma's converter says false).
        if t.kind == .sentencePiece { w.set("tokenizer.ggml.add_space_prefix", .bool(t.core.addSpacePrefix)) }
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(t.pieces.map { .string($0) })))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(t.tokenTypes.map { .int32($0.rawValue) })))
        if t.kind == .byteLevelBPE { w.set("tokenizer.ggml.merges", .array(GGUFArray(t.merges.map { .string($0) }))) }
        if t.scores.count == t.vocabSize { w.set("tokenizer.ggml.scores", .array(GGUFArray(t.scores.map { .float32($0) }))) }
        if let b = t.bosID { w.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(b))) }
        if let e = t.eosID { w.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(e))) }
        w.set("tokenizer.ggml.add_bos_token", .bool(t.addBOS))
        if let tpl = model.chatTemplate?.source { w.set("tokenizer.chat_template", .string(tpl)) }

        if c.architecture.fusedProjections, let s = c.slidingWindow {
            guard s.layers.allSatisfy({ $0 }) else { throw ModelError.unsupported(path: path, "a sliding window on some \(a) layers only") }
            w.set("\(a).attention.sliding_window", .uint32(UInt32(s.size)))
        }
        /// One tensor of the rows of `parts` stacked (a fused matrix from its views), in their type or `quantize`'s.
        func matrix(_ n: String, _ parts: LinearWeight...) throws {
            let cols = parts[0].inFeatures, rows = parts.reduce(0) { $0 + $1.outFeatures }
            var type = parts[0].type, bytes: [UInt8] = []
            let q = quantize?.type(forRowWidth: cols)
            guard parts.allSatisfy({ $0.inFeatures == cols && ($0.type == type || q != nil) }) else {
                throw ModelError.unsupported(path: path, "tensor \(n): its parts have different types or widths")
            }
            bytes.reserveCapacity(rows * (q.map { cols / $0.blockSize * $0.blockBytes } ?? parts[0].rowBytes))
            for l in parts {
                if let q {
                    type = q
                    var row = [Float](repeating: 0, count: cols)
                    for r in 0..<l.outFeatures {
                        try row.withUnsafeMutableBufferPointer { buf in
                            dequantizeRow(l.type, l.data + r * l.rowBytes, buf.baseAddress!, count: cols)
                            guard let b = Quantize.row(buf.baseAddress!, count: cols, as: q) else {
                                throw ModelError.badTensor(path: path, tensor: n, "row \(r) has a value that is not finite")
                            }
                            bytes += b
                        }
                    }
                } else {
                    bytes += UnsafeRawBufferPointer(start: l.data, count: l.outFeatures * l.rowBytes)
                }
            }
            w.addTensor(n, dims: [cols, rows], type: type, bytes: bytes)
        }
        func vector(_ n: String, _ v: [Float]?) { if let v { w.addTensor(n, dims: [v.count], f32: v) } }
        let m = model.weights
        try matrix("token_embd.weight", m.tokenEmbedding)
        vector("output_norm.weight", m.outputNorm)
        if m.output !== m.tokenEmbedding { try matrix("output.weight", m.output) }
        if uniformFactor == nil { vector("rope_freqs.weight", c.ropeFreqFactors) }
        for (i, l) in m.layers.enumerated() {
            let b = "blk.\(i)."
            vector(b + "attn_norm.weight", l.attnNorm)
            vector(b + "ffn_norm.weight", l.ffnNorm)
            if c.architecture.fusedProjections {
                try matrix(b + "attn_qkv.weight", l.q, l.k, l.v)
                try matrix(b + "attn_output.weight", l.o)
                try matrix(b + "ffn_up.weight", l.gate, l.up)
                try matrix(b + "ffn_down.weight", l.down)
            } else {
                for p in Projection.allCases { try matrix(b + p.ggufName + ".weight", l.weight(p)) }
            }
            vector(b + "attn_q.bias", l.qBias); vector(b + "attn_k.bias", l.kBias); vector(b + "attn_v.bias", l.vBias)
            vector(b + "attn_q_norm.weight", l.qNorm); vector(b + "attn_k_norm.weight", l.kNorm)
            vector(b + "post_attention_norm.weight", l.postAttnNorm); vector(b + "post_ffw_norm.weight", l.postFFNNorm)
        }
        try AtomicFile.write(Data(w.bytes()), to: path)
    }

    /// Gemma 3's keys as llama.cpp reads them (`LlamaModel.readGemma3Layout`): the window, a layout
    /// other than every 6th layer global as one bool per layer, the local RoPE base (linear scaling is
    /// written with every family's, in `write`).
    /// llama.cpp derives the attention scale from the shape, so a model with another one is refused.
    static func gemma3Layout(_ c: LlamaConfig, _ w: inout GGUFWriter, path: String) throws {
        let a = c.architecture.name
        if let s = c.slidingWindow {
            w.set("\(a).attention.sliding_window", .uint32(UInt32(s.size)))
            if s.layers != SlidingWindow.pattern(6, count: c.numLayers) {
                w.set("\(a).attention.sliding_window_pattern", .array(GGUFArray(s.layers.map { .bool($0) })))
            }
            w.set("\(a).rope.freq_base_swa", .float32(s.ropeTheta))
        }
        let llamaCpp = LlamaModel.gemma3LlamaCppAttentionScale(c)
        if abs(c.attentionScaleOrDefault - llamaCpp) > 1e-6 * llamaCpp {
            throw ModelError.unsupported(path: path, "attention scale \(c.attentionScaleOrDefault), where llama.cpp's \(a) uses \(llamaCpp)")
        }
    }
}
