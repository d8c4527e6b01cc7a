import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

/// Early stopping exports the adapter of the best validation loss, not the last one.
final class EarlyStoppingTests: XCTestCase {
    /// A constant, too-high learning rate on 9 examples: validation loss falls, then rises.
    static func overfitting(_ dir: URL, steps: Int) throws -> TrainConfig {
        var c = try TrainerTests.config(dir, steps: steps)
        c.lrScheduler = .constant; c.warmupRatio = 0; c.learningRate = 0.05
        c.loraDropout = 0; c.maxGradNorm = 0; c.evalSteps = 1
        return c
    }

    /// The log reads back the exact Double it wrote (the early-stopping checks compare the two).
    func testTheLogReadsBackLossesExactly() throws {
        let path = TestSupport.makeTempDir().appendingPathComponent("train_log.jsonl").path
        let losses = [6.2465869232460305, 2.788731226061955, 0.30000000000000004, 1e-300]
        let log = try TrainLog(path: path, keepThrough: nil)
        for (i, x) in losses.enumerated() { try log.append(["step": i + 1, "valid_loss": x]) }
        XCTAssertEqual(log.entries.compactMap { $0["valid_loss"] as? Double }, losses)
        let reread = try TrainLog(path: path, keepThrough: 3)
        XCTAssertEqual(reread.entries.compactMap { $0["valid_loss"] as? Double }, Array(losses.prefix(3)))
    }

    func testTheBestAdapterIsKeptAndItsStepRecorded() throws {
        let dir = TestSupport.makeTempDir()
        var c = try Self.overfitting(dir, steps: 14)
        c.earlyStoppingPatience = 3
        let r = try Trainer(config: c, preloaded: TrainerTests.model()).run(Trainer.Options(progress: false))
        let log = try TrainLog(path: c.outputDir + "/train_log.jsonl", keepThrough: 1000).entries
        let evals = log.compactMap { e -> (Int, Double)? in
            guard let s = e["step"] as? Int, let v = e["valid_loss"] as? Double else { return nil }
            return (s, v)
        }
        let bestEval = try XCTUnwrap(evals.min { $0.1 < $1.1 })
        // The schedule overfits: the best evaluation is neither the first nor the last.
        XCTAssertGreaterThan(bestEval.0, 1, "\(evals)")
        XCTAssertLessThan(bestEval.0, r.steps, "\(evals)")
        XCTAssertEqual(r.bestStep, bestEval.0)
        XCTAssertEqual(r.validLoss, bestEval.1)
        XCTAssertEqual(r.lastValidLoss, evals.last?.1)
        let summary = try XCTUnwrap(log.last)
        XCTAssertEqual(summary["best_step"] as? Int, bestEval.0)
        XCTAssertEqual(summary["best_valid_loss"] as? Double, bestEval.1)
        XCTAssertEqual(summary["kept"] as? String, "best")
        // Resuming the finished run rewrites the summary rather than adding a second one.
        let again = try Trainer(config: c, preloaded: TrainerTests.model()).run(Trainer.Options(resume: true, progress: false))
        XCTAssertEqual(again.bestStep, bestEval.0)
        let relog = try TrainLog(path: c.outputDir + "/train_log.jsonl", keepThrough: 1000).entries
        XCTAssertEqual(relog.filter { $0["kept"] != nil }.count, 1)
        XCTAssertEqual(relog.count, log.count)

        // The exported adapter is byte-identical to a run that simply stops at the best step
        // (constant LR, no dropout: the first steps of both runs are the same computation).
        var short = try Self.overfitting(dir, steps: bestEval.0)
        short.outputDir = dir.appendingPathComponent("short").path
        _ = try Trainer(config: short, preloaded: TrainerTests.model()).run(Trainer.Options(progress: false))
        let kept = try Data(contentsOf: URL(fileURLWithPath: c.outputDir + "/adapter_model.safetensors"))
        XCTAssertEqual(kept, try Data(contentsOf: URL(fileURLWithPath: short.outputDir + "/adapter_model.safetensors")))

        // The checkpoint still holds the last state (and the best), so resume stays exact.
        let ck = try Checkpoint.read(dir: c.outputDir)
        XCTAssertEqual(ck.step, r.steps); XCTAssertEqual(ck.bestStep, bestEval.0)
        XCTAssertNotEqual(ck.params, ck.bestParams)
        let copy = dir.appendingPathComponent("ck").path
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try ck.write(dir: copy)
        XCTAssertEqual(try Checkpoint.read(dir: copy), ck)
    }

    func testWithoutEarlyStoppingTheLastAdapterIsKept() throws {
        let dir = TestSupport.makeTempDir()
        let c = try Self.overfitting(dir, steps: 6)
        let r = try Trainer(config: c, preloaded: TrainerTests.model()).run(Trainer.Options(progress: false))
        XCTAssertNil(r.bestStep)
        XCTAssertEqual(r.validLoss, r.lastValidLoss)
        XCTAssertNil(try Checkpoint.read(dir: c.outputDir).bestParams)
    }
}
