import FTXCore
import FTXModel
import FTXTestSupport
import XCTest
@testable import FTXTrain

/// Loss and every LoRA gradient against PEFT (scripts/peft_reference.py → Fixtures/peft_reference.*),
/// the way llm.c checks its backward against PyTorch.
final class PEFTReferenceTests: XCTestCase {
    struct Fixture {
        let dims: ModelDims
        let spec: LoRASpec
        let st: SafetensorsFile
        let batch: TokenBatch
        let loss: Double
        let count: Int
    }

    /// `name`: "peft_reference" (SmolLM2-shaped Llama) or "arch/peft_<family>" (qwen2, qwen3, llama3).
    static func loadFixture(_ name: String = "peft_reference") throws -> Fixture {
        let dir = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name + ".json"))) as! [String: Any]
        let c = meta["config"] as! [String: Any]
        let family = meta["family"] as? String ?? "llama"
        let theta = c["rope_theta"] as! Double, headDim = c["head_dim"] as! Int
        // Llama 3's scaling as a checkpoint's config.json states it, through the checkpoint reader's formula.
        let scaling = meta["rope_scaling"] as? [String: Any]
        let factors = family == "gemma3" ? [Float](repeating: Float(scaling!["factor"] as! Double), count: headDim / 2)
            : try scaling.map { s in
            try HFConfig.llama3FrequencyFactors(headDim: headDim, theta: theta, factor: s["factor"] as! Double,
                                                lowFreqFactor: s["low_freq_factor"] as! Double, highFreqFactor: s["high_freq_factor"] as! Double,
                                                originalContext: Double(s["original_max_position_embeddings"] as! Int), path: name)
        }
        var dims = ModelDims(vocabSize: c["vocab_size"] as! Int, hiddenSize: c["hidden_size"] as! Int,
                             intermediateSize: c["intermediate_size"] as! Int, numLayers: c["num_layers"] as! Int,
                             numHeads: c["num_heads"] as! Int, numKVHeads: c["num_kv_heads"] as! Int, headDim: headDim,
                             ropeTheta: Float(theta), rmsNormEps: Float(c["rms_norm_eps"] as! Double),
                             architecture: Architecture.named(family == "llama3" ? "llama" : family)!, ropeFreqFactors: factors)
        if family == "phi3", let window = meta["sliding_window"] as? Int {
            dims.slidingWindow = SlidingWindow(size: window, layers: [Bool](repeating: true, count: dims.numLayers), ropeTheta: dims.ropeTheta)
        }
        if let window = meta["sliding_window"] as? Int, let types = meta["layer_types"] as? [String] {
            // Gemma 3: sliding layers, their RoPE base, query_pre_attn_scalar^−½.
            dims.slidingWindow = SlidingWindow(size: window, layers: types.map { $0 == "sliding_attention" },
                                               ropeTheta: Float(meta["rope_local_base_freq"] as! Double))
            dims.attentionScale = Float(1 / (meta["query_pre_attn_scalar"] as! Double).squareRoot())
        }
        let l = meta["lora"] as! [String: Any]
        let spec = LoRASpec(rank: l["r"] as! Int, alpha: Float(l["alpha"] as! Int), targets: Projection.allCases)
        let ids = meta["input_ids"] as! [[Int]], labels = meta["labels"] as! [[Int]]
        let b = meta["batch"] as! Int, t = meta["seq_len"] as! Int
        var tokens: [Int32] = [], targets: [Int32] = []
        for s in 0..<b {
            for i in 0..<t {
                tokens.append(Int32(ids[s][i]))
                targets.append(i + 1 < t && labels[s][i + 1] >= 0 ? Int32(labels[s][i + 1]) : -1)
            }
        }
        let batch = TokenBatch(batch: b, seqLen: t, tokens: tokens, targets: targets)
        let st = try SafetensorsFile.read(path: dir.appendingPathComponent(name + ".safetensors").path)
        return Fixture(dims: dims, spec: spec, st: st, batch: batch, loss: meta["loss"] as! Double, count: batch.targetCount)
    }

    /// Base weights from HF names; q/k rows permuted into GGUF order for adjacent-pair RoPE; the
    /// family's biases, q/k norms and post-norms (Gemma's norms stored as w − 1); a tied head when
    /// the file has no lm_head.
    static func base(_ f: Fixture) -> TrainBase {
        let d = f.dims, offset = d.architecture.hfNormOffset, post = d.architecture.postNorms
        func t(_ n: String) -> [Float] { f.st.tensors["base." + n]!.values }
        func norm(_ n: String) -> [Float] { t(n).map { $0 + offset } }
        func lin(_ n: String, _ out: Int, _ inF: Int, heads: Int? = nil) -> DenseLinear {
            var w = t(n)
            if let heads, d.architecture.ropeStyle == .normal { w = QKPermutation.hfToGGUF(w, rows: out, cols: inF, heads: heads) }
            return DenseLinear(w, out: out, in: inF)
        }
        func vec(_ n: String) -> FloatBuffer? { f.st.tensors["base." + n].map { FloatBuffer($0.values) } }
        /// Phi-3's fused matrices, split by rows as the loaders split them (gate rows first).
        func part(_ fused: String, _ rows: Int, _ count: Int) -> DenseLinear {
            let w = t(fused), cols = d.hiddenSize
            return DenseLinear(Array(w[(rows * cols)..<((rows + count) * cols)]), out: count, in: cols)
        }
        let fused = d.architecture.fusedProjections
        var layers: [BaseLayer] = []
        for i in 0..<d.numLayers {
            let p = "model.layers.\(i)."
            layers.append(BaseLayer(
                attnNorm: norm(p + "input_layernorm.weight"),
                q: fused ? part(p + "self_attn.qkv_proj.weight", 0, d.qWidth) : lin(p + "self_attn.q_proj.weight", d.qWidth, d.hiddenSize, heads: d.numHeads),
                k: fused ? part(p + "self_attn.qkv_proj.weight", d.qWidth, d.kvWidth) : lin(p + "self_attn.k_proj.weight", d.kvWidth, d.hiddenSize, heads: d.numKVHeads),
                v: fused ? part(p + "self_attn.qkv_proj.weight", d.qWidth + d.kvWidth, d.kvWidth) : lin(p + "self_attn.v_proj.weight", d.kvWidth, d.hiddenSize),
                o: lin(p + "self_attn.o_proj.weight", d.hiddenSize, d.qWidth),
                ffnNorm: norm(p + (post ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")),
                gate: fused ? part(p + "mlp.gate_up_proj.weight", 0, d.intermediateSize) : lin(p + "mlp.gate_proj.weight", d.intermediateSize, d.hiddenSize),
                up: fused ? part(p + "mlp.gate_up_proj.weight", d.intermediateSize, d.intermediateSize) : lin(p + "mlp.up_proj.weight", d.intermediateSize, d.hiddenSize),
                down: lin(p + "mlp.down_proj.weight", d.hiddenSize, d.intermediateSize)))
            layers[i].qBias = vec(p + "self_attn.q_proj.bias"); layers[i].kBias = vec(p + "self_attn.k_proj.bias")
            layers[i].vBias = vec(p + "self_attn.v_proj.bias")
            func normVec(_ n: String) -> FloatBuffer? { f.st.tensors["base." + n].map { _ in FloatBuffer(norm(n)) } }
            layers[i].qNorm = normVec(p + "self_attn.q_norm.weight"); layers[i].kNorm = normVec(p + "self_attn.k_norm.weight")
            if post {
                layers[i].postAttnNorm = normVec(p + "post_attention_layernorm.weight")
                layers[i].postFFNNorm = normVec(p + "post_feedforward_layernorm.weight")
            }
        }
        let head = f.st.tensors["base.lm_head.weight"] != nil ? "lm_head.weight" : "model.embed_tokens.weight"
        return TrainBase(dims: d, embedding: DenseEmbedding(t("model.embed_tokens.weight"), vocab: d.vocabSize, width: d.hiddenSize),
                         layers: layers, outputNorm: norm("model.norm.weight"), output: lin(head, d.vocabSize, d.hiddenSize))
    }

    /// The rows PEFT orders differently from the engine (the adapter writer's own rule).
    static func heads(_ t: Projection, _ d: ModelDims) -> Int? { PEFTAdapter.heads(t, d) }

    static func key(_ e: LoRAParameters.Entry, _ ab: String, _ arch: Architecture = .llama) -> String {
        "base_model.model.model.layers.\(e.layer).\(e.target.peftParent).\(arch.peftModuleName(e.target)).lora_\(ab).weight"
    }

    func testLossAndEveryLoRAGradientMatchPEFT() throws { try checkAgainstPEFT("peft_reference") }

    /// Qwen2 (biases, NEOX RoPE, tied head), Qwen3 (per-head q/k norms, head dim 32 > hidden/heads),
    /// Llama 3 (frequency-scaled RoPE) and Gemma 3 (GeGLU, post-norms, √hidden embeddings, sliding
    /// window of 8 over 12 tokens on 5 of 6 layers) and Phi-3 (one LoRA on each fused qkv_proj and
    /// gate_up_proj, PEFT's names), each against its own PEFT run.
    func testEachFamilyMatchesPEFT() throws {
        for family in ["qwen2", "qwen3", "llama3", "gemma3", "phi3"] { try checkAgainstPEFT("arch/peft_" + family) }
    }

    /// The fixture's PEFT LoRA tensors as the engine's parameters.
    static func peftLoRA(_ f: Fixture) -> LoRAParameters {
        let lora = LoRAParameters(dims: f.dims, spec: f.spec)
        for e in lora.entries {
            let arch = f.dims.architecture
            lora.setA(e, f.st.tensors[Self.key(e, "A", arch)]!.values)
            var b = f.st.tensors[Self.key(e, "B", arch)]!.values
            if let h = Self.heads(e.target, f.dims) { b = QKPermutation.hfToGGUF(b, rows: e.outFeatures, cols: f.spec.rank, heads: h) }
            lora.setB(e, b)
        }
        return lora
    }

    /// Phi-3's fused-module adapter applied at inference (split into per-part pairs, unmerged) on the
    /// llama.cpp-converted GGUF of the same base: PEFT's loss on the same batch.
    func testPhi3AdapterAtInferenceGivesPEFTLoss() throws {
        let f = try Self.loadFixture("arch/peft_phi3")
        let model = try LlamaModel.load(path: TestSupport.fixture("FTXModelTests/Fixtures/arch/phi3/model.gguf").path)
        model.adapter = Self.peftLoRA(f).loraWeights()
        XCTAssertEqual(model.adapter?.layers[0].count, 7, "q, k, v, o, gate, up, down")
        let T = f.batch.seqLen, V = model.config.vocabSize
        var total = 0.0
        for s in 0..<f.batch.batch {
            let tokens = (0..<T).map { Int(f.batch.tokens[s * T + $0]) }
            let logits = try model.forward([ForwardSegment(cache: KVCache(config: model.config), tokens: tokens)], logits: .all)
            for i in 0..<T where f.batch.targets[s * T + i] >= 0 {
                let row = logits[(i * V)..<((i + 1) * V)].map(Double.init), m = row.max()!
                let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
                total += lse - row[Int(f.batch.targets[s * T + i])]
            }
        }
        XCTAssertEqual(total / Double(f.count), f.loss, accuracy: 1e-5 * f.loss)
    }

    func checkAgainstPEFT(_ name: String) throws {
        Threads.count = 2
        let f = try Self.loadFixture(name)
        let lora = Self.peftLoRA(f)
        XCTAssertEqual(lora.entries.count, f.dims.architecture.loraModules.count * f.dims.numLayers)
        XCTAssertEqual(f.st.tensors.keys.filter { $0.hasSuffix(".grad") }.count, 2 * lora.entries.count, "every PEFT tensor is compared")
        for recompute in [false, true] {
            let model = TrainableLlama(base: Self.base(f), lora: lora, maxBatch: 2, maxSeqLen: 16, recompute: recompute)
            model.zeroGrads()
            let sum = try model.forwardBackward(f.batch, lossScale: 1 / Float(f.count))
            XCTAssertEqual(sum / Double(f.count), f.loss, accuracy: 1e-5 * max(1, f.loss), name)
            for e in lora.entries {
                let refA = f.st.tensors[Self.key(e, "A", f.dims.architecture) + ".grad"]!.values
                var refB = f.st.tensors[Self.key(e, "B", f.dims.architecture) + ".grad"]!.values
                if let h = Self.heads(e.target, f.dims) { refB = QKPermutation.hfToGGUF(refB, rows: e.outFeatures, cols: f.spec.rank, heads: h) }
                assertClose(lora.gradA(e), refA, "\(name) layer \(e.layer) \(e.target) dA")
                assertClose(lora.gradB(e), refB, "\(name) layer \(e.layer) \(e.target) dB")
            }
        }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, name, file: file, line: line)
        let scale = b.map { abs($0) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(name): reference gradient is zero", file: file, line: line)
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i])) }
        XCTAssertLessThan(worst, 1e-4 * scale + 1e-7, "\(name): max abs diff \(worst) (scale \(scale))", file: file, line: line)
    }
}
