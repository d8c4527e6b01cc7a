import Foundation
import FTXTestSupport
import XCTest

/// Validate before spending minutes: `ftx train` checks the whole config (eval section included)
/// as `ftx run` does, both take --dry-run, train takes --set, and the resolved out/config.yaml
/// trains again as it is. On the tiny real GGUF project of RegistryCLITestCase.
final class TrainValidationCLITests: RegistryCLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try makeTinyProject()
    }

    /// configs/NAME: the tiny project's run config with the data as `ftx train` spells it, and `eval` as given.
    func writeTrainConfig(_ name: String = "train.yaml", eval: String) throws {
        let run = try String(contentsOf: dir.appendingPathComponent("configs/lora.yaml"), encoding: .utf8)
        let keys = run.components(separatedBy: "\neval:")[0]
            .replacingOccurrences(of: "data: ../data/all.jsonl", with: "data: {train: ../data/all.jsonl}")
        try write("configs/\(name)", keys + "\n" + eval + "\n")
    }

    var outExists: Bool { FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path) }

    func testTrainChecksTheEvalSectionBeforeTheFirstStepAsRunDoes() throws {
        let cases: [(eval: String, message: String, line: Int, hint: String?)] = [
            ("eval:\n  suite: ../eval/suite.yaml\n  gates:\n    - regresion_vs: base\n      max_drop: 0.02",
             "unknown gate key 'regresion_vs'", 14, "regression_vs"),
            ("eval:\n  suite: ../eval/suite.yaml\n  gates:\n    - pass_rate => 0.8",
             "gate 'pass_rate => 0.8': '=>' is not an operator", 14, "did you mean '>='?"),
            ("eval:\n  suit: ../eval/suite.yaml", "unknown key 'eval.suit'", 12, "suite"),
            ("eval:\n  suite: ../eval/nope.yaml", "eval suite not found", 0, nil),
        ]
        for c in cases {
            try writeTrainConfig("typo.yaml", eval: c.eval)
            for command in ["train", "run"] {
                let r = try ftx([command, "-c", "configs/typo.yaml"], status: 2)
                XCTAssertTrue(r.stderr.contains(c.message), "\(command): \(r.stderr)")
                if c.line > 0 { XCTAssertTrue(r.stderr.contains("typo.yaml:\(c.line))"), "\(command): \(r.stderr)") }
                if let hint = c.hint { XCTAssertTrue(r.stderr.contains("hint: ") && r.stderr.contains(hint), "\(command): \(r.stderr)") }
                XCTAssertFalse(r.stderr.contains("[4/6] train"), r.stderr)
                if command == "train" { XCTAssertFalse(outExists, "train started training") }
            }
        }
        // A suite whose cases do not load is found before training too.
        try write("eval/broken.yaml", "name: broken\ncases: ../data/missing.jsonl\n")
        try writeTrainConfig("typo.yaml", eval: "eval:\n  suite: ../eval/broken.yaml")
        let r = try ftx(["train", "-c", "configs/typo.yaml"], status: 2)
        XCTAssertTrue(r.stderr.contains("missing.jsonl"), r.stderr)
        XCTAssertFalse(outExists)
    }

    func testDryRunPrintsThePlanAndWritesNothing() throws {
        try writeTrainConfig(eval: "eval:\n  suite: ../eval/suite.yaml\n  gates:\n    - pass_rate >= 0.5")
        let before = try ftx(["base", "list", "--json"]).stdout
        let t = try ftx(["train", "-c", "configs/train.yaml", "--dry-run"])
        for s in ["dry run: nothing trained or written", "resolved config (configs/train.yaml):", "  lora_r: 4",
                  "data: train 16, valid 0 examples", "steps: 4 (", "estimated time: ", "one measured step: "] {
            XCTAssertTrue(t.stdout.contains(s), "lacks \(s):\n\(t.stdout)")
        }
        // The config shown is the one out/config.yaml would hold: absolute data path.
        XCTAssertTrue(t.stdout.contains("  train: \(dir.resolvingSymlinksInPath().path)/data/all.jsonl")
                      || t.stdout.contains("  train: \(dir.path)/data/all.jsonl"), t.stdout)
        XCTAssertFalse(outExists)

        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try ftx(["train", "-c", "configs/train.yaml", "--dry-run", "--json",
                                                                                   "--set", "max_steps=3"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["steps"] as? Int, 3)
        XCTAssertEqual((j["rows"] as? [String: Int])?["train"], 16)
        XCTAssertGreaterThan(j["estimated_seconds"] as? Double ?? 0, 0)
        XCTAssertTrue((j["estimate_basis"] as? String)?.hasPrefix("one measured step") == true)

        // run: the single data file split 80/10/10, the same plan; nothing registered, committed or cached.
        let r = try ftx(["run", "-c", "configs/lora.yaml", "--dry-run"])
        for s in ["dry run: nothing trained or written", "base: tiny ", "data: train ", "steps: 4 (", "estimated time: "] {
            XCTAssertTrue(r.stdout.contains(s), "lacks \(s):\n\(r.stdout)")
        }
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try ftx(["run", "-c", "configs/lora.yaml", "--dry-run", "--json"]).stdout.utf8))
                                 as? [String: Any])["rows"] as? [String: Int]
        XCTAssertEqual(rows?.values.reduce(0, +), 16)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(try ftx(["runs", "--json"]).stdout.utf8)) as? [Any])?.count, 0)
        XCTAssertEqual(try ftx(["base", "list", "--json"]).stdout, before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".ftx/runs").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".ftx/cache/splits").path))
        // A dry run fails where the run would, before anything else.
        try ftx(["run", "-c", "configs/lora.yaml", "--dry-run", "--set", "eval.gates=[\"pass_rate => 1\"]"], status: 2)
    }

    func testTrainSetAndTheResolvedConfigTrainsAgain() throws {
        try writeTrainConfig(eval: "eval:\n  suite: ../eval/suite.yaml")
        let first = try ftx(["train", "-c", "configs/train.yaml", "--set", "max_steps=2", "--set", "lora_r=2",
                             "--output-dir", "runs/full", "--json", "--no-progress"])
        // JSON keeps slashes as written.
        XCTAssertTrue(first.stdout.contains("\"output_dir\":\"runs/full\""), first.stdout)
        XCTAssertFalse(first.stdout.contains("\\/"), first.stdout)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["steps"] as? Int, 2)
        let resolved = try String(contentsOf: dir.appendingPathComponent("runs/full/config.yaml"), encoding: .utf8)
        XCTAssertTrue(resolved.contains("lora_r: 2\n") && resolved.contains("max_steps: 2\n"), resolved)
        for line in resolved.split(separator: "\n") where line.contains("train:") || line.contains("suite:") {
            XCTAssertTrue(line.split(separator: " ").last?.hasPrefix("/") == true, "not absolute: \(line)")
        }
        // From another directory, the written config trains the same run.
        let again = try TestSupport.runFTX(["train", "-c", "\(dir.path)/runs/full/config.yaml", "--output-dir", "\(dir.path)/again", "--json", "--no-progress"],
                                           cwd: dir.appendingPathComponent("data"))
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("again/adapter_model.safetensors")),
                       try Data(contentsOf: dir.appendingPathComponent("runs/full/adapter_model.safetensors")))
        // --set is checked like the file: a misspelt key is refused with a did-you-mean.
        let bad = try ftx(["train", "-c", "configs/train.yaml", "--set", "lora_rr=4"], status: 2)
        XCTAssertTrue(bad.stderr.contains("unknown key `lora_rr`") && bad.stderr.contains("lora_r"), bad.stderr)
    }

    func testEvalOfARunUsesItsRecordedSuite() throws {
        try ftx(["run", "-c", "configs/lora.yaml", "-m", "first"])
        let r = try ftx(["eval", "HEAD", "--json"])
        XCTAssertTrue(r.stderr.contains("eval/suite.yaml (recorded by HEAD)"), r.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((report["cases"] as? [Any])?.count, 16)
        // A base records no suite: the error says what to pass.
        let b = try ftx(["eval", "base"], status: 2)
        XCTAssertTrue(b.stderr.contains("--suite"), b.stderr)
    }
}
