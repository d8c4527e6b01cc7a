import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

/// End to end on the real SmolLM2-135M-Instruct Q4_1 (short: last blocks only, a few steps).
final class SmolLM2TrainingTests: XCTestCase {
    static func config(_ dir: URL, adapter: TrainConfig.AdapterKind = .qlora, steps: Int) throws -> TrainConfig {
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task")
        var c = TrainConfig()
        c.baseModel = try TestSupport.smolLM2Path()
        c.dataTrain = fixtures.appendingPathComponent("train.jsonl").path
        c.dataValid = fixtures.appendingPathComponent("valid.jsonl").path
        c.outputDir = dir.path
        c.adapter = adapter
        c.loraLayers = 4; c.loraR = 8; c.loraAlpha = 16
        c.maxSteps = steps; c.microBatchSize = 3; c.gradientAccumulationSteps = 2
        c.learningRate = 2e-3; c.warmupRatio = 0.1; c.maxSeqLength = 96; c.seed = 5; c.threads = 2
        return c
    }

    func testShortRunLowersHeldOutLossAndResumeIsExact() throws {
        let model = try LlamaModel.load(path: try TestSupport.smolLM2Path())
        let dir = TestSupport.makeTempDir("ftx-smol")
        let c = try Self.config(dir.appendingPathComponent("a"), steps: 6)
        let t = try Trainer(config: c, preloaded: model)
        let before = try XCTUnwrap(try t.validationLoss())
        let r = try t.run(Trainer.Options(progress: false))
        let after = try XCTUnwrap(r.validLoss)
        XCTAssertLessThan(after, before * 0.75, "held-out loss \(before) → \(after)")
        let full = try Data(contentsOf: URL(fileURLWithPath: c.outputDir + "/adapter_model.safetensors"))
        // Interrupted at step 2, resumed: the same bytes as the uninterrupted run (hence also deterministic).
        var c2 = c; c2.outputDir = dir.appendingPathComponent("b").path
        var opts = Trainer.Options(progress: false)
        var n = 0
        opts.shouldStop = { n += 1; return n == 2 }
        XCTAssertTrue(try Trainer(config: c2, preloaded: model).run(opts).interrupted)
        _ = try Trainer(config: c2, preloaded: model).run(Trainer.Options(resume: true, progress: false))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: c2.outputDir + "/adapter_model.safetensors")), full)
        // The exported adapter applied unmerged at inference gives the trained model's loss.
        let lora = try PEFTAdapter.read(from: c.outputDir, dims: ModelDims(model.config))
        XCTAssertEqual(lora.params.array, t.lora.params.array)
    }

    func testQLoRAAndF32BaseAgree() throws {
        let model = try LlamaModel.load(path: try TestSupport.smolLM2Path())
        let dir = TestSupport.makeTempDir("ftx-smol")
        var params: [[Float]] = []
        for kind in [TrainConfig.AdapterKind.qlora, .lora] {
            let c = try Self.config(dir.appendingPathComponent(kind.rawValue), adapter: kind, steps: 2)
            let t = try Trainer(config: c, preloaded: model)
            _ = try t.run(Trainer.Options(progress: false))
            params.append(t.lora.params.array)
        }
        var diff: Float = 0, scale: Float = 0
        for i in 0..<params[0].count { diff = max(diff, abs(params[0][i] - params[1][i])); scale = max(scale, abs(params[1][i])) }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(diff, 1e-3 * scale, "QLoRA vs f32 base: max diff \(diff) of \(scale)")
    }
}
