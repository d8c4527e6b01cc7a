import XCTest
@testable import FTXEval

/// What `ftx diff` concludes: the suite is part of what is compared; regression against A, B's own
/// gates and improvement are separate verdicts; each side's failing assertions stay with its own
/// output; the HTML colours by better/worse; dataset counts add up.
final class DiffVerdictTests: XCTestCase {
    typealias R = DiffTests

    /// A report whose suite records `maxTokens` and the given suite-level assertions.
    func report(_ passes: [(String, Bool)], sha: String = "s1", cases: String = "c1", maxTokens: Int = 48,
                assertions: [String]? = ["is-json"], gates: [GateResult] = []) -> EvalReport {
        var r = R.report(passes, nll: 1.0, gates: gates)
        var g = EvalSuite.Generation()
        g.maxTokens = maxTokens
        r.suite = .init(name: "suite", path: "eval/suite.yaml", sha256: sha, casesPath: "../data/test.jsonl",
                        casesSHA256: cases, generation: g, assertions: assertions)
        return r
    }

    func ids(_ n: Int, passing: (Int) -> Bool) -> [(String, Bool)] {
        (0..<n).map { (String(format: "c%03d", $0), passing($0)) }
    }

    func testChangedSuiteIsListedFirstKeyByKeyAndMarksMetricsNotComparable() throws {
        let a = report(ids(40) { $0 < 30 })
        let b = report(ids(40) { $0 < 10 }, sha: "s2", maxTokens: 40, assertions: ["is-json", "json-field path=$.category"])
        let d = ReportDiff(a, b)
        XCTAssertEqual(d.suiteChanges.map(\.key), ["assert", "generation.max_tokens", "sha256"])
        XCTAssertEqual(d.suiteChanges[0].a, nil)
        XCTAssertEqual(d.suiteChanges[0].b, "json-field path=$.category")
        XCTAssertEqual(d.suiteChanges[1].a, "48")
        XCTAssertEqual(d.suiteChanges[1].b, "40")
        XCTAssertFalse(d.comparable)
        // Outputs were generated differently: every output-based metric is not comparable; the
        // loss of the expected outputs does not depend on max_tokens or on the assertions.
        XCTAssertEqual(d.metrics.filter { !$0.comparable }.map(\.name), ["pass_rate", "exact_match", "mean_score", "tokens_per_second"])
        XCTAssertTrue(d.assertionMetrics.allSatisfy { !$0.comparable })
        // A 20-point drop under a different suite is not judged a regression.
        XCTAssertFalse(d.metrics.contains(where: \.regressed))
        XCTAssertFalse(d.verdict.regressedVsA)
        XCTAssertFalse(d.gateRegressed)
        XCTAssertEqual(d.gates.first { $0.spec.isRegression }?.status, .pending)

        let text = DiffText.render(d)
        let suiteAt = try XCTUnwrap(text.range(of: "suite changed"), text).lowerBound
        let tableAt = try XCTUnwrap(text.range(of: "metric "), text).lowerBound
        XCTAssertLessThan(suiteAt, tableAt, "the suite change comes before the metrics:\n\(text)")
        XCTAssertTrue(text.contains("generation.max_tokens: 48 → 40"), text)
        XCTAssertTrue(text.contains("assert: (absent) → json-field path=$.category"), text)
        XCTAssertTrue(text.contains("not comparable"), text)
        XCTAssertFalse(text.contains("REGRESS"), text)
        XCTAssertTrue(text.contains("result: not comparable"), text)

        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: d.jsonData()) as? [String: Any])
        XCTAssertEqual((json["suite_changes"] as? [[String: Any]])?.compactMap { $0["key"] as? String },
                       ["assert", "generation.max_tokens", "sha256"])
        XCTAssertEqual(json["comparable"] as? Bool, false)
        XCTAssertEqual((json["metrics"] as? [[String: Any]])?.first?["comparable"] as? Bool, false)
        XCTAssertEqual((json["verdict"] as? [String: Any])?["comparable"] as? Bool, false)
    }

    func testDifferentCaseFilesAreASuiteChange() {
        let a = report(ids(28) { $0 % 2 == 0 })
        let b = report(ids(10) { $0 % 2 == 0 }, cases: "c2")
        let d = ReportDiff(a, b)
        XCTAssertEqual(d.suiteChanges.map(\.key), ["cases", "cases_sha256"])
        XCTAssertEqual(d.suiteChanges[0].a, "28")
        XCTAssertEqual(d.suiteChanges[0].b, "10")
        XCTAssertFalse(d.comparable)
        XCTAssertTrue(d.metrics.allSatisfy { !$0.comparable })
        XCTAssertTrue(DiffText.render(d).contains("cases: 28 → 10"))
    }

    func testSameSuiteIsComparableAndAnEditThatChangesNothingRecordedIsToo() {
        let a = report(ids(20) { $0 < 10 })
        XCTAssertEqual(ReportDiff(a, a).suiteChanges, [])
        XCTAssertTrue(ReportDiff(a, a).comparable)
        // A comment edit: the file hash changes, every recorded setting is the same.
        let b = report(ids(20) { $0 < 10 }, sha: "s2")
        let d = ReportDiff(a, b)
        XCTAssertEqual(d.suiteChanges.map(\.key), ["sha256"])
        XCTAssertTrue(d.comparable)
        XCTAssertTrue(d.metrics.allSatisfy(\.comparable))
        // Reports that do not record their assertions: a new hash may hide anything.
        let old = report(ids(20) { $0 < 10 }, assertions: nil), oldB = report(ids(20) { $0 < 10 }, sha: "s2", assertions: nil)
        XCTAssertFalse(ReportDiff(old, oldB).comparable)
    }

    func testImprovementRegressionAndOwnGatesAreSeparateVerdicts() throws {
        let a = report(ids(50) { $0 < 10 })
        let failing = GateResult(gate: "pass_rate >= 0.8", spec: .threshold("pass_rate", .ge, 0.8), status: .fail, value: 0.6, detail: "pass_rate = 0.6")
        let b = report(ids(50) { $0 < 30 }, gates: [failing])
        let d = ReportDiff(a, b)
        XCTAssertTrue(d.metrics.first { $0.name == "pass_rate" }!.significant)
        XCTAssertEqual(d.metrics.first { $0.name == "pass_rate" }?.direction, .better)
        XCTAssertFalse(d.verdict.regressedVsA)
        XCTAssertFalse(d.gateRegressed)
        XCTAssertTrue(d.verdict.ownGatesFailed)
        XCTAssertEqual(d.verdict.failedOwnGates, ["pass_rate >= 0.8"])
        XCTAssertTrue(d.verdict.improved)
        let text = DiffText.render(d)
        XCTAssertFalse(text.contains("REGRESSION"), text)
        XCTAssertTrue(text.contains("result: no regression against A; B improved"), text)
        XCTAssertTrue(text.contains("B fails its own gates: pass_rate >= 0.8"), text)
        let html = DiffHTML.render(d)
        XCTAssertFalse(html.contains("REGRESSION"), html)
        XCTAssertTrue(html.contains("B fails its own gates"), html)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: d.jsonData()) as? [String: Any])
        let v = try XCTUnwrap(json["verdict"] as? [String: Any])
        XCTAssertEqual(v["regressed_vs_a"] as? Bool, false)
        XCTAssertEqual(v["own_gates_failed"] as? Bool, true)
        XCTAssertEqual(v["improved"] as? Bool, true)

        // The other way round: B regressed against A and passes its own (lenient) gate.
        let lenient = GateResult(gate: "pass_rate >= 0.1", spec: .threshold("pass_rate", .ge, 0.1), status: .pass, value: 0.2, detail: "")
        let worse = ReportDiff(report(ids(50) { $0 < 30 }), report(ids(50) { $0 < 10 }, gates: [lenient]))
        XCTAssertTrue(worse.verdict.regressedVsA)
        XCTAssertFalse(worse.verdict.ownGatesFailed)
        XCTAssertTrue(DiffText.render(worse).contains("result: B REGRESSED against A"))
    }

    func testFlippedCasesKeepEachSidesFailingAssertionsWithItsOutput() throws {
        func verdicts(_ id: String, _ pass: Bool, side: String) -> CaseReport {
            CaseReport(id: id, prompt: "p", expected: "yes", output: "output of \(side)", pass: pass, score: pass ? 1 : 0, exactMatch: pass,
                       assertions: [AssertionResult(type: "equals", pass: pass, score: pass ? 1 : 0, weight: 1,
                                                    reason: pass ? nil : "\(side) differs", metric: nil)])
        }
        let a = EvalReport(suite: .init(name: "s"), model: .init(name: "m"), cases: [verdicts("fix", false, side: "A"), verdicts("reg", true, side: "A")], metrics: EvalMetrics(cases: []))
        let b = EvalReport(suite: .init(name: "s"), model: .init(name: "m"), cases: [verdicts("fix", true, side: "B"), verdicts("reg", false, side: "B")], metrics: EvalMetrics(cases: []))
        let d = ReportDiff(a, b)
        XCTAssertEqual(d.fixed.first?.failedA, ["equals: A differs"])
        XCTAssertEqual(d.fixed.first?.failedB, [])
        XCTAssertEqual(d.regressed.first?.failedA, [])
        XCTAssertEqual(d.regressed.first?.failedB, ["equals: B differs"])

        // Text: the ✗ line follows the output it belongs to.
        let lines = DiffText.render(d).components(separatedBy: "\n")
        let fixedTitle = try XCTUnwrap(lines.firstIndex(of: "fixed (fail → pass): 1"), lines.joined(separator: "\n"))
        let fixedA = try XCTUnwrap(lines[fixedTitle...].firstIndex { $0.contains("A:") && $0.contains("output of A") })
        XCTAssertTrue(lines[fixedA + 1].contains("✗ equals: A differs"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines[fixedA + 2].contains("B:"), lines.joined(separator: "\n"))

        // HTML: A's failing assertion sits in the A cell of the Fixed table, not under B.
        let html = DiffHTML.render(d)
        let fixedTable = try XCTUnwrap(html.components(separatedBy: "Fixed (fail → pass)").last)
        let row = try XCTUnwrap(fixedTable.components(separatedBy: "<tr>").first { $0.contains(">fix<") })
        let cells = row.components(separatedBy: "<td")
        XCTAssertEqual(cells.count, 5, row)  // "", case, prompt/expected, A, B
        XCTAssertTrue(cells[3].contains("output of A") && cells[3].contains("A differs"), row)
        XCTAssertFalse(cells[4].contains("differs"), row)
    }

    func testHTMLColoursAndLabelsByDirectionAndChartsAssertions() throws {
        // B's loss is far lower on every case: a significant improvement of a lower-is-better metric.
        var a = report(ids(40) { _ in true }), b = a
        for i in a.cases.indices { a.cases[i].nll = 3.0; b.cases[i].nll = 1.0 }
        a.metrics = EvalMetrics(cases: a.cases); b.metrics = EvalMetrics(cases: b.cases)
        let d = ReportDiff(a, b)
        let loss = try XCTUnwrap(d.metrics.first { $0.name == "loss" })
        XCTAssertTrue(loss.significant)
        XCTAssertEqual(loss.direction, .better)
        let html = DiffHTML.render(d)
        let lossRow = try XCTUnwrap(html.components(separatedBy: "<tr>").first { $0.hasPrefix("<td>loss</td>") })
        XCTAssertTrue(lossRow.contains("better"), lossRow)
        XCTAssertFalse(lossRow.contains(">significant<"), lossRow)
        let lossChart = try XCTUnwrap(html.components(separatedBy: "<div class=\"chart\">").first { $0.hasPrefix("<b>loss</b>") })
        XCTAssertFalse(lossChart.contains(DiffHTML.worseColour), lossChart)
        XCTAssertTrue(lossChart.contains(DiffHTML.betterColour), lossChart)
        // A significant rise in loss is drawn as worse.
        let reverse = DiffHTML.render(ReportDiff(b, a))
        let worseChart = try XCTUnwrap(reverse.components(separatedBy: "<div class=\"chart\">").first { $0.hasPrefix("<b>loss</b>") })
        XCTAssertTrue(worseChart.contains(DiffHTML.worseColour), worseChart)
        // One chart per metric, assert.* included.
        XCTAssertTrue(html.contains("<b>assert.equals</b>"), html)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, d.metrics.count + d.assertionMetrics.count)
    }

    func testDatasetCountsAddUpAndTheBaseHasNone() {
        let a = report(ids(10) { $0 < 5 }), b = report(ids(10) { $0 < 6 })
        let ctx = ReportDiff.Context(configA: nil, configB: nil,
                                     datasetsA: ["train": ["r1", "r1", "r2"]], datasetsB: ["train": ["r1", "r2", "r2", "r3", "r3"]])
        let c = ReportDiff(a, b, context: ctx).datasetChanges[0]
        XCTAssertEqual(c.rowsB - c.rowsA, c.added - c.removed, "\(c)")
        XCTAssertEqual(c, .init(split: "train", added: 3, removed: 1, rowsA: 3, rowsB: 5))
        // Against the base model (no datasets of its own) there are no dataset changes to list.
        let vsBase = ReportDiff(a, b, context: .init(datasetsA: nil, datasetsB: ["train": ["r1", "r2"]]))
        XCTAssertEqual(vsBase.datasetChanges, [])
    }
}
