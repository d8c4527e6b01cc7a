import Foundation
import FTXTensor

/// The checkpoint's tensors, by their Hugging Face names, as the engine's weights: projections stay
/// in the file's dtype and memory; q/k rows (and biases) of adjacent-pair RoPE families are
/// reordered as llama.cpp's converter does (`QKPermutation`), into a buffer of their own.
enum HFWeights {
    static func load(config c: LlamaConfig, tensors: HFCheckpoint.TensorSet) throws -> LlamaWeights {
        let permute = c.ropeStyle == .normal
        func find(_ name: String) throws -> HFCheckpoint.TensorSet.Located {
            guard let t = tensors.byName[name] else {
                throw ModelError.badTensor(path: tensors.byName.values.first?.path ?? "model.safetensors", tensor: name, "missing")
            }
            return t
        }
        func linear(_ name: String, out: Int, in inF: Int, heads: Int? = nil) throws -> LinearWeight {
            let t = try find(name), e = t.entry
            guard e.shape == [out, inF] else {
                throw ModelError.badTensor(path: t.path, tensor: name, "shape \(e.shape) where [\(out), \(inF)] was expected")
            }
            let src = t.file.base + e.offset, rowBytes = inF * e.type.blockBytes
            if let heads, permute {
                let owner = MappedFile(bytes: QKPermutation.hfToGGUF(rows: src, rows: out, rowBytes: rowBytes, heads: heads))
                return LinearWeight(type: e.type, data: owner.base, out: out, in: inF, owner: owner)
            }
            guard Int(bitPattern: src) % e.type.blockBytes == 0 else {
                // A misaligned tensor (the format does not promise alignment) gets an aligned copy.
                let owner = MappedFile(bytes: Array(UnsafeRawBufferPointer(start: src, count: out * rowBytes)))
                return LinearWeight(type: e.type, data: owner.base, out: out, in: inF, owner: owner)
            }
            return LinearWeight(type: e.type, data: src, out: out, in: inF, owner: t.file)
        }
        func vector(_ name: String, _ n: Int, heads: Int? = nil) throws -> [Float] {
            let t = try find(name), e = t.entry
            guard e.elementCount == n, e.shape.count == 1 else {
                throw ModelError.badTensor(path: t.path, tensor: name, "shape \(e.shape) where [\(n)] was expected")
            }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { dequantizeRow(e.type, t.file.base + e.offset, $0.baseAddress!, count: n) }
            if let heads, permute { out = QKPermutation.hfToGGUF(out, rows: n, cols: 1, heads: heads) }
            return out
        }
        let H = c.hiddenSize, F = c.intermediateSize, arch = c.architecture
        /// An RMSNorm weight as the engine multiplies by it (Gemma stores w − 1 for x·(1 + w)).
        func norm(_ name: String, _ n: Int) throws -> [Float] {
            let w = try vector(name, n)
            return arch.hfNormOffset == 0 ? w : w.map { $0 + arch.hfNormOffset }
        }
        // With post-norms, post_attention_layernorm is the attention output's norm and the MLP's
        // input norm is pre_feedforward_layernorm; without, post_attention_layernorm is the latter.
        let post = arch.postNorms
        let embedding = try linear("model.embed_tokens.weight", out: c.vocabSize, in: H)
        var layers: [LlamaLayerWeights] = []
        for l in 0..<c.numLayers {
            let p = "model.layers.\(l)."
            // Phi-3's fused qkv_proj and gate_up_proj (gate rows first) as row-range views (NEOX: no permutation).
            let fused = arch.fusedProjections
            let qkv = fused ? try linear(p + "self_attn.qkv_proj.weight", out: c.qDim + 2 * c.kvDim, in: H) : nil
            let gateUp = fused ? try linear(p + "mlp.gate_up_proj.weight", out: 2 * F, in: H) : nil
            func part(_ w: LinearWeight?, _ lo: Int, _ n: Int, _ name: String, heads: Int? = nil) throws -> LinearWeight {
                try w.map { $0.rows(lo, count: n) } ?? linear(p + name + ".weight", out: n, in: H, heads: heads)
            }
            layers.append(LlamaLayerWeights(
                attnNorm: try norm(p + "input_layernorm.weight", H),
                q: try part(qkv, 0, c.qDim, "self_attn.q_proj", heads: c.numHeads),
                k: try part(qkv, c.qDim, c.kvDim, "self_attn.k_proj", heads: c.numKVHeads),
                v: try part(qkv, c.qDim + c.kvDim, c.kvDim, "self_attn.v_proj"),
                o: try linear(p + "self_attn.o_proj.weight", out: H, in: c.qDim),
                ffnNorm: try norm(p + (post ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), H),
                gate: try part(gateUp, 0, F, "mlp.gate_proj"),
                up: try part(gateUp, F, F, "mlp.up_proj"),
                down: try linear(p + "mlp.down_proj.weight", out: H, in: F),
                qBias: arch.attentionBias ? try vector(p + "self_attn.q_proj.bias", c.qDim, heads: c.numHeads) : nil,
                kBias: arch.attentionBias ? try vector(p + "self_attn.k_proj.bias", c.kvDim, heads: c.numKVHeads) : nil,
                vBias: arch.attentionBias ? try vector(p + "self_attn.v_proj.bias", c.kvDim) : nil,
                qNorm: arch.qkNorm ? try norm(p + "self_attn.q_norm.weight", c.headDim) : nil,
                kNorm: arch.qkNorm ? try norm(p + "self_attn.k_norm.weight", c.headDim) : nil,
                postAttnNorm: post ? try norm(p + "post_attention_layernorm.weight", H) : nil,
                postFFNNorm: post ? try norm(p + "post_feedforward_layernorm.weight", H) : nil))
        }
        // A tied model's head is its embedding (an lm_head it may carry too is not read twice).
        let output = c.tiedEmbeddings ? embedding : try linear("lm_head.weight", out: c.vocabSize, in: H)
        return LlamaWeights(config: c, tokenEmbedding: embedding, layers: layers,
                            outputNorm: try norm("model.norm.weight", H), output: output)
    }
}
