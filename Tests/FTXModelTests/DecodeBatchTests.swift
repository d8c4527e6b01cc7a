import XCTest
@testable import FTXModel

/// Continuous batching (`DecodeBatch`): whatever joins or leaves the batch, and whatever prefix is
/// copied, each sequence gets the tokens and text it gets alone.
final class DecodeBatchTests: XCTestCase {
    /// Q4_1/Q8_0 weights, so the default int8 matmuls run (rows independent of the batch).
    lazy var model = Int8MatmulTests.quantizedTinyModel()
    var tok: Tokenizer { model.tokenizer }
    let greedy = GenerationParams(maxTokens: 12, stopAtEOS: false)
    let sampled = GenerationParams(maxTokens: 12, temperature: 1.3, topK: 40, topP: 0.95, repetitionPenalty: 1.1,
                                   seed: 9, stopAtEOS: false)

    /// What one sequence got: the streamed text and the result.
    struct Outcome { var streamed = ""; var result: GenerationResult? }

    /// Steps `batch` until empty; `before(step)` may add or cancel sequences between steps.
    func drive(_ batch: DecodeBatch, before: (Int) throws -> Void = { _ in }) throws -> [Int: Outcome] {
        var out: [Int: Outcome] = [:]
        var n = 0
        try before(n)
        while !batch.isEmpty {
            for e in try batch.step() {
                switch e {
                case .text(let id, let piece):
                    XCTAssertNil(out[id]?.result, "text after the end of \(id)")
                    out[id, default: Outcome()].streamed += piece
                case .finished(let id, let r):
                    XCTAssertNil(out[id]?.result, "\(id) ended twice")
                    out[id, default: Outcome()].result = r
                }
            }
            n += 1
            try before(n)
            XCTAssertLessThan(n, 500, "the batch does not drain")
            if n >= 500 { break }
        }
        return out
    }

    /// The sequence alone in its own batch (no other sequence to share with).
    func alone(_ prompt: [Int], _ params: GenerationParams, adapter: RowAdapter = .model, maxRows: Int = 1024) throws -> GenerationResult {
        let b = DecodeBatch(model: model, maxRowsPerStep: maxRows)
        try b.add(id: 0, prompt: prompt, params: params, adapter: adapter)
        return try XCTUnwrap(try drive(b)[0]?.result)
    }

    func assertSame(_ got: Outcome?, _ want: GenerationResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let r = got?.result else { return XCTFail("\(what): no result", file: file, line: line) }
        XCTAssertEqual(r.tokenIDs, want.tokenIDs, what, file: file, line: line)
        XCTAssertEqual(r.text, want.text, what, file: file, line: line)
        XCTAssertEqual(r.finishReason, want.finishReason, what, file: file, line: line)
        XCTAssertEqual(r.promptTokens, want.promptTokens, what, file: file, line: line)
        XCTAssertEqual(got?.streamed, r.text, "\(what): streamed text", file: file, line: line)
    }

    func testSequencesJoiningAndLeavingGetWhatTheyGetAlone() throws {
        // Distinct openings (no prefix to share): this is about batching alone. A 40-token prompt in
        // chunks of 16 rows joins while others decode.
        let long = tok.encode(String(repeating: "a long prompt, ", count: 3))
        XCTAssertGreaterThan(long.count, 32)
        let specs: [(prompt: [Int], params: GenerationParams, joins: Int)] = [
            (tok.encode("first prompt"), greedy, 0),
            (tok.encode("xyz sampled"), sampled, 0),
            (tok.encode("joins at step 3"), greedy, 3),
            (long, sampled, 4),
            (tok.encode("Q?"), GenerationParams(maxTokens: 4, stopAtEOS: false), 5),
        ]
        let batch = DecodeBatch(model: model, maxRowsPerStep: 16)
        var rows: [Int] = []
        let out = try drive(batch) { step in
            if step > 0 { rows.append(batch.lastStepRows) }
            for (i, s) in specs.enumerated() where s.joins == step { try batch.add(id: i, prompt: s.prompt, params: s.params) }
        }
        for (i, s) in specs.enumerated() {
            assertSame(out[i], try alone(s.prompt, s.params, maxRows: 16), "sequence \(i)")
        }
        XCTAssertEqual(batch.reusedPrefixTokens, 0)
        // 16 rows a step: the second prompt waits a step; the third joins the two decoders though
        // its 15 rows pass the budget (a step always takes one chunk).
        XCTAssertEqual(Array(rows.prefix(4)), [1, 2, 2, 3])
        XCTAssertEqual(rows.max(), specs.count, "all five decode together at some step")
    }

    func testMixedAdaptersInOneBatchEqualEachAlone() throws {
        let c = model.config
        let a = SharedAdapter(MixedAdapterTests.randomAdapter(c, seed: 11))
        let b = SharedAdapter(MixedAdapterTests.randomAdapter(c, seed: 12))
        // One prompt under every adapter: the same tokens must not share keys/values across adapters.
        let p = tok.encode("the same prompt for all")
        let adapters: [RowAdapter] = [.lora(a), .lora(b), .base, .lora(a), .model]
        let batch = DecodeBatch(model: model)
        for (i, ad) in adapters.enumerated() { try batch.add(id: i, prompt: p, params: i == 3 ? sampled : greedy, adapter: ad) }
        let out = try drive(batch)
        // Reference: the adapter as the model's own (the path checked against merged weights).
        for (i, ad) in adapters.enumerated() {
            if case .lora(let s) = ad { model.adapter = s.weights }
            defer { model.adapter = nil }
            let ref = try model.generate(prompts: [p], params: i == 3 ? sampled : greedy)[0]
            assertSame(out[i], ref, "sequence \(i)")
        }
        XCTAssertNotEqual(out[0]?.result?.tokenIDs, out[1]?.result?.tokenIDs, "the adapters matter")
        XCTAssertNotEqual(out[0]?.result?.tokenIDs, out[2]?.result?.tokenIDs, "the adapters matter")
        // Only the two sequences under adapter A share the prompt.
        XCTAssertEqual(batch.reusedPrefixTokens, p.count - 1)
    }

    /// Prompts that share a long head: added together, added later (the first still live), after
    /// it finished (from the recently finished caches), and one that continues a finished
    /// conversation (its prompt includes the generated tokens).
    func testPrefixReuseChangesNothing() throws {
        let head = "system: answer with one word, please. user: "
        let prompts = ["first prompt", "a second, longer prompt here", "3rd", "later"].map { tok.encode(head + $0) }
        func run(reuse: Bool) throws -> (out: [Int: Outcome], reused: Int) {
            let batch = DecodeBatch(model: model)
            batch.reusesPrefixes = reuse
            var out = try drive(batch) { step in
                if step == 0 {
                    try batch.add(id: 0, prompt: prompts[0], params: self.greedy)
                    try batch.add(id: 1, prompt: prompts[1], params: self.sampled)
                }
                if step == 3 { try batch.add(id: 2, prompt: prompts[2], params: self.greedy) }
            }
            // After all finished: the recently finished caches.
            try batch.add(id: 3, prompt: prompts[3], params: sampled)
            let turn = prompts[0] + out[0]!.result!.tokenIDs + tok.encode(" and then?")
            try batch.add(id: 4, prompt: turn, params: greedy)
            out.merge(try drive(batch)) { $1 }
            return (out, batch.reusedPrefixTokens)
        }
        let off = try run(reuse: false), on = try run(reuse: true)
        XCTAssertEqual(off.reused, 0)
        for i in 0..<5 { assertSame(on.out[i], off.out[i]!.result!, "sequence \(i)") }
        // 1 and 2 copy the head from 0, 3 from a finished one, 4 the first turn with its answer.
        let h = tok.encode(head).count, firstTurn = prompts[0].count + off.out[0]!.result!.tokenIDs.count
        XCTAssertGreaterThanOrEqual(on.reused, 3 * h + firstTurn - 1)
        XCTAssertEqual(off.out[1]!.result!.tokenIDs, try alone(prompts[1], sampled).tokenIDs)
    }

    func testCancelFreesTheSequenceAndNoEventFollows() throws {
        let batch = DecodeBatch(model: model)
        try batch.add(id: 1, prompt: tok.encode("to be cancelled"), params: GenerationParams(maxTokens: 50, stopAtEOS: false))
        try batch.add(id: 2, prompt: tok.encode("stays"), params: greedy)
        weak var cache = batch.sequences.first { $0.id == 1 }?.cache
        var cancelled = false
        let out = try drive(batch) { step in
            if step == 3 {
                XCTAssertEqual(batch.count, 2)
                batch.cancel(id: 1)
                cancelled = true
                XCTAssertEqual(batch.count, 1)
                XCTAssertNil(cache, "the cancelled sequence's cache is freed")
            }
        }
        XCTAssertTrue(cancelled)
        XCTAssertNil(out[1]?.result, "no end event for a cancelled sequence")
        XCTAssertEqual(out[1]?.streamed.isEmpty, false, "it streamed before the cancel")
        assertSame(out[2], try alone(tok.encode("stays"), greedy), "the other sequence")
        batch.cancel(id: 99)   // unknown: nothing happens
        XCTAssertTrue(batch.isEmpty)
    }

    /// Only digits, complete after three of them.
    final class Digits: TokenConstraint {
        let allowed: Set<Int>
        var accepted: [Int] = []
        init(_ tok: Tokenizer) { allowed = Set("0123456789".map { tok.encode(String($0))[0] }) }
        func mask(_ logits: UnsafeMutablePointer<Float>, vocab: Int) {
            for t in 0..<vocab where !allowed.contains(t) { logits[t] = -.infinity }
        }
        func accept(_ token: Int) { accepted.append(token) }
        var isComplete: Bool { accepted.count == 3 }
    }

    /// Allows nothing.
    final class Nothing: TokenConstraint {
        func mask(_ logits: UnsafeMutablePointer<Float>, vocab: Int) { (logits).update(repeating: -.infinity, count: vocab) }
        func accept(_ token: Int) {}
        var isComplete: Bool { false }
    }

    func testConstraintIsObeyedAndEndsWithStop() throws {
        let batch = DecodeBatch(model: model)
        let p = tok.encode("a number:")
        let greedyDigits = Digits(tok), sampledDigits = Digits(tok)
        try batch.add(id: 0, prompt: p, params: greedy, constraint: greedyDigits)
        try batch.add(id: 1, prompt: p, params: sampled, constraint: sampledDigits)
        try batch.add(id: 2, prompt: p, params: greedy)
        try batch.add(id: 3, prompt: p, params: greedy, constraint: Nothing())
        let out = try drive(batch)
        for (i, c) in [(0, greedyDigits), (1, sampledDigits)] {
            let r = try XCTUnwrap(out[i]?.result)
            XCTAssertEqual(r.finishReason, "stop", "sequence \(i)")
            XCTAssertEqual(r.tokenIDs, c.accepted, "sequence \(i): every token accepted")
            XCTAssertEqual(r.tokenIDs.count, 3)
            XCTAssertTrue(r.text.allSatisfy(\.isNumber) && r.text.count == 3, "sequence \(i): \(r.text)")
        }
        // Unconstrained, the model says something else: the mask made the difference.
        XCTAssertFalse(out[2]!.result!.text.prefix(3).allSatisfy(\.isNumber))
        XCTAssertEqual(out[2]!.result!.tokenIDs.count, 12)
        // A constraint that allows nothing ends the sequence at once.
        XCTAssertEqual(out[3]?.result?.finishReason, "stop")
        XCTAssertEqual(out[3]?.result?.tokenIDs, [])
    }

    func testBadPromptsThrowAndLeaveTheBatchAsItWas() throws {
        let batch = DecodeBatch(model: model)
        try batch.add(id: 1, prompt: [65, 66], params: greedy)
        XCTAssertThrowsError(try batch.add(id: 2, prompt: [], params: greedy))
        XCTAssertThrowsError(try batch.add(id: 3, prompt: Array(repeating: 65, count: model.config.contextLength), params: greedy))
        XCTAssertThrowsError(try batch.add(id: 4, prompt: [65, model.config.vocabSize], params: greedy))
        XCTAssertThrowsError(try batch.add(id: 5, prompt: [65, -1], params: greedy))
        XCTAssertThrowsError(try batch.add(id: 1, prompt: [65], params: greedy), "an id already in the batch")
        XCTAssertThrowsError(try batch.add(id: 6, prompt: [65], params: GenerationParams(maxTokens: -1)))
        XCTAssertEqual(batch.count, 1)
        // The longest prompt that fits leaves room for one token: it ends with "length".
        try batch.add(id: 7, prompt: Array(repeating: 65, count: model.config.contextLength - 1),
                      params: GenerationParams(maxTokens: 1_000_000, stopAtEOS: false))
        let out = try drive(batch)
        XCTAssertEqual(out[7]?.result?.finishReason, "length")
        XCTAssertEqual(out[7]?.result?.tokenIDs.count, 1)
        XCTAssertNotNil(out[1]?.result)
    }
}
