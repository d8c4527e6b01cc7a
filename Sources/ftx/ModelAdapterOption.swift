import ArgumentParser
import Foundation
import FTXModel
import FTXTrain

/// `--adapter PATH` for the engine commands: a LoRA adapter applied unmerged on top of `-m MODEL`,
/// in any form `ftx eval --adapter` takes (PEFT directory or either of its files, GGUF LoRA file,
/// directory holding adapter.gguf), opened by the same `AdapterFile`.
struct ModelAdapterOption: ParsableArguments {
    @Option(help: ArgumentHelp("LoRA adapter applied unmerged on top of --model: a PEFT directory (or its adapter_model.safetensors / adapter_config.json), or a GGUF LoRA file.",
                               valueName: "path"))
    var adapter: String?

    /// Attaches the adapter (if any) to `model`, which was loaded from `modelPath`.
    func apply(to model: LlamaModel, modelPath: String) throws {
        guard let adapter else { return }
        try AdapterFile.attach(adapter, to: model, modelPath: modelPath)
    }
}
