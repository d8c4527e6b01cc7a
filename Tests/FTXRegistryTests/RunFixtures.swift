import Foundation
import FTXEval
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

/// Stand-ins for the engine pieces (training, evaluation) so the orchestration — config, base
/// checks, gates, commits, deploys, interruption — is tested on its own. They are deterministic
/// functions of their inputs, so identical inputs give identical adapter bytes.
final class FakeTrainer: RunTrainer {
    var engineVersion = "fake-train 1"
    var calls = 0
    /// Cancels the run after this many steps (simulating Ctrl-C mid-training).
    var cancelAtStep: Int?
    var cancelled = false

    func train(plan: RunPlan, basePath: String, adapterDirectory: String, logPath: String,
               checkpointDirectory: String, isCancelled: @escaping () -> Bool) throws -> TrainOutcome {
        calls += 1
        var seedText = plan.configYAML
        for (k, p) in plan.splits.sorted(by: { $0.key < $1.key }) {
            seedText += k + String(decoding: FileManager.default.contents(atPath: p) ?? Data(), as: UTF8.self)
        }
        let digest = ObjectID.hash(type: .blob, content: Data(seedText.utf8)).hex
        var log = ""
        for step in 1...5 {
            if step == cancelAtStep { cancelled = true }
            if isCancelled() || cancelled {
                try FileManager.default.createDirectory(atPath: checkpointDirectory, withIntermediateDirectories: true)
                try Data("step \(step)".utf8).write(to: URL(fileURLWithPath: checkpointDirectory + "/state"))
                throw RegistryError.interrupted
            }
            log += "{\"step\":\(step),\"loss\":\(2.0 / Double(step))}\n"
        }
        try Data(log.utf8).write(to: URL(fileURLWithPath: logPath))
        try Data(String(repeating: digest, count: 64).utf8).write(to: URL(fileURLWithPath: adapterDirectory + "/adapter_model.safetensors"))
        let quality = plan.params["fake_quality"].flatMap { if case .number(let d) = $0 { return d } else { return nil } } ?? 0.9
        try Data("{\"r\": 8, \"quality\": \(quality)}".utf8).write(to: URL(fileURLWithPath: adapterDirectory + "/adapter_config.json"))
        try Data(("GGUF" + digest).utf8).write(to: URL(fileURLWithPath: adapterDirectory + "/adapter.gguf"))
        return TrainOutcome(trainLoss: 0.4, validLoss: 0.5, threads: 2)
    }
}

/// Builds a report from a "quality" recorded in the adapter (base: 0.2): that share of 10 cases pass.
final class FakeEvaluator: RunEvaluator {
    var baseEvaluations = 0

    func suiteSHA(_ suitePath: String) -> String {
        ObjectID.hash(type: .blob, content: FileManager.default.contents(atPath: suitePath) ?? Data()).hex
    }

    func suiteKey(suitePath: String) throws -> String {
        BaseRegistry.suiteKey(suiteSHA256: suiteSHA(suitePath), casesSHA256: "cases")
    }

    func validate(suitePath: String) throws {
        guard let text = try? String(contentsOfFile: suitePath, encoding: .utf8), text.contains("cases:") else {
            throw RegistryError.config("suite has no cases", location: suitePath, hint: nil)
        }
    }

    func evaluate(suitePath: String, basePath: String, baseID: String, adapterDirectory: String?,
                  isCancelled: @escaping () -> Bool) throws -> EvalReport {
        var quality = 0.2
        if let dir = adapterDirectory {
            let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as? [String: Any]
            quality = cfg?["quality"] as? Double ?? 0
        } else {
            baseEvaluations += 1
        }
        let passing = Int((quality * 10).rounded())
        let cases = (0..<10).map { i in
            CaseReport(id: "c\(i)", prompt: "p\(i)", expected: "e\(i)", output: i < passing ? "e\(i)" : "x", pass: i < passing,
                       score: i < passing ? 1 : 0, exactMatch: i < passing)
        }
        return EvalReport(suite: .init(name: "fake", path: suitePath, sha256: suiteSHA(suitePath), casesSHA256: "cases"), model: ModelIdentity(name: baseID, adapter: adapterDirectory),
                          cases: cases, metrics: EvalMetrics(cases: cases))
    }
}

/// Checks that every line is a JSON object (naming file:line) and splits by line hash.
struct LineChecker: RunDataChecker {
    func check(splits: [String: String]) throws -> [String] {
        for (_, path) in splits.sorted(by: { $0.key < $1.key }) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                guard (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any] else {
                    throw RegistryError.data("line is not a JSON object", location: "\(path):\(i + 1)")
                }
            }
        }
        return []
    }

    func split(file: String, into directory: String, seed: Int) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var parts = ["train": "", "valid": "", "test": ""]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let h = ObjectID.hash(type: .blob, content: Data(line.utf8)).firstByte
            parts[h < 180 ? "train" : (h < 218 ? "valid" : "test"), default: ""] += line + "\n"
        }
        var out: [String: String] = [:]
        for (k, v) in parts { let p = "\(directory)/\(k).jsonl"; try Data(v.utf8).write(to: URL(fileURLWithPath: p)); out[k] = p }
        return out
    }
}

/// A project directory with .ftx/, a tiny "GGUF" base, data and a config.
struct Project {
    let root: URL
    let registry: Registry
    let trainer = FakeTrainer()
    let evaluator = FakeEvaluator()

    init() throws {
        root = TestSupport.makeTempDir("ftx-registry")
        let repo = try Repository.initialize(at: root.path)
        registry = Registry(repo: repo)
        try write("models/tiny.gguf", "GGUF" + String(repeating: "weights-", count: 300))
        var rows = ""
        for i in 0..<40 { rows += "{\"prompt\": \"q\(i)\", \"completion\": \"a\(i)\"}\n" }
        try write("data/all.jsonl", rows)
        try write("eval/suite.yaml", "name: fake\ncases: data/test.jsonl\n")
        try write("configs/lora.yaml", """
            base_model: ../models/tiny.gguf
            data: ../data/all.jsonl
            seed: 7
            lora_r: 8
            learning_rate: 0.0002
            eval:
              suite: ../eval/suite.yaml
              gates:
                - pass_rate >= 0.8
            """)
    }

    func write(_ rel: String, _ text: String) throws {
        let url = root.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    var engine: RunEngine { RunEngine(config: PassThroughConfigResolver(), data: LineChecker(), trainer: trainer, evaluator: evaluator) }

    func pipeline() -> RunPipeline {
        let p = RunPipeline(registry: registry, engine: engine)
        p.isCancelled = { false }
        p.log = { _ in }
        return p
    }

    @discardableResult
    func run(_ overrides: [String] = [], message: String? = nil, config: String? = "configs/lora.yaml") throws -> RunPipeline.Result {
        try pipeline().run(configPath: config.map { root.path + "/" + $0 }, overrides: overrides, message: message)
    }
}
