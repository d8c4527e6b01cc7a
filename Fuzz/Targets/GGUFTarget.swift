import Foundation
import FTXModel

/// GGUF files as `ftx model info` / `generate` read them: header, metadata, tensor directory, then
/// (when it is a model) the tokenizer, weights and two greedy decode steps on a short prompt.
/// Seeds: Tests/FTXModelTests/Corpus (a valid tiny model and hostile variants) and Fuzz/corpus/gguf.
enum GGUFTarget {
    static let target = FuzzTarget(name: "gguf", run: run, seeds: seeds)

    static func run(_ data: Data) {
        let file = MappedFile(bytes: [UInt8](data))
        guard let g = attempt({ try GGUFFile(file: file, path: "fuzz.gguf") }) else { return }
        // What `model info` prints: every metadata value and tensor.
        for k in g.metadataKeys { _ = "\(g.metadata[k]!)" }
        for t in g.tensors { _ = (t.elementCount, t.rows, t.cols, t.type.description) }
        if let tok = attempt({ try Tokenizer.fromGGUF(g) }) {
            let ids = tok.encode("Hi <|im_start|>user\nnaïve café 123 ...\u{1F600}")
            _ = tok.decode(ids)
        }
        guard let model = attempt({ try LlamaModel.load(gguf: g) }) else { return }
        // A model small enough to fit the input runs quickly; bound the work anyway.
        guard model.config.hiddenSize * model.config.numLayers <= 1 << 16, model.config.vocabSize <= 1 << 16 else { return }
        let prompt = model.tokenizer.encode("Hello")
        _ = attempt { try model.generate(prompts: [prompt.isEmpty ? [0] : prompt], params: GenerationParams(maxTokens: 2)) }
    }

    /// A vocabulary-only file (as llama.cpp ships for tokenizer tests): BPE tokens, merges, token
    /// types, special ids and SmolLM2's chat template; plus every metadata value type once.
    static func seeds() throws -> [(name: String, bytes: Data)] {
        var w = GGUFWriter()
        let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "H", "i", "Hi", "Ġ", "Ġw", "w", "o", "wo", "r", "l", "d", "c", "a", "f", "Ã©"]
        w.set("general.architecture", .string("llama"))
        w.set("tokenizer.ggml.model", .string("gpt2"))
        w.set("tokenizer.ggml.pre", .string("smollm"))
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(tokens.map { .string($0) })))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(tokens.indices.map { .int32($0 < 3 ? 3 : 1) })))
        w.set("tokenizer.ggml.merges", .array(GGUFArray(["H i", "Ġ w", "w o"].map { .string($0) })))
        w.set("tokenizer.ggml.bos_token_id", .uint32(1))
        w.set("tokenizer.ggml.eos_token_id", .uint32(2))
        w.set("tokenizer.chat_template", .string(ChatTemplate.chatML))
        var all = GGUFWriter()
        let values: [GGUFValue] = [.uint8(200), .int8(-5), .uint16(60000), .int16(-300), .uint32(4_000_000_000), .int32(-7),
                                   .float32(1.5), .bool(true), .string("héllo"), .array([.array([.string("x")])]),
                                   .uint64(1 << 40), .int64(-(1 << 40)), .float64(2.25)]
        for (i, v) in values.enumerated() { all.set("v.\(i)", v) }
        all.addTensor("t", dims: [4, 2], f32: [1, 2, 3, 4, 5, 6, 7, 8])
        return [("vocab-only", Data(w.bytes())), ("every-value-type", Data(all.bytes()))]
    }
}
