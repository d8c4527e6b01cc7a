import Foundation
import XCTest
import FTXTestSupport
@testable import FTXModel

/// Qwen2, Qwen3, Llama 3 (frequency-scaled RoPE), Gemma 3 and Phi-3: tiny random-weight models made by
/// transformers from each family's real config shape, converted by llama.cpp's convert_hf_to_gguf.py,
/// against transformers' float64 logits and hidden states (Fixtures/arch, scripts/arch_reference.py).
final class FamilyFixtureTests: XCTestCase {
    /// The families with a byte-level BPE tokenizer (tokenizer.json read by ftx) and chat cases.
    static let families = ["qwen2", "qwen3", "llama3"]
    /// Every family's model (Gemma 3 and Phi-3: SentencePiece tokenizers, no recorded ids or chat cases).
    static let modelFamilies = families + ["gemma3", "phi3"]

    struct Fixture {
        let model: LlamaModel
        let tokens: [Int]
        let logits: [Float]   // tokens × vocab
        let hidden: [Float]   // (layers + 2) × tokens × hidden
        let json: [String: Any]
    }

    static func url(_ family: String, _ name: String) -> URL { TestSupport.fixture("FTXModelTests/Fixtures/arch/\(family)/\(name)") }

    static func load(_ family: String) throws -> Fixture {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url(family, "reference.json"))) as! [String: Any]
        let model = try LlamaModel.load(path: url(family, "model.gguf").path)
        return Fixture(model: model, tokens: json["tokens"] as! [Int], logits: try TestSupport.float32s(url(family, "logits.bin")),
                       hidden: try TestSupport.float32s(url(family, "hidden_states.bin")), json: json)
    }

    /// max over rows of max|a − b| / max|b| (the row's scale): ≤ 1e-4 is the issue's bound;
    /// the tests hold 1e-5 (ftx agrees to ~5e-7; Llama 3 without its RoPE scaling is off by 7e-4).
    func relativeError(_ a: UnsafeBufferPointer<Float>, _ b: ArraySlice<Float>, width: Int) -> Float {
        XCTAssertEqual(a.count, b.count)
        var worst: Float = 0
        let b0 = b.startIndex
        for r in 0..<(b.count / width) {
            var diff: Float = 0, scale: Float = 1e-6
            for i in (r * width)..<((r + 1) * width) {
                diff = max(diff, abs(a[i] - b[b0 + i])); scale = max(scale, abs(b[b0 + i]))
            }
            worst = max(worst, diff / scale)
        }
        return worst
    }

    func testEachFamilyLoadsWithItsFeatures() throws {
        let expected: [String: (arch: Architecture, freqs: Bool)] =
            ["qwen2": (.qwen2, false), "qwen3": (.qwen3, false), "llama3": (.llama, true), "gemma3": (.gemma3, true),
             "phi3": (.phi3, false)]
        for f in Self.modelFamilies {
            let m = try Self.load(f).model
            XCTAssertEqual(m.config.architecture, expected[f]!.arch, f)
            XCTAssertEqual(m.config.ropeFreqFactors != nil, expected[f]!.freqs, f)
            let l = m.weights.layers[0]
            XCTAssertEqual(l.qBias != nil, f == "qwen2", f)
            XCTAssertEqual(l.qNorm != nil, f == "qwen3" || f == "gemma3", f)
            XCTAssertEqual(l.postAttnNorm != nil, f == "gemma3", f)
        }
    }

    /// Gemma 3 as llama.cpp reads its GGUF: 5 sliding layers (window 8, local base 10000) and a
    /// global one (base 1e6, linear scaling 8), scale 1/√headDim; the folder's config.json and
    /// transformers 5's own layout (`layer_types`, per-type `rope_parameters`) say the same.
    func testGemma3LayoutFromGGUFAndBothConfigLayouts() throws {
        let fx = try Self.load("gemma3")
        let c = fx.model.config
        XCTAssertEqual(c.slidingWindow, SlidingWindow(size: 8, layers: [true, true, true, true, true, false], ropeTheta: 10000))
        XCTAssertEqual(c.ropeFreqFactors, [Float](repeating: 8, count: c.headDim / 2))
        XCTAssertEqual(c.ropeTheta, 1_000_000)
        XCTAssertEqual(c.attentionScale, Float(1 / Double(32).squareRoot()))
        XCTAssertTrue(c.tiedEmbeddings)
        let folder = try HFCheckpoint.config(directory: Self.url("gemma3", "hf").path)
        XCTAssertEqual(folder, c, "config.json (published layout)")
        var t5 = try XCTUnwrap(fx.json["transformers_config"] as? [String: Any])
        XCTAssertNotNil(t5["layer_types"]); XCTAssertNotNil(t5["rope_parameters"])
        XCTAssertEqual(try HFConfig.parse(t5, path: "transformers5"), c, "transformers 5's layout")
        t5["final_logit_softcapping"] = 30.0
        XCTAssertThrowsError(try HFConfig.parse(t5, path: "softcap")) { XCTAssertTrue("\($0)".contains("softcapping"), "\($0)") }
    }

    /// Phi-3 as the converter writes it: q, k, v and gate, up are row ranges of the fused attn_qkv
    /// and ffn_up (gate first), a window of 16 on every layer (transformers' masking; llama.cpp
    /// turns it off), an untied head; the folder's config.json says the same. Partial rotary and
    /// LongRoPE are refused by name.
    func testPhi3FusedWeightsWindowAndRefusals() throws {
        let fx = try Self.load("phi3")
        let c = fx.model.config, g = try XCTUnwrap(fx.model.gguf)
        XCTAssertEqual(c.slidingWindow, SlidingWindow(size: 16, layers: [true, true], ropeTheta: 10000))
        XCTAssertFalse(c.tiedEmbeddings)
        let l = fx.model.weights.layers[1]
        let qkv = try XCTUnwrap(g.tensor("blk.1.attn_qkv.weight")), up = try XCTUnwrap(g.tensor("blk.1.ffn_up.weight"))
        XCTAssertEqual(l.q.data, g.pointer(qkv), "q is a view of the mapped attn_qkv")
        XCTAssertEqual(l.k.data, g.pointer(qkv) + c.qDim * l.q.rowBytes)
        XCTAssertEqual(l.v.data, g.pointer(qkv) + (c.qDim + c.kvDim) * l.q.rowBytes)
        XCTAssertEqual(l.gate.data, g.pointer(up), "gate is the first half of ffn_up")
        XCTAssertEqual(l.up.data, g.pointer(up) + c.intermediateSize * l.gate.rowBytes)
        let dir = Self.url("phi3", "hf").path
        XCTAssertEqual(try HFCheckpoint.config(directory: dir), c, "config.json (published layout)")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as! [String: Any]
        var partial = json
        partial["partial_rotary_factor"] = 0.75
        XCTAssertThrowsError(try HFConfig.parse(partial, path: "p")) { XCTAssertTrue("\($0)".contains("partial_rotary_factor"), "\($0)") }
        json["rope_scaling"] = ["type": "longrope", "short_factor": [1.0], "long_factor": [1.0]] as [String: Any]
        XCTAssertThrowsError(try HFConfig.parse(json, path: "p")) { XCTAssertTrue("\($0)".contains("longrope"), "\($0)") }
    }

    /// Every position's logits and every hidden state in one pass, against transformers in float64.
    func testLogitsAndHiddenStatesMatchTransformers() throws {
        for f in Self.modelFamilies {
            let fx = try Self.load(f)
            let c = fx.model.config, T = fx.tokens.count, H = c.hiddenSize
            var hiddenErr: Float = 0
            let logits = try fx.model.forward([ForwardSegment(cache: KVCache(config: c), tokens: fx.tokens)], logits: .all) { stage, x, rows in
                let ref = fx.hidden[(stage * T * H)..<((stage + 1) * T * H)]
                hiddenErr = max(hiddenErr, self.relativeError(UnsafeBufferPointer(start: x, count: rows * H), ref, width: H))
            }
            let err = logits.withUnsafeBufferPointer { relativeError($0, fx.logits[...], width: c.vocabSize) }
            XCTAssertLessThan(err, 1e-5, "\(f): logits")
            XCTAssertLessThan(hiddenErr, 1e-5, "\(f): hidden states")
            XCTAssertGreaterThan(fx.logits.map(abs).max()!, 0.1, "\(f): the reference logits are degenerate")
        }
    }

    /// Decoding through the KV cache, one token at a time and as two sequences of a batch, gives the
    /// reference's logits at every position.
    func testCachedAndBatchedDecodeMatchTransformers() throws {
        for f in Self.modelFamilies {
            let fx = try Self.load(f)
            let c = fx.model.config, V = c.vocabSize, T = fx.tokens.count
            let split = 9
            let one = KVCache(config: c), a = KVCache(config: c), b = KVCache(config: c)
            _ = try fx.model.forward([ForwardSegment(cache: one, tokens: Array(fx.tokens[..<split]))], logits: .none)
            _ = try fx.model.forward([ForwardSegment(cache: a, tokens: Array(fx.tokens[..<split]))], logits: .none)
            for t in split..<T {
                let step = try fx.model.forward([ForwardSegment(cache: one, tokens: [fx.tokens[t]])], logits: .last)
                let err = step.withUnsafeBufferPointer { relativeError($0, fx.logits[(t * V)..<((t + 1) * V)], width: V) }
                XCTAssertLessThan(err, 1e-5, "\(f): cached decode at \(t)")
            }
            // Sequence a continues at `split` while b starts from scratch with 4 tokens: one pass.
            let both = try fx.model.forward([ForwardSegment(cache: a, tokens: [fx.tokens[split]]),
                                             ForwardSegment(cache: b, tokens: Array(fx.tokens[..<4]))], logits: .last)
            let errA = both.withUnsafeBufferPointer {
                relativeError(UnsafeBufferPointer(rebasing: $0[0..<V]), fx.logits[(split * V)..<((split + 1) * V)], width: V)
            }
            let errB = both.withUnsafeBufferPointer {
                relativeError(UnsafeBufferPointer(rebasing: $0[V..<(2 * V)]), fx.logits[(3 * V)..<(4 * V)], width: V)
            }
            XCTAssertLessThan(max(errA, errB), 1e-5, "\(f): batched decode")
        }
    }

    /// The Hugging Face folder the GGUF was converted from, read directly (`--model DIR`): the same
    /// reference logits, the same tokenizer ids and specials, the same chat template.
    func testHuggingFaceFolderMatchesTransformersAndTheGGUF() throws {
        for f in Self.modelFamilies {
            let fx = try Self.load(f)
            let dir = Self.url(f, "hf").path
            XCTAssertTrue(HFCheckpoint.isCheckpoint(dir))
            let hf = try LlamaModel.load(path: Self.url(f, "hf").path)
            let c = hf.config, g = fx.model.config
            XCTAssertEqual(c.architecture, g.architecture, f)
            XCTAssertEqual([c.vocabSize, c.hiddenSize, c.numLayers, c.numHeads, c.numKVHeads, c.headDim, c.intermediateSize],
                           [g.vocabSize, g.hiddenSize, g.numLayers, g.numHeads, g.numKVHeads, g.headDim, g.intermediateSize], f)
            XCTAssertEqual(c.tiedEmbeddings, g.tiedEmbeddings, f)
            XCTAssertEqual(c.ropeFreqFactors?.count, g.ropeFreqFactors?.count, f)
            for (a, b) in zip(c.ropeFreqFactors ?? [], g.ropeFreqFactors ?? []) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, f) }
            let logits = try hf.forward([ForwardSegment(cache: KVCache(config: c), tokens: fx.tokens)], logits: .all)
            let err = logits.withUnsafeBufferPointer { relativeError($0, fx.logits[...], width: c.vocabSize) }
            XCTAssertLessThan(err, 1e-5, "\(f): logits from the Hugging Face folder")
            let (t, gt) = (hf.tokenizer, fx.model.tokenizer)
            // Gemma's extra <mask> past the model's rows is left out, as the converter leaves it out.
            XCTAssertEqual(t.vocabSize, gt.vocabSize, f)
            XCTAssertEqual(t.preTokenizer, gt.preTokenizer, f)
            XCTAssertEqual([t.bosID, t.eosID], [gt.bosID, gt.eosID], f)
            XCTAssertEqual(t.addBOS, gt.addBOS, f)
            XCTAssertEqual(t.endOfGenerationIDs, gt.endOfGenerationIDs, f)
            // Gemma 3 and Phi-3 have no recorded ids: their tokenizer.json (merges by rank) must split
            // the texts as the GGUF's SentencePiece scores (from tokenizer.model, by llama.cpp's converter) do.
            let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url(Self.families.contains(f) ? f : "qwen2", "tokenizer_cases.json"))) as! [[String: Any]]
            let differing = cases.filter { t.encode($0["text"] as! String) != (Self.families.contains(f) ? $0["ids"] as! [Int] : gt.encode($0["text"] as! String)) }.count
            XCTAssertEqual(differing, 0, "\(f): tokenizer cases that differ")
            let messages = [(role: "system", content: "Be brief."), (role: "user", content: "Hi 123!")]
            XCTAssertEqual(try hf.chatTemplate?.render(messages: messages, addGenerationPrompt: true),
                           try fx.model.chatTemplate?.render(messages: messages, addGenerationPrompt: true), f)
            XCTAssertNotNil(hf.chatTemplate, f)
        }
    }

    /// Qwen2.5's, Qwen3's and Llama 3.2's real chat templates through ftx's Jinja subset, against
    /// jinja2 as transformers renders them (scripts/chat_template_reference.py → chat_cases.json).
    func testChatTemplatesRenderAsJinja2Does() throws {
        for f in Self.families {
            let model = try LlamaModel.load(path: Self.url(f, "hf").path)
            let template = try XCTUnwrap(model.chatTemplate, f)
            let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url(f, "chat_cases.json"))) as! [[String: Any]]
            XCTAssertGreaterThanOrEqual(cases.count, 10, f)
            for (i, c) in cases.enumerated() {
                let messages = (c["messages"] as! [[String: String]]).map { (role: $0["role"]!, content: $0["content"]!) }
                let rendered = try template.render(messages: messages, addGenerationPrompt: c["add_generation_prompt"] as! Bool)
                XCTAssertEqual(rendered, c["text"] as! String, "\(f) case \(i)")
            }
        }
    }

    /// The GGUF ftx writes from a Hugging Face folder (`ftx base add DIR`) reads back with the
    /// converter's hyper-parameters and the reference logits; quantized it stays close.
    /// (llama.cpp loading these files is checked by hand: see docs/models.md.)
    func testWrittenGGUFReadsBackAsTheCheckpoint() throws {
        let dir = NSTemporaryDirectory() + "ftx-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in Self.modelFamilies {
            let fx = try Self.load(f)
            let hf = try LlamaModel.load(path: Self.url(f, "hf").path)
            for q in [nil, GGUFModelExport.Quantization.q8_0, .q4_k] {
                let path = dir + "/\(f)-\(q?.rawValue ?? "f32").gguf"
                try GGUFModelExport.write(hf, name: f, quantize: q, to: path)
                let back = try LlamaModel.load(path: path)
                let (c, g) = (back.config, fx.model.config)
                // Llama 3's factors: ftx computes them in double, the converter in float32 (1 ulp apart).
                for (a, b) in zip(c.ropeFreqFactors ?? [], g.ropeFreqFactors ?? []) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, f) }
                var same = c
                same.ropeFreqFactors = g.ropeFreqFactors
                XCTAssertEqual(same, g, "\(f): the written GGUF's hyper-parameters are the converter's")
                let converted = try XCTUnwrap(fx.model.gguf), written = try XCTUnwrap(back.gguf)
                // A SentencePiece vocabulary has no pre-tokenizer (the converter writes "default", unread).
                for key in ["tokenizer.ggml.model", "tokenizer.chat_template"] + (back.tokenizer.kind == .sentencePiece ? [] : ["tokenizer.ggml.pre"]) {
                    XCTAssertEqual(written.string(key), converted.string(key), "\(f) \(key)")
                }
                // Absent means true to llama.cpp (Phi-3's converter writes no key).
                XCTAssertEqual(written.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true,
                               converted.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true, f)
                XCTAssertEqual(back.tokenizer.merges, fx.model.tokenizer.merges, f)
                XCTAssertEqual([back.tokenizer.bosID, back.tokenizer.eosID], [fx.model.tokenizer.bosID, fx.model.tokenizer.eosID], f)
                let logits = try back.forward([ForwardSegment(cache: KVCache(config: c), tokens: fx.tokens)], logits: .all)
                let err = logits.withUnsafeBufferPointer { relativeError($0, fx.logits[...], width: c.vocabSize) }
                // q4_k: the fixtures' 64- and 128-wide rows are not whole Q4_K blocks, so they fall back to Q5_0.
                XCTAssertLessThan(err, q == nil ? 1e-5 : q == .q8_0 ? 0.05 : 0.25, "\(f) \(q?.rawValue ?? "f32"): logits")
                if q == .q4_k { XCTAssertEqual(written.tensors.first { $0.name == "blk.0.attn_output.weight" }?.type, .q5_0, f) }
            }
        }
    }

    /// `--quantize q4_k` as llama.cpp quantizes a Q4_K file: whole 256-value rows in Q4_K, other
    /// multiples of 32 (Qwen2-0.5B's 896) in Q5_0, the rest in their own type.
    func testQ4_KFallsBackToQ5_0ForRowsOfPartialBlocks() {
        let q = GGUFModelExport.Quantization.q4_k
        XCTAssertEqual([4864, 2048, 896, 64, 40].map { q.type(forRowWidth: $0) }, [.q4_K, .q4_K, .q5_0, .q5_0, nil])
        XCTAssertEqual(GGUFModelExport.Quantization.q8_0.type(forRowWidth: 896), .q8_0)
    }

    /// The families' pre-tokenizer rules (Qwen2: single digits; Llama 3: up to three) on the
    /// reference tokenizer's cases.
    func testTokenizerCasesMatchHuggingFace() throws {
        for f in Self.families {
            let tok = try Self.load(f).model.tokenizer
            XCTAssertEqual(tok.preTokenizer, f == "llama3" ? .llama3 : .qwen2, f)
            let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url(f, "tokenizer_cases.json"))) as! [[String: Any]]
            XCTAssertGreaterThan(cases.count, 100, f)
            var failures = 0
            for c in cases {
                let text = c["text"] as! String, ids = c["ids"] as! [Int]
                let got = tok.encode(text, parseSpecial: true)
                if got != ids {
                    failures += 1
                    if failures <= 5 { XCTFail("\(f): encode \(text.debugDescription): \(got) != \(ids)") }
                }
            }
            XCTAssertEqual(failures, 0, "\(f): \(failures) of \(cases.count) cases differ")
        }
    }
}
