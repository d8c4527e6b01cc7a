import Foundation
import FTXTestSupport
import XCTest

/// `ftx run` end to end through the built binary on a tiny real GGUF model (FTXModel's test corpus):
/// train → eval → gates → commit, failed gates, deploy → rollback, reproduce, reindex, Ctrl-C.
final class RegistryRunCLITests: RegistryCLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try makeTinyProject()
    }

    func json(_ args: [String]) throws -> Any { try JSONSerialization.jsonObject(with: Data(try ftx(args).stdout.utf8)) }

    func head() throws -> String { try ((json(["log", "--json", "-n", "1"]) as? [[String: Any]])?.first?["id"] as? String) ?? "" }

    func testRunGatesDeployRollbackReproduceReindex() throws {
        let run = try json(["run", "-c", "configs/lora.yaml", "-m", "first", "--json"]) as? [String: Any]
        let first = try XCTUnwrap(run?["commit"] as? String)
        XCTAssertEqual(run?["gate_status"] as? String, "passed")
        XCTAssertEqual(try head(), first)
        // Tree and header complete.
        let lineage = try XCTUnwrap(try json(["lineage", first, "--json"]) as? [String: Any])
        XCTAssertEqual((lineage["adapter"] as? [[String: Any]])?.compactMap { $0["path"] as? String },
                       ["adapter/adapter.gguf", "adapter/adapter_config.json", "adapter/adapter_model.safetensors"])
        XCTAssertEqual((lineage["data"] as? [[String: Any]])?.compactMap { $0["rows"] as? Int }.reduce(0, +), 16)
        XCTAssertNotNil(lineage["report"] as? [String: Any])
        XCTAssertEqual((lineage["base"] as? [String: Any])?["name"] as? String, "tiny")
        XCTAssertEqual(lineage["seed"] as? Int, 3)
        XCTAssertEqual((lineage["host"] as? [String: Any])?["threads"] as? Int, 2)
        XCTAssertNotNil(lineage["wall_seconds"] as? Double)
        XCTAssertEqual((lineage["metrics"] as? [String: Double])?["pass_rate"], 1)
        let show = try ftx(["show", first]).stdout
        for key in ["run: 1", "base: ", "seed: 3", "engine: ftx ", "code: none", "host-cpu: ", "host-threads: 2", "wall-seconds: ",
                    "gate-status: passed", "metrics: ", "gates: ", "params: "] {
            XCTAssertTrue(show.contains(key), "header lacks \(key):\n\(show)")
        }
        for path in ["config.yaml", "data/train.jsonl", "data/valid.jsonl", "data/test.jsonl", "eval/report.json", "train/log.jsonl"] {
            XCTAssertTrue(show.contains("\n  \(path)  "), "tree lacks \(path):\n\(show)")
        }

        // A failing gate still commits, marked failed; exit 1; deploy refuses it.
        let failed = try ftx(["run", "-c", "configs/lora.yaml", "--set", "lora_r=2", "--set", "eval.gates=[\"exact_match >= 0.9\"]",
                              "-m", "second"], status: 1)
        XCTAssertTrue(failed.stderr.contains("gates failed"), failed.stderr)
        let second = try head()
        XCTAssertNotEqual(second, first)
        XCTAssertTrue(try ftx(["show", second]).stdout.contains("gate-status: failed"))
        try ftx(["deploy", "HEAD", "--env", "prod"], status: 2)

        // Deploy the first, force the second, roll back: the deployed adapter is the first's bytes again.
        try ftx(["deploy", first, "--env", "prod"])
        // The manifest a server reads names the base file with its slashes as written.
        let manifest = try String(contentsOf: dir.appendingPathComponent(".ftx/deploy/prod/deploy.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains("/models/tiny.gguf\""), manifest)
        XCTAssertFalse(manifest.contains("\\/"), manifest)
        try ftx(["export", first, "--format", "peft", "--out", "first-peft"])
        try ftx(["export", first, "--format", "gguf", "--out", "first-gguf"])
        let deployed = dir.appendingPathComponent(".ftx/deploy/prod")
        func bytes(_ rel: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(rel)) }
        XCTAssertEqual(try Data(contentsOf: deployed.appendingPathComponent("adapter_model.safetensors")), try bytes("first-peft/adapter_model.safetensors"))
        try ftx(["deploy", second, "--env", "prod", "--force", "--reason", "testing"])
        XCTAssertNotEqual(try Data(contentsOf: deployed.appendingPathComponent("adapter_model.safetensors")), try bytes("first-peft/adapter_model.safetensors"))
        try ftx(["deploy", "--rollback", "prod"])
        XCTAssertEqual(try Data(contentsOf: deployed.appendingPathComponent("adapter_model.safetensors")), try bytes("first-peft/adapter_model.safetensors"))
        XCTAssertEqual(try Data(contentsOf: deployed.appendingPathComponent("adapter_config.json")), try bytes("first-peft/adapter_config.json"))
        XCTAssertEqual(try Data(contentsOf: deployed.appendingPathComponent("adapter.gguf")), try bytes("first-gguf/adapter.gguf"))

        // Re-training from the recorded inputs gives identical bytes.
        XCTAssertTrue(try ftx(["reproduce", first]).stdout.hasPrefix("identical"))

        // The index rebuilt from objects equals the live one.
        let live = try ftx(["runs", "--json"]).stdout
        let liveLog = try ftx(["runs", "--history", "HEAD", "--json"]).stdout
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".ftx/index.sqlite"))
        try ftx(["runs", "--reindex"])
        XCTAssertEqual(try ftx(["runs", "--json"]).stdout, live)
        XCTAssertEqual(try ftx(["runs", "--history", "HEAD", "--json"]).stdout, liveLog)
    }

    func status() throws -> [String: Any] {
        try XCTUnwrap(try json(["status", "--json"]) as? [String: Any])
    }

    /// Project files of the scratch project, byte for byte (the work tree a checkout must leave alone).
    func projectFiles() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for rel in ["data/all.jsonl", "eval/suite.yaml", "configs/lora.yaml", "models/tiny.gguf"] {
            out[rel] = try Data(contentsOf: dir.appendingPathComponent(rel))
        }
        return out
    }

    /// Run commits are records, not work-tree states: `status` stays clean after `ftx run`, a later
    /// `ftx commit` works, and `ftx checkout prod@{1}` rolls the deployment back without --force,
    /// leaving HEAD and the work tree as they were.
    func testRunCommitsAreRecordsStatusCleanAndCheckoutRollsBackDeployOnly() throws {
        try ftx(["add", "."])
        try ftx(["commit", "-m", "project"])
        XCTAssertEqual(try status()["clean"] as? Bool, true)
        let first = try XCTUnwrap((try json(["run", "-c", "configs/lora.yaml", "-m", "first", "--json"]) as? [String: Any])?["commit"] as? String)
        let st = try status()
        XCTAssertEqual(st["clean"] as? Bool, true, "status after a run: \(st)")
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, "")
        try ftx(["commit", "-m", "nothing changed"], status: 2)  // nothing to commit: the project is as committed

        // An edit after the run shows as the only change, and commits on top of the run.
        try write("eval/suite.yaml", try String(contentsOf: dir.appendingPathComponent("eval/suite.yaml"), encoding: .utf8) + "\n# tuned\n")
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, " M eval/suite.yaml\n")
        try ftx(["add", "eval/suite.yaml"])
        try ftx(["commit", "-m", "suite comment"])
        XCTAssertEqual(try status()["clean"] as? Bool, true)
        let edited = try head()
        let second = try XCTUnwrap((try json(["run", "-c", "configs/lora.yaml", "--set", "lora_r=2", "-m", "second", "--json"]) as? [String: Any])?["commit"] as? String)
        XCTAssertEqual(try status()["clean"] as? Bool, true)
        // One line of history: project, first run, the edit, second run.
        let history = try XCTUnwrap(try json(["log", "--json"]) as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertEqual(history.count, 4)
        XCTAssertEqual(Array(history.prefix(3)), [second, edited, first])

        try ftx(["deploy", first, "--env", "prod"])
        try ftx(["deploy", second, "--env", "prod"])
        let deployed = dir.appendingPathComponent(".ftx/deploy/prod/adapter_model.safetensors")
        let peft = TestSupport.makeTempDir("ftx-first-peft").appendingPathComponent("out")  // outside the work tree
        try ftx(["export", first, "--format", "peft", "--out", peft.path])
        let firstAdapter = try Data(contentsOf: peft.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertNotEqual(try Data(contentsOf: deployed), firstAdapter)

        // An uncommitted edit in the work tree must survive the rollback (no --force).
        try write("configs/lora.yaml", try String(contentsOf: dir.appendingPathComponent("configs/lora.yaml"), encoding: .utf8) + "\n# wip\n")
        let before = try projectFiles()
        let rb = try ftx(["checkout", "prod@{1}"])
        XCTAssertTrue(rb.stderr.contains("prod: rolled back to"), rb.stderr)
        XCTAssertEqual(try Data(contentsOf: deployed), firstAdapter)
        XCTAssertEqual(try projectFiles(), before)
        XCTAssertEqual(try head(), second)
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, " M configs/lora.yaml\n")
        let envs = try XCTUnwrap(try json(["deploy", "--list", "--json"]) as? [[String: Any]])
        XCTAssertEqual(envs.first?["commit"] as? String, first)

        // `REV --env ENV` moves the deployment forward the same way.
        try ftx(["checkout", second, "--env", "prod"])
        XCTAssertNotEqual(try Data(contentsOf: deployed), firstAdapter)
        XCTAssertEqual(try projectFiles(), before)

        // Checking out a run commit gives the project state it was made from: HEAD moves, and with
        // no committed difference the work tree (with its edit) is left alone, no --force needed.
        try ftx(["checkout", "--force", "HEAD", "--", "configs/lora.yaml"])
        try ftx(["checkout", first])
        XCTAssertEqual(try head(), first)
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, "")
        XCTAssertFalse(try String(contentsOf: dir.appendingPathComponent("eval/suite.yaml"), encoding: .utf8).contains("# tuned"))
        try ftx(["checkout", edited])
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("eval/suite.yaml"), encoding: .utf8).contains("# tuned"))
    }

    func testCtrlCLeavesNoCommitAndTheRunResumes() throws {
        try ftx(["run", "-c", "configs/lora.yaml", "-m", "first"])
        let before = try head()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestSupport.ftxBinary)
        p.arguments = ["run", "-c", "configs/lora.yaml", "--set", "max_steps=100000", "--set", "save_steps=5", "-m", "long"]
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait until training has started (the work directory holds a checkpoint), then Ctrl-C.
        let runs = dir.appendingPathComponent(".ftx/runs").path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let wip = (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
            if wip.contains(where: { FileManager.default.fileExists(atPath: "\(runs)/\($0)/checkpoint/checkpoint.bin") }) { break }
            usleep(50_000)
        }
        kill(p.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted"), stderr)
        XCTAssertEqual(try head(), before, "no partial commit")
        XCTAssertEqual((try json(["runs", "--json"]) as? [Any])?.count, 1)
        let wip = try FileManager.default.contentsOfDirectory(atPath: runs)
        XCTAssertEqual(wip.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(runs)/\(wip[0])/checkpoint/checkpoint.bin"), "the checkpoint is kept")
    }
}
