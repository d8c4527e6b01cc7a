import Foundation
import FTXModel
import FTXTestSupport
import XCTest
@testable import FTXTrain

/// The other direction of PEFTReferenceTests: PEFT loads what ftx writes. A fixed adapter with
/// non-zero A and B (B ≠ 0 makes the q/k un-permutation observable) on the tiny peft_reference
/// model is written by ftx's PEFT writer into Fixtures/peft_load/ (the committed files must stay
/// byte-identical to what the writer produces); scripts/peft_load_check.py loads them with
/// `PeftModel.from_pretrained` and records PEFT's logits, unmerged and after `merge_and_unload()`.
/// Here ftx's training forward, its inference forward (adapter loaded as `ftx eval --adapter` does)
/// and its merged weights must reproduce those logits.
///
/// Regenerate: FTX_REGENERATE_FIXTURES=1 swift test --filter PEFTLoadTests, then
/// .cache/venv/bin/python scripts/peft_load_check.py (see docs/training.md).
final class PEFTLoadTests: XCTestCase {
    static let dir = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/peft_load")
    /// rsLoRA so that PEFT honouring use_rslora is observable (scale α/√r = 4, not α/r = 2).
    static let spec = LoRASpec(rank: 4, alpha: 8, useRSLoRA: true, targets: Projection.allCases)
    static let baseModelName = "ftx-tiny-llama-peft-reference"

    /// Fixed factors in the engine's (GGUF) row order, exact multiples of 1/1000 of their scale.
    static func adapter(_ dims: ModelDims) -> LoRAParameters {
        let lora = LoRAParameters(dims: dims, spec: spec)
        var rng = SplitMix64(seed: 2026)
        func values(_ n: Int, _ scale: Float) -> [Float] {
            (0..<n).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 * scale }
        }
        for e in lora.entries {
            lora.setA(e, values(spec.rank * e.inFeatures, 1 / Float(e.inFeatures).squareRoot()))
            lora.setB(e, values(e.outFeatures * spec.rank, 0.05))
        }
        return lora
    }

    /// The peft_reference base as an FTXModel model (q/k rows permuted into GGUF order), with
    /// W + s·B·A folded into every adapted projection when `merging` is given.
    static func llama(_ f: PEFTReferenceTests.Fixture, merging lora: LoRAParameters? = nil) -> LlamaModel {
        let d = f.dims
        func t(_ n: String) -> [Float] { f.st.tensors["base." + n]!.values }
        func lin(_ l: Int, _ p: Projection) -> LinearWeight {
            let (out, inF) = d.shape(of: p)
            var w = t("model.layers.\(l).\(p.peftParent).\(p.peftName).weight")
            if let h = PEFTReferenceTests.heads(p, d) { w = QKPermutation.hfToGGUF(w, rows: out, cols: inF, heads: h) }
            if let lora, let e = lora.entry(layer: l, target: p) { w = lora.merged(e, base: w) }
            return LinearWeight(f32: w, out: out, in: inF)
        }
        let config = LlamaConfig(vocabSize: d.vocabSize, hiddenSize: d.hiddenSize, intermediateSize: d.intermediateSize,
                                 numLayers: d.numLayers, numHeads: d.numHeads, numKVHeads: d.numKVHeads, headDim: d.headDim,
                                 ropeTheta: d.ropeTheta, rmsNormEps: d.rmsNormEps, contextLength: 64, tiedEmbeddings: false)
        let layers = (0..<d.numLayers).map { l in
            LlamaLayerWeights(attnNorm: t("model.layers.\(l).input_layernorm.weight"), q: lin(l, .q), k: lin(l, .k), v: lin(l, .v),
                              o: lin(l, .o), ffnNorm: t("model.layers.\(l).post_attention_layernorm.weight"),
                              gate: lin(l, .gate), up: lin(l, .up), down: lin(l, .down))
        }
        let weights = LlamaWeights(config: config, tokenEmbedding: LinearWeight(f32: t("model.embed_tokens.weight"), out: d.vocabSize, in: d.hiddenSize),
                                   layers: layers, outputNorm: t("model.norm.weight"),
                                   output: LinearWeight(f32: t("lm_head.weight"), out: d.vocabSize, in: d.hiddenSize))
        let tokenizer = Tokenizer.make(kind: .byteLevelBPE, tokens: (0..<d.vocabSize).map { "t\($0)" },
                                       types: [Tokenizer.TokenType](repeating: .normal, count: d.vocabSize), bosID: nil, eosID: nil)
        return LlamaModel(config: config, weights: weights, tokenizer: tokenizer, chatTemplate: nil)
    }

    /// PEFT's logits [batch·seq × vocab] (unmerged or merged), from Fixtures/peft_load/peft_logits.safetensors.
    static func peftLogits(_ key: String) throws -> [Float] {
        let st = try SafetensorsFile.read(path: dir.appendingPathComponent("peft_logits.safetensors").path)
        guard let t = st.tensors[key] else { throw XCTSkip("peft_logits.safetensors has no \(key); run scripts/peft_load_check.py") }
        return t.values
    }

    static func tokens(_ f: PEFTReferenceTests.Fixture) -> [[Int]] {
        (0..<f.batch.batch).map { s in (0..<f.batch.seqLen).map { Int(f.batch.tokens[s * f.batch.seqLen + $0]) } }
    }

    // MARK: - The fixture is what the writer writes

    func testWriterOutputIsTheCommittedFixture() throws {
        let f = try PEFTReferenceTests.loadFixture()
        let tmp = TestSupport.makeTempDir("ftx-peft-load")
        try PEFTAdapter.write(Self.adapter(f.dims), to: tmp.path, baseModelName: Self.baseModelName)
        if ProcessInfo.processInfo.environment["FTX_REGENERATE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: Self.dir, withIntermediateDirectories: true)
            try PEFTAdapter.write(Self.adapter(f.dims), to: Self.dir.path, baseModelName: Self.baseModelName)
        }
        for name in [PEFTAdapter.weightsFile, PEFTAdapter.configFile] {
            let written = try Data(contentsOf: tmp.appendingPathComponent(name))
            let committed = try Data(contentsOf: Self.dir.appendingPathComponent(name))
            XCTAssertEqual(written, committed, "\(name): ftx's PEFT writer no longer writes the committed fixture; "
                           + "regenerate it (FTX_REGENERATE_FIXTURES=1) and rerun scripts/peft_load_check.py")
        }
    }

    // MARK: - ftx reproduces PEFT's logits

    /// Inference forward (FTXModel), adapter loaded from the committed files as `ftx eval --adapter` does.
    func testInferenceWithLoadedAdapterMatchesPEFT() throws {
        let f = try PEFTReferenceTests.loadFixture()
        let model = Self.llama(f)
        let base = try inferenceLogits(model, Self.tokens(f))
        model.adapter = try AdapterFile.loadLoRAWeights(Self.dir.path, config: model.config)
        let adapted = try inferenceLogits(model, Self.tokens(f))
        let reference = try Self.peftLogits("logits")
        let tol = tolerance(reference)
        XCTAssertGreaterThan(maxAbsDiff(base, reference), 1000 * tol, "the adapter must change the logits, or this test proves nothing")
        let diff = maxAbsDiff(adapted, reference)
        print("PEFTLoad inference (adapter via AdapterFile) vs PEFT: max |Δlogit| \(diff), tolerance \(tol)")
        XCTAssertLessThan(diff, tol)
    }

    /// Training forward (TrainableLlama) with the in-memory adapter the fixture was written from.
    /// Its public API yields Σ −log p over targets, so log p(v | prefix) is read one target at a time
    /// (at 16 v per row) and compared with PEFT's log-softmax.
    func testTrainingForwardMatchesPEFT() throws {
        let f = try PEFTReferenceTests.loadFixture()
        let reference = try Self.peftLogits("logits")
        let model = TrainableLlama(base: TrainBase.from(Self.llama(f).weights, storage: .asLoaded), lora: Self.adapter(f.dims),
                                   maxBatch: f.batch.batch, maxSeqLen: f.batch.seqLen)
        let diff = try maxAbsDiff(trainingLogProbs(model, f), referenceLogProbs(reference, f))
        print("PEFTLoad training forward vs PEFT: max |Δ log p| \(diff), tolerance \(tolerance(reference))")
        XCTAssertLessThan(diff, tolerance(reference))
    }

    /// W + s·B·A (`LoRAParameters.merged`, what merged-gguf export writes) against PEFT's merge_and_unload().
    func testMergedWeightsMatchPEFTMerged() throws {
        let f = try PEFTReferenceTests.loadFixture()
        let reference = try Self.peftLogits("merged_logits")
        let tol = tolerance(reference)
        let reread = try AdapterFile.read(Self.dir.path, dims: f.dims)
        let merged = Self.llama(f, merging: reread)
        let inference = maxAbsDiff(try inferenceLogits(merged, Self.tokens(f)), reference)
        let training = TrainableLlama(base: TrainBase.from(merged.weights, storage: .asLoaded),
                                      lora: LoRAParameters(dims: f.dims, spec: Self.spec),  // B = 0: no adapter on top
                                      maxBatch: f.batch.batch, maxSeqLen: f.batch.seqLen)
        let train = maxAbsDiff(try trainingLogProbs(training, f), referenceLogProbs(reference, f))
        print("PEFTLoad merged weights vs PEFT merge_and_unload: inference max |Δlogit| \(inference), training max |Δ log p| \(train), tolerance \(tol)")
        XCTAssertLessThan(inference, tol)
        XCTAssertLessThan(train, tol)
    }

    // MARK: - Helpers

    func inferenceLogits(_ model: LlamaModel, _ sequences: [[Int]]) throws -> [Float] {
        try model.forward(sequences.map { ForwardSegment(cache: KVCache(config: model.config), tokens: $0) }, logits: .all, matmuls: .exact)
    }

    /// The (row, v) pairs the training forward is checked at: 16 targets per row, covering every
    /// residue of v mod 8 across rows (each log p(v) also involves the row's whole log-sum-exp).
    func probes(_ f: PEFTReferenceTests.Fixture) -> [(row: Int, v: Int)] {
        (0..<f.batch.rows).flatMap { r in (0..<16).map { j in (r, (r * 5 + j * 8) % f.dims.vocabSize) } }
    }

    /// log p(v | row's prefix) at each probe, one target per pass of the public `loss`.
    func trainingLogProbs(_ model: TrainableLlama, _ f: PEFTReferenceTests.Fixture) throws -> [Float] {
        var batch = TokenBatch(batch: f.batch.batch, seqLen: f.batch.seqLen, tokens: f.batch.tokens,
                               targets: [Int32](repeating: -1, count: f.batch.rows))
        return try probes(f).map { p in
            batch.targets[p.row] = Int32(p.v)
            defer { batch.targets[p.row] = -1 }
            return Float(-(try model.loss(batch)))
        }
    }

    /// PEFT's log-softmax at the same probes.
    func referenceLogProbs(_ logits: [Float], _ f: PEFTReferenceTests.Fixture) -> [Float] {
        let vocab = f.dims.vocabSize, all = logSoftmax(logits, vocab: vocab)
        return probes(f).map { all[$0.row * vocab + $0.v] }
    }

    func logSoftmax(_ logits: [Float], vocab: Int) -> [Float] {
        var out = [Float](repeating: 0, count: logits.count)
        for r in 0..<(logits.count / vocab) {
            let row = logits[(r * vocab)..<((r + 1) * vocab)].map(Double.init)
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            for v in 0..<vocab { out[r * vocab + v] = Float(row[v] - lse) }
        }
        return out
    }

    /// 1e-4 of the largest |logit|.
    func tolerance(_ reference: [Float]) -> Float { 1e-4 * (reference.map { abs($0) }.max() ?? 0) }

    func maxAbsDiff(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(a.count, b.count, "logit count", file: file, line: line)
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
