import XCTest
import FTXModel
import FTXTensor
import FTXTestSupport
@testable import FTXTrain

/// QLoRA with NF4 end to end: an F16 GGUF written in-process, trained with `adapter: qlora` (every
/// projection quantized to NF4, block 64, double-quantized absmax), against the same run on the f32
/// base and on the NF4-dequantized base.
final class NF4TrainingTests: XCTestCase {
    /// Writes `m` as a llama GGUF: projections and embedding as `type` (F16 or F32), norms F32.
    static func writeGGUF(_ m: LlamaModel, type: QuantType, to path: String) throws {
        let c = m.config
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("general.name", .string("tiny-test"))
        w.set("llama.embedding_length", .uint32(UInt32(c.hiddenSize)))
        w.set("llama.block_count", .uint32(UInt32(c.numLayers)))
        w.set("llama.attention.head_count", .uint32(UInt32(c.numHeads)))
        w.set("llama.attention.head_count_kv", .uint32(UInt32(c.numKVHeads)))
        w.set("llama.feed_forward_length", .uint32(UInt32(c.intermediateSize)))
        w.set("llama.attention.key_length", .uint32(UInt32(c.headDim)))
        w.set("llama.rope.freq_base", .float32(c.ropeTheta))
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps))
        w.set("llama.context_length", .uint32(UInt32(c.contextLength)))
        w.set("tokenizer.ggml.model", .string("gpt2"))
        let tok = m.tokenizer
        w.set("tokenizer.ggml.tokens", .array(GGUFArray((0..<tok.vocabSize).map { .string(tok.piece($0)) })))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray((0..<tok.vocabSize).map { .int32($0 < 256 ? 1 : 3) })))
        if let b = tok.bosID { w.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(b))) }
        if let e = tok.eosID { w.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(e))) }
        w.set("tokenizer.ggml.add_bos_token", .bool(tok.addBOS))
        w.set("tokenizer.chat_template", .string(ChatTemplate.chatML))
        func add(_ name: String, _ l: LinearWeight) {
            let v = l.dequantized()
            if type == .f16 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(v.count * 2)
                for x in v { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { bytes += $0 } }
                w.addTensor(name, dims: [l.inFeatures, l.outFeatures], type: .f16, bytes: bytes)
            } else {
                w.addTensor(name, dims: [l.inFeatures, l.outFeatures], f32: v)
            }
        }
        add("token_embd.weight", m.weights.tokenEmbedding)
        for (i, b) in m.weights.layers.enumerated() {
            w.addTensor("blk.\(i).attn_norm.weight", dims: [c.hiddenSize], f32: b.attnNorm)
            w.addTensor("blk.\(i).ffn_norm.weight", dims: [c.hiddenSize], f32: b.ffnNorm)
            for (name, l) in [("attn_q", b.q), ("attn_k", b.k), ("attn_v", b.v), ("attn_output", b.o),
                              ("ffn_gate", b.gate), ("ffn_up", b.up), ("ffn_down", b.down)] {
                add("blk.\(i).\(name).weight", l)
            }
        }
        w.addTensor("output_norm.weight", dims: [c.hiddenSize], f32: m.weights.outputNorm)
        try Data(w.bytes()).write(to: URL(fileURLWithPath: path))
    }

    static func losses(_ dir: String) throws -> [Double] {
        try TrainLog(path: dir + "/train_log.jsonl", keepThrough: 1000).entries.compactMap { $0["loss"] as? Double }
    }

    func testQLoRAOnAnF16BaseTrainsLikeTheF32Base() throws {
        let dir = TestSupport.makeTempDir()
        let gguf = dir.appendingPathComponent("tiny-f16.gguf").path
        try Self.writeGGUF(TrainerTests.model(), type: .f16, to: gguf)
        var c = try TrainerTests.config(dir, steps: 6)
        c.baseModel = gguf; c.loraDropout = 0
        c.adapter = .qlora

        // 1. QLoRA: every projection of the F16 file is held as NF4.
        let q = try Trainer(config: c)
        XCTAssertEqual(q.llama.weights.layers[0].q.type, .f16)
        var nf4Bytes = 0, padded = 0
        for layer in q.model.base.layers {
            for t in Projection.allCases {
                let l = try XCTUnwrap(layer.weight(t) as? NF4Linear, "\(t) is \(type(of: layer.weight(t))), not NF4")
                let blocks = l.outFeatures * ((l.inFeatures + 63) / 64)
                // 4-bit codes + one 8-bit absmax code per 64 + one f32 per 256 blocks + the mean.
                XCTAssertEqual(l.storageBytes, blocks * 32 + blocks + 4 * ((blocks + 255) / 256) + 4)
                nf4Bytes += l.storageBytes; padded += blocks * 64
            }
        }
        // ≈ 4.13 bits per weight (rows padded to whole blocks of 64; F16 holds 16 bits).
        XCTAssertLessThan(Double(nf4Bytes), 0.52 * Double(padded))
        let rq = try q.run(Trainer.Options(progress: false))
        let qLoss = try Self.losses(c.outputDir)

        // 2. The same run on the f32 base (`adapter: lora` dequantizes the F16 file once).
        var f = c; f.adapter = .lora; f.outputDir = dir.appendingPathComponent("f32").path
        let rf = try Trainer(config: f).run(Trainer.Options(progress: false))
        let fLoss = try Self.losses(f.outputDir)

        // 3. The same run on an f32 copy of exactly the NF4-dequantized weights: what QLoRA computes.
        let src = try LlamaModel.load(path: gguf)
        let dq = TrainBase.from(src.weights, storage: .quantized)
        let layers = src.weights.layers.enumerated().map { (i, b) -> LlamaLayerWeights in
            func w(_ t: Projection) -> LinearWeight {
                let l = dq.layers[i].weight(t)
                return LinearWeight(f32: l.dequantized(), out: l.outFeatures, in: l.inFeatures)
            }
            return LlamaLayerWeights(attnNorm: b.attnNorm, q: w(.q), k: w(.k), v: w(.v), o: w(.o), ffnNorm: b.ffnNorm,
                                     gate: w(.gate), up: w(.up), down: w(.down))
        }
        let emb = LinearWeight(f32: src.weights.tokenEmbedding.dequantized(), out: src.config.vocabSize, in: src.config.hiddenSize)
        let nf4Model = LlamaModel(config: src.config, weights: LlamaWeights(config: src.config, tokenEmbedding: emb, layers: layers,
                                                                             outputNorm: src.weights.outputNorm, output: emb),
                                  tokenizer: src.tokenizer, chatTemplate: src.chatTemplate)
        var d = f; d.outputDir = dir.appendingPathComponent("dq").path
        _ = try Trainer(config: d, preloaded: nf4Model).run(Trainer.Options(progress: false))
        let dLoss = try Self.losses(d.outputDir)

        XCTAssertEqual(qLoss.count, 6); XCTAssertEqual(fLoss.count, 6); XCTAssertEqual(dLoss.count, 6)
        // The tiled NF4 matmuls (forward and input gradient) equal dense matmuls over the dequantized
        // weights: only the f32 summation order differs.
        for (a, b) in zip(qLoss, dLoss) { XCTAssertEqual(a, b, accuracy: 1e-4 * b) }
        // Against the f32 base the gap is the quantization error itself: NF4 stores weights with
        // ~10% relative RMS error (AdapterTests.testNF4), which perturbs each projection's output by
        // about that fraction, mostly averaging out in the loss: measured 1.4–2.7% per step here
        // (loss ≈ 11–16 nats), so 5% leaves a 2× margin. A broken dequantization (wrong codes or
        // absmax) moves it far more; skipping quantization makes the gap exactly 0 (checked too).
        for (a, b) in zip(qLoss, fLoss) { XCTAssertEqual(a, b, accuracy: 0.05 * b) }
        XCTAssertNotEqual(qLoss, fLoss)
        // Both learn.
        XCTAssertLessThan(try XCTUnwrap(rq.validLoss), try XCTUnwrap(fLoss.first))
        XCTAssertLessThan(try XCTUnwrap(rf.validLoss), try XCTUnwrap(fLoss.first))
    }

    /// Double quantization uses bitsandbytes' dynamic map (reference: Fixtures/make_bnb_dynamic_map.py).
    func testDynamicMapMatchesBitsandbytes() throws {
        let ref = try TestSupport.hexFloat32s(TestSupport.fixture("FTXTrainTests/Fixtures/bnb_dynamic_map_f32.txt"))
        XCTAssertEqual(ref.count, 256)
        XCTAssertEqual(DynamicMap.values, ref)
        XCTAssertEqual(DynamicMap.values[Int(DynamicMap.zeroCode)], 0)
        for x: Float in [-1, -0.5, -1e-7, 0, 3e-6, 0.123, 0.99, 1] {
            let best = ref.indices.min { abs(ref[$0] - x) < abs(ref[$1] - x) }!
            XCTAssertEqual(abs(DynamicMap.values[Int(DynamicMap.nearest(x))] - x), abs(ref[best] - x), "\(x)")
        }
    }
}
