import FTXCore
import Foundation
import FTXModel
import FTXStore
import FTXTensor
import FTXTestSupport
import XCTest
@testable import FTXRegistry

/// `ftx run` and `ftx reproduce` with FTXTrain's real trainer on a tiny in-process model.
final class RealTrainerTests: XCTestCase {
    /// A tiny random Llama without a chat template (completion rows train as prompt + completion + EOS).
    static func tinyModel(_: String) -> LlamaModel? {
        let m = LlamaModel.random(config: .tiny(), seed: 2, tokenizer: .tinyByteLevel())
        return LlamaModel(config: m.config, weights: m.weights, tokenizer: m.tokenizer, chatTemplate: nil)
    }

    func makeProject() throws -> Project {
        let p = try Project()
        var train = "", valid = ""
        let words = ["red", "blue", "green", "gold", "pink", "gray", "teal", "navy", "rose", "jade", "lime", "plum"]
        for (i, w) in words.enumerated() {
            let line = #"{"prompt": "color \#(w) ->", "completion": " [\#(w.uppercased())]"}"# + "\n"
            if i % 4 == 3 { valid += line } else { train += line }
        }
        try p.write("data/train.jsonl", train)
        try p.write("data/valid.jsonl", valid)
        try p.write("configs/tiny.yaml", """
            base_model: ../models/tiny.gguf
            data: {train: ../data/train.jsonl, valid: ../data/valid.jsonl}
            lora_r: 4
            lora_alpha: 8
            learning_rate: 0.005
            max_steps: 6
            micro_batch_size: 2
            gradient_accumulation_steps: 2
            max_seq_length: 64
            seed: 11
            threads: 2
            """)
        return p
    }

    func pipeline(_ p: Project, cancelAfterPolls: Int? = nil) -> RunPipeline {
        let trainer = FTXTrainRunTrainer(engineVersion: "ftx test", progress: false, preload: Self.tinyModel)
        let engine = RunEngine(config: TrainConfigResolver(), data: ReaderDataChecker(), trainer: trainer, evaluator: p.evaluator)
        let pipe = RunPipeline(registry: p.registry, engine: engine)
        pipe.log = { _ in }
        var polls = 0
        pipe.isCancelled = {
            guard let n = cancelAfterPolls else { return false }
            polls += 1
            return polls > n
        }
        return pipe
    }

    func adapter(_ p: Project, _ rev: String) throws -> [String: Data] {
        let c = try p.registry.commit(rev)
        var out: [String: Data] = [:]
        for (path, e) in try p.registry.repo.flatten(tree: try XCTUnwrap(p.registry.entry("adapter", in: c.commit)).id) {
            var d = Data()
            try p.registry.repo.objects.streamFile(kind: e.kind, id: e.id) { d.append($0) }
            out[path] = d
        }
        return out
    }

    func testRealTrainingCommitsAdapterAndReproducesIdentically() throws {
        let p = try makeProject()
        let r = try pipeline(p).run(configPath: p.root.path + "/configs/tiny.yaml")
        let c = try p.registry.commit("HEAD")
        XCTAssertEqual(r.commit, c.id)
        let files = Set(try p.registry.repo.flatten(tree: c.commit.tree).keys)
        XCTAssertTrue(files.isSuperset(of: ["config.yaml", "data/train.jsonl", "data/valid.jsonl", "adapter/adapter_model.safetensors",
                                            "adapter/adapter_config.json", "adapter/adapter.gguf", "train/log.jsonl"]), "\(files)")
        let config = String(decoding: try XCTUnwrap(p.registry.file("config.yaml", in: c.commit)), as: UTF8.self)
        XCTAssertTrue(config.contains("lr_scheduler: cosine"), "defaults are filled in:\n\(config)")
        XCTAssertEqual(c.run?.engine, "ftx test")
        XCTAssertEqual(c.run?.hostThreads, 2)
        XCTAssertNotNil(c.run?.metrics["train_loss"])
        XCTAssertEqual(c.run?.gateStatus, GateStatus.none)
        XCTAssertTrue(try adapter(p, "HEAD")["adapter.gguf"]?.starts(with: Data("GGUF".utf8)) == true)

        let trainer = FTXTrainRunTrainer(engineVersion: "ftx test", progress: false, preload: Self.tinyModel)
        let same = try p.registry.reproduce("HEAD", trainer: trainer)
        XCTAssertTrue(same.identical, "\(same.differingFiles) \(String(describing: same.firstDivergence))")
        XCTAssertTrue(same.notes.isEmpty, "\(same.notes)")

        // A trainer that changes one hyperparameter is caught, with the first diverging log line.
        struct Perturbed: RunTrainer {
            let inner: FTXTrainRunTrainer
            var engineVersion: String { inner.engineVersion }
            func train(plan: RunPlan, basePath: String, adapterDirectory: String, logPath: String,
                       checkpointDirectory: String, isCancelled: @escaping () -> Bool) throws -> TrainOutcome {
                var p = plan
                p.config["learning_rate"] = 0.001
                return try inner.train(plan: p, basePath: basePath, adapterDirectory: adapterDirectory, logPath: logPath,
                                       checkpointDirectory: checkpointDirectory, isCancelled: isCancelled)
            }
        }
        let diff = try p.registry.reproduce("HEAD", trainer: Perturbed(inner: trainer))
        XCTAssertFalse(diff.identical)
        XCTAssertTrue(diff.differingFiles.contains("adapter_model.safetensors"))
        let line = try XCTUnwrap(diff.firstDivergence)
        XCTAssertGreaterThanOrEqual(line.line, 1)
        XCTAssertNotEqual(line.recorded, line.reproduced)
    }

    /// Threads split the micro-batch, so the thread count shapes the gradient sums: a run made on one
    /// thread without `threads` in its config reproduces on a two-thread default only because
    /// reproduce uses the recorded count.
    func testReproduceUsesTheRecordedThreadCount() throws {
        let saved = Threads.count
        defer { Threads.count = saved }
        let p = try makeProject()
        let config = try String(contentsOfFile: p.root.path + "/configs/tiny.yaml", encoding: .utf8)
        try p.write("configs/tiny.yaml", config.replacingOccurrences(of: "threads: 2", with: ""))
        Threads.count = 1
        try pipeline(p).run(configPath: p.root.path + "/configs/tiny.yaml")
        XCTAssertEqual(try p.registry.commit("HEAD").run?.hostThreads, 1)
        Threads.count = 2
        let trainer = FTXTrainRunTrainer(engineVersion: "ftx test", progress: false, preload: Self.tinyModel)
        let again = try p.registry.reproduce("HEAD", trainer: trainer)
        XCTAssertTrue(again.identical, "\(again.differingFiles) \(again.notes)")
        XCTAssertTrue(again.notes.isEmpty, "\(again.notes)")
    }

    func testInterruptedRealTrainingCommitsNothingAndResumesToTheSameBytes() throws {
        let reference = try makeProject()
        try pipeline(reference).run(configPath: reference.root.path + "/configs/tiny.yaml")
        let expected = try adapter(reference, "HEAD")

        let p = try makeProject()
        XCTAssertThrowsError(try pipeline(p, cancelAfterPolls: 3).run(configPath: p.root.path + "/configs/tiny.yaml")) { e in
            guard case RegistryError.interrupted = e else { return XCTFail("\(e)") }
        }
        XCTAssertNil(try p.registry.repo.headCommit(), "no partial commit")
        let wip = try FileManager.default.contentsOfDirectory(atPath: p.registry.repo.ftxDirectory + "/runs")
        XCTAssertEqual(wip.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(p.registry.repo.ftxDirectory)/runs/\(wip[0])/checkpoint/checkpoint.bin"))
        // The same run again resumes from the checkpoint and ends with the uninterrupted run's bytes.
        try pipeline(p).run(configPath: p.root.path + "/configs/tiny.yaml")
        XCTAssertEqual(try adapter(p, "HEAD"), expected)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: p.registry.repo.ftxDirectory + "/runs"), [], "work dir removed")
    }

    /// The whole pipeline on real modules: FTXTrain's config and trainer, FTXData's reader, FTXEval's
    /// suite runner over FTXModel's generation (tiny random model), gates, base report, diff.
    func testEndToEndWithRealEvaluation() throws {
        let p = try makeProject()
        try p.write("eval/tiny.yaml", """
            name: tiny
            cases: ../data/valid.jsonl
            generation: {max_tokens: 4, chat_template: false, batch_size: 2}
            assert:
              - type: not-contains
                value: "this never appears"
              - type: max-tokens
                value: 4
            """)
        try p.write("configs/eval.yaml", String(decoding: try Data(contentsOf: p.root.appendingPathComponent("configs/tiny.yaml")), as: UTF8.self) + """

            eval:
              suite: ../eval/tiny.yaml
              gates:
                - pass_rate >= 0.99
                - {regression_vs: base, max_flips: 0}
            """)
        let trainer = FTXTrainRunTrainer(engineVersion: "ftx test", progress: false, preload: Self.tinyModel)
        let engine = RunEngine.standard(trainer: trainer, config: TrainConfigResolver(), modelLoader: EvalModels.loader(preload: Self.tinyModel))
        let pipe = RunPipeline(registry: p.registry, engine: engine)
        pipe.log = { _ in }
        pipe.isCancelled = { false }
        let r = try pipe.run(configPath: p.root.path + "/configs/eval.yaml")
        XCTAssertEqual(r.header.gateStatus, .passed, "\(r.header.gates)")
        XCTAssertEqual(r.report?.cases.count, 3)
        XCTAssertEqual(r.header.metrics["pass_rate"], 1)
        XCTAssertEqual(r.header.gates.map(\.name).count, 2)
        // The base report was stored under the suite's key, so `diff base HEAD` finds it.
        let d = try p.registry.diff("base", "HEAD")
        XCTAssertEqual(d.pairedCases, 3)
        XCTAssertEqual(d.a.model.adapter, nil)
        XCTAssertEqual(d.b.model.adapter, "adapter/")
        // `ftx eval HEAD` / `ftx eval --base` re-evaluate to the same reports (temperature 0).
        let loader = EvalModels.loader(preload: Self.tinyModel)
        let suite = p.root.path + "/eval/tiny.yaml"
        let again = try p.registry.evaluate(revision: "HEAD", suitePath: suite, modelLoader: loader)
        XCTAssertEqual(again.cases.map(\.output), r.report?.cases.map(\.output))
        XCTAssertEqual(again.metrics, r.report?.metrics)
        let base = try p.registry.evaluateBase(suitePath: suite, modelLoader: loader)
        XCTAssertEqual(base.cases.map(\.output), d.a.cases == 3 ? try p.registry.diffSides("base", "HEAD").0.report.cases.map(\.output) : [])
    }

    func testTrainConfigErrorsNameTheFileAndLine() throws {
        let p = try makeProject()
        try p.write("configs/typo.yaml", "base_model: ../models/tiny.gguf\ndata: {train: ../data/train.jsonl}\nlora_rank: 4\n")
        XCTAssertThrowsError(try pipeline(p).run(configPath: p.root.path + "/configs/typo.yaml")) { e in
            let err = e as? (any Error & CustomStringConvertible)
            XCTAssertTrue("\(err!)".contains("typo.yaml:3"), "\(e)")
            XCTAssertTrue("\(e)".contains("lora_rank"), "\(e)")
        }
        XCTAssertNil(try p.registry.repo.headCommit())
    }
}
