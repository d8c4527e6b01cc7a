import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXEval

/// A suite run end to end on a tiny random in-process model (the real engine, no download).
final class LlamaEvalModelTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-eval-llama") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func tinyModel() -> LlamaEvalModel {
        let model = LlamaModel.random(config: .tiny(), seed: 7, tokenizer: Tokenizer.tinyByteLevel())
        return LlamaEvalModel(model: model, identity: ModelIdentity(name: "tiny-random"))
    }

    func suite(batch: Int) throws -> EvalSuite {
        var rows = ""
        for i in 0..<5 {
            rows += "{\"id\": \"c\(i)\", \"messages\": [{\"role\": \"user\", \"content\": \"item \(i)\"}, {\"role\": \"assistant\", \"content\": \"ok \(i)\"}]}\n"
        }
        try rows.write(to: dir.appendingPathComponent("cases.jsonl"), atomically: true, encoding: .utf8)
        let yaml = """
        cases: cases.jsonl
        generation: {max_tokens: 6, batch_size: \(batch)}
        assert:
          - type: max-tokens
            value: 6
          - type: not-contains
            value: "<|im_end|>"
        """
        let path = dir.appendingPathComponent("suite-\(batch).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try SuiteLoader.load(path: path)
    }

    func testSuiteRunOnTinyRandomModel() throws {
        let model = tinyModel()
        let s = try suite(batch: 2)
        let r1 = try EvalRunner(suite: s, showProgress: false).run(model: model)
        XCTAssertEqual(r1.cases.count, 5)
        // The prompt went through the model's ChatML template with the generation prompt.
        XCTAssertTrue(r1.cases[0].prompt.hasSuffix("<|im_start|>user\nitem 0<|im_end|>\n<|im_start|>assistant\n"), r1.cases[0].prompt)
        for c in r1.cases {
            XCTAssertLessThanOrEqual(c.outputTokens, 6)
            XCTAssertTrue(["stop", "length"].contains(c.finishReason))
            // Byte-level tokenizer without merges: one scored token per byte of the expected output.
            XCTAssertEqual(c.scoredTokens, c.expected.utf8.count)
            XCTAssertGreaterThan(c.nll ?? 0, 0)
        }
        XCTAssertEqual(r1.metrics.assertionPassRates["max-tokens"], 1)
        let loss = try XCTUnwrap(r1.metrics.loss)
        XCTAssertEqual(r1.metrics.perplexity!, exp(loss), accuracy: 1e-9)
        XCTAssertTrue(loss.isFinite && loss > 0, "\(loss)")

        // Same model, temperature 0: the same report bytes once timings are cleared —
        // also with a different batch size (batching must not change outputs).
        let r2 = try EvalRunner(suite: s, showProgress: false).run(model: model)
        XCTAssertEqual(try r1.withoutTiming().jsonData(), try r2.withoutTiming().jsonData())
        let r3 = try EvalRunner(suite: try suite(batch: 5), showProgress: false).run(model: model)
        XCTAssertEqual(r1.cases.map(\.output), r3.cases.map(\.output))

        // The NLL matches the engine's score of prompt+expected with the expected tokens masked in.
        let tok = model.model.tokenizer
        let p = tok.encode(r1.cases[1].prompt, parseSpecial: true), e = tok.encode("ok 1", parseSpecial: false)
        let direct = try model.model.score(tokens: p + e, targetMask: [Bool](repeating: false, count: p.count) + [Bool](repeating: true, count: e.count))
        XCTAssertEqual(r1.cases[1].nll!, direct.nll, accuracy: 1e-9)
    }
}
