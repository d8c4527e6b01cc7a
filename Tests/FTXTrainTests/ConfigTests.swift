import FTXModel
import XCTest
import FTXCore
import FTXTestSupport
@testable import FTXTrain

final class ConfigTests: XCTestCase {
    let full = """
    base_model: models/base.gguf
    data:
      train: data/train.jsonl
      valid: data/valid.jsonl
    output_dir: runs/a
    adapter: qlora
    lora_r: 16
    lora_alpha: 32
    lora_dropout: 0.05
    lora_target_modules: [q_proj, v_proj, down_proj]
    learning_rate: 1e-4
    max_steps: 30
    micro_batch_size: 2
    gradient_accumulation_steps: 4
    max_seq_length: 256
    warmup_ratio: 0.1
    lr_scheduler: linear
    weight_decay: 0.01
    max_grad_norm: 0.5
    train_on_inputs: true
    seed: 7
    use_rslora: true
    packing: true
    eval_steps: 10
    early_stopping_patience: 2
    gradient_checkpointing: true
    threads: 2
    eval:
      suite: evals/suite.yaml
      gates: ["pass_rate >= 0.85"]
    """

    func testParsesEveryKey() throws {
        let c = try TrainConfig.parse(full, file: "c.yaml")
        XCTAssertEqual(c.baseModel, "models/base.gguf")
        XCTAssertEqual(c.dataValid, "data/valid.jsonl")
        XCTAssertEqual(c.adapter, .qlora)
        XCTAssertEqual(c.loraR, 16)
        XCTAssertEqual(c.loraAlpha, 32)
        XCTAssertEqual(c.loraTargetModules, [.q, .v, .down])
        XCTAssertEqual(c.learningRate, 1e-4)
        XCTAssertEqual(c.maxSteps, 30)
        XCTAssertEqual(c.lrScheduler, .linear)
        XCTAssertTrue(c.useRslora && c.packing && c.gradientCheckpointing && c.trainOnInputs)
        XCTAssertEqual(c.threads, 2)
        XCTAssertTrue(c.eval?.contains("pass_rate >= 0.85") ?? false)
        XCTAssertEqual(c.loraSpec(numLayers: 4).scale, 32 / 4, accuracy: 1e-6)   // rsLoRA: alpha/√r
    }

    func testDefaultsAndResolvedRoundTrip() throws {
        let c = try TrainConfig.parse("base_model: b.gguf\ndata: {train: t.jsonl}\n", file: "c.yaml")
        XCTAssertEqual(c.loraR, 8); XCTAssertEqual(c.loraAlpha, 16); XCTAssertEqual(c.lrScheduler, .cosine)
        XCTAssertEqual(c.loraTargetModules, Projection.allCases); XCTAssertEqual(c.numEpochs, 1)
        XCTAssertFalse(c.trainOnInputs)
        for cfg in [c, try TrainConfig.parse(full, file: "c.yaml")] {
            let y = cfg.resolvedYAML
            XCTAssertEqual(try TrainConfig.parse(y, file: "r.yaml"), cfg)
            XCTAssertEqual(y, try TrainConfig.parse(y, file: "r.yaml").resolvedYAML)
            for key in TrainConfig.keys { XCTAssertTrue(y.contains("\n\(key):") || y.hasPrefix("\(key):"), key) }
        }
    }

    func assertError(_ yaml: String, contains text: String, at loc: String?, hint: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TrainConfig.parse(yaml, file: "cfg.yaml"), file: file, line: line) { e in
            guard let e = e as? TrainError else { return XCTFail("\(e)", file: file, line: line) }
            XCTAssertTrue(e.message.contains(text), e.message, file: file, line: line)
            XCTAssertEqual(e.location, loc, file: file, line: line)
            if let hint { XCTAssertTrue(e.hint?.contains(hint) ?? false, "\(String(describing: e.hint))", file: file, line: line) }
        }
    }

    func testUnknownKeysAndWrongTypesNameTheLine() {
        assertError("base_model: b\ndata: {train: t}\nlora_rank: 8\n", contains: "unknown key `lora_rank`", at: "cfg.yaml:3", hint: "lora_r")
        assertError("base_model: b\ndata: {train: t}\nlearning_rte: 1e-4\n", contains: "unknown key", at: "cfg.yaml:3", hint: "learning_rate")
        assertError("base_model: b\ndata: {train: t, vaild: v}\n", contains: "unknown key `data.vaild`", at: "cfg.yaml:2", hint: "valid")
        assertError("base_model: b\ndata: {train: t}\n\nlora_r: eight\n", contains: "`lora_r` must be an integer", at: "cfg.yaml:4")
        assertError("base_model: b\ndata: {train: t}\nlr_scheduler: cosin\n", contains: "lr_scheduler", at: "cfg.yaml:3", hint: "cosine")
        assertError("base_model: b\ndata: {train: t}\ntrain_on_inputs: maybe\n", contains: "true or false", at: "cfg.yaml:3")
        assertError("base_model: b\ndata: {train: t}\nlora_target_modules: [q_proj, foo_proj]\n", contains: "unknown module", at: "cfg.yaml:3")
        assertError("base_model: b\ndata: {train: t}\nlora_dropout: 1.5\n", contains: "lora_dropout", at: "cfg.yaml:3")
        assertError("data: {train: t}\n", contains: "base_model", at: "cfg.yaml")
        assertError("base_model: b\n", contains: "data.train", at: "cfg.yaml")
        assertError("base_model: [b\n", contains: "not valid YAML", at: "cfg.yaml:2")
        // A billion-laughs `eval:` section (kept opaque, then re-serialized) is refused, not expanded.
        assertError("base_model: b\ndata: {train: t}\n" + TestSupport.yamlAliasBomb(under: "eval"), contains: "expands to more than 100000 nodes", at: "cfg.yaml:9")
        assertError("- a\n- b\n", contains: "mapping", at: "cfg.yaml")
        assertError("base_model: b\ndata: {train: t}\nearly_stopping_patience: 2\n", contains: "validation set", at: "cfg.yaml")
    }

    func testRelativePathsResolveAgainstTheConfigFile() throws {
        let c = try TrainConfig.parse("base_model: m.gguf\ndata: {train: ../data/t.jsonl}\n", file: "proj/configs/lora.yaml")
        XCTAssertEqual(c.resolve(c.dataTrain), "proj/configs/../data/t.jsonl")
        XCTAssertEqual(c.resolve("/abs/x.gguf"), "/abs/x.gguf")
        XCTAssertTrue(c.resolvedYAML.contains("train: ../data/t.jsonl"))   // stored as written
    }

    /// The sample project's configs (when present in this checkout) parse.
    func testSampleProjectConfigsParse() throws {
        let dir = TestSupport.repoRoot.appendingPathComponent("sample-project/configs")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { throw XCTSkip("no sample-project") }
        for f in files where f.hasSuffix(".yaml") {
            let c = try TrainConfig.load(path: dir.appendingPathComponent(f).path)
            XCTAssertNotNil(c.eval, f)
            XCTAssertEqual(try TrainConfig.parse(c.resolvedYAML, file: dir.appendingPathComponent("r.yaml").path), c, f)
        }
    }
}
