import Foundation
import FTXTestSupport
import XCTest

/// `ftx diff` and `ftx show` on run commits, and base names, through the built binary on the tiny
/// real GGUF project: a changed suite is said first, `show` lists what a run recorded, and a base's
/// every name (and its id) works wherever `base` does.
final class RunDiffCLITests: RegistryCLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try makeTinyProject()
    }

    func json(_ args: [String], status: Int32 = 0) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try ftx(args, status: status).stdout.utf8)) as? [String: Any])
    }

    /// A run commit's tree is what the run recorded; `show` must not read it as the project's files
    /// being deleted.
    func testShowOfARunListsWhatItRecorded() throws {
        try ftx(["add", "."])
        try ftx(["commit", "-m", "project"])
        try ftx(["run", "-c", "configs/lora.yaml", "-m", "first"])
        let show = try ftx(["show", "HEAD"]).stdout
        for deleted in ["D\tconfigs/lora.yaml", "D\tdata/all.jsonl", "D\teval/suite.yaml"] {
            XCTAssertFalse(show.contains(deleted), show)
        }
        XCTAssertTrue(show.contains("recorded by the run"), show)
        for path in ["config.yaml", "data/train.jsonl", "data/valid.jsonl", "data/test.jsonl", "adapter/adapter_model.safetensors",
                     "eval/report.json", "train/log.jsonl"] {
            XCTAssertTrue(show.contains("\n  \(path)  "), "\(path) missing:\n\(show)")
        }
        let js = try json(["show", "HEAD", "--json"])
        XCTAssertNil(js["changes"], "a run commit has no changes against the project")
        let recorded = try XCTUnwrap(js["recorded"] as? [[String: Any]]).compactMap { $0["path"] as? String }
        XCTAssertTrue(recorded.contains("train/log.jsonl") && recorded.contains("config.yaml"), "\(recorded)")
        // A plain commit still shows its changes.
        try write("notes.txt", "x\n")
        try ftx(["add", "notes.txt"])
        try ftx(["commit", "-m", "notes"])
        XCTAssertTrue(try ftx(["show", "HEAD"]).stdout.contains("A\tnotes.txt"))
    }

    /// The repro: the second run changed the suite (max_tokens 4 → 3) as well as lora_r. The diff
    /// says the suite changed before anything else and does not judge a regression.
    func testDiffOfRunsWhoseSuiteChangedSaysSoFirst() throws {
        try ftx(["run", "-c", "configs/lora.yaml", "-m", "first"])
        let suite = try String(contentsOf: dir.appendingPathComponent("eval/suite.yaml"), encoding: .utf8)
        try write("eval/suite.yaml", suite.replacingOccurrences(of: "max_tokens: 4", with: "max_tokens: 3"))
        try ftx(["run", "-c", "configs/lora.yaml", "--set", "lora_r=2", "-m", "second"])
        let d = try ftx(["diff", "HEAD~1", "HEAD"], status: 4).stdout
        let suiteAt = try XCTUnwrap(d.range(of: "suite changed"), d).lowerBound
        XCTAssertLessThan(suiteAt, try XCTUnwrap(d.range(of: "pass_rate"), d).lowerBound, d)
        XCTAssertLessThan(suiteAt, try XCTUnwrap(d.range(of: "config changes"), d).lowerBound, d)
        XCTAssertTrue(d.contains("generation.max_tokens: 4 → 3"), d)
        XCTAssertTrue(d.contains("lora_r: 4 → 2"), d)
        XCTAssertTrue(d.contains("result: not comparable"), d)
        let js = try json(["diff", "HEAD~1", "HEAD", "--json"], status: 4)
        XCTAssertTrue((js["suite_changes"] as? [[String: Any]])?.contains { $0["key"] as? String == "generation.max_tokens" } == true, "\(js)")

        // Against the base: same suite (the base report is picked by it), and the base has no
        // datasets of its own, so there is no "0 → N rows" line.
        let vsBase = try ftx(["diff", "base", "HEAD"]).stdout
        XCTAssertFalse(vsBase.contains("suite changed"), vsBase)
        XCTAssertFalse(vsBase.contains("dataset changes"), vsBase)
    }

    func testEveryNameOfABaseAndItsIdWorkWhereBaseDoes() throws {
        try ftx(["run", "-c", "configs/lora.yaml", "-m", "first"])
        let tiny = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(try ftx(["base", "list", "--json"]).stdout.utf8)) as? [[String: Any]])?.first)
        let id = try XCTUnwrap(tiny["id"] as? String)
        let refused = try ftx(["base", "rm", "tiny"], status: 2)
        XCTAssertTrue(refused.stderr.contains("used by 1 run"), refused.stderr)

        // The same bytes under a second name are the same base.
        // The same bytes under a second name are the same base (its report stored through `tiny`).
        let alias = try ftx(["base", "add", "models/tiny.gguf", "--name", "small", "--default"]).stdout
        XCTAssertTrue(alias.contains("same bytes as 'tiny'"), alias)
        for rev in ["base", "small", "tiny", String(id.prefix(12))] {
            let r = try ftx(["diff", rev, "HEAD"])
            XCTAssertTrue(r.stdout.contains("result: no regression against A"), "\(rev): \(r.stdout)")
        }
        let list = try ftx(["base", "list"]).stdout
        XCTAssertEqual(list.components(separatedBy: "\n").filter { $0.contains(String(id.prefix(12))) }.count, 1, list)
        XCTAssertTrue(list.contains("small, tiny"), list)

        // Rename and remove names; the base and its stored reports stay.
        try ftx(["base", "rename", "tiny", "tiny2"])
        try ftx(["base", "rm", "tiny2"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(try ftx(["base", "list", "--json"]).stdout.utf8)) as? [[String: Any]])?
            .compactMap { $0["name"] as? String }, ["small"])
        XCTAssertTrue(try ftx(["diff", "base", "HEAD"]).stdout.contains("result: no regression against A"))
        try ftx(["base", "rm", "small"], status: 2)
        try ftx(["base", "default", String(id.prefix(8))])
        let unknown = try ftx(["base", "default", "smollm2"], status: 2)
        XCTAssertTrue(unknown.stderr.contains("registered base models: small"), unknown.stderr)
    }

    /// The same evaluation through `--config configs/lora.yaml` (suite path `configs/../eval/suite.yaml`)
    /// and through `--suite eval/suite.yaml` with the config's gate gives the same report bytes (timing aside).
    func testReportsNameTheirSourcesByNormalisedPaths() throws {
        try ftx(["eval", "--model", "models/tiny.gguf", "--config", "configs/lora.yaml", "--out", "a.json"])
        try ftx(["eval", "--model", "models/tiny.gguf", "--suite", "eval/suite.yaml", "--gate", "pass_rate >= 0.5", "--out", "b.json"])
        func report(_ name: String) throws -> [String: Any] {
            var r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any])
            r["timing"] = nil
            return r
        }
        let a = try report("a.json"), b = try report("b.json")
        XCTAssertEqual((a["suite"] as? [String: Any])?["path"] as? String, "eval/suite.yaml")
        XCTAssertEqual((a["cases"] as? [[String: Any]])?.first?["source"] as? String, "data/all.jsonl:1")
        XCTAssertEqual(try JSONSerialization.data(withJSONObject: a, options: [.sortedKeys]),
                       try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys]))
    }

    /// `base_model: smollm2` with only `tiny` registered: the error lists what is registered.
    func testUnknownBaseNameListsTheRegisteredBases() throws {
        let config = try String(contentsOf: dir.appendingPathComponent("configs/lora.yaml"), encoding: .utf8)
        try write("configs/named.yaml", config.replacingOccurrences(of: "base_model: tiny", with: "base_model: smollm2"))
        let r = try ftx(["run", "-c", "configs/named.yaml"], status: 2)
        XCTAssertTrue(r.stderr.contains("no registered base model named 'smollm2'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("registered base models: tiny"), r.stderr)
    }
}
