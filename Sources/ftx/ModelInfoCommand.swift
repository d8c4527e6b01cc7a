import ArgumentParser
import Foundation
import FTXModel

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's family, sizes, tensor types, special tokens and chat template.",
        discussion: reflow("""
        MODEL is a GGUF file or a Hugging Face checkpoint folder (config.json, *.safetensors, \
        tokenizer.json).

        Examples:
          ftx model info SmolLM2-135M-Instruct.Q4_1.gguf
          ftx model info ./Qwen2.5-0.5B-Instruct/
          ftx model info SmolLM2-135M-Instruct.Q4_1.gguf --json | jq .config
        """))

    @Argument(help: "The model: a GGUF file or a Hugging Face checkpoint folder.") var file: String
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let model = try LlamaModel.load(path: file)
        let c = model.config, s = ModelSummary(model), tok = model.tokenizer
        let g = model.gguf
        let fileBytes = g?.file.size ?? folderBytes(file)
        func token(_ t: (id: Int, piece: String)?) -> Any { t.map { ["id": $0.id, "text": $0.piece] as [String: Any] } ?? NSNull() }
        if json {
            var types: [String: Int] = [:]
            for t in g?.tensors ?? [] { types[t.type.description, default: 0] += 1 }
            let obj: [String: Any] = [
                "file": file, "format": g == nil ? "huggingface" : "gguf", "gguf_version": g.map { $0.version as Any } ?? NSNull(),
                "architecture": s.architecture, "features": s.features,
                "name": g?.string("general.name") ?? (file as NSString).lastPathComponent, "parameters": s.parameters, "file_bytes": fileBytes,
                "config": [
                    "vocab_size": c.vocabSize, "hidden_size": c.hiddenSize, "intermediate_size": c.intermediateSize,
                    "num_layers": c.numLayers, "num_heads": c.numHeads, "num_kv_heads": c.numKVHeads, "head_dim": c.headDim,
                    "rope_theta": Double(c.ropeTheta), "rms_norm_eps": Double(c.rmsNormEps), "context_length": c.contextLength,
                    "tied_embeddings": c.tiedEmbeddings, "rope_freq_factors": c.ropeFreqFactors.map { $0.map(Double.init) as Any } ?? NSNull(),
                ],
                "tensor_types": types, "tensor_count": g?.tensors.count ?? NSNull(),
                "tensor_type_shares": Dictionary(uniqueKeysWithValues: s.typeShares.map { ($0.type, Double($0.parameters) / Double(max(s.parameters, 1))) }),
                "tokenizer": ["kind": tok.kind.rawValue, "pre": tok.preTokenizer.rawValue, "vocab_size": tok.vocabSize,
                              "bos_id": tok.bosID.map { $0 as Any } ?? NSNull(), "eos_id": tok.eosID.map { $0 as Any } ?? NSNull(),
                              "add_bos": tok.addBOS],
                "special_tokens": ["bos": token(s.bos), "eos": token(s.eos), "end_of_generation": s.endOfGeneration.map { token($0) }],
                "chat_template": model.chatTemplate?.source ?? NSNull(),
            ]
            try JSONOutput.emit(obj)
            return
        }
        print("file          \(file) (\(fileBytes) bytes, \(g.map { "GGUF v\($0.version)" } ?? "Hugging Face checkpoint"))")
        print("architecture  \(s.architecture)  \(g?.string("general.name") ?? (file as NSString).lastPathComponent)")
        print("features      \(s.features.joined(separator: ", "))")
        print(String(format: "parameters    %.1fM", Double(s.parameters) / 1e6) + (g.map { " in \($0.tensors.count) tensors" } ?? ""))
        print("tensor types  \(s.sharesText)")
        print("layers        \(c.numLayers)   hidden \(c.hiddenSize)   ffn \(c.intermediateSize)")
        print("heads         \(c.numHeads) (kv \(c.numKVHeads), head dim \(c.headDim))   rope base \(c.ropeTheta)   rms eps \(c.rmsNormEps)")
        print("context       \(c.contextLength)   tied embeddings \(c.tiedEmbeddings ? "yes" : "no")")
        print("tokenizer     \(tok.kind.rawValue) (\(tok.kind == .byteLevelBPE ? "byte-level BPE, pre " + tok.preTokenizer.rawValue : "SentencePiece")), vocab \(tok.vocabSize)")
        func show(_ t: (id: Int, piece: String)?) -> String { t.map { "\($0.id) \($0.piece)" } ?? "-" }
        print("special       bos \(show(s.bos)), eos \(show(s.eos)), stops at \(s.endOfGeneration.map { show($0) }.joined(separator: ", "))")
        if let t = model.chatTemplate {
            let oneLine = t.source.replacingOccurrences(of: "\n", with: "\\n")
            print("chat template \(oneLine.count > 100 ? String(oneLine.prefix(97)) + "..." : oneLine)")
        } else {
            print("chat template (none)")
        }
    }

    /// The bytes of a checkpoint folder's files (not recursive).
    func folderBytes(_ dir: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.reduce(0) { sum, n in
            sum + (((try? FileManager.default.attributesOfItem(atPath: dir + "/" + n))?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
