import ArgumentParser
import Foundation
import FTXModel

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a GGUF model's architecture, sizes, tensor types, tokenizer and chat template.",
        discussion: reflow("""
        Examples:
          ftx model info SmolLM2-135M-Instruct.Q4_1.gguf
          ftx model info SmolLM2-135M-Instruct.Q4_1.gguf --json | jq .config
        """))

    @Argument(help: "The GGUF file.") var file: String
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let g = try GGUFFile(path: file)
        let model = try LlamaModel.load(gguf: g)
        let c = model.config
        var types: [String: Int] = [:]
        var params = 0
        for t in g.tensors { types[t.type.description, default: 0] += 1; params += t.elementCount }
        if !c.tiedEmbeddings { } // output counted as its own tensor
        let tok = model.tokenizer
        if json {
            let obj: [String: Any] = [
                "file": file, "gguf_version": g.version, "architecture": g.string("general.architecture") ?? "llama",
                "name": g.string("general.name") ?? "", "parameters": params, "file_bytes": g.file.size,
                "config": [
                    "vocab_size": c.vocabSize, "hidden_size": c.hiddenSize, "intermediate_size": c.intermediateSize,
                    "num_layers": c.numLayers, "num_heads": c.numHeads, "num_kv_heads": c.numKVHeads, "head_dim": c.headDim,
                    "rope_theta": Double(c.ropeTheta), "rms_norm_eps": Double(c.rmsNormEps), "context_length": c.contextLength,
                    "tied_embeddings": c.tiedEmbeddings,
                ],
                "tensor_types": types, "tensor_count": g.tensors.count,
                "tokenizer": ["kind": tok.kind.rawValue, "pre": tok.preTokenizer.rawValue, "vocab_size": tok.vocabSize,
                              "bos_id": tok.bosID.map { $0 as Any } ?? NSNull(), "eos_id": tok.eosID.map { $0 as Any } ?? NSNull(),
                              "add_bos": tok.addBOS],
                "chat_template": model.chatTemplate?.source ?? NSNull(),
            ]
            try JSONOutput.emit(obj)
            return
        }
        print("file          \(file) (\(g.file.size) bytes, GGUF v\(g.version))")
        print("architecture  \(g.string("general.architecture") ?? "llama")  \(g.string("general.name") ?? "")")
        print(String(format: "parameters    %.1fM in %d tensors", Double(params) / 1e6, g.tensors.count))
        print("tensor types  " + types.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: "  "))
        print("layers        \(c.numLayers)   hidden \(c.hiddenSize)   ffn \(c.intermediateSize)")
        print("heads         \(c.numHeads) (kv \(c.numKVHeads), head dim \(c.headDim))   rope base \(c.ropeTheta)   rms eps \(c.rmsNormEps)")
        print("context       \(c.contextLength)   tied embeddings \(c.tiedEmbeddings ? "yes" : "no")")
        print("tokenizer     \(tok.kind.rawValue) (\(tok.kind == .byteLevelBPE ? "byte-level BPE, pre " + tok.preTokenizer.rawValue : "SentencePiece")), vocab \(tok.vocabSize), bos \(tok.bosID.map { "\($0) \(tok.piece($0))" } ?? "-"), eos \(tok.eosID.map { "\($0) \(tok.piece($0))" } ?? "-")")
        if let t = model.chatTemplate {
            let oneLine = t.source.replacingOccurrences(of: "\n", with: "\\n")
            print("chat template \(oneLine.count > 100 ? String(oneLine.prefix(97)) + "..." : oneLine)")
        } else {
            print("chat template (none)")
        }
    }
}
