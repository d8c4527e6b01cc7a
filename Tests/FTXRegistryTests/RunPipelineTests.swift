import Foundation
import FTXEval
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

final class RunPipelineTests: XCTestCase {
    func testRunCommitsTheWholeTreeAndHeader() throws {
        let p = try Project()
        let r = try p.run(message: "rank 8")
        let c = try p.registry.commit("HEAD")
        XCTAssertEqual(c.id, r.commit)
        XCTAssertEqual(c.commit.summary, "rank 8")
        let files = try p.registry.repo.flatten(tree: c.commit.tree).keys.sorted()
        XCTAssertEqual(files, ["adapter/adapter.gguf", "adapter/adapter_config.json", "adapter/adapter_model.safetensors",
                               "config.yaml", "data/test.jsonl", "data/train.jsonl", "data/valid.jsonl",
                               "eval/report.json", "train/log.jsonl"])
        let h = try XCTUnwrap(c.run)
        let base = try BaseRegistry(registry: p.registry).list()
        XCTAssertEqual(h.baseID, base.first?.id)
        XCTAssertEqual(h.seed, 7)
        XCTAssertEqual(h.engine, "fake-train 1")
        XCTAssertNil(h.code, "a temp dir is in no git repository")
        XCTAssertEqual(h.hostThreads, 2)
        XCTAssertFalse(h.hostCPU?.isEmpty ?? true)
        XCTAssertNotNil(h.wallSeconds)
        XCTAssertEqual(h.metrics["pass_rate"], 0.9)
        XCTAssertEqual(h.metrics["train_loss"], 0.4)
        XCTAssertEqual(h.gates, [GateVerdict(name: "pass_rate >= 0.8", passed: true, detail: "pass_rate = 0.9")])
        XCTAssertEqual(h.gateStatus, .passed)
        XCTAssertEqual(h.params["lora_r"], .number(8))
        // The committed config is the resolved one; the report holds the gate verdicts.
        let yaml = String(decoding: try XCTUnwrap(p.registry.file("config.yaml", in: c.commit)), as: UTF8.self)
        XCTAssertTrue(yaml.contains("lora_r: 8"), yaml)
        let report = try EvalReport.decode(try XCTUnwrap(p.registry.file("eval/report.json", in: c.commit)), file: "r")
        XCTAssertEqual(report.gates.map(\.status), [.pass])
        // The base was evaluated once and stored; a second run reuses it.
        XCTAssertEqual(p.evaluator.baseEvaluations, 1)
        try p.run(["lora_r=16"])
        XCTAssertEqual(p.evaluator.baseEvaluations, 1)
        XCTAssertEqual(try p.registry.commit("HEAD~1").id, r.commit)
    }

    func testProvenanceInsideAGitRepository() throws {
        let p = try Project()
        for args in [["init", "-q", "-b", "exp"], ["add", "configs"], ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "c"]] {
            XCTAssertEqual(try TestSupport.run("/usr/bin/git", args, cwd: p.root).status, 0)
        }
        let h = try XCTUnwrap(p.run().header.code)
        XCTAssertEqual(h.branch, "exp")
        XCTAssertFalse(h.dirty)
        XCTAssertEqual(h.commit.count, 40)
    }

    func testFailedGateCommitsAsFailedAndDeployIsRefused() throws {
        let p = try Project()
        let r = try p.run(["fake_quality=0.5"], message: "worse")
        XCTAssertEqual(r.failedGates, ["pass_rate >= 0.8"])
        let c = try p.registry.commit("HEAD")
        XCTAssertEqual(c.id, r.commit, "the evidence is committed")
        XCTAssertEqual(c.run?.gateStatus, .failed)
        XCTAssertThrowsError(try p.registry.deploy(revision: "HEAD", env: "prod")) { e in
            guard case RegistryError.gateFailed = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try p.registry.deploy(revision: "HEAD", env: "prod", force: true), "--force needs a reason")
        XCTAssertNil(try p.registry.repo.refs.resolve("refs/deploy/prod").id)
        let d = try p.registry.deploy(revision: "HEAD", env: "prod", force: true, reason: "demo only")
        XCTAssertTrue(d.forced)
        let log = try p.registry.deployHistory(env: "prod")
        XCTAssertEqual(log.count, 1)
        XCTAssertTrue(log[0].message.contains("reason: demo only") && log[0].message.contains("forced"), log[0].message)
    }

    func testInterruptedRunLeavesNoCommitAndKeepsTheCheckpoint() throws {
        let p = try Project()
        let first = try p.run()
        p.trainer.cancelAtStep = 3
        XCTAssertThrowsError(try p.run(["lora_r=4"])) { e in
            guard case RegistryError.interrupted = e else { return XCTFail("\(e)") }
        }
        XCTAssertEqual(try p.registry.repo.headCommit(), first.commit)
        let wip = try FileManager.default.contentsOfDirectory(atPath: p.registry.repo.ftxDirectory + "/runs")
        XCTAssertEqual(wip.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.registry.repo.ftxDirectory + "/runs/\(wip[0])/checkpoint/state"))
        // Interrupted at the last moment (commit object written, ref not yet moved): still no commit.
        p.trainer.cancelAtStep = nil
        p.trainer.cancelled = false
        let pipe = p.pipeline()
        pipe.beforePublish = { throw RegistryError.interrupted }
        XCTAssertThrowsError(try pipe.run(configPath: p.root.path + "/configs/lora.yaml", overrides: ["lora_r=4"]))
        XCTAssertEqual(try p.registry.repo.headCommit(), first.commit)
        XCTAssertEqual(try p.registry.queryRuns(where: nil, sort: nil, limit: nil).count, 1)
    }

    func testBadInputsStopBeforeTraining() throws {
        let p = try Project()
        func expectError(_ overrides: [String], config: String? = "configs/lora.yaml", _ check: (Error) -> Bool,
                         file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try p.run(overrides, config: config), file: file, line: line) { e in
                XCTAssertTrue(check(e), "\(e)", file: file, line: line)
            }
            XCTAssertEqual(p.trainer.calls, 0, "training must not start", file: file, line: line)
        }
        expectError([], config: "configs/missing.yaml") { ($0 as? RegistryError)?.location == "\(p.root.path)/configs/missing.yaml" }
        try p.write("configs/bad.yaml", "base_model: [unclosed\n")
        expectError([], config: "configs/bad.yaml") { ($0 as? RegistryError)?.location?.hasPrefix("\(p.root.path)/configs/bad.yaml:") == true }
        expectError(["data=../data/nope.jsonl"]) { ($0 as? RegistryError)?.location == "\(p.root.path)/data/nope.jsonl" }
        try p.write("data/broken.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{not json\n")
        expectError(["data.train=../data/broken.jsonl", "data.valid=../data/broken.jsonl"]) {
            ($0 as? RegistryError)?.location == "\(p.root.path)/data/broken.jsonl:2"
        }
        expectError(["base_model=../models/none.gguf"]) { ($0 as? RegistryError)?.message == "base model file not found" }
        expectError(["base_model=nosuchbase"]) { e in
            guard case RegistryError.base(let m, _, _) = e else { return false }
            return m.contains("nosuchbase")
        }
        expectError(["eval.gates=[\"pass_rate >>= 1\"]"]) { ($0 as? RegistryError)?.message.hasPrefix("bad eval section") == true }
        // A linked base whose bytes changed since registration is refused.
        try p.write("models/linked.gguf", "GGUF-v1")
        try BaseRegistry(registry: p.registry).add(file: p.root.path + "/models/linked.gguf", name: "linked", link: true)
        try p.write("models/linked.gguf", "GGUF-v2")
        expectError(["base_model=linked"]) { ($0 as? RegistryError)?.message.contains("no longer matches") == true }
    }
}
