import Foundation
import FTXModel

/// Hugging Face checkpoint folders as `--model DIR` reads them: the input is config.json,
/// tokenizer.json, tokenizer_config.json and model.safetensors joined by a separator line (missing
/// parts are left out of the folder). A folder that loads also runs a forward pass of three tokens.
enum CheckpointTarget {
    static let target = FuzzTarget(name: "checkpoint", run: run, seeds: seeds)
    static let separator = "\n--next-file--\n"
    static let files = ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]

    static func run(_ data: Data) {
        let dir = Scratch.directory("checkpoint")
        var rest: Data? = data
        for name in files {
            guard let r = rest else { break }
            let (part, next) = Scratch.split(r, at: separator)
            Scratch.write(part, to: dir + "/" + name)
            rest = next
        }
        guard let model = attempt({ try LlamaModel.load(path: dir) }) else { return }
        let c = model.config
        // Only small shapes run (a fuzzed config may name billions of parameters it does not have).
        guard c.hiddenSize * c.numLayers <= 1 << 16, c.vocabSize <= 1 << 16, c.contextLength >= 3 else { return }
        let tokens = [0, 1, 2].map { $0 % c.vocabSize }
        _ = attempt { try model.forward([ForwardSegment(cache: KVCache(config: c, maxLength: 3), tokens: tokens)], logits: .last) }
        _ = model.tokenizer.encode("Hello 123 wörld <|im_end|>")
        _ = attempt { try model.chatTemplate?.render(messages: [(role: "user", content: "hi")], addGenerationPrompt: true) }
    }

    /// A tiny two-layer Qwen2 checkpoint made with the project's own writers: random weights in a
    /// safetensors file, a byte-level vocabulary of 256 tokens and 2 merges.
    static func seeds() throws -> [(name: String, bytes: Data)] {
        let config = #"{"model_type": "qwen2", "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "#
            + #""num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 260, "max_position_embeddings": 32, "#
            + #""rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": true}"#
        let bytes = Tokenizer.tinyByteLevel()
        var vocab: [String: Int] = [:]
        for id in 0..<256 { vocab[bytes.piece(id)] = id }
        let tokenizer: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": ["Ġ t", "h e"]],
            "added_tokens": [["id": 256, "content": "<|endoftext|>", "special": true], ["id": 257, "content": "<|im_end|>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel"],
        ]
        let tokConfig: [String: Any] = ["eos_token": "<|im_end|>", "chat_template": "{% for m in messages %}{{ m['content'] }}<|im_end|>{% endfor %}"]
        var shapes: [(String, [Int])] = [("model.embed_tokens.weight", [260, 16]), ("model.norm.weight", [16])]
        let p = "model.layers.0."
        shapes += [(p + "input_layernorm.weight", [16]), (p + "post_attention_layernorm.weight", [16]),
                   (p + "self_attn.q_proj.weight", [16, 16]), (p + "self_attn.k_proj.weight", [8, 16]),
                   (p + "self_attn.v_proj.weight", [8, 16]), (p + "self_attn.o_proj.weight", [16, 16]),
                   (p + "self_attn.q_proj.bias", [16]), (p + "self_attn.k_proj.bias", [8]), (p + "self_attn.v_proj.bias", [8]),
                   (p + "mlp.gate_proj.weight", [24, 16]), (p + "mlp.up_proj.weight", [24, 16]), (p + "mlp.down_proj.weight", [16, 24])]
        var rng = SplitMix64(seed: 3)
        var header: [String: Any] = [:], blob = Data(), offset = 0
        for (name, shape) in shapes {
            let n = shape.reduce(1, *)
            for _ in 0..<n { withUnsafeBytes(of: (rng.nextFloat() - 0.5).bitPattern.littleEndian) { blob.append(contentsOf: $0) } }
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * n]] as [String: Any]
            offset += 4 * n
        }
        var headerJSON = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while headerJSON.count % 8 != 0 { headerJSON.append(0x20) }
        var st = withUnsafeBytes(of: UInt64(headerJSON.count).littleEndian) { Data($0) }
        st.append(headerJSON); st.append(blob)
        let sep = Data(separator.utf8)
        let all = Data(config.utf8) + sep + (try JSONSerialization.data(withJSONObject: tokenizer, options: [.sortedKeys])) + sep
            + (try JSONSerialization.data(withJSONObject: tokConfig, options: [.sortedKeys])) + sep + st
        return [("gen-qwen2-tiny", all)]
    }
}
