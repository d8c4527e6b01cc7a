import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

/// The training loop on a tiny in-process model: learning, determinism, bit-exact resume, early stop.
final class TrainerTests: XCTestCase {
    static func makeData(_ dir: URL) throws -> (String, String) {
        var train = "", valid = ""
        let words = ["red", "blue", "green", "gold", "pink", "gray", "teal", "navy", "rose", "jade", "lime", "plum"]
        for (i, w) in words.enumerated() {
            let line = #"{"prompt": "color \#(w) ->", "completion": " [\#(w.uppercased())]"}"# + "\n"
            if i % 4 == 3 { valid += line } else { train += line }
        }
        let t = dir.appendingPathComponent("train.jsonl").path, v = dir.appendingPathComponent("valid.jsonl").path
        try train.write(toFile: t, atomically: true, encoding: .utf8)
        try valid.write(toFile: v, atomically: true, encoding: .utf8)
        return (t, v)
    }

    static func config(_ dir: URL, steps: Int = 8) throws -> TrainConfig {
        let (t, v) = try makeData(dir)
        var c = TrainConfig()
        c.baseModel = "tiny"; c.dataTrain = t; c.dataValid = v
        c.outputDir = dir.appendingPathComponent("out").path
        c.maxSteps = steps; c.microBatchSize = 2; c.gradientAccumulationSteps = 2
        c.learningRate = 5e-3; c.warmupRatio = 0.25; c.loraR = 4; c.loraAlpha = 8; c.loraDropout = 0.1
        c.maxSeqLength = 160; c.weightDecay = 0.01; c.seed = 11; c.threads = 2
        return c
    }

    static func model() -> LlamaModel { LlamaModel.random(config: .tiny(), seed: 2, tokenizer: .tinyByteLevel()) }

    func adapterBytes(_ dir: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_model.safetensors")) }

    func testTrainingLowersValidationLossAndWritesOutputs() throws {
        let dir = TestSupport.makeTempDir()
        var c = try Self.config(dir, steps: 16)
        c.evalSteps = 8; c.exportGGUF = true
        let t = try Trainer(config: c, preloaded: Self.model())
        let before = try XCTUnwrap(try t.validationLoss())
        let r = try t.run(Trainer.Options(progress: false))
        XCTAssertEqual(r.steps, 16)
        let after = try XCTUnwrap(r.validLoss)
        XCTAssertLessThan(after, before * 0.8, "valid loss \(before) → \(after)")
        for f in ["adapter_model.safetensors", "adapter_config.json", "adapter.gguf", "train_log.jsonl", "config.yaml", "checkpoint.bin"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: c.outputDir + "/" + f), f)
        }
        let log = try TrainLog(path: c.outputDir + "/train_log.jsonl", keepThrough: 1000).entries
        XCTAssertEqual(log.filter { $0["loss"] != nil }.count, 16)
        XCTAssertEqual(log.filter { $0["valid_loss"] != nil }.count, 2)
        XCTAssertNotNil(log.first?["grad_norm"]); XCTAssertNotNil(log.first?["tokens_per_s"]); XCTAssertEqual(log.first?["lr"] as? Double, 0)
        XCTAssertEqual(try TrainConfig.parse(String(contentsOfFile: c.outputDir + "/config.yaml", encoding: .utf8), file: "x"), c)
    }

    func testSameSeedSameBytesAndResumeIsExact() throws {
        let dir = TestSupport.makeTempDir()
        let c = try Self.config(dir)
        // Uninterrupted.
        _ = try Trainer(config: c, preloaded: Self.model()).run(Trainer.Options(progress: false))
        let full = try adapterBytes(c.outputDir)
        // Same seed again, elsewhere.
        var c2 = c; c2.outputDir = dir.appendingPathComponent("out2").path
        _ = try Trainer(config: c2, preloaded: Self.model()).run(Trainer.Options(progress: false))
        XCTAssertEqual(try adapterBytes(c2.outputDir), full)
        // Interrupted after 3 steps, then resumed in a fresh trainer.
        var c3 = c; c3.outputDir = dir.appendingPathComponent("out3").path
        var calls = 0
        var opts = Trainer.Options(progress: false)
        opts.shouldStop = { calls += 1; return calls == 3 }
        let r1 = try Trainer(config: c3, preloaded: Self.model()).run(opts)
        XCTAssertTrue(r1.interrupted); XCTAssertEqual(r1.steps, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: c3.outputDir + "/adapter_model.safetensors"))
        let r2 = try Trainer(config: c3, preloaded: Self.model()).run(Trainer.Options(resume: true, progress: false))
        XCTAssertEqual(r2.steps, 8); XCTAssertFalse(r2.interrupted)
        XCTAssertEqual(try adapterBytes(c3.outputDir), full)
        XCTAssertEqual(try TrainLog(path: c3.outputDir + "/train_log.jsonl", keepThrough: 100).entries.filter { $0["loss"] != nil }.count, 8)
        // A different seed gives different bytes; resuming with a changed config is refused.
        var c4 = c3; c4.learningRate = 1e-3
        XCTAssertThrowsError(try Trainer(config: c4, preloaded: Self.model()).run(Trainer.Options(resume: true, progress: false))) {
            XCTAssertTrue("\($0)".contains("different config"))
        }
        var c5 = c; c5.seed = 12; c5.outputDir = dir.appendingPathComponent("out5").path
        _ = try Trainer(config: c5, preloaded: Self.model()).run(Trainer.Options(progress: false))
        XCTAssertNotEqual(try adapterBytes(c5.outputDir), full)
    }

    func testPackingRecomputeAndEarlyStopping() throws {
        let dir = TestSupport.makeTempDir()
        var c = try Self.config(dir, steps: 12)
        c.packing = true; c.gradientCheckpointing = true; c.evalSteps = 1; c.earlyStoppingPatience = 1
        c.learningRate = 0.3   // diverges quickly, so validation stops improving
        c.maxGradNorm = 0; c.loraDropout = 0
        let r = try Trainer(config: c, preloaded: Self.model()).run(Trainer.Options(progress: false))
        XCTAssertTrue(r.earlyStopped)
        XCTAssertLessThan(r.steps, 12)
    }
}
