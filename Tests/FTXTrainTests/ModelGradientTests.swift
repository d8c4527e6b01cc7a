import FTXCore
import FTXModel
import XCTest
@testable import FTXTrain

/// Finite differences through the whole model for every LoRA tensor (sampled coordinates), with and
/// without dropout, packing and recomputation.
final class ModelGradientTests: XCTestCase {
    static let dims = ModelDims(vocabSize: 40, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4,
                                numKVHeads: 2, headDim: 4, ropeTheta: 10000, rmsNormEps: 1e-5)

    static func batch(packed: Bool) -> TokenBatch {
        var rng = TrainRNG(seed: 21)
        let b = 2, t = 8
        let tokens = (0..<(b * t)).map { _ in Int32(rng.below(dims.vocabSize)) }
        var targets = [Int32](repeating: -1, count: b * t)
        for r in 0..<(b * t) where r % t >= 2 && r % t < t - 1 { targets[r] = tokens[r + 1] }
        if packed {
            // Sequence 1 holds two segments: rows 0–3 and 4–7 (positions restart, keys start at 4).
            let pos: [Int32] = Array(0..<8) + [0, 1, 2, 3, 0, 1, 2, 3]
            let ks: [Int32] = [Int32](repeating: 0, count: 8) + [0, 0, 0, 0, 4, 4, 4, 4]
            targets[11] = -1   // no target across the segment boundary
            return TokenBatch(batch: b, seqLen: t, tokens: tokens, targets: targets, positions: pos, keyStart: ks)
        }
        return TokenBatch(batch: b, seqLen: t, tokens: tokens, targets: targets)
    }

    func run(dropout: Float, packed: Bool, recompute: Bool, rslora: Bool = false, dims: ModelDims = dims) throws {
        Threads.count = 2
        let base = TrainBase.random(dims: dims, seed: 5)
        let lora = LoRAParameters(dims: dims, spec: LoRASpec(rank: 3, alpha: 6, useRSLoRA: rslora, dropout: dropout))
        lora.initialize(seed: 9)
        var rng = TrainRNG(seed: 10)
        for e in lora.entries { lora.setB(e, (0..<(3 * e.outFeatures)).map { _ in rng.uniform(-0.3, 0.3) }) }
        let model = TrainableLlama(base: base, lora: lora, maxBatch: 2, maxSeqLen: 8, recompute: recompute)
        model.dropoutSeed = 77
        let batch = Self.batch(packed: packed)
        model.zeroGrads()
        try model.forwardBackward(batch, lossScale: 1)
        let analytic = lora.grads.array
        func f() -> Double {
            let l = try! model.forwardBackward(batch, lossScale: 0)   // same dropout masks as the analytic pass
            return l
        }
        for e in lora.entries {
            let nA = 3 * e.inFeatures, nB = 3 * e.outFeatures
            GradCheck.check("L\(e.layer).\(e.target).A", x: lora.params.p + e.offsetA, count: nA,
                            analytic: Array(analytic[e.offsetA..<(e.offsetA + nA)]), samples: 6, h: 5e-3, tol: 3e-2, f)
            GradCheck.check("L\(e.layer).\(e.target).B", x: lora.params.p + e.offsetB, count: nB,
                            analytic: Array(analytic[e.offsetB..<(e.offsetB + nB)]), samples: 6, h: 5e-3, tol: 3e-2, f)
        }
    }

    func testFullModelGradients() throws { try run(dropout: 0, packed: false, recompute: false) }
    func testFullModelGradientsWithDropoutPackingRecompute() throws { try run(dropout: 0.2, packed: true, recompute: true, rslora: true) }

    /// The other families' block features: Qwen2's q/k/v biases with NEOX RoPE, Qwen3's per-head
    /// q/k norms (q wider than hidden), Llama 3's frequency-scaled RoPE, Gemma 3's GeGLU, post-norms,
    /// scaled embeddings, a sliding window of 3 (of 8 positions) on layer 0 with its own RoPE base,
    /// and its attention scale; packed and recomputed.
    func testFullModelGradientsOfEachFamily() throws {
        var qwen2 = Self.dims, qwen3 = Self.dims, llama3 = Self.dims, gemma3 = Self.dims, phi3 = Self.dims
        qwen2.architecture = .qwen2
        qwen3.architecture = .qwen3; qwen3.headDim = 8
        llama3.ropeFreqFactors = [1, 2.5, 32]
        llama3.headDim = 6; llama3.numHeads = 2; llama3.numKVHeads = 1
        gemma3.architecture = .gemma3; gemma3.headDim = 8; gemma3.numKVHeads = 1; gemma3.ropeTheta = 1e6
        gemma3.ropeFreqFactors = [Float](repeating: 8, count: 4); gemma3.attentionScale = 0.3
        gemma3.slidingWindow = SlidingWindow(size: 3, layers: [true, false], ropeTheta: 10000)
        // Phi-3: one LoRA pair per fused module (qkv, gate-up) over split frozen weights, a window on every layer.
        phi3.architecture = .phi3
        phi3.slidingWindow = SlidingWindow(size: 3, layers: [true, true], ropeTheta: phi3.ropeTheta)
        for d in [qwen2, qwen3, llama3, gemma3, phi3] {
            try run(dropout: 0, packed: true, recompute: false, dims: d)
            try run(dropout: 0.1, packed: true, recompute: true, dims: d)
        }
    }

    func testRecomputeGivesIdenticalGradients() throws {
        var grads: [[Float]] = []
        for recompute in [false, true] {
            let base = TrainBase.random(dims: Self.dims, seed: 5)
            let lora = LoRAParameters(dims: Self.dims, spec: LoRASpec(rank: 2, alpha: 4, dropout: 0.1))
            lora.initialize(seed: 1)
            for e in lora.entries { lora.setB(e, [Float](repeating: 0.1, count: 2 * e.outFeatures)) }
            let model = TrainableLlama(base: base, lora: lora, maxBatch: 2, maxSeqLen: 8, recompute: recompute)
            try model.forwardBackward(Self.batch(packed: false), lossScale: 0.1)
            grads.append(lora.grads.array)
        }
        XCTAssertEqual(grads[0], grads[1])
    }

    func testPackedSegmentsMatchSeparateSequences() throws {
        // Two examples packed into one row give the same loss as the two examples as separate rows.
        let base = TrainBase.random(dims: Self.dims, seed: 5)
        let lora = LoRAParameters(dims: Self.dims, spec: LoRASpec(rank: 2, alpha: 4))
        lora.initialize(seed: 1)
        let model = TrainableLlama(base: base, lora: lora, maxBatch: 2, maxSeqLen: 8)
        let a: [Int32] = [1, 2, 3, 4], b: [Int32] = [5, 6, 7, 8]
        let tg: [Int32] = [2, 3, 4, -1]
        let tg2: [Int32] = [6, 7, 8, -1]
        let packed = TokenBatch(batch: 1, seqLen: 8, tokens: a + b, targets: tg + tg2,
                                positions: [0, 1, 2, 3, 0, 1, 2, 3], keyStart: [0, 0, 0, 0, 4, 4, 4, 4])
        let separate = TokenBatch(batch: 2, seqLen: 4, tokens: a + b, targets: tg + tg2)
        XCTAssertEqual(try model.loss(packed), try model.loss(separate), accuracy: 1e-4)
    }

    func testUnpaddedBatchGivesThePaddedLossAndGradients() throws {
        // Six examples of uneven length as one padded row each, and unpadded in two rows (longer than
        // maxSeqLen); attention blocks of 2 rows so that blocks start past earlier examples' keys.
        let saved = Attention.causalBlock
        Attention.causalBlock = 2
        defer { Attention.causalBlock = saved }
        var rng = TrainRNG(seed: 3)
        let examples = [3, 7, 5, 2, 8, 4].map { n in
            EncodedExample(tokens: (0..<n).map { _ in Int32(rng.below(Self.dims.vocabSize)) },
                           trained: (0..<n).map { $0 >= n / 2 }, source: "e\(n)")
        }
        let order = Array(examples.indices)
        let padded = Batcher(microBatchSize: 6, maxSeqLength: 8, packing: false, padToken: 0).microBatches(examples, order: order)
        let unpadded = Batcher(microBatchSize: 6, maxSeqLength: 8, packing: false, padToken: 0, rowsPerBatch: 2)
            .microBatches(examples, order: order)
        XCTAssertEqual(padded[0].rows, 48)
        XCTAssertEqual(unpadded[0].batch, 2)
        XCTAssertEqual(unpadded[0].seqLen, 15)   // rows {7, 5, 2} and {3, 8, 4}
        XCTAssertEqual(unpadded[0].targetCount, padded[0].targetCount)
        var results: [(Double, [Float])] = []
        for b in [padded[0], unpadded[0]] {
            let base = TrainBase.random(dims: Self.dims, seed: 5)
            let lora = LoRAParameters(dims: Self.dims, spec: LoRASpec(rank: 2, alpha: 4))
            lora.initialize(seed: 1)
            var brng = TrainRNG(seed: 10)   // the same B for both layouts
            for e in lora.entries { lora.setB(e, (0..<(2 * e.outFeatures)).map { _ in brng.uniform(-0.3, 0.3) }) }
            let model = TrainableLlama(base: base, lora: lora, maxBatch: 6, maxSeqLen: 8)
            model.zeroGrads()
            let loss = try model.forwardBackward(b, lossScale: 1)
            results.append((loss, lora.grads.array))
        }
        XCTAssertEqual(results[0].0, results[1].0, accuracy: 1e-5 * abs(results[0].0))
        let scale = results[0].1.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        for (g, h) in zip(results[0].1, results[1].1) { XCTAssertEqual(g, h, accuracy: 1e-5 * scale) }
    }
}
