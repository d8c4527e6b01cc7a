import Foundation
@testable import FTXEval

/// Eval report JSON (`ftx diff`, `ftx eval --baseline`, registry reads). Properties: the one-pass
/// scanner and the tree reader agree (the scanner may give up, never disagree), and a decoded
/// report writes JSON that decodes to the same report.
enum ReportTarget {
    static let target = FuzzTarget(name: "report", run: run, seeds: seeds)

    static func run(_ data: Data) {
        if let fast = ReportScanner.decode(data) {
            guard let tree = try? ReportReader.decodeTree(data) else {
                FuzzCheck.fail("the scanner accepts a report the tree reader rejects")
            }
            if (try? fast.jsonData()) != (try? tree.jsonData()) { FuzzCheck.fail("the scanner and the tree reader disagree") }
        }
        guard let report = attempt({ try EvalReport.decode(data, file: "fuzz.json") }) else { return }
        guard let json = try? report.jsonData() else { FuzzCheck.fail("a decoded report cannot be written") }
        guard let back = try? EvalReport.decode(json, file: "again.json"), (try? back.jsonData()) == json else {
            FuzzCheck.fail("a decoded report does not read back equal once written")
        }
        // `ftx diff` against a fixed baseline (a few resamples keep it quick).
        let diff = ReportDiff(baseline, report, bootstrap: PairedBootstrap(resamples: 50))
        _ = DiffText.render(diff)
        _ = DiffHTML.render(diff)
    }

    static let baseline: EvalReport = {
        do { return try EvalReport.decode(try seeds()[0].bytes, file: "baseline.json") } catch { fatalError("report target: \(error)") }
    }()

    /// A small report with every optional field used, and the same without timing.
    static func seeds() throws -> [(name: String, bytes: Data)] {
        let cases = (0..<3).map { i in
            CaseReport(id: "case-\(i)", prompt: "Ticket \(i): \"q\"\n\tü 🎉", expected: #"{"category": "billing"}"#,
                       output: i == 1 ? "" : "ok", pass: i != 1, score: Double(i) / 3, threshold: i == 0 ? 0.5 : nil,
                       exactMatch: i == 2, outputTokens: i, promptTokens: 10 + i, finishReason: i == 2 ? "length" : "stop",
                       nll: i == 0 ? .infinity : (i == 1 ? .nan : 0.25), scoredTokens: i == 1 ? nil : 4,
                       assertions: [AssertionResult(type: "similar", pass: i != 1, score: 0.8, weight: 2, reason: i == 1 ? "low" : nil, metric: "chrf")],
                       source: "cases.jsonl:\(i + 1)")
        }
        var r = EvalReport(suite: .init(name: "s", path: "eval/suite.yaml"), model: ModelIdentity(name: "m.gguf", sha256: "ab", adapter: "ad", adapterSHA256: "cd"),
                           cases: cases, metrics: EvalMetrics(cases: cases),
                           gates: [GateResult(gate: "pass_rate >= 0.5", spec: .threshold("pass_rate", .ge, 0.5), status: .pass, value: 0.6, detail: "x")])
        r.timing.caseLatencyMs = [1, 2.5, 3]
        return [("three-cases", try r.jsonData()), ("three-cases-no-timing", try r.withoutTiming().jsonData())]
    }
}
