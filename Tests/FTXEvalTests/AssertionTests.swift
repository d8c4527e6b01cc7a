import XCTest
import Yams
@testable import FTXEval

/// Every assertion type with a passing and a failing output, negation, weights and thresholds.
final class AssertionTests: XCTestCase {
    func spec(_ yaml: String) throws -> AssertionSpec {
        let node = LocatedNode(yaml: try XCTUnwrap(try Yams.compose(yaml: yaml)))
        return try AssertionSpec.parse(node, file: "t.yaml") { m, l, h in .suite(m, file: "t.yaml", line: l, hint: h) }
    }

    func check(_ yaml: String, _ output: String, expected: String = "", tokens: Int = 5, latency: Double = 10,
               fields: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> AssertionResult {
        let s = try spec(yaml)
        var ctx = CaseContext(id: "c1", input: "in", expected: expected, fields: fields)
        return AssertionEvaluator.evaluate(s, output: CaseOutput(text: output, outputTokens: tokens, latencyMs: latency), context: &ctx)
    }

    func assertPasses(_ yaml: String, pass: String, fail: String, expected: String = "",
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try check(yaml, pass, expected: expected)
        XCTAssertTrue(p.pass, "\(yaml) should pass on \(pass): \(p.reason ?? "")", file: file, line: line)
        XCTAssertEqual(p.score, 1, file: file, line: line)
        let f = try check(yaml, fail, expected: expected)
        XCTAssertFalse(f.pass, "\(yaml) should fail on \(fail)", file: file, line: line)
        XCTAssertNotNil(f.reason, file: file, line: line)
        // The negated assertion flips both verdicts.
        let neg = yaml.replacingOccurrences(of: "^type: ", with: "type: not-", options: .regularExpression)
        XCTAssertFalse(try check(neg, pass, expected: expected).pass, "not- of \(yaml) on \(pass)", file: file, line: line)
        XCTAssertTrue(try check(neg, fail, expected: expected).pass, "not- of \(yaml) on \(fail)", file: file, line: line)
    }

    func testEquals() throws {
        try assertPasses("type: equals\nvalue: refund", pass: " refund\n", fail: "refunds")
        try assertPasses("type: equals", pass: "billing", fail: "shipping", expected: "billing")
        try assertPasses("type: equals\nvalue: '{{expected}}'", pass: "a b", fail: "a  b", expected: "a b")
        // A structured value compares JSON structurally (key order and spacing ignored).
        try assertPasses("type: equals\nvalue: {a: 1, b: [true, null]}", pass: "{\"b\":[true,null], \"a\":1.0}", fail: "{\"a\":1}")
    }

    func testContainsFamily() throws {
        try assertPasses("type: contains\nvalue: Refund", pass: "Refund issued", fail: "refund issued")
        try assertPasses("type: icontains\nvalue: Refund", pass: "REFUND issued", fail: "credit issued")
        try assertPasses("type: starts-with\nvalue: '{'", pass: "  {\"a\":1}", fail: "Sure! {\"a\":1}")
        try assertPasses("type: contains\nvalue: 42", pass: "the answer is 42", fail: "the answer is 41")  // scalars read as text
    }

    func testTemplateFieldsAndExpectedJSON() throws {
        let r = try check("type: contains\nvalue: 'is {{category}}'", "it is billing", fields: ["category": "billing"])
        XCTAssertTrue(r.pass)
        let missing = try check("type: contains\nvalue: '{{nope}}'", "x")
        XCTAssertFalse(missing.pass)
        XCTAssertTrue(missing.reason!.contains("{{nope}}"))
        let exp = "{\"category\": \"billing\", \"n\": 3}"
        XCTAssertTrue(try check("type: json-field\npath: $.n\nvalue: '{{expected.n}}'", "{\"n\": 3.0}", expected: exp).pass)
        XCTAssertTrue(try check("type: contains\nvalue: '{{expected.category}}'", "billing!", expected: exp).pass)
    }

    func testRegex() throws {
        try assertPasses("type: regex\nvalue: '^[A-Z]{3}-\\d+$'", pass: "ABC-123", fail: "abc-123")
    }

    func testIsJSONAndSchema() throws {
        try assertPasses("type: is-json", pass: "{\"a\": [1, 2]}", fail: "{a: 1}")
        try assertPasses("type: is-json", pass: " \"str\" ", fail: "```json\n{}\n```")
        let schema = """
        type: json-schema
        value:
          type: object
          required: [category, priority]
          properties:
            category: {type: string, enum: [billing, shipping]}
            priority: {type: integer}
            tags: {type: array, items: {type: string}}
        """
        try assertPasses(schema, pass: "{\"category\":\"billing\",\"priority\":2,\"tags\":[\"x\"]}",
                         fail: "{\"category\":\"billing\",\"priority\":2.5}")
        XCTAssertTrue(try check(schema, "{\"category\":\"other\",\"priority\":1}").reason!.contains("not one of"))
        XCTAssertTrue(try check(schema, "{\"category\":\"billing\"}").reason!.contains("priority"))
        XCTAssertTrue(try check(schema, "{\"category\":\"billing\",\"priority\":1,\"tags\":[1]}").reason!.contains("$.tags[0]"))
        // is-json with a schema value validates too.
        XCTAssertFalse(try check("type: is-json\nvalue: {type: array}", "{}").pass)
    }

    func testJSONField() throws {
        try assertPasses("type: json-field\npath: $.category\nvalue: billing", pass: "{\"category\": \"billing\"}", fail: "{\"category\": \"shipping\"}")
        // Without a value the same path of the expected output is the reference.
        let expected = "{\"ticket\": {\"category\": \"billing\"}}"
        try assertPasses("type: json-field\npath: ticket.category", pass: "{\"ticket\": {\"category\": \"billing\"}}",
                         fail: "{\"ticket\": {}}", expected: expected)
        XCTAssertTrue(try check("type: json-field\npath: items[1]\nvalue: 2", "{\"items\": [1, 2]}").pass)
        XCTAssertFalse(try check("type: json-field\npath: $.a\nvalue: 1", "not json").pass)
    }

    func testSimilar() throws {
        let r = try check("type: similar\nvalue: the cat sat on the mat\nmethod: rouge-l\nthreshold: 0.9", "the cat on the mat")
        XCTAssertTrue(r.pass)
        XCTAssertEqual(r.score, 10.0 / 11.0, accuracy: 1e-12)
        let f = try check("type: similar\nvalue: the cat sat on the mat\nmethod: rouge-l\nthreshold: 0.95", "the cat on the mat")
        XCTAssertFalse(f.pass)
        XCTAssertEqual(f.score, 10.0 / 11.0, accuracy: 1e-12)
        // Negation inverts the score as well as the verdict.
        let n = try check("type: not-similar\nvalue: the cat sat on the mat\nmethod: rouge-l\nthreshold: 0.95", "the cat on the mat")
        XCTAssertTrue(n.pass)
        XCTAssertEqual(n.score, 1 - 10.0 / 11.0, accuracy: 1e-12)
        // chrF against the expected output by default.
        XCTAssertTrue(try check("type: similar\nthreshold: 0.99", "refund issued", expected: "refund  issued").pass)
    }

    func testMaxTokensAndLatency() throws {
        XCTAssertTrue(try check("type: max-tokens\nvalue: 5", "x", tokens: 5).pass)
        XCTAssertFalse(try check("type: max-tokens\nvalue: 5", "x", tokens: 6).pass)
        XCTAssertTrue(try check("type: latency-ms\nvalue: 100", "x", latency: 99).pass)
        XCTAssertFalse(try check("type: latency-ms\nvalue: 100", "x", latency: 101).pass)
        XCTAssertTrue(try check("type: latency\nvalue: 100", "x", latency: 99).pass)  // promptfoo's name
        XCTAssertTrue(try check("type: not-max-tokens\nvalue: 5", "x", tokens: 6).pass)
    }

    func testWeightsThresholdAndMetricNames() throws {
        let suite = EvalSuite(name: "s", path: "s.yaml", sha256: "", casesPath: "", casesDeclared: "", idField: "id",
                              caseAssertField: "assert", generation: .init(), assertions: [
                                try spec("type: contains\nvalue: a\nweight: 3"),
                                try spec("type: contains\nvalue: b\nweight: 1\nmetric: has-b"),
                                try spec("type: contains\nvalue: c\nweight: 0"),
                              ], threshold: nil, limit: nil)
        let c = EvalCase(id: "x", input: "q", expected: "a")
        let out = GenerationOutput(text: "a", outputTokens: 1, promptTokens: 1, finishReason: "stop", seconds: 0)
        var r = EvalRunner.judge(c, prompt: "q", output: out, latencyMs: 0, suite: suite, nll: nil)
        // Weighted score (3·1 + 1·0) / 4; weight-0 assertion is informational.
        XCTAssertEqual(r.score, 0.75, accuracy: 1e-12)
        XCTAssertFalse(r.pass)  // no threshold: every weighted assertion must pass
        XCTAssertEqual(r.assertions.map(\.metric), [nil, "has-b", nil])
        var withThreshold = c
        withThreshold.threshold = 0.7
        r = EvalRunner.judge(withThreshold, prompt: "q", output: out, latencyMs: 0, suite: suite, nll: nil)
        XCTAssertTrue(r.pass)
        withThreshold.threshold = 0.8
        XCTAssertFalse(EvalRunner.judge(withThreshold, prompt: "q", output: out, latencyMs: 0, suite: suite, nll: nil).pass)
        let m = EvalMetrics(cases: [r])
        XCTAssertEqual(m.assertionPassRates["has-b"], 0)
        XCTAssertEqual(m.assertionPassRates["contains"], 0.5)
    }

    func testSpecErrorsNameTheLine() throws {
        func err(_ yaml: String) -> EvalError? {
            do { _ = try spec(yaml); return nil } catch { return error as? EvalError }
        }
        let e = err("value: x\ntype: containz")
        XCTAssertEqual(e?.location, "t.yaml:2")
        XCTAssertEqual(e?.hint, "did you mean 'contains'?")
        XCTAssertEqual(err("type: regex\nvalue: '([a-z'")?.location, "t.yaml:2")
        XCTAssertTrue(err("type: regex\nvalue: '([a-z'")!.message.contains("invalid regex"))
        XCTAssertTrue(err("type: json-schema\nvalue: {type: strin}")!.message.contains("strin"))
        XCTAssertEqual(err("type: json-schema\nvalue: {type: strin}")?.hint, "did you mean 'string'?")
        XCTAssertTrue(err("type: json-schema\nvalue: {type: object, minProperties: 1}")!.message.contains("minProperties"))
        XCTAssertTrue(err("type: json-field")!.message.contains("path"))
        XCTAssertTrue(err("type: json-field\npath: 'a[x]'")!.message.contains("bad JSON path"))
        XCTAssertEqual(err("type: contains\nvalue: x\nwieght: 2")?.hint, "did you mean 'weight'?")
        XCTAssertNotNil(err("type: max-tokens"))
        XCTAssertNotNil(err("type: similar\nthreshold: 2"))
    }
}
