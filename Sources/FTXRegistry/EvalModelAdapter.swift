import FTXEval
import FTXModel
import FTXTrain
import Foundation

/// Opens base (+ the run's PEFT adapter, applied unmerged) as FTXEval's `LlamaEvalModel`. The
/// model identity is the base's content id (already verified), so no file is re-hashed.
public enum RunEvalModels {
    /// `preload` hands in a model for a base path (tests: a tiny in-process model).
    public static func loader(preload: ((String) throws -> LlamaModel?)? = nil) -> EvalSuiteEvaluator.ModelLoader {
        return { basePath, baseID, adapterDirectory in
            let llama = try preload?(basePath) ?? LlamaModel.load(path: basePath)
            var identity = ModelIdentity(name: (basePath as NSString).lastPathComponent, sha256: baseID)
            if let adapterDirectory {
                let params = try PEFTAdapter.read(from: adapterDirectory, dims: ModelDims(llama.config))
                llama.adapter = params.loraWeights()
                identity.adapter = "adapter/"
            } else {
                llama.adapter = nil
            }
            return LlamaEvalModel(model: llama, identity: identity)
        }
    }
}
