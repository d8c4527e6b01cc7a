import Foundation
import XCTest
import FTXTestSupport

/// `--model` with a Hugging Face checkpoint folder wherever it takes a GGUF: the tiny Qwen2 and
/// Llama 3 of Tests/FTXModelTests/Fixtures/arch (transformers' folder, and llama.cpp's conversion of it).
final class HFCheckpointCLITests: XCTestCase {
    static func fixture(_ family: String, _ name: String) -> String {
        TestSupport.fixture("FTXModelTests/Fixtures/arch/\(family)/\(name)").path
    }

    func testInfoTokenizeAndGenerateReadTheFolderAsTheGGUF() throws {
        let cwd = TestSupport.makeTempDir("ftx-hf")
        let dir = Self.fixture("qwen2", "hf"), gguf = Self.fixture("qwen2", "model.gguf")
        let info = try TestSupport.runFTX(["model", "info", dir, "--json"], cwd: cwd)
        XCTAssertEqual(info.status, 0, info.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(obj["architecture"] as? String, "qwen2")
        XCTAssertEqual(obj["format"] as? String, "huggingface")
        XCTAssertEqual(obj["features"] as? [String], ["neox rope", "q/k/v biases"])
        XCTAssertEqual((obj["tensor_type_shares"] as? [String: Double])?["F32"], 1)
        let special = obj["special_tokens"] as! [String: Any]
        XCTAssertEqual((special["eos"] as? [String: Any])?["text"] as? String, "<|im_end|>")
        let stops = (special["end_of_generation"] as! [[String: Any]]).map { $0["text"] as! String }
        XCTAssertEqual(Set(stops), ["<|im_end|>", "<|endoftext|>"])

        let llama = try TestSupport.runFTX(["model", "info", Self.fixture("llama3", "model.gguf")], cwd: cwd)
        XCTAssertEqual(llama.status, 0, llama.stderr)
        XCTAssertTrue(llama.stdout.contains("features      adjacent-pair rope, llama3 rope scaling"), llama.stdout)
        XCTAssertTrue(llama.stdout.contains("stops at 385 <|end_of_text|>"), llama.stdout)

        for args in [["tokenize", "--json", "Hello 12345 wörld"], ["generate", "--max-tokens", "12", "--chat", "Hi"]] {
            let a = try TestSupport.runFTX(args + ["-m", dir], cwd: cwd), b = try TestSupport.runFTX(args + ["-m", gguf], cwd: cwd)
            XCTAssertEqual(a.status, 0, a.stderr)
            XCTAssertEqual(b.status, 0, b.stderr)
            XCTAssertEqual(a.stdout, b.stdout, "\(args)")
            XCTAssertFalse(a.stdout.isEmpty, "\(args)")
        }
    }

    func testTrainOnAFolderThenGenerateWithTheAdapter() throws {
        let cwd = TestSupport.makeTempDir("ftx-hf-train")
        let dir = Self.fixture("qwen2", "hf")
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task").path
        var cfg = TrainBaseCLITests.config(base: dir, fixtures: fixtures)
        cfg = cfg.replacingOccurrences(of: "lora_target_modules: [q_proj, v_proj]", with: "lora_target_modules: [q_proj, k_proj, v_proj, o_proj]")
            .replacingOccurrences(of: "max_seq_length: 96", with: "max_seq_length: 256")   // its 400-token vocabulary splits finely
        try cfg.write(to: cwd.appendingPathComponent("lora.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["train", "-c", "lora.yaml", "--json"], cwd: cwd)
        XCTAssertEqual(r.status, 0, r.stderr)
        let gguf = try Data(contentsOf: cwd.appendingPathComponent("out/adapter.gguf"))
        XCTAssertNotNil(gguf.range(of: Data("qwen2".utf8)), "the GGUF adapter names its base's architecture")
        let g = try TestSupport.runFTX(["generate", "-m", dir, "--adapter", "out", "--max-tokens", "6", "Hello"], cwd: cwd)
        XCTAssertEqual(g.status, 0, g.stderr)
    }

    /// `ftx base add DIR` stores the GGUF ftx writes (the same bytes each time), and runs use it by name.
    func testBaseAddOfAFolderStoresAGGUFThatRunsUse() throws {
        let cwd = TestSupport.makeTempDir("ftx-hf-base")
        func ftx(_ args: [String]) throws -> TestSupport.RunResult { try TestSupport.runFTX(args, cwd: cwd) }
        XCTAssertEqual(try ftx(["init"]).status, 0)
        let dir = Self.fixture("qwen2", "hf")
        let a = try ftx(["base", "add", dir, "--name", "tq", "--json"]), b = try ftx(["base", "add", dir, "--name", "tq", "--json"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout, "the same folder gives the same stored bytes")
        let q = try ftx(["base", "add", dir, "--name", "tq8", "--quantize", "q8_0", "--json"])
        XCTAssertEqual(q.status, 0, q.stderr)
        let k = try ftx(["base", "add", dir, "--name", "tq4k", "--quantize", "q4_k", "--json"])
        XCTAssertEqual(k.status, 0, k.stderr)
        let ids = try [a, q, k].map { (try JSONSerialization.jsonObject(with: Data($0.stdout.utf8)) as! [String: Any])["id"] as! String }
        XCTAssertEqual(Set(ids).count, 3)
        // The record names the stored copy ftx keeps, not the file it was staged in.
        let path = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(k.stdout.utf8)) as? [String: Any])?["path"] as? String)
        XCTAssertTrue(path.hasSuffix("/.ftx/cache/bases/\(ids[2]).gguf") && FileManager.default.fileExists(atPath: path), path)
        let bad = try ftx(["base", "add", dir, "--quantize", "q2_k"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("choose one of q8_0, q4_1, q4_k"), bad.stderr)
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task").path
        let cfg = TrainBaseCLITests.config(base: "tq8", fixtures: fixtures)
            .replacingOccurrences(of: "max_seq_length: 96", with: "max_seq_length: 256\nlong_sequences: truncate")
        try cfg.write(to: cwd.appendingPathComponent("lora.yaml"), atomically: true, encoding: .utf8)
        let r = try ftx(["train", "-c", "lora.yaml"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A run names its base by content: an unregistered folder is pointed at `base add`.
        try cfg.replacingOccurrences(of: "base_model: tq8", with: "base_model: \(dir)")
            .write(to: cwd.appendingPathComponent("run.yaml"), atomically: true, encoding: .utf8)
        let run = try ftx(["run", "-c", "run.yaml"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("hint: ftx base add \(dir) --name NAME"), run.stderr)
    }

    func testAFolderOfAnUnsupportedFamilyIsAClearError() throws {
        let cwd = TestSupport.makeTempDir("ftx-hf-bad")
        let dir = cwd.appendingPathComponent("neox")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try #"{"model_type": "gpt_neox", "hidden_size": 64}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["generate", "-m", dir.path, "hi"], cwd: cwd)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("model_type gpt_neox (supported: llama, mistral, qwen2, qwen3, gemma3_text, phi3)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("config.json"), r.stderr)
    }
}
