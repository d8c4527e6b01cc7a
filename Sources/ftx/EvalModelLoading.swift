import Foundation
import FTXEval
import FTXModel
import FTXTrain

/// Opens the model `ftx eval` runs on: a GGUF base, optionally with a LoRA adapter (a PEFT
/// directory, as `ftx train` writes it) applied unmerged.
enum EvalModelLoading {
    static func load(model path: String, adapter: String?) throws -> EvalModel {
        let llama = try LlamaModel.load(path: path)
        var identity = ModelIdentity(name: (path as NSString).lastPathComponent, sha256: try LlamaEvalModel.fileSHA256(path))
        if let adapter {
            let params = try PEFTAdapter.read(from: adapter, dims: ModelDims(llama.config))
            llama.adapter = params.loraWeights()
            identity.adapter = adapter
            let weights = (adapter as NSString).appendingPathComponent("adapter_model.safetensors")
            identity.adapterSHA256 = FileManager.default.fileExists(atPath: weights) ? try LlamaEvalModel.fileSHA256(weights) : nil
        }
        return LlamaEvalModel(model: llama, identity: identity)
    }
}
