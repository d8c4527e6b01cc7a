import XCTest
import FTXTestSupport
@testable import FTXModel

/// The GGUF's ChatML template, the chat prompt's final logits, and the Japan greedy continuation.
final class ChatFixtureTests: XCTestCase {
    func testTemplateRendersReferencePrompt() throws {
        let model = try SmolLM2.model()
        let fx = try SmolLM2.json("chat.json")
        let template = try XCTUnwrap(model.chatTemplate)
        let text = try template.render(messages: [("user", "What is the capital of France?")], addGenerationPrompt: true)
        XCTAssertEqual(text, fx["text"] as! String)
        XCTAssertEqual(model.tokenizer.encode(text), fx["ids"] as! [Int])
        let sys = try template.render(messages: [("system", "Be brief."), ("user", "Hi")], addGenerationPrompt: false)
        XCTAssertEqual(sys, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    func testChatFinalLogits() throws {
        let model = try SmolLM2.model()
        let fx = try SmolLM2.json("chat.json")
        let ids = fx["ids"] as! [Int]
        let ref = try SmolLM2.floats("chat_final_logits.bin")
        let logits = try model.forward([ForwardSegment(cache: KVCache(config: model.config), tokens: ids)], logits: .last)
        XCTAssertEqual(logits.count, ref.count)
        var maxErr: Float = 0
        for i in 0..<ref.count { maxErr = max(maxErr, abs(logits[i] - ref[i])) }
        XCTAssertLessThan(maxErr, 2e-3)
        XCTAssertEqual(logits.indices.max { logits[$0] < logits[$1] }, fx["final_argmax"] as? Int)
        // Mean cross-entropy through score().
        let (nll, count) = try model.score(tokens: ids, targetMask: [false] + Array(repeating: true, count: ids.count - 1))
        XCTAssertEqual(count, ids.count - 1)
        XCTAssertEqual(nll / Double(count), fx["mean_cross_entropy_nats"] as! Double, accuracy: 1e-3)
    }

    func testJapanGreedyContinuation() throws {
        let model = try SmolLM2.model()
        let fx = try SmolLM2.json("chat_greedy_japan.json")
        let prompt = fx["prompt_ids"] as! [Int]
        XCTAssertEqual(model.tokenizer.encode(fx["prompt_text"] as! String), prompt)
        let expected = fx["greedy_ids_until_eos"] as! [Int]
        let r = try model.generate(prompts: [prompt], params: GenerationParams(maxTokens: 40))[0]
        XCTAssertEqual(r.tokenIDs + [2], expected)
        XCTAssertEqual(r.finishReason, "stop")
        XCTAssertEqual(r.text, "The capital of Japan is Tokyo.")
        // Without stopping at EOS: the 20-token reference continuation.
        let r20 = try model.generate(prompts: [prompt], params: GenerationParams(maxTokens: 20, stopAtEOS: false))[0]
        XCTAssertEqual(r20.tokenIDs, fx["greedy_ids_20_no_stop"] as! [Int])
        XCTAssertEqual(r20.text, fx["text_20"] as! String)
        XCTAssertEqual(r20.finishReason, "length")
    }

    func testDequantSamplesExact() throws {
        let model = try SmolLM2.model()
        let g = try XCTUnwrap(model.gguf)
        let fx = try SmolLM2.json("dequant_samples.json")
        for (name, anyInfo) in fx {
            let info = anyInfo as! [String: Any]
            let t = try XCTUnwrap(g.tensor(name), name)
            XCTAssertEqual(t.type.description, info["type"] as! String)
            if let rows = info["rows"] as? [String: [String: Any]] {
                let w = LinearWeight(type: t.type, data: g.pointer(t), out: t.rows, in: t.cols, owner: g.file)
                var buf = [Float](repeating: 0, count: t.cols)
                for (r, spec) in rows {
                    buf.withUnsafeMutableBufferPointer { w.row(Int(r)!, into: $0.baseAddress!) }
                    let first = (spec["first40"] as! [Double]).map(Float.init)
                    XCTAssertEqual(Array(buf.prefix(first.count)), first, "\(name) row \(r)")
                    XCTAssertEqual(buf.reduce(0.0) { $0 + Double($1) }, spec["row_sum"] as! Double, accuracy: 1e-3, "\(name) row \(r) sum")
                }
                let all = w.dequantized()
                XCTAssertEqual(all.reduce(0.0) { $0 + Double($1) }, info["total_sum"] as! Double, accuracy: 1e-2 * max(1, abs(info["total_sum"] as! Double)) * 0.01 + 1e-2)
            } else {
                var v = [Float](repeating: 0, count: t.elementCount)
                v.withUnsafeMutableBufferPointer { dequantizeRowFromGGUF(g, t, $0.baseAddress!) }
                XCTAssertEqual(Array(v.prefix(16)), (info["first16"] as! [Double]).map(Float.init))
                XCTAssertEqual(v.reduce(0.0) { $0 + Double($1) }, info["sum"] as! Double, accuracy: 1e-4)
            }
        }
    }
}

import FTXTensor
private func dequantizeRowFromGGUF(_ g: GGUFFile, _ t: GGUFTensorInfo, _ out: UnsafeMutablePointer<Float>) {
    dequantizeRow(t.type, g.pointer(t), out, count: t.elementCount)
}
