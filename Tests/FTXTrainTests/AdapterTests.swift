import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

final class AdapterTests: XCTestCase {
    static func trainedLoRA(dims: ModelDims, targets: [Projection] = Projection.allCases, seed: UInt64 = 3) -> LoRAParameters {
        let lora = LoRAParameters(dims: dims, spec: LoRASpec(rank: 4, alpha: 8, targets: targets))
        lora.initialize(seed: seed)
        var rng = TrainRNG(seed: seed + 1)
        for e in lora.entries { lora.setB(e, (0..<(4 * e.outFeatures)).map { _ in rng.uniform(-0.2, 0.2) }) }
        return lora
    }

    /// NLL from FTXModel's inference forward (adapter applied unmerged) for one sequence.
    static func inferenceNLL(_ m: LlamaModel, tokens: [Int]) throws -> Double {
        let cache = KVCache(config: m.config, maxLength: tokens.count)
        let logits = try m.forward([ForwardSegment(cache: cache, tokens: tokens)], logits: .all)
        let v = m.config.vocabSize
        var nll = 0.0
        for i in 0..<(tokens.count - 1) {
            let row = logits[(i * v)..<((i + 1) * v)].map(Double.init)
            let mx = row.max()!
            nll += mx + log(row.map { exp($0 - mx) }.reduce(0, +)) - row[tokens[i + 1]]
        }
        return nll
    }

    static func trainingNLL(_ base: TrainBase, _ lora: LoRAParameters, tokens: [Int]) throws -> Double {
        let model = TrainableLlama(base: base, lora: lora, maxBatch: 1, maxSeqLen: tokens.count)
        let t = tokens.map { Int32($0) }
        return try model.loss(TokenBatch(batch: 1, seqLen: t.count, tokens: t, targets: Array(t.dropFirst()) + [-1]))
    }

    func testTrainingForwardMatchesInferenceWithUnmergedAdapter() throws {
        let m = LlamaModel.random(config: .tiny(), seed: 4, tokenizer: .tinyByteLevel())
        let base = TrainBase.from(m.weights, storage: .asLoaded)
        let lora = Self.trainedLoRA(dims: base.dims)
        let tokens = Array(m.tokenizer.encode("The quick brown fox jumps").prefix(20))
        m.adapter = lora.loraWeights()
        XCTAssertEqual(try Self.trainingNLL(base, lora, tokens: tokens), try Self.inferenceNLL(m, tokens: tokens), accuracy: 1e-3)
        m.adapter = nil
        XCTAssertNotEqual(try Self.trainingNLL(base, lora, tokens: tokens), try Self.inferenceNLL(m, tokens: tokens), accuracy: 1e-3)
    }

    func testSmolLM2ForwardMatchesInference() throws {
        let m = try LlamaModel.load(path: try TestSupport.smolLM2Path())
        let base = TrainBase.from(m.weights, storage: .asLoaded)
        let lora = Self.trainedLoRA(dims: base.dims, targets: [.q, .k, .v, .o])
        let tokens = m.tokenizer.encode("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\nParis")
        m.adapter = lora.loraWeights()
        let train = try Self.trainingNLL(base, lora, tokens: tokens), infer = try Self.inferenceNLL(m, tokens: tokens)
        XCTAssertEqual(train, infer, accuracy: 1e-3 * abs(infer))
    }

    func testPEFTRoundTripAndFiles() throws {
        let dims = ModelDims(LlamaConfig.tiny())
        let lora = Self.trainedLoRA(dims: dims)
        let dir = TestSupport.makeTempDir().path
        try PEFTAdapter.write(lora, to: dir, baseModelName: "tiny.gguf")
        let back = try PEFTAdapter.read(from: dir, dims: dims)
        XCTAssertEqual(back.spec, lora.spec)
        XCTAssertEqual(back.params.array, lora.params.array)
        let st = try SafetensorsFile.read(path: dir + "/adapter_model.safetensors")
        XCTAssertEqual(st.tensors.count, 2 * 7 * dims.numLayers)
        let e = lora.entry(layer: 1, target: .q)!
        let b = st.tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"]!
        XCTAssertEqual(b.shape, [dims.qWidth, 4])
        // Exported q B is in HF order: GGUF row 2i+half of head h = HF row half·(d/2)+i.
        let hd = dims.headDim
        XCTAssertEqual(Array(b.values[(hd / 2 * 4)..<(hd / 2 * 4 + 4)]), Array(lora.b(e)[4..<8]))
        XCTAssertEqual(st.tensors["base_model.model.model.layers.0.mlp.down_proj.lora_A.weight"]?.shape, [4, dims.intermediateSize])
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(cfg["r"] as? Int, 4); XCTAssertEqual(cfg["lora_alpha"] as? Double, 8); XCTAssertEqual(cfg["peft_type"] as? String, "LORA")
        // Damaged files are rejected with the path.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_model.safetensors"))
        bytes.removeLast(16)
        try bytes.write(to: URL(fileURLWithPath: dir + "/adapter_model.safetensors"))
        XCTAssertThrowsError(try PEFTAdapter.read(from: dir, dims: dims)) { XCTAssertTrue("\($0)".contains("adapter_model.safetensors")) }
    }

    func testGGUFLoRAIsReadableAsGGUF() throws {
        let dims = ModelDims(LlamaConfig.tiny())
        let lora = Self.trainedLoRA(dims: dims, targets: [.q, .down])
        let path = TestSupport.makeTempDir().path + "/adapter.gguf"
        try GGUFLoRA.write(lora, to: path)
        let g = try GGUFFile(path: path)
        XCTAssertEqual(g.string("general.type"), "adapter")
        XCTAssertEqual(g.string("adapter.type"), "lora")
        XCTAssertEqual(g.double("adapter.lora.alpha"), 8)
        let a = try XCTUnwrap(g.tensor("blk.1.attn_q.weight.lora_a"))
        let b = try XCTUnwrap(g.tensor("blk.1.ffn_down.weight.lora_b"))
        XCTAssertEqual(a.dims, [dims.hiddenSize, 4])
        XCTAssertEqual(b.dims, [4, dims.hiddenSize])
        let p = g.pointer(a).assumingMemoryBound(to: Float.self)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: p, count: 4 * dims.hiddenSize)), lora.a(lora.entry(layer: 1, target: .q)!))
        XCTAssertEqual(g.tensors.count, 2 * 2 * dims.numLayers)
    }

    func testMergedWeightsGiveTheSameLoss() throws {
        let m = LlamaModel.random(config: .tiny(), seed: 4, tokenizer: .tinyByteLevel())
        let base = TrainBase.from(m.weights, storage: .f32)
        let lora = Self.trainedLoRA(dims: base.dims)
        let tokens = Array(m.tokenizer.encode("merge me please").prefix(16))
        let unmerged = try Self.trainingNLL(base, lora, tokens: tokens)
        let layers = base.layers.enumerated().map { (l, b) -> BaseLayer in
            func w(_ t: Projection) -> FrozenLinear {
                let x = b.weight(t)
                return DenseLinear(lora.merged(lora.entry(layer: l, target: t)!, base: x.dequantized()), out: x.outFeatures, in: x.inFeatures)
            }
            return BaseLayer(attnNorm: b.attnNorm.array, q: w(.q), k: w(.k), v: w(.v), o: w(.o), ffnNorm: b.ffnNorm.array,
                             gate: w(.gate), up: w(.up), down: w(.down))
        }
        let mergedBase = TrainBase(dims: base.dims, embedding: base.embedding, layers: layers, outputNorm: base.outputNorm.array, output: base.output)
        let none = LoRAParameters(dims: base.dims, spec: LoRASpec(rank: 1, alpha: 1, targets: []))
        XCTAssertEqual(try Self.trainingNLL(mergedBase, none, tokens: tokens), unmerged, accuracy: 1e-3)
    }

    func testNF4() {
        var rng = TrainRNG(seed: 5)
        let out = 70, inF = 200   // not multiples of the block: exercises the ragged tail
        // Normally distributed weights (Box–Muller), the distribution NF4's levels are the quantiles of.
        let w = (0..<(out * inF)).map { _ in
            0.02 * (-2 * log(Double(rng.uniform(1e-7, 1)))).squareRoot() * cos(2 * Double.pi * Double(rng.uniform(0, 1)))
        }.map(Float.init)
        let q = NF4Linear(quantizing: w, out: out, in: inF)
        let dq = q.dequantized()
        // NF4 beats the uniform 4-bit absmax codebook (16 evenly spaced levels in [−1, 1], same blocks)
        // on normal data: ~9.3% against ~10.1% relative RMS error, which an evenly spaced table cannot pass.
        let uniform = (0..<16).map { -1 + Float($0) * 2 / 15 }
        var uq = [Float](repeating: 0, count: w.count)
        for r in 0..<out {
            for lo in stride(from: 0, to: inF, by: NF4Linear.blockSize) {
                let block = (r * inF + lo)..<(r * inF + min(inF, lo + NF4Linear.blockSize))
                let am = block.map { abs(w[$0]) }.max()!
                for i in block { uq[i] = am * uniform.min { abs($0 * am - w[i]) < abs($1 * am - w[i]) }! }
            }
        }
        func relRMS(_ x: [Float]) -> Double {
            var err = 0.0, norm = 0.0
            for i in 0..<w.count { err += Double(w[i] - x[i]) * Double(w[i] - x[i]); norm += Double(w[i]) * Double(w[i]) }
            return (err / norm).squareRoot()
        }
        XCTAssertLessThan(relRMS(dq), 0.95 * relRMS(uq), "NF4 \(relRMS(dq)) against uniform int4 \(relRMS(uq))")
        XCTAssertEqual(q.storageBytes, out * 4 * 32 + out * 4 + 4 * 2 + 4)   // 4 blocks of 64 per row, 1 byte each, 2 groups, the mean
        // The tiled matmuls equal dense matmuls over the dequantized weight.
        let dense = DenseLinear(dq, out: out, in: inF)
        let n = 9
        let x = (0..<(n * inF)).map { _ in rng.uniform(-1, 1) }, dy = (0..<(n * out)).map { _ in rng.uniform(-1, 1) }
        var y1 = [Float](repeating: 0, count: n * out), y2 = y1, d1 = [Float](repeating: 0, count: n * inF), d2 = d1
        q.forward(x, rows: n, into: &y1, accumulate: false); dense.forward(x, rows: n, into: &y2, accumulate: false)
        q.backwardInput(dy, rows: n, into: &d1, accumulate: false); dense.backwardInput(dy, rows: n, into: &d2, accumulate: false)
        for i in 0..<y1.count { XCTAssertEqual(y1[i], y2[i], accuracy: 1e-4) }
        for i in 0..<d1.count { XCTAssertEqual(d1[i], d2[i], accuracy: 1e-4) }
    }
}
