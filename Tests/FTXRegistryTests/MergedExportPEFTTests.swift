import Foundation
import FTXModel
import FTXTensor
import FTXTestSupport
import FTXTrain
import XCTest
@testable import FTXRegistry

/// `ftx export --format merged-gguf` against PEFT's `merge_and_unload()`: the tiny peft_reference
/// base written as an f32 GGUF (q/k rows in llama.cpp order), merged with the adapter ftx wrote
/// into FTXTrainTests/Fixtures/peft_load/, loaded back as a model, gives PEFT's merged logits
/// (Fixtures/peft_load/peft_logits.safetensors, from scripts/peft_load_check.py).
final class MergedExportPEFTTests: XCTestCase {
    static let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/FTXTrainTests/Fixtures")

    func testMergedGGUFMatchesPEFTMergeAndUnload() throws {
        let meta = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.fixtures.appendingPathComponent("peft_reference.json"))) as? [String: Any])
        let c = try XCTUnwrap(meta["config"] as? [String: Any])
        func int(_ k: String) throws -> Int { try XCTUnwrap(c[k] as? Int, k) }
        let vocab = try int("vocab_size"), hidden = try int("hidden_size"), ffn = try int("intermediate_size")
        let layers = try int("num_layers"), heads = try int("num_heads"), kvHeads = try int("num_kv_heads"), hd = try int("head_dim")
        let st = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent("peft_reference.safetensors").path)
        func t(_ n: String) throws -> [Float] { try XCTUnwrap(st.tensors["base." + n], n).values }

        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("llama.embedding_length", .uint32(UInt32(hidden)))
        w.set("llama.block_count", .uint32(UInt32(layers)))
        w.set("llama.attention.head_count", .uint32(UInt32(heads)))
        w.set("llama.attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.set("llama.feed_forward_length", .uint32(UInt32(ffn)))
        w.set("llama.attention.key_length", .uint32(UInt32(hd)))
        w.set("llama.rope.freq_base", .float32(Float(try XCTUnwrap(c["rope_theta"] as? Double))))
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(Float(try XCTUnwrap(c["rms_norm_eps"] as? Double))))
        w.set("llama.context_length", .uint32(64))
        w.set("tokenizer.ggml.model", .string("gpt2"))
        w.set("tokenizer.ggml.tokens", .array(GGUFArray((0..<vocab).map { .string("t\($0)") })))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray((0..<vocab).map { _ in .int32(1) })))
        w.addTensor("token_embd.weight", dims: [hidden, vocab], f32: try t("model.embed_tokens.weight"))
        for l in 0..<layers {
            let p = "model.layers.\(l)."
            w.addTensor("blk.\(l).attn_norm.weight", dims: [hidden], f32: try t(p + "input_layernorm.weight"))
            w.addTensor("blk.\(l).ffn_norm.weight", dims: [hidden], f32: try t(p + "post_attention_layernorm.weight"))
            for (gguf, hf, out, inF, qkHeads) in [("attn_q", "self_attn.q_proj", heads * hd, hidden, heads),
                                                  ("attn_k", "self_attn.k_proj", kvHeads * hd, hidden, kvHeads),
                                                  ("attn_v", "self_attn.v_proj", kvHeads * hd, hidden, 0),
                                                  ("attn_output", "self_attn.o_proj", hidden, heads * hd, 0),
                                                  ("ffn_gate", "mlp.gate_proj", ffn, hidden, 0),
                                                  ("ffn_up", "mlp.up_proj", ffn, hidden, 0),
                                                  ("ffn_down", "mlp.down_proj", hidden, ffn, 0)] {
                var m = try t(p + hf + ".weight")
                if qkHeads > 0 { m = QKPermutation.hfToGGUF(m, rows: out, cols: inF, heads: qkHeads) }
                w.addTensor("blk.\(l).\(gguf).weight", dims: [inF, out], f32: m)
            }
        }
        w.addTensor("output_norm.weight", dims: [hidden], f32: try t("model.norm.weight"))
        w.addTensor("output.weight", dims: [hidden, vocab], f32: try t("lm_head.weight"))
        let dir = TestSupport.makeTempDir("ftx-merged-peft")
        defer { try? FileManager.default.removeItem(at: dir) }
        let basePath = dir.appendingPathComponent("tiny.gguf").path, out = dir.appendingPathComponent("merged.gguf").path
        try Data(w.bytes()).write(to: URL(fileURLWithPath: basePath))

        try MergedGGUF.write(basePath: basePath, peftDirectory: Self.fixtures.appendingPathComponent("peft_load").path, to: out)
        let merged = try LlamaModel.load(path: out), base = try LlamaModel.load(path: basePath)
        let ids = try XCTUnwrap(meta["input_ids"] as? [[Int]])
        func logits(_ m: LlamaModel) throws -> [Float] {
            try m.forward(ids.map { ForwardSegment(cache: KVCache(config: m.config), tokens: $0) }, logits: .all, matmuls: .exact)
        }
        let peft = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent("peft_load/peft_logits.safetensors").path)
        let reference = try XCTUnwrap(peft.tensors["merged_logits"]).values
        let tol = 1e-4 * (reference.map { abs($0) }.max() ?? 0)
        func maxDiff(_ a: [Float]) -> Float {
            XCTAssertEqual(a.count, reference.count)
            return zip(a, reference).reduce(0) { max($0, abs($1.0 - $1.1)) }
        }
        XCTAssertGreaterThan(maxDiff(try logits(base)), 1000 * tol, "merging must change the model, or this test proves nothing")
        let diff = maxDiff(try logits(merged))
        print("merged-gguf export vs PEFT merge_and_unload: max |Δlogit| \(diff), tolerance \(tol)")
        XCTAssertLessThan(diff, tol)
    }
}
