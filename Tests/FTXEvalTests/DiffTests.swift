import XCTest
@testable import FTXEval

/// Diff on hand-made reports with planted flips and one-sided cases; gates.
final class DiffTests: XCTestCase {
    static func report(_ passes: [(String, Bool)], name: String = "m", nll: Double? = nil, gates: [GateResult] = []) -> EvalReport {
        let cases = passes.map { id, p in
            CaseReport(id: id, prompt: "prompt \(id)", expected: "yes", output: p ? "yes" : "no", pass: p, score: p ? 1 : 0,
                       exactMatch: p, outputTokens: 1, promptTokens: 3, nll: nll.map { $0 * (p ? 1 : 2) }, scoredTokens: nll == nil ? nil : 2,
                       assertions: [AssertionResult(type: "equals", pass: p, score: p ? 1 : 0, weight: 1, reason: p ? nil : "output differs", metric: nil)])
        }
        return EvalReport(suite: .init(name: "s"), model: ModelIdentity(name: name), cases: cases,
                          metrics: EvalMetrics(cases: cases), gates: gates)
    }

    /// 100 paired cases: 10 regress (pass→fail), 2 are fixed, plus one case on each side only.
    func planted() -> (EvalReport, EvalReport) {
        var a: [(String, Bool)] = [], b: [(String, Bool)] = []
        for i in 0..<100 {
            let id = String(format: "case-%03d", i)
            let pa = i < 70, pb: Bool
            if i < 10 { pb = false } else if i >= 70 && i < 72 { pb = true } else { pb = pa }
            a.append((id, pa)); b.append((id, pb))
        }
        a.append(("only-a", true)); b.insert(("only-b", false), at: 0)
        return (Self.report(a, name: "base", nll: 1.0), Self.report(b, name: "tuned", nll: 1.0))
    }

    func testPlantedFlips() throws {
        let (a, b) = planted()
        let d = ReportDiff(a, b)
        XCTAssertEqual(d.pairedCases, 100)
        XCTAssertEqual(d.onlyInA, ["only-a"])
        XCTAssertEqual(d.onlyInB, ["only-b"])
        XCTAssertEqual(d.mcnemar.b, 10)
        XCTAssertEqual(d.mcnemar.c, 2)
        XCTAssertEqual(d.mcnemar.p, 0.0386, accuracy: 5e-5)
        XCTAssertEqual(d.regressed.map(\.id), (0..<10).map { String(format: "case-%03d", $0) })
        XCTAssertEqual(d.fixed.map(\.id), ["case-070", "case-071"])
        XCTAssertEqual(d.regressed[0].outputA, "yes")
        XCTAssertEqual(d.regressed[0].outputB, "no")
        XCTAssertEqual(d.regressed[0].failedB, ["equals: output differs"])
        XCTAssertEqual(d.regressed[0].failedA, [])
        let pr = try XCTUnwrap(d.metrics.first { $0.name == "pass_rate" })
        XCTAssertEqual(pr.a!, 0.70, accuracy: 1e-12)
        XCTAssertEqual(pr.b!, 0.62, accuracy: 1e-12)
        XCTAssertEqual(pr.delta!, -0.08, accuracy: 1e-12)
        let ci = try XCTUnwrap(pr.ci)
        XCTAssertTrue(ci.high < 0 && ci.low > -0.2, "\(ci)")
        XCTAssertTrue(pr.significant)
        // Default gate (no gates declared): a significant drop regresses.
        XCTAssertTrue(pr.regressed)
        XCTAssertTrue(d.gateRegressed)
        // Wilson intervals of the paired pass rates.
        XCTAssertEqual(d.a.passRateWilson, Statistics.wilson(successes: 70, n: 100))
        // Loss: failing cases have twice the NLL, so B's loss is higher (worse).
        let loss = try XCTUnwrap(d.metrics.first { $0.name == "loss" })
        XCTAssertEqual(loss.a!, (70 * 1.0 + 30 * 2.0) / 200, accuracy: 1e-12)
        XCTAssertGreaterThan(loss.delta!, 0)
        XCTAssertFalse(loss.higherIsBetter)
    }

    func testToleranceAndFlipGates() {
        let (a, b) = planted()
        // The drop (0.08) is significant but within a 0.1 tolerance: not a regression.
        let lenient = ReportDiff(a, b, gates: [.regression(vs: "a", maxDrop: 0.1)])
        XCTAssertFalse(lenient.gateRegressed)
        XCTAssertFalse(lenient.metrics.contains(where: \.regressed))
        let strict = ReportDiff(a, b, gates: [.regression(vs: "a", maxDrop: 0.02)])
        XCTAssertTrue(strict.gateRegressed)
        XCTAssertTrue(strict.gates[0].detail.contains("pass_rate dropped by 0.08"))
        XCTAssertTrue(ReportDiff(a, b, gates: [.regression(vs: "a", maxFlips: 9)]).gateRegressed)
        XCTAssertFalse(ReportDiff(a, b, gates: [.regression(vs: "a", maxFlips: 10)]).gateRegressed)
    }

    func testNoChangeIsNotARegression() {
        let (a, _) = planted()
        let d = ReportDiff(a, a)
        XCTAssertEqual(d.mcnemar.b, 0)
        XCTAssertEqual(d.mcnemar.p, 1)
        XCTAssertFalse(d.gateRegressed)
        XCTAssertEqual(d.metrics.first?.ci, Statistics.Interval(low: 0, high: 0))
        // A small drop that is not significant does not regress either: 1 flip of 100.
        var b = a
        b.cases[0].pass = false
        b.metrics = EvalMetrics(cases: b.cases)
        let small = ReportDiff(a, b)
        XCTAssertFalse(small.metrics[0].significant, "\(String(describing: small.metrics[0].ci))")
        XCTAssertFalse(small.gateRegressed)
    }

    func testDiffIsDeterministicAndRenders() throws {
        let (a, b) = planted()
        let d1 = try ReportDiff(a, b).jsonData(), d2 = try ReportDiff(a, b).jsonData()
        XCTAssertEqual(d1, d2)
        let text = DiffText.render(ReportDiff(a, b))
        XCTAssertTrue(text.contains("McNemar exact: 10 pass→fail, 2 fail→pass, p = 0.0386"), text)
        XCTAssertTrue(text.contains("only in A: 1: only-a"), text)
        XCTAssertTrue(text.contains("result: B REGRESSED against A (pass_rate dropped by 0.08"), text)
        let html = DiffHTML.render(ReportDiff(a, b))
        XCTAssertTrue(html.hasPrefix("<!doctype html>"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 7)  // pass_rate, exact_match, mean_score, loss, perplexity, tokens/s, assert.equals
        XCTAssertTrue(html.contains("case-009"))
        XCTAssertFalse(html.contains("<script"))
    }

    func testConfigAndDatasetChanges() throws {
        let (a, b) = planted()
        let ctx = ReportDiff.Context(
            configA: EvalJSON.parse("{\"lora_r\": 8, \"learning_rate\": 0.0002, \"data\": {\"train\": \"a.jsonl\"}, \"lora_target_modules\": [\"q\", \"v\"]}"),
            configB: EvalJSON.parse("{\"lora_r\": 16, \"learning_rate\": 0.0002, \"data\": {\"train\": \"b.jsonl\"}, \"seed\": 1, \"lora_target_modules\": [\"q\", \"v\"]}"),
            datasetsA: ["train": ["r1", "r2", "r3"], "test": ["t1"]],
            datasetsB: ["train": ["r2", "r3", "r4", "r5"], "test": ["t1"]])
        let d = ReportDiff(a, b, context: ctx)
        XCTAssertEqual(d.configChanges.map(\.key), ["data.train", "lora_r", "seed"])
        XCTAssertEqual(d.configChanges[1].a, "8")
        XCTAssertEqual(d.configChanges[1].b, "16")
        XCTAssertNil(d.configChanges[2].a)
        XCTAssertEqual(d.datasetChanges.first { $0.split == "train" }, .init(split: "train", added: 2, removed: 1, rowsA: 3, rowsB: 4))
        XCTAssertEqual(d.datasetChanges.first { $0.split == "test" }?.added, 0)
        // Configs as stored in commits (YAML).
        let ya = try ReportDiff.Context.config(yaml: "lora_r: 8\neval:\n  gates: [pass_rate >= 0.8]\n")
        let yb = try ReportDiff.Context.config(yaml: "lora_r: 8\neval:\n  gates: [pass_rate >= 0.9]\n")
        XCTAssertEqual(ConfigDiff.changes(ya, yb), [.init(key: "eval.gates", a: "[\"pass_rate >= 0.8\"]", b: "[\"pass_rate >= 0.9\"]")])
        // Against the base model (no run config) there is no key-by-key change list.
        let vsBase = ReportDiff(a, b, context: ReportDiff.Context(configA: nil, configB: ctx.configB))
        XCTAssertEqual(vsBase.configChanges, [])
    }

    func testReportRoundTripWithNonFiniteNumbersAndBadFiles() throws {
        var (a, _) = planted()
        a.cases[0].nll = .infinity
        a.metrics = EvalMetrics(cases: a.cases)
        XCTAssertEqual(a.metrics.loss, .infinity)
        let data = try a.jsonData()
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"inf\""))
        let back = try EvalReport.decode(data, file: "a.json")
        XCTAssertEqual(back.cases[0].nll, .infinity)
        XCTAssertEqual(back.metrics.loss, .infinity)
        XCTAssertEqual(back.cases, a.cases)
        XCTAssertThrowsError(try EvalReport.decode(Data("{\"format\": 1".utf8), file: "x.json")) { e in
            XCTAssertEqual((e as? EvalError)?.location, "x.json")
            XCTAssertTrue((e as? EvalError)!.message.contains("invalid JSON"), "\(e)")
        }
        var broken = String(decoding: try Self.report([("a", true)]).jsonData(), as: UTF8.self)
        broken = broken.replacingOccurrences(of: "\"pass\" : true", with: "\"pass\" : \"yes\"")
        XCTAssertThrowsError(try EvalReport.decode(Data(broken.utf8), file: "x.json")) { e in
            XCTAssertTrue((e as? EvalError)!.message.contains("wrong type at .cases[0]"), "\(e)")
        }
    }

    func testGateParsing() throws {
        XCTAssertEqual(try GateSpec.parse(expression: "pass_rate >= 0.85"), .threshold("pass_rate", .ge, 0.85))
        XCTAssertEqual(try GateSpec.parse(expression: "perplexity<=12"), .threshold("perplexity", .le, 12))
        XCTAssertEqual(try GateSpec.parse(expression: "assert.is-json > 90%"), .threshold("assert.is-json", .gt, 0.9))
        XCTAssertThrowsError(try GateSpec.parse(expression: "pass_rat >= 0.8")) { e in
            XCTAssertEqual((e as? EvalError)?.hint, "did you mean 'pass_rate'?")
        }
        XCTAssertThrowsError(try GateSpec.parse(expression: "pass_rate ~ 0.8"))
        // A misspelt operator is named as one, not read into the metric's name ("unknown metric 'pass_rate ='").
        for (expr, op, hint) in [("pass_rate => 0.8", "=>", "did you mean '>='? "), ("loss =< 2", "=<", "did you mean '<='? "),
                                 ("pass_rate != 1", "!=", ""), ("pass_rate >>= 1", ">>=", "")] {
            XCTAssertThrowsError(try GateSpec.parse(expression: expr)) { e in
                XCTAssertEqual((e as? EvalError)?.message, "gate '\(expr)': '\(op)' is not an operator")
                XCTAssertEqual((e as? EvalError)?.hint, hint + "operators: >= > <= < ==")
            }
        }
        XCTAssertEqual(try GateSpec.parse(expression: "exact_match==1"), .threshold("exact_match", .eq, 1))
        let yaml = """
        eval:
          suite: evals/suite.yaml
          gates:
            - pass_rate >= 0.85
            - perplexity <= 12
            - regression_vs: base
              max_drop: 0.02
            - regression_vs: v1
              max_flips: 3
              metric: exact_match
        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let (suite, gates) = try GateSpec.fromRunConfig(path: path)
        XCTAssertEqual(suite, "evals/suite.yaml")
        XCTAssertEqual(gates, [.threshold("pass_rate", .ge, 0.85), .threshold("perplexity", .le, 12),
                               .regression(vs: "base", maxDrop: 0.02), .regression(vs: "v1", maxFlips: 3, metrics: ["exact_match"])])
        // The section as FTXTrain keeps it (opaque YAML text).
        let section = try GateSpec.fromEvalSection(yaml: "suite: s.yaml\ngates: [pass_rate >= 0.5]\n", file: "config.yaml")
        XCTAssertEqual(section.suite, "s.yaml")
        XCTAssertEqual(section.gates, [.threshold("pass_rate", .ge, 0.5)])
        XCTAssertThrowsError(try GateSpec.fromEvalSection(yaml: "suite: s.yaml\ngate: []\n", file: "config.yaml")) { e in
            XCTAssertEqual((e as? EvalError)?.location, "config.yaml:2")
            XCTAssertEqual((e as? EvalError)?.hint, "did you mean 'gates'?")
        }
        try "eval:\n  gates:\n    - pass_rate >= 0.85\n    - regression_vs: base\n      max_dorp: 0.1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GateSpec.fromRunConfig(path: path)) { e in
            XCTAssertEqual((e as? EvalError)?.location, "\(path):5")
            XCTAssertEqual((e as? EvalError)?.hint, "did you mean 'max_drop'?")
        }
    }

    func testGateEvaluationAtEvalTime() {
        let (a, b) = planted()
        let specs: [GateSpec] = [.threshold("pass_rate", .ge, 0.65), .threshold("assert.equals", .ge, 0.5),
                                 .regression(vs: "base", maxDrop: 0.02), .threshold("loss", .le, 0.1)]
        let noBase = GateEvaluator.evaluate(specs, report: b)
        XCTAssertEqual(noBase.map(\.status), [.fail, .pass, .pending, .fail])
        XCTAssertEqual(noBase[0].value!, 62.0 / 101.0, accuracy: 1e-12)  // over all of B's cases
        let withBase = GateEvaluator.evaluate(specs, report: b, baseline: a)
        XCTAssertEqual(withBase[2].status, .fail)
        // B's declared gates drive `ftx diff` when none are given explicitly.
        var declared = b
        declared.gates = [GateResult(gate: "", spec: .regression(vs: "base", maxDrop: 0.5), status: .pending, value: nil, detail: "")]
        XCTAssertFalse(ReportDiff(a, declared).gateRegressed)
    }
}
