import Foundation
import FTXEval
import FTXModel
import FTXTrain

/// Opens the model `ftx eval` runs on: a GGUF base, optionally with a LoRA adapter (a PEFT
/// directory, as `ftx train` writes it, or a GGUF LoRA file) applied unmerged.
enum EvalModelLoading {
    static func load(model path: String, adapter: String?) throws -> EvalModel {
        let llama = try LlamaModel.load(path: path)
        var identity = ModelIdentity(name: (path as NSString).lastPathComponent, sha256: try LlamaEvalModel.fileSHA256(path))
        if let adapter {
            llama.adapter = try AdapterFile.loadLoRAWeights(adapter, config: llama.config)
            identity.adapter = adapter
            let weights = try AdapterFile.detect(adapter).weights
            identity.adapterSHA256 = FileManager.default.fileExists(atPath: weights) ? try LlamaEvalModel.fileSHA256(weights) : nil
        }
        return LlamaEvalModel(model: llama, identity: identity)
    }
}
