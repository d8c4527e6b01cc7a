import XCTest
@testable import FTXEval

/// The one-pass report scanner (the fast path of `EvalReport.decode`) against the tree reader:
/// equal reports on well-formed documents (escapes, non-ASCII, non-finite numbers, nulls, unknown
/// and duplicate keys, odd spacing), and no answer at all on malformed ones, so the tree reader's
/// error message is what the user sees.
final class ReportScannerTests: XCTestCase {
    func sample() -> EvalReport {
        var cases: [CaseReport] = []
        for i in 0..<40 {
            let p = i % 3 != 0
            cases.append(CaseReport(
                id: "case-\(i)", prompt: "Ticket \(i): \"quoted\"\n\ttab, ünïcødé 🎉, back\\slash, \u{1}ctl",
                expected: #"{"category": "billing"}"#, output: p ? "ok" : "", pass: p, score: p ? 1 : Double(i) / 7,
                threshold: i % 4 == 0 ? 0.5 : nil, exactMatch: i % 2 == 0, outputTokens: i, promptTokens: 30 + i,
                finishReason: i % 5 == 0 ? "length" : "stop",
                nll: i == 3 ? .infinity : (i == 4 ? -.infinity : (i == 6 ? .nan : (i % 7 == 0 ? nil : 1.0 / Double(i + 1)))),
                scoredTokens: i % 7 == 0 ? nil : 12, assertions: [
                    AssertionResult(type: "is-json", pass: true, score: 1, weight: 1, reason: nil, metric: nil),
                    AssertionResult(type: "similar", pass: p, score: 0.123456789012345678, weight: 2.5,
                                    reason: p ? nil : "chrF 0.4 < 0.8", metric: "chrf"),
                ], source: i % 2 == 0 ? "data/test.jsonl:\(i + 1)" : nil))
        }
        var r = EvalReport(suite: .init(name: "s", path: "eval/suite.yaml"), model: ModelIdentity(name: "m", sha256: "ab"),
                           cases: cases, metrics: EvalMetrics(cases: cases),
                           gates: [GateResult(gate: "pass_rate >= 0.5", spec: .threshold("pass_rate", .ge, 0.5), status: .pass, value: 0.6, detail: "x")])
        r.timing.caseLatencyMs = (0..<40).map { Double($0) * 1.5 }
        return r
    }

    func both(_ text: String) -> (fast: EvalReport?, tree: Result<EvalReport, Error>) {
        let data = Data(text.utf8)
        return (ReportScanner.decode(data), Result { try ReportReader.decodeTree(data) })
    }

    /// Reports are compared through their JSON (NaN != NaN would fail a plain ==).
    func assertSame(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (fast, tree) = both(text)
        let t = try tree.get()
        let f = try XCTUnwrap(fast, "scanner gave up on a well-formed report: \(ReportScanner.diagnose(Data(text.utf8)) ?? "")", file: file, line: line)
        XCTAssertEqual(try f.jsonData(), try t.jsonData(), file: file, line: line)
    }

    func testScannerEqualsTreeReader() throws {
        let json = String(decoding: try sample().jsonData(), as: UTF8.self)
        try assertSame(json)
        // Compact spacing, escaped solidus and \u escapes (surrogate pair), unknown and duplicate keys.
        let compact = json.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " : ", with: ":")
        try assertSame(compact)
        try assertSame(json.replacingOccurrences(of: "\"id\" : \"case-1\",", with: "\"id\" : \"case\\/1\\u00e9\\ud83c\\udf89\", \"extra\" : [1, {\"x\" : null}, true],"))
        try assertSame(json.replacingOccurrences(of: "\"id\" : \"case-2\",", with: "\"id\" : \"first\", \"id\" : \"case-2\","))
        try assertSame(json.replacingOccurrences(of: "\"format\" :", with: "\"zzz\" : {\"a\" : [1.5e3, -0.0]}, \"format\" :"))
        try assertSame(json.replacingOccurrences(of: "\"prompt_tokens\" : 31", with: "\"prompt_tokens\" : 3.1e1"))
        // The real file: a report written by `ftx eval`, through the public entry point.
        XCTAssertEqual(try EvalReport.decode(Data(json.utf8), file: "a.json").cases.count, 40)
    }

    func testMalformedReportsFallBackToTheTreeReadersMessage() throws {
        let json = String(decoding: try sample().jsonData(), as: UTF8.self)
        let broken = [
            json.replacingOccurrences(of: "\"pass\" : true", with: "\"pass\" : \"yes\""),
            json.replacingOccurrences(of: "\"output_tokens\" : 3,", with: "\"output_tokens\" : \"nan\","),
            json.replacingOccurrences(of: "\"exact_match\" : true,", with: ""),
            json.replacingOccurrences(of: "\"type\" : \"is-json\",", with: ""),
            json.replacingOccurrences(of: "\"score\" : 1,", with: "\"score\" : 1.,"),
            json.replacingOccurrences(of: "\"model\" :", with: "\"modell\" :"),
            json + "x",
            String(json.dropLast(3)),
            json.replacingOccurrences(of: "case-5", with: "case\u{1}5"),
            json.replacingOccurrences(of: "case-5", with: "case\\q5"),
            json.replacingOccurrences(of: "true", with: "tru"),
        ]
        for (k, text) in broken.enumerated() {
            let (fast, tree) = both(text)
            XCTAssertNil(fast, "case \(k): the scanner accepted a malformed report")
            XCTAssertThrowsError(try tree.get(), "case \(k)")
            XCTAssertThrowsError(try EvalReport.decode(Data(text.utf8), file: "x.json"), "case \(k)") { e in
                XCTAssertTrue((e as? EvalError)?.message.hasPrefix("not an ftx eval report: ") == true, "\(e)")
            }
        }
        // A count that is not a count is a wrong value, not a crash.
        XCTAssertThrowsError(try EvalReport.decode(Data(broken[1].utf8), file: "x.json")) { e in
            XCTAssertTrue((e as? EvalError)!.message.contains("wrong type at .cases[3].output_tokens"), "\(e)")
        }
    }
}
