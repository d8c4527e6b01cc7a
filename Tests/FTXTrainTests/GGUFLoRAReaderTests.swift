import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

/// GGUF LoRA read back as an adapter: train a tiny adapter, export both formats, and check the
/// GGUF copy gives the PEFT copy's logits and the merged model's logits; bad files are refused.
final class GGUFLoRAReaderTests: XCTestCase {
    static func logits(_ m: LlamaModel, _ tokens: [Int]) throws -> [Float] {
        try m.forward([ForwardSegment(cache: KVCache(config: m.config, maxLength: tokens.count), tokens: tokens)], logits: .all)
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// The base with every adapted projection replaced by W + s·B·A (f32).
    static func merged(_ m: LlamaModel, _ lora: LoRAParameters) -> LlamaModel {
        let layers = m.weights.layers.enumerated().map { (l, b) -> LlamaLayerWeights in
            func w(_ t: Projection, _ x: LinearWeight) -> LinearWeight {
                guard let e = lora.entry(layer: l, target: t) else { return x }
                return LinearWeight(f32: lora.merged(e, base: x.dequantized()), out: x.outFeatures, in: x.inFeatures)
            }
            return LlamaLayerWeights(attnNorm: b.attnNorm, q: w(.q, b.q), k: w(.k, b.k), v: w(.v, b.v), o: w(.o, b.o),
                                     ffnNorm: b.ffnNorm, gate: w(.gate, b.gate), up: w(.up, b.up), down: w(.down, b.down))
        }
        let weights = LlamaWeights(config: m.config, tokenEmbedding: m.weights.tokenEmbedding, layers: layers,
                                   outputNorm: m.weights.outputNorm, output: m.weights.output)
        return LlamaModel(config: m.config, weights: weights, tokenizer: m.tokenizer, chatTemplate: m.chatTemplate)
    }

    func testTrainedGGUFLoRAGivesPEFTAndMergedLogits() throws {
        let dir = TestSupport.makeTempDir()
        var c = try TrainerTests.config(dir, steps: 6)
        c.exportGGUF = true; c.useRslora = true   // rsLoRA: the GGUF alpha must carry the same scale
        c.loraTargetModules = [.q, .k, .v, .o, .gate, .up, .down]
        _ = try Trainer(config: c, preloaded: TrainerTests.model()).run(Trainer.Options(progress: false))
        let m = TrainerTests.model()
        let dims = ModelDims(m.config)
        let peft = try AdapterFile.read(c.outputDir, dims: dims)
        let gguf = try AdapterFile.read(c.outputDir + "/adapter.gguf", dims: dims)
        XCTAssertEqual(try AdapterFile.detect(c.outputDir).format, .peft)
        XCTAssertEqual(try AdapterFile.detect(c.outputDir + "/adapter.gguf").format, .gguf)
        XCTAssertEqual(gguf.spec.rank, peft.spec.rank)
        XCTAssertEqual(gguf.spec.scale, peft.spec.scale, accuracy: 1e-6 * peft.spec.scale)
        XCTAssertEqual(gguf.params.array, peft.params.array)

        let tokens = m.tokenizer.encode("color teal -> [TEAL] and more")
        let plain = try Self.logits(m, tokens)
        m.adapter = peft.loraWeights()
        let viaPEFT = try Self.logits(m, tokens)
        m.adapter = gguf.loraWeights()
        let viaGGUF = try Self.logits(m, tokens)
        m.adapter = nil
        let viaMerged = try Self.logits(Self.merged(m, gguf), tokens)
        let scale = plain.reduce(0) { max($0, abs($1)) }
        // The adapter matters (a no-op adapter would pass the comparisons below trivially).
        XCTAssertGreaterThan(Self.maxAbsDiff(viaPEFT, plain), 1e-3 * scale)
        XCTAssertLessThanOrEqual(Self.maxAbsDiff(viaGGUF, viaPEFT), 1e-6)
        // Merged: the same function with the sum taken in a different order (f32 rounding only).
        XCTAssertLessThanOrEqual(Self.maxAbsDiff(viaGGUF, viaMerged), 1e-4 * scale)
    }

    func testBadGGUFAdaptersAreRefusedWithReasons() throws {
        let dims = ModelDims(LlamaConfig.tiny())
        let dir = TestSupport.makeTempDir().path
        func write(_ name: String, _ build: (inout GGUFWriter) -> Void) throws -> String {
            var w = GGUFWriter()
            build(&w)
            let p = dir + "/" + name
            try Data(w.bytes()).write(to: URL(fileURLWithPath: p))
            return p
        }
        func expect(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try AdapterFile.read(path, dims: dims), file: file, line: line) { e in
                let text = "\(e) \((e as? TrainError)?.location ?? "") \((e as? TrainError)?.hint ?? "")"
                for f in fragments { XCTAssertTrue(text.contains(f), "\(text) lacks \(f)", file: file, line: line) }
            }
        }
        let h = dims.hiddenSize
        func header(_ w: inout GGUFWriter, type: String = "adapter", alpha: Float? = 8) {
            w.set("general.architecture", .string("llama")); w.set("general.type", .string(type))
            w.set("adapter.type", .string("lora"))
            if let alpha { w.set("adapter.lora.alpha", .float32(alpha)) }
        }
        let model = try write("model.gguf") { header(&$0, type: "model") }
        expect(model, ["general.type", "\"model\"", "model.gguf", "--model"])
        let noAlpha = try write("noalpha.gguf") { w in
            header(&w, alpha: nil)
            w.addTensor("blk.0.attn_q.weight.lora_a", dims: [h, 2], f32: .init(repeating: 0, count: 2 * h))
        }
        expect(noAlpha, ["adapter.lora.alpha", "noalpha.gguf"])
        let badShape = try write("shape.gguf") { w in
            header(&w)
            for l in 0..<dims.numLayers {
                w.addTensor("blk.\(l).attn_v.weight.lora_a", dims: [h, 2], f32: .init(repeating: 0, count: 2 * h))
                let out = l == 1 ? h : dims.numKVHeads * dims.headDim   // block 1's B has q's width, not v's
                w.addTensor("blk.\(l).attn_v.weight.lora_b", dims: [2, out], f32: .init(repeating: 0, count: 2 * out))
            }
        }
        expect(badShape, ["blk.1.attn_v.weight.lora_b", "is \(h)×2", "expected \(dims.numKVHeads * dims.headDim)×2"])
        let badBlock = try write("block.gguf") { w in
            header(&w)
            w.addTensor("blk.9.attn_q.weight.lora_a", dims: [h, 2], f32: .init(repeating: 0, count: 2 * h))
        }
        expect(badBlock, ["blk.9.attn_q.weight.lora_a", "block 9"])
        let missingB = try write("missing.gguf") { w in
            header(&w)
            for l in 0..<dims.numLayers { w.addTensor("blk.\(l).attn_q.weight.lora_a", dims: [h, 2], f32: .init(repeating: 0, count: 2 * h)) }
        }
        expect(missingB, ["blk.0.attn_q.weight.lora_b is missing"])
        let notAdapter = dir + "/notes.txt"
        try "hello".write(toFile: notAdapter, atomically: true, encoding: .utf8)
        expect(notAdapter, ["neither a PEFT directory nor a GGUF file", "notes.txt"])
        expect(dir + "/nothing-here", ["adapter not found"])
        let empty = dir + "/emptydir"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        expect(empty, ["no adapter_model.safetensors"])
    }
}
