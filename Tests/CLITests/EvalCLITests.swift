import XCTest
import FTXTestSupport

/// `ftx diff` / `ftx eval` end to end on the built binary: exit codes, --json, --html, errors.
final class EvalCLITests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-eval-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// A minimal valid report with `passes` as its cases' verdicts.
    /// `suite` is the report's suite section (a changed one makes the reports not comparable),
    /// `gates` its gate verdicts, `nll` the per-case NLL of the expected output (one token each).
    func writeReport(_ name: String, _ passes: [Bool], suite: String = #"{"name": "s", "path": "s.yaml", "sha256": "", "cases_path": "t.jsonl", "cases_sha256": "", "generation": {}}"#,
                     gates: String = "[]", nll: Double? = nil) throws -> String {
        let cases = passes.enumerated().map { i, p in
            """
            {"id": "c\(i)", "prompt": "p\(i)", "expected": "yes", "output": "\(p ? "yes" : "no")", "pass": \(p),
             "score": \(p ? 1 : 0), "exact_match": \(p), "output_tokens": 1, "prompt_tokens": 2, "finish_reason": "stop",
             \(nll.map { "\"nll\": \($0), \"scored_tokens\": 1," } ?? "")
             "assertions": [{"type": "equals", "pass": \(p), "score": \(p ? 1 : 0), "weight": 1\(p ? "" : #", "reason": "output differs""#)}]}
            """
        }.joined(separator: ",\n")
        let n = passes.count, k = passes.filter { $0 }.count
        let json = """
        {"format": "ftx-eval-report/1",
         "suite": \(suite),
         "model": {"name": "\(name)"},
         "cases": [\(cases)],
         "metrics": {"cases": \(n), "passed": \(k), "pass_rate": \(Double(k) / Double(n)), "exact_match": \(Double(k) / Double(n)),
                     "mean_score": \(Double(k) / Double(n)), "scored_tokens": 0, "output_tokens": \(n), "assertion_pass_rates": {"equals": \(Double(k) / Double(n))}},
         "gates": \(gates),
         "timing": {}}
        """
        let path = dir.appendingPathComponent("\(name).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testDiffExitCodesJSONAndHTML() throws {
        let base = (0..<60).map { $0 < 45 }
        var worse = base
        for i in 0..<12 { worse[i] = false }  // 12 regressions, significant
        var same = base
        same[0] = false; same[50] = true     // one each way
        let a = try writeReport("base", base), b = try writeReport("worse", worse), c = try writeReport("same", same)

        let ok = try TestSupport.runFTX(["diff", a, c], cwd: dir)
        XCTAssertEqual(ok.status, 0, ok.stderr + ok.stdout)
        XCTAssertTrue(ok.stdout.contains("McNemar exact: 1 pass→fail, 1 fail→pass, p = 1.0000"), ok.stdout)

        let bad = try TestSupport.runFTX(["diff", a, b], cwd: dir)
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stdout.contains("REGRESSED"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("c0"), bad.stdout)

        // A tolerance larger than the drop (0.2) lets it through.
        XCTAssertEqual(try TestSupport.runFTX(["diff", a, b, "--max-drop", "0.25"], cwd: dir).status, 0)

        let js = try TestSupport.runFTX(["diff", a, b, "--json"], cwd: dir)
        XCTAssertEqual(js.status, 1)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])
        let mc = try XCTUnwrap(obj["mcnemar"] as? [String: Any])
        XCTAssertEqual(mc["b"] as? Int, 12)
        XCTAssertEqual(mc["c"] as? Int, 0)
        XCTAssertEqual((obj["regressed"] as? [Any])?.count, 12)
        XCTAssertEqual(obj["gate_regressed"] as? Bool, true)

        let html = dir.appendingPathComponent("d.html").path
        let h = try TestSupport.runFTX(["diff", a, b, "--html", html], cwd: dir)
        XCTAssertEqual(h.status, 1)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<svg"))
        XCTAssertTrue(page.contains("Regressed (pass → fail): 12"))
    }

    func testDiffErrors() throws {
        let a = try writeReport("a", [true, false])
        let missing = try TestSupport.runFTX(["diff", a, "HEAD"], cwd: dir)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("ftx: 'HEAD' is not a report file"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("hint:"), missing.stderr)
        let junk = dir.appendingPathComponent("junk.json").path
        try "{\"format\": \"ftx-eval-report/1\"}".write(toFile: junk, atomically: true, encoding: .utf8)
        let bad = try TestSupport.runFTX(["diff", a, junk], cwd: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("not an ftx eval report: missing key 'suite'"), bad.stderr)
    }

    static func suite(sha: String, maxTokens: Int, cases: String = "") -> String {
        #"{"name": "tickets", "path": "eval/suite.yaml", "sha256": "\#(sha)", "cases_path": "../data/test.jsonl", "cases_sha256": "\#(cases)", "#
            + #""generation": {"max_tokens": \#(maxTokens)}, "assertions": ["equals"]}"#
    }

    /// The repro of issue 16: a second report whose suite changed max_tokens 48 → 40 must not be
    /// diffed as if only the model changed; two suites with 28 and 10 cases must say so.
    func testDiffSaysFirstWhenTheSuiteChangedAndCallsNothingARegression() throws {
        let a = try writeReport("a", (0..<40).map { $0 < 30 }, suite: Self.suite(sha: "aa11", maxTokens: 48))
        let b = try writeReport("b", (0..<40).map { $0 < 10 }, suite: Self.suite(sha: "bb22", maxTokens: 40))
        let r = try TestSupport.runFTX(["diff", a, b], cwd: dir)
        XCTAssertEqual(r.status, 4, r.stderr + r.stdout)
        let suiteAt = try XCTUnwrap(r.stdout.range(of: "suite changed"), r.stdout).lowerBound
        XCTAssertLessThan(suiteAt, try XCTUnwrap(r.stdout.range(of: "pass_rate")).lowerBound, r.stdout)
        XCTAssertTrue(r.stdout.contains("generation.max_tokens: 48 → 40"), r.stdout)
        XCTAssertTrue(r.stdout.contains("sha256: aa11 → bb22"), r.stdout)
        XCTAssertTrue(r.stdout.contains("not comparable"), r.stdout)
        XCTAssertFalse(r.stdout.contains("REGRESS"), r.stdout)
        let js = try TestSupport.runFTX(["diff", a, b, "--json"], cwd: dir)
        XCTAssertEqual(js.status, 4)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((obj["suite_changes"] as? [[String: Any]])?.compactMap { $0["key"] as? String }, ["generation.max_tokens", "sha256"])
        XCTAssertEqual(obj["comparable"] as? Bool, false)

        let big = try writeReport("big", (0..<28).map { $0 % 2 == 0 }, suite: Self.suite(sha: "aa11", maxTokens: 48, cases: "c28"))
        let small = try writeReport("small", (0..<10).map { $0 % 2 == 0 }, suite: Self.suite(sha: "aa11", maxTokens: 48, cases: "c10"))
        let cases = try TestSupport.runFTX(["diff", big, small], cwd: dir)
        XCTAssertEqual(cases.status, 4, cases.stdout)
        XCTAssertTrue(cases.stdout.contains("cases: 28 → 10"), cases.stdout)
        XCTAssertTrue(cases.stdout.contains("cases_sha256: c28 → c10"), cases.stdout)
    }

    /// B better on every metric but failing its own absolute gate is not a regression against A.
    func testImprovementRegressionAndOwnGatesAreSeparateResults() throws {
        let a = try writeReport("a", (0..<50).map { $0 < 10 }, nll: 2.0)
        let gate = #"[{"gate": "pass_rate >= 0.8", "spec": {"metric": "pass_rate", "op": ">=", "value": 0.8}, "status": "fail", "value": 0.6, "detail": "pass_rate = 0.6"}]"#
        let b = try writeReport("b", (0..<50).map { $0 < 30 }, gates: gate, nll: 1.0)
        let r = try TestSupport.runFTX(["diff", a, b], cwd: dir)
        XCTAssertEqual(r.status, 3, r.stdout)
        XCTAssertFalse(r.stdout.contains("REGRESSION"), r.stdout)
        XCTAssertTrue(r.stdout.contains("result: no regression against A; B improved"), r.stdout)
        XCTAssertTrue(r.stdout.contains("B fails its own gates: pass_rate >= 0.8"), r.stdout)
        let js = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try TestSupport.runFTX(["diff", a, b, "--json"], cwd: dir).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(js["gate_regressed"] as? Bool, false)
        let v = try XCTUnwrap(js["verdict"] as? [String: Any])
        XCTAssertEqual(v["regressed_vs_a"] as? Bool, false)
        XCTAssertEqual(v["own_gates_failed"] as? Bool, true)
        XCTAssertEqual(v["improved"] as? Bool, true)

        // The page: loss fell significantly, which is better (green), not a red "significant".
        let html = dir.appendingPathComponent("d.html").path
        XCTAssertEqual(try TestSupport.runFTX(["diff", a, b, "--html", html], cwd: dir).status, 3)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let lossRow = try XCTUnwrap(page.components(separatedBy: "<tr>").first { $0.hasPrefix("<td>loss</td>") }, page)
        XCTAssertTrue(lossRow.contains("better"), lossRow)
        XCTAssertFalse(page.contains(">significant<"), page)
        XCTAssertTrue(page.contains("<b>assert.equals</b>"), "charts cover assert.* metrics")
        // The Fixed table: A's failing assertion is in A's cell.
        let fixed = try XCTUnwrap(page.components(separatedBy: "Fixed (fail → pass)").last)
        let row = try XCTUnwrap(fixed.components(separatedBy: "<tr>").first { $0.contains(">c10<") }, fixed)
        let cells = row.components(separatedBy: "<td")
        XCTAssertTrue(cells[3].contains("output differs"), row)
        XCTAssertFalse(cells[4].contains("output differs"), row)
    }

    func testEvalValidatesSuiteBeforeTouchingTheModel() throws {
        try "{\"prompt\": \"p\", \"completion\": \"c\"}\n".write(toFile: dir.appendingPathComponent("t.jsonl").path, atomically: true, encoding: .utf8)
        try "cases: t.jsonl\nassert:\n  - type: containz\n    value: x\n".write(toFile: dir.appendingPathComponent("s.yaml").path, atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["eval", "--model", "does-not-exist.gguf", "--suite", "s.yaml"], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown assertion type 'containz' (s.yaml:3)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: did you mean 'contains'?"), r.stderr)
        let rev = try TestSupport.runFTX(["eval", "HEAD", "--suite", "s.yaml"], cwd: dir)
        XCTAssertEqual(rev.status, 2)
        XCTAssertTrue(rev.stderr.contains("needs an ftx repository"), rev.stderr)
    }

    /// A billion-laughs suite is refused at the alias that crosses the node limit (it used to grow
    /// to 5.7 GB and abort on allocation).
    func testAliasBombSuiteIsAClearError() throws {
        try "{\"prompt\": \"p\", \"completion\": \"c\"}\n".write(toFile: dir.appendingPathComponent("t.jsonl").path, atomically: true, encoding: .utf8)
        try ("cases: t.jsonl\n" + TestSupport.yamlAliasBomb(under: "description"))
            .write(toFile: dir.appendingPathComponent("bomb.yaml").path, atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["eval", "--model", "does-not-exist.gguf", "--suite", "bomb.yaml"], cwd: dir)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("ftx: the YAML document expands to more than 100000 nodes"), r.stderr)
        XCTAssertTrue(r.stderr.contains("(bomb.yaml:8)"), r.stderr)
    }
}
