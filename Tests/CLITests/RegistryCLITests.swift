import Foundation
import FTXTestSupport
import XCTest

/// End-to-end tests of the registry commands through the built `ftx` binary. Run commits are made
/// with `ftx commit --header` (the same header keys `ftx run` writes), so deploy, rollback, the run
/// index and base registration are exercised without a training engine.
/// Shared by the registry's CLI test classes: a scratch project and `ftx` run in it.
class RegistryCLITestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = TestSupport.makeTempDir("ftx-registry-cli")
        try ftx(["init"])
    }

    @discardableResult
    func ftx(_ args: [String], status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> TestSupport.RunResult {
        let r = try TestSupport.runFTX(args, cwd: dir, env: ["FTX_AUTHOR": "Tester <t@example.com>"])
        XCTAssertEqual(r.status, status, "ftx \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    /// A project on a tiny real GGUF model (FTXModel's test corpus), registered as `tiny`: 16 rows of
    /// data, a suite over them (max_tokens 4) and a LoRA config with one threshold gate.
    func makeTinyProject() throws {
        let model = TestSupport.repoRoot.appendingPathComponent("Tests/FTXModelTests/Corpus/valid-tiny.gguf")
        guard FileManager.default.fileExists(atPath: model.path) else { throw XCTSkip("tiny GGUF fixture missing") }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: model, to: dir.appendingPathComponent("models/tiny.gguf"))
        try ftx(["base", "add", "models/tiny.gguf", "--name", "tiny"])
        let words = ["red", "blue", "green", "gold", "pink", "gray", "teal", "navy", "rose", "jade", "lime", "plum", "sand", "wine", "mint", "ruby"]
        try write("data/all.jsonl", words.map { #"{"id": "\#($0)", "prompt": "color \#($0) ->", "completion": " [\#($0.uppercased())]"}"# }
            .joined(separator: "\n") + "\n")
        try write("eval/suite.yaml", """
            name: colors
            cases: ../data/all.jsonl
            generation: {max_tokens: 4, chat_template: false, batch_size: 4}
            assert:
              - type: max-tokens
                value: 4
            """)
        try write("configs/lora.yaml", """
            base_model: tiny
            data: ../data/all.jsonl
            lora_r: 4
            lora_alpha: 8
            learning_rate: 0.005
            max_steps: 4
            micro_batch_size: 2
            max_seq_length: 64
            seed: 3
            threads: 2
            eval:
              suite: ../eval/suite.yaml
              gates:
                - pass_rate >= 0.5
            """)
    }

    func write(_ rel: String, _ text: String) throws {
        let url = dir.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A run-like commit: adapter files plus the header keys `ftx run` writes.
    @discardableResult
    func runCommit(_ name: String, status: String, passRate: Double, r: Int) throws -> String {
        try write("adapter/adapter_model.safetensors", "weights of \(name)")
        try write("adapter/adapter_config.json", "{\"r\": \(r)}")
        try ftx(["add", "adapter"])
        try ftx(["commit", "-m", name, "--header", "run=1", "--header", "gate-status=\(status)",
                 "--header", "metrics={\"pass_rate\":\(passRate)}", "--header", "params={\"lora_r\":\(r)}",
                 "--header", "gates=[{\"name\":\"pass_rate >= 0.8\",\"passed\":\(status == "passed"),\"detail\":\"\"}]"])
        return try ftx(["log", "--json", "-n", "1"]).stdout.components(separatedBy: "\"id\" : \"")[1].prefix(64).description
    }

    func deployed(_ env: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(".ftx/deploy/\(env)/adapter_model.safetensors"), encoding: .utf8)
    }
}

final class RegistryCLITests: RegistryCLITestCase {
    func testDeployRefusesFailedGatesAndRollsBack() throws {
        let a = try runCommit("A", status: "passed", passRate: 0.9, r: 8)
        let b = try runCommit("B", status: "failed", passRate: 0.5, r: 16)
        let refused = try ftx(["deploy", "HEAD", "--env", "prod"], status: 2)
        XCTAssertTrue(refused.stderr.contains("refusing to deploy"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("hint:"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".ftx/deploy/prod").path))
        try ftx(["deploy", "HEAD", "--env", "prod", "--force"], status: 2)  // --force needs --reason

        try ftx(["deploy", "HEAD~1", "--env", "prod"])
        XCTAssertEqual(try deployed("prod"), "weights of A")
        try ftx(["deploy", "HEAD", "--env", "prod", "--force", "--reason", "accepting a known regression"])
        XCTAssertEqual(try deployed("prod"), "weights of B")
        let rb = try ftx(["deploy", "--rollback", "prod", "--json"])
        let j = try JSONSerialization.jsonObject(with: Data(rb.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(j?["commit"] as? String, a)
        XCTAssertEqual(j?["previous"] as? String, b)
        XCTAssertEqual(try deployed("prod"), "weights of A")

        let hist = try JSONSerialization.jsonObject(with: Data(try ftx(["deploy", "--history", "prod", "--json"]).stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(hist?.map { $0["new"] as? String }, [a, b, a])
        XCTAssertEqual(hist?.first?["who"] as? String, "Tester <t@example.com>")
        XCTAssertTrue((hist?[1]["message"] as? String)?.contains("reason: accepting a known regression") == true)
        let list = try JSONSerialization.jsonObject(with: Data(try ftx(["deploy", "--list", "--json"]).stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(list?.count, 1)
        XCTAssertEqual(list?.first?["env"] as? String, "prod")
        XCTAssertEqual(list?.first?["gate_status"] as? String, "passed")
        // The store's reflog and revision syntax see the same history.
        XCTAssertTrue(try ftx(["reflog", "prod"]).stdout.contains("rollback prod"))
        try ftx(["deploy", "--rollback", "staging"], status: 2)
    }

    /// A sweep: a long line of run commits on top of the project. `status` finds the project state
    /// through index.sqlite (one query), and by reading objects when the index is gone.
    func testStatusAfterALongLineOfRunCommits() throws {
        try write("configs/lora.yaml", "lora_r: 8\n")
        try ftx(["add", "configs"])
        try ftx(["commit", "-m", "project"])
        for i in 0..<12 {
            try write("adapter/adapter_model.safetensors", "weights \(i)")
            try ftx(["add", "adapter"])
            try ftx(["commit", "-m", "run \(i)", "--header", "run=1", "--header", "gate-status=passed"])
            try ftx(["rm", "--cached", "adapter"])
            try FileManager.default.removeItem(at: dir.appendingPathComponent("adapter"))
        }
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, "")
        try write("configs/lora.yaml", "lora_r: 16\n")
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, " M configs/lora.yaml\n")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".ftx/index.sqlite"))
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, " M configs/lora.yaml\n")
    }

    func testLineageAndExport() throws {
        try write("data/train.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"c\", \"completion\": \"d\"}\n")
        try ftx(["add", "data"])
        let id = try runCommit("A", status: "passed", passRate: 0.9, r: 8)
        let text = try ftx(["lineage", "HEAD"]).stdout
        XCTAssertTrue(text.contains("run \(id)") && text.contains("data/train.jsonl") && text.contains("2 rows")
                      && text.contains("pass_rate = 0.9") && text.contains("code    none"), text)
        let j = try JSONSerialization.jsonObject(with: Data(try ftx(["lineage", "HEAD", "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(j?["commit"] as? String, id)
        XCTAssertEqual((j?["adapter"] as? [[String: Any]])?.count, 2)
        let out = try ftx(["export", "HEAD", "--format", "peft", "--out", "exported"]).stdout
        XCTAssertEqual(out.split(separator: "\n").count, 2)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("exported/adapter_model.safetensors"), encoding: .utf8), "weights of A")
        let noGGUF = try ftx(["export", "HEAD", "--format", "gguf", "--out", "exported"], status: 2)
        XCTAssertTrue(noGGUF.stderr.contains("adapter/adapter.gguf"), noGGUF.stderr)
        try ftx(["export", "HEAD", "--format", "onnx", "--out", "x"], status: 2)
        try ftx(["init", "--help"])  // the store's command still works beside ours
        try ftx(["commit", "-m", "plain", "--allow-empty"])
        let notRun = try ftx(["lineage", "HEAD"], status: 2)
        XCTAssertTrue(notRun.stderr.contains("not a run commit"), notRun.stderr)
    }

    func testRunsQueryLogMetricsAndReindex() throws {
        try runCommit("r4", status: "failed", passRate: 0.6, r: 4)
        try runCommit("r8", status: "passed", passRate: 0.85, r: 8)
        try runCommit("r32", status: "passed", passRate: 0.95, r: 32)
        let q = try ftx(["runs", "--where", "lora_r <= 16 and pass_rate > 0.7", "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(rows?.map { $0["message"] as? String }, ["r8"])
        let sorted = try ftx(["runs", "--sort", "pass_rate:asc"]).stdout
        let order = ["r4", "r8", "r32"].map { sorted.range(of: " \($0)")?.lowerBound }
        XCTAssertTrue(order[0]! < order[1]! && order[1]! < order[2]!, sorted)
        let log = try ftx(["runs", "--history", "HEAD"]).stdout.split(separator: "\n")
        XCTAssertEqual(log.count, 3)
        XCTAssertTrue(log[0].contains("[passed]") && log[0].contains("pass_rate=0.95"), String(log[0]))
        XCTAssertTrue(log[2].contains("[FAILED"), String(log[2]))
        let bad = try ftx(["runs", "--where", "lora_r <= "], status: 2)
        XCTAssertTrue(bad.stderr.contains("column 11"), bad.stderr)
        let typo = try ftx(["runs", "--where", "pass_rat > 1"], status: 2)
        XCTAssertTrue(typo.stderr.contains("did you mean 'pass_rate'"), typo.stderr)
        // Rebuilding from the objects gives the same answers.
        let before = try ftx(["runs", "--json"]).stdout
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".ftx/index.sqlite"))
        try ftx(["runs", "--reindex"])
        XCTAssertEqual(try ftx(["runs", "--json"]).stdout, before)
    }

    func testBaseRegistrationAndRunInputErrors() throws {
        try write("models/tiny.gguf", "GGUF" + String(repeating: "w", count: 1000))
        let added = try ftx(["base", "add", "models/tiny.gguf", "--json"])
        let j = try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(j?["name"] as? String, "tiny")
        XCTAssertEqual(j?["default"] as? Bool, true)
        try write("models/notgguf.bin", "nope")
        let bad = try ftx(["base", "add", "models/notgguf.bin"], status: 2)
        XCTAssertTrue(bad.stderr.contains("not a GGUF file") && bad.stderr.contains("notgguf.bin"), bad.stderr)
        try ftx(["base", "verify"])

        // `ftx run` stops with a clear error, before training, on each bad input.
        try write("data/all.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"c\", \"completion\": 3}\n")
        try write("configs/ok.yaml", "base_model: tiny\ndata: ../data/all.jsonl\n")
        let missing = try ftx(["run", "-c", "configs/none.yaml"], status: 2)
        XCTAssertTrue(missing.stderr.contains("run config not found") && missing.stderr.contains("configs/none.yaml"), missing.stderr)
        try write("configs/broken.yaml", "base_model: tiny\ndata: [oops\n")
        let broken = try ftx(["run", "-c", "configs/broken.yaml"], status: 2)
        XCTAssertTrue(broken.stderr.contains("not valid YAML") && broken.stderr.contains("broken.yaml:"), broken.stderr)
        let badData = try ftx(["run", "-c", "configs/ok.yaml"], status: 2)
        XCTAssertTrue(badData.stderr.contains("all.jsonl:2"), badData.stderr)
        let noBase = try ftx(["run", "-c", "configs/ok.yaml", "--set", "base_model=tinny"], status: 2)
        XCTAssertTrue(noBase.stderr.contains("did you mean 'tiny'"), noBase.stderr)
        XCTAssertFalse(noBase.stderr.contains("[4/6] train"))
        let log = try JSONSerialization.jsonObject(with: Data(try ftx(["log", "--json"]).stdout.utf8)) as? [Any]
        XCTAssertEqual(log?.count, 0, "nothing committed")
    }
}
