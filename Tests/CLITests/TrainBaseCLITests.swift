import XCTest
import FTXTestSupport

/// `ftx train` with a registered base name (as `ftx run` reads base_model), and the adapter it
/// writes loaded back by `ftx eval --adapter` in both formats (PEFT directory, GGUF LoRA file).
final class TrainBaseCLITests: XCTestCase {
    /// A 2-step QLoRA config on the last block's q/v (shared with TrainCLITests).
    static func config(base: String, fixtures: String) -> String {
        """
        base_model: \(base)
        data:
          train: \(fixtures)/train.jsonl
          valid: \(fixtures)/valid.jsonl
        output_dir: out
        adapter: qlora
        lora_r: 4
        lora_layers: 1
        lora_target_modules: [q_proj, v_proj]
        max_steps: 2
        micro_batch_size: 2
        max_seq_length: 96
        threads: 2
        export_gguf: true
        """
    }

    func testTrainResolvesRegisteredBaseNamesAndEvalReadsBothAdapterFormats() throws {
        let model = try TestSupport.smolLM2Path()
        let dir = TestSupport.makeTempDir("ftx-train-base")
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task").path
        func ftx(_ args: [String]) throws -> TestSupport.RunResult { try TestSupport.runFTX(args, cwd: dir) }

        // Outside a repository a bare name cannot be looked up.
        try Self.config(base: "smollm2", fixtures: fixtures).write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let outside = try ftx(["train", "-c", "c.yaml"])
        XCTAssertEqual(outside.status, 2, outside.stderr)
        XCTAssertTrue(outside.stderr.contains("base_model 'smollm2' is not a file, and there is no ftx repository here"), outside.stderr)

        XCTAssertEqual(try ftx(["init"]).status, 0)
        // No --name: the model's own family name (GGUF general.basename), which the sample configs use.
        let add = try ftx(["base", "add", model, "--link"])
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertTrue(add.stdout.hasPrefix("base smollm2: "), add.stdout)

        // An unknown name lists the registered ones.
        try Self.config(base: "smollm3", fixtures: fixtures).write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try ftx(["train", "-c", "bad.yaml"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("no registered base model named 'smollm3' (bad.yaml)"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("did you mean 'smollm2'? registered base models: smollm2"), bad.stderr)

        // The registered name trains; the adapter records the name, not the file.
        let r = try ftx(["train", "-c", "c.yaml", "--json", "--no-progress"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["steps"] as? Int, 2)
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/adapter_config.json"))) as? [String: Any]
        XCTAssertEqual(cfg?["base_model_name_or_path"] as? String, "smollm2")

        // ftx eval --adapter: the PEFT directory and the GGUF LoRA file give the same report.
        try #"{"id": "a", "prompt": "color teal ->", "completion": " [TEAL]"}"#.appending("\n")
            .write(to: dir.appendingPathComponent("cases.jsonl"), atomically: true, encoding: .utf8)
        try "name: s\ncases: cases.jsonl\ngeneration: {max_tokens: 4, chat_template: false}\n"
            .write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        func eval(_ adapter: String?) throws -> [String: Any] {
            let e = try ftx(["eval", "--model", model, "--suite", "s.yaml", "--json"] + (adapter.map { ["--adapter", $0] } ?? []))
            XCTAssertEqual(e.status, 0, e.stderr)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        }
        func scores(_ report: [String: Any]) -> String {
            let cases = (report["cases"] as? [[String: Any]] ?? []).map { c in
                c.filter { ["output", "nll", "score", "pass"].contains($0.key) }
            }
            let data = try? JSONSerialization.data(withJSONObject: ["cases": cases, "metrics": report["metrics"] ?? [:]], options: [.sortedKeys])
            return String(decoding: data ?? Data(), as: UTF8.self)
        }
        let viaPEFT = try eval("out"), viaGGUF = try eval("out/adapter.gguf"), plain = try eval(nil)
        XCTAssertEqual(scores(viaGGUF), scores(viaPEFT))
        XCTAssertNotEqual(scores(plain), scores(viaPEFT))   // the adapter is applied at all
        // A model file given as the adapter is refused with the reason.
        let wrong = try ftx(["eval", "--model", model, "--suite", "s.yaml", "--adapter", model])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("general.type"), wrong.stderr)
    }
}
