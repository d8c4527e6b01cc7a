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

    static func loadFixture() throws -> Fixture {
        let dir = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("peft_reference.json"))) as! [String: Any]
        let c = meta["config"] as! [String: Any]
        let dims = ModelDims(vocabSize: c["vocab_size"] as! Int, hiddenSize: c["hidden_size"] as! Int,
                             intermediateSize: c["intermediate_size"] as! Int, numLayers: c["num_layers"] as! Int,
                             numHeads: c["num_heads"] as! Int, numKVHeads: c["num_kv_heads"] as! Int, headDim: c["head_dim"] as! Int,
                             ropeTheta: Float(c["rope_theta"] as! Double), rmsNormEps: Float(c["rms_norm_eps"] as! Double))
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
        let st = try SafetensorsFile.read(path: dir.appendingPathComponent("peft_reference.safetensors").path)
        return Fixture(dims: dims, spec: spec, st: st, batch: batch, loss: meta["loss"] as! Double, count: batch.targetCount)
    }

    /// Base weights from HF names; q/k rows permuted into GGUF order.
    static func base(_ f: Fixture) -> TrainBase {
        let d = f.dims
        func t(_ n: String) -> [Float] { f.st.tensors["base." + n]!.values }
        func lin(_ n: String, _ out: Int, _ inF: Int, heads: Int? = nil) -> DenseLinear {
            var w = t(n)
            if let heads { w = QKPermutation.hfToGGUF(w, rows: out, cols: inF, heads: heads) }
            return DenseLinear(w, out: out, in: inF)
        }
        var layers: [BaseLayer] = []
        for i in 0..<d.numLayers {
            let p = "model.layers.\(i)."
            layers.append(BaseLayer(
                attnNorm: t(p + "input_layernorm.weight"),
                q: lin(p + "self_attn.q_proj.weight", d.qWidth, d.hiddenSize, heads: d.numHeads),
                k: lin(p + "self_attn.k_proj.weight", d.kvWidth, d.hiddenSize, heads: d.numKVHeads),
                v: lin(p + "self_attn.v_proj.weight", d.kvWidth, d.hiddenSize),
                o: lin(p + "self_attn.o_proj.weight", d.hiddenSize, d.qWidth),
                ffnNorm: t(p + "post_attention_layernorm.weight"),
                gate: lin(p + "mlp.gate_proj.weight", d.intermediateSize, d.hiddenSize),
                up: lin(p + "mlp.up_proj.weight", d.intermediateSize, d.hiddenSize),
                down: lin(p + "mlp.down_proj.weight", d.hiddenSize, d.intermediateSize)))
        }
        return TrainBase(dims: d, embedding: DenseEmbedding(t("model.embed_tokens.weight"), vocab: d.vocabSize, width: d.hiddenSize),
                         layers: layers, outputNorm: t("model.norm.weight"), output: lin("lm_head.weight", d.vocabSize, d.hiddenSize))
    }

    static func heads(_ t: Projection, _ d: ModelDims) -> Int? { t == .q ? d.numHeads : t == .k ? d.numKVHeads : nil }

    static func key(_ e: LoRAParameters.Entry, _ ab: String) -> String {
        "base_model.model.model.layers.\(e.layer).\(e.target.peftParent).\(e.target.peftName).lora_\(ab).weight"
    }

    func testLossAndEveryLoRAGradientMatchPEFT() throws {
        Threads.count = 2
        let f = try Self.loadFixture()
        let lora = LoRAParameters(dims: f.dims, spec: f.spec)
        for e in lora.entries {
            lora.setA(e, f.st.tensors[Self.key(e, "A")]!.values)
            var b = f.st.tensors[Self.key(e, "B")]!.values
            if let h = Self.heads(e.target, f.dims) { b = QKPermutation.hfToGGUF(b, rows: e.outFeatures, cols: f.spec.rank, heads: h) }
            lora.setB(e, b)
        }
        XCTAssertEqual(lora.entries.count, 14)
        for recompute in [false, true] {
            let model = TrainableLlama(base: Self.base(f), lora: lora, maxBatch: 2, maxSeqLen: 16, recompute: recompute)
            model.zeroGrads()
            let sum = try model.forwardBackward(f.batch, lossScale: 1 / Float(f.count))
            XCTAssertEqual(sum / Double(f.count), f.loss, accuracy: 1e-5 * max(1, f.loss))
            for e in lora.entries {
                let refA = f.st.tensors[Self.key(e, "A") + ".grad"]!.values
                var refB = f.st.tensors[Self.key(e, "B") + ".grad"]!.values
                if let h = Self.heads(e.target, f.dims) { refB = QKPermutation.hfToGGUF(refB, rows: e.outFeatures, cols: f.spec.rank, heads: h) }
                assertClose(lora.gradA(e), refA, "layer \(e.layer) \(e.target) dA")
                assertClose(lora.gradB(e), refB, "layer \(e.layer) \(e.target) dB")
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
