import XCTest
import FTXTestSupport

/// `ftx train` end to end: a short run on SmolLM2, and errors that name the file and line.
final class TrainCLITests: XCTestCase {
    func testTrainWritesAdapterAndLog() throws {
        let model = try TestSupport.smolLM2Path()
        let dir = TestSupport.makeTempDir("ftx-train-cli")
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task").path
        let cfg = TrainBaseCLITests.config(base: model, fixtures: fixtures)
        try cfg.write(to: dir.appendingPathComponent("lora.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["train", "-c", "lora.yaml", "--json"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["steps"] as? Int, 2)
        XCTAssertNotNil(obj?["valid_loss"])
        XCTAssertTrue(r.stderr.contains("train"), r.stderr)   // progress lines
        for f in ["adapter_model.safetensors", "adapter_config.json", "adapter.gguf", "train_log.jsonl", "config.yaml", "checkpoint.bin"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/\(f)").path), f)
        }
        // --output-dir overrides; --resume of a finished run is a no-op that keeps the adapter.
        let again = try TestSupport.runFTX(["train", "-c", "lora.yaml", "--resume"], cwd: dir)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("adapter written to out"), again.stdout)
    }

    func testConfigAndDataErrorsNameFileAndLine() throws {
        let dir = TestSupport.makeTempDir("ftx-train-cli")
        try "base_model: x.gguf\ndata: {train: t.jsonl}\nlora_rnak: 8\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["train", "-c", "bad.yaml"], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown key `lora_rnak` (bad.yaml:3)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: did you mean `lora_r`?"), r.stderr)

        // A billion-laughs `eval:` section used to hang, growing 20 MB/s; `ftx run -c` reads the same file.
        try ("base_model: x.gguf\ndata: {train: t.jsonl}\n" + TestSupport.yamlAliasBomb(under: "eval"))
            .write(to: dir.appendingPathComponent("bomb.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.runFTX(["init"], cwd: dir).status, 0)
        for args in [["train", "-c", "bomb.yaml"], ["run", "-c", "bomb.yaml"]] {
            let b = try TestSupport.runFTX(args, cwd: dir)
            XCTAssertFalse(b.signaled, b.stderr)
            XCTAssertEqual(b.status, 2, b.stderr)
            XCTAssertTrue(b.stderr.contains("expands to more than 100000 nodes") && b.stderr.contains("bomb.yaml:9)"), "\(args): \(b.stderr)")
        }

        let model = try TestSupport.smolLM2Path()
        try "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\", \"completion\": \"\"}\n"
            .write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        try "base_model: \(model)\ndata: {train: t.jsonl}\nmax_steps: 1\n".write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let d = try TestSupport.runFTX(["train", "-c", "c.yaml"], cwd: dir)
        XCTAssertEqual(d.status, 2)
        XCTAssertTrue(d.stderr.contains("completion is empty (t.jsonl:2)"), d.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    func testInterruptSavesACheckpoint() throws {
        let model = try TestSupport.smolLM2Path()
        let dir = TestSupport.makeTempDir("ftx-train-int")
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures/task").path
        let cfg = """
        base_model: \(model)
        data: {train: \(fixtures)/train.jsonl}
        output_dir: out
        adapter: qlora
        lora_r: 2
        lora_layers: 1
        lora_target_modules: [v_proj]
        max_steps: 40
        max_seq_length: 96
        threads: 2
        """
        try cfg.write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestSupport.ftxBinary)
        p.arguments = ["train", "-c", "c.yaml"]
        p.currentDirectoryURL = dir
        let err = Pipe(), out = Pipe()
        p.standardError = err; p.standardOutput = out
        final class Box: @unchecked Sendable { var text = ""; let lock = NSLock() }
        let box = Box()
        err.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            box.lock.lock(); box.text += String(decoding: d, as: UTF8.self); box.lock.unlock()
        }
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            box.lock.lock(); let started = box.text.contains("train: 1/40"); box.lock.unlock()
            if started { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 130, box.text)
        XCTAssertTrue(stdout.contains("interrupted at step"), stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/checkpoint.bin").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/adapter_model.safetensors").path))
    }
}
