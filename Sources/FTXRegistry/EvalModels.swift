import FTXEval
import FTXModel
import FTXTrain
import Foundation

/// Opens the model an evaluation runs on: a GGUF base with an optional LoRA adapter applied
/// unmerged, as FTXEval's `LlamaEvalModel`. FTXEval cannot read adapters (FTXTrain sits beside it),
/// so base and adapter meet here, for `ftx eval --model/--adapter` and for runs alike.
public enum EvalModels {
    /// `base` is the GGUF file; `baseSHA256` its content id when already known (else the file is
    /// hashed). `adapter` is any form `AdapterFile` reads (PEFT directory or file, GGUF LoRA). The
    /// report names the adapter `adapterName` when given (a run's `adapter/`, identified by its
    /// commit), else by its path and the SHA-256 of its weights file. `preloaded` is the base
    /// already in memory (tests: a tiny in-process model); it gets this adapter, or none.
    public static func open(base: String, baseSHA256: String? = nil, adapter: String?, adapterName: String? = nil,
                            preloaded: LlamaModel? = nil) throws -> LlamaEvalModel {
        let llama = try preloaded ?? LlamaModel.load(path: base)
        var identity = ModelIdentity(name: (base as NSString).lastPathComponent, sha256: try baseSHA256 ?? LlamaEvalModel.fileSHA256(base))
        llama.adapter = nil
        if let adapter {
            try AdapterFile.attach(adapter, to: llama, modelPath: base)
            if let adapterName {
                identity.adapter = adapterName
            } else {
                identity.adapter = adapter
                let weights = try AdapterFile.detect(adapter).weights
                identity.adapterSHA256 = FileManager.default.fileExists(atPath: weights) ? try LlamaEvalModel.fileSHA256(weights) : nil
            }
        }
        return LlamaEvalModel(model: llama, identity: identity)
    }

    /// The loader a run's evaluation uses: base (its content id already verified, so not re-hashed)
    /// plus the run's adapter directory, named `adapter/` in the report. `preload` hands in a model
    /// for a base path (tests).
    public static func loader(preload: ((String) throws -> LlamaModel?)? = nil) -> EvalSuiteEvaluator.ModelLoader {
        return { basePath, baseID, adapterDirectory in
            try open(base: basePath, baseSHA256: baseID, adapter: adapterDirectory, adapterName: "adapter/",
                     preloaded: preload?(basePath))
        }
    }
}
