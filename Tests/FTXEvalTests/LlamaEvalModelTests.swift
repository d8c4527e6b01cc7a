import XCTest
@testable import FTXModel
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
        // The runner scores in batches: equal to the one-sequence score up to float rounding.
        XCTAssertEqual(r1.cases[1].nll!, direct.nll, accuracy: 1e-4 * abs(direct.nll))
    }

    /// Batched scoring (several sequences per forward pass) against `score(tokens:targetMask:)` one
    /// sequence at a time: equal within 1e-4 relative, on the tiny model and (when fetched) SmolLM2.
    func checkBatchedScoring(_ model: LlamaEvalModel, file: StaticString = #filePath, line: UInt = #line) throws {
        var items: [(prompt: String, expected: String)] = []
        for i in 0..<13 {
            let prompt = "<|im_start|>system\nYou extract records as JSON, one object, no prose.<|im_end|>\n<|im_start|>user\nQuestion \(i): " + String(repeating: "word ", count: 1 + (i * 7) % 23) + "<|im_end|>\n<|im_start|>assistant\n"
            items.append((prompt, i == 4 ? "" : "{\"answer\": \(i * 37), \"label\": \"" + String(repeating: "x", count: i % 5) + "\"}"))
        }
        let one = try items.map { try model.score(prompt: $0.prompt, expected: $0.expected) }
        let batched = try model.score(batch: items)
        // Small passes too: forces several flushes and the chunked path for long sequences.
        let llama = model.model
        let tokenItems = items.compactMap { model.scoreItem(prompt: $0.prompt, expected: $0.expected) }
        let small = try llama.score(batch: tokenItems, maxRows: 40, maxLogitRows: 9)
        XCTAssertEqual(batched.count, items.count, file: file, line: line)
        XCTAssertEqual(batched[4].tokens, 0, file: file, line: line)
        let nonEmpty = one.enumerated().filter { $0.offset != 4 }.map(\.element)
        for (k, (a, b)) in zip(one, batched).enumerated() {
            XCTAssertEqual(a.tokens, b.tokens, "case \(k)", file: file, line: line)
            XCTAssertEqual(a.nll, b.nll, accuracy: 1e-4 * abs(a.nll), "case \(k)", file: file, line: line)
        }
        for (k, (a, c)) in zip(nonEmpty, small).enumerated() {
            XCTAssertEqual(a.tokens, c.count, "case \(k)", file: file, line: line)
            XCTAssertEqual(a.nll, c.nll, accuracy: 1e-4 * abs(a.nll), "case \(k)", file: file, line: line)
        }
        XCTAssertTrue(one.allSatisfy { $0.nll.isFinite }, file: file, line: line)
        // The system prompt is a shared prefix, run once for the batch.
        XCTAssertGreaterThanOrEqual(llama.sharedPrefix(tokenItems.map { ($0.tokens, $0.targetMask.firstIndex(of: true)! - 1) }), 8,
                                    file: file, line: line)
    }

    func testBatchedScoringEqualsOneByOne() throws {
        try checkBatchedScoring(tinyModel())
    }

    func testBatchedScoringEqualsOneByOneOnSmolLM2() throws {
        let path = try TestSupport.smolLM2Path()
        try checkBatchedScoring(LlamaEvalModel(model: try LlamaModel.load(path: path), identity: ModelIdentity(name: "smollm2")))
    }
}
