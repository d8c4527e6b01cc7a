import XCTest
import FTXTestSupport
@testable import FTXEval

/// Suite files: validation errors with file:line before any generation, and running a suite over
/// a fake model end to end (report contents, metrics, determinism of the bytes).
final class SuiteTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-eval") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) -> String {
        let url = dir.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let cases = """
    {"id": "t1", "messages": [{"role": "user", "content": "Refund for order 1?"}, {"role": "assistant", "content": "{\\"category\\": \\"billing\\"}"}], "category": "billing"}
    {"id": "t2", "messages": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "{\\"category\\": \\"shipping\\"}"}], "category": "shipping"}
    {"id": "t3", "messages": [{"role": "user", "content": "Cancel my plan"}, {"role": "assistant", "content": "{\\"category\\": \\"account\\"}"}], "category": "account", "assert": [{"type": "contains", "value": "account"}]}
    {"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "{\\"category\\": \\"other\\"}"}], "category": "other"}

    """

    static let suiteYAML = """
    name: tickets
    cases: data/test.jsonl
    generation:
      max_tokens: 32
      stop: ["\\n\\n"]
      system_prompt: Classify the ticket as JSON.
      batch_size: 2
    assert:
      - type: is-json
      - type: json-field
        path: $.category
        weight: 2
    """

    func expectError(_ body: () throws -> Void, location: String, contains: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        do { try body(); XCTFail("no error", file: file, line: line) } catch let e as EvalError {
            XCTAssertEqual(e.location.map { ($0 as NSString).lastPathComponent }, location, "\(e)", file: file, line: line)
            XCTAssertTrue(e.message.contains(contains), "\(e.message)", file: file, line: line)
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testValidationErrorsNameFileAndLine() throws {
        _ = write("data/test.jsonl", Self.cases)
        let bad1 = write("s1.yaml", "cases: data/test.jsonl\nassert:\n  - type: contains\n    value: x\n  - type: is-jsn\n")
        expectError({ _ = try SuiteLoader.load(path: bad1) }, location: "s1.yaml:5", contains: "unknown assertion type 'is-jsn'")
        let bad2 = write("s2.yaml", "cases: data/test.jsonl\nassert:\n  - type: regex\n    value: '[unclosed'\n")
        expectError({ _ = try SuiteLoader.load(path: bad2) }, location: "s2.yaml:4", contains: "invalid regex")
        let bad3 = write("s3.yaml", "cases: data/missing.jsonl\n")
        expectError({ _ = try SuiteLoader.load(path: bad3) }, location: "s3.yaml:1", contains: "not found")
        let bad4 = write("s4.yaml", "cases: data/test.jsonl\nassert:\n  - type: json-schema\n    value:\n      type: object\n      properties:\n        a: {type: strng}\n")
        expectError({ _ = try SuiteLoader.load(path: bad4) }, location: "s4.yaml:5", contains: "schema.properties.a.type")
        let bad5 = write("s5.yaml", "cases: data/test.jsonl\ngeneration:\n  max_tokenz: 3\n")
        expectError({ _ = try SuiteLoader.load(path: bad5) }, location: "s5.yaml:3", contains: "unknown generation key")
        let bad6 = write("s6.yaml", "cases: data/test.jsonl\nasert: []\n")
        expectError({ _ = try SuiteLoader.load(path: bad6) }, location: "s6.yaml:2", contains: "unknown key 'asert'")
        let bad7 = write("s7.yaml", "cases: [unclosed\n")
        expectError({ _ = try SuiteLoader.load(path: bad7) }, location: "s7.yaml:2", contains: "not valid YAML")
        // A billion-laughs suite is refused at the alias that crosses the node limit, not expanded.
        let bomb = write("bomb.yaml", "cases: data/test.jsonl\n" + TestSupport.yamlAliasBomb(under: "description"))
        expectError({ _ = try SuiteLoader.load(path: bomb) }, location: "bomb.yaml:8", contains: "expands to more than 100000 nodes")
        // A bad per-case assertion names the JSONL line.
        _ = write("data/bad.jsonl", Self.cases + "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}], \"assert\": [{\"type\": \"containz\", \"value\": \"x\"}]}\n")
        let s8 = write("s8.yaml", "cases: data/bad.jsonl\n")
        expectError({ _ = try CaseLoader.load(suite: try SuiteLoader.load(path: s8)) }, location: "bad.jsonl:5", contains: "containz")
    }

    func testSuiteRunOnFakeModel() throws {
        _ = write("data/test.jsonl", Self.cases)
        let suite = try SuiteLoader.load(path: write("suite.yaml", Self.suiteYAML))
        XCTAssertEqual(suite.generation.maxTokens, 32)
        XCTAssertEqual(suite.generation.stop, ["\n\n"])
        let model = FakeEvalModel(answers: [("Refund", "{\"category\": \"billing\"}\n\nextra"),
                                            ("parcel", "{\"category\": \"billing\"}"),
                                            ("Cancel", "{\"category\": \"account\"}")])
        let runner = EvalRunner(suite: suite, gates: [try GateSpec.parse(expression: "pass_rate >= 0.5"),
                                                      try GateSpec.parse(expression: "perplexity <= 2")], showProgress: false)
        let report = try runner.run(model: model)
        XCTAssertEqual(model.calls.map(\.count), [2, 2])  // batched in chunks of batch_size
        XCTAssertEqual(report.cases.map(\.id).prefix(3), ["t1", "t2", "t3"])
        XCTAssertEqual(report.cases[3].id.count, 64)  // no id field: the content hash
        XCTAssertEqual(report.cases[0].prompt, "<|system|>Classify the ticket as JSON.<|user|>Refund for order 1?<|assistant|>")
        XCTAssertEqual(report.cases[0].output, "{\"category\": \"billing\"}")  // cut at the stop string
        XCTAssertEqual(report.cases.map(\.pass), [true, false, true, false])
        XCTAssertEqual(report.cases[2].assertions.count, 3)  // suite's two + the row's own
        XCTAssertEqual(report.cases[1].score, 1.0 / 3.0, accuracy: 1e-12)  // is-json 1·1, json-field 2·0
        XCTAssertEqual(report.metrics.passRate, 0.5)
        XCTAssertEqual(report.metrics.exactMatch, 0.5)
        XCTAssertEqual(report.metrics.assertionPassRates["json-field"], 0.5)
        XCTAssertEqual(report.metrics.assertionPassRates["is-json"], 0.75)
        XCTAssertNotNil(report.metrics.perplexity)
        XCTAssertEqual(report.gates.map(\.status), [.pass, .fail])
        let summary = EvalSummary.render(report)
        XCTAssertTrue(summary.contains("t2: $.category is \"billing\", expected \"shipping\" (json-field)"), summary)
        XCTAssertTrue(summary.contains("output is not valid JSON (is-json, json-field)"), summary)
        XCTAssertEqual(report.timing.caseLatencyMs.count, 4)
        XCTAssertEqual(report.cases[0].source.map { ($0 as NSString).lastPathComponent }, "test.jsonl:1")

        // Same model, same suite: identical bytes once the timing section is cleared.
        let again = try runner.run(model: FakeEvalModel(answers: model.answers.map { ($0.needle, $0.answer) }))
        XCTAssertNotEqual(try report.jsonData(), try again.jsonData())  // latencies differ
        XCTAssertEqual(try report.withoutTiming().jsonData(), try again.withoutTiming().jsonData())
        // And the report reads back to the same value.
        let path = dir.appendingPathComponent("report.json").path
        try report.write(to: path)
        XCTAssertEqual(try EvalReport.read(path: path), report)
    }

    func testChatTemplateOffAndLimit() throws {
        _ = write("data/test.jsonl", Self.cases)
        let suite = try SuiteLoader.load(path: write("s.yaml", "cases: data/test.jsonl\nlimit: 2\ngeneration: {chat_template: false}\n"))
        let model = FakeEvalModel()
        let r = try EvalRunner(suite: suite, showProgress: false).run(model: model)
        XCTAssertEqual(r.cases.count, 2)
        XCTAssertEqual(r.cases[0].prompt, "user: Refund for order 1?")
        // No assertions anywhere: the default is equals {{expected}}.
        XCTAssertEqual(r.cases[0].assertions.map(\.type), ["equals"])
    }

    func testDuplicateIdsAreAnError() throws {
        _ = write("data/dup.jsonl", "{\"id\": \"a\", \"prompt\": \"x\", \"completion\": \"y\"}\n{\"id\": \"a\", \"prompt\": \"z\", \"completion\": \"w\"}\n")
        let suite = try SuiteLoader.load(path: write("d.yaml", "cases: data/dup.jsonl\n"))
        expectError({ _ = try CaseLoader.load(suite: suite) }, location: "dup.jsonl:2", contains: "duplicate case id 'a'")
    }

    /// The same evaluation reached through `configs/../eval/suite.yaml` (as `ftx eval --config`
    /// joins paths) gives the same bytes as through `eval/suite.yaml`.
    func testReportsNameTheirSourcesByNormalisedPaths() throws {
        _ = write("data/test.jsonl", Self.cases)
        _ = write("eval/suite.yaml", Self.suiteYAML.replacingOccurrences(of: "cases: data/test.jsonl", with: "cases: ../data/test.jsonl"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("configs"), withIntermediateDirectories: true)
        let plain = dir.path + "/eval/suite.yaml", winding = dir.path + "/configs/../eval/suite.yaml"
        func run(_ path: String) throws -> EvalReport {
            try EvalRunner(suite: SuiteLoader.load(path: path), showProgress: false).run(model: FakeEvalModel()).withoutTiming()
        }
        let direct = try run(plain), roundabout = try run(winding)
        XCTAssertEqual(roundabout.suite.path, plain)
        XCTAssertEqual(roundabout.cases[0].source, dir.path + "/data/test.jsonl:1")
        XCTAssertEqual(String(decoding: try roundabout.jsonData(), as: UTF8.self), String(decoding: try direct.jsonData(), as: UTF8.self))
        // The suite-level assertions are recorded, so a diff can say which changed.
        XCTAssertEqual(direct.suite.assertions, ["is-json", "json-field path=$.category weight=2"])
    }
}

