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
        do {
            model.adapter = try AdapterFile.loadLoRAWeights(adapter, config: model.config)
        } catch TrainError.adapter(let message, let location, nil) {
            // Shape and block errors come from checking the adapter against this model: say what it is.
            let c = model.config
            throw TrainError.adapter(message, at: location ?? adapter,
                                     hint: "an adapter fits only the base it was trained on; \((modelPath as NSString).lastPathComponent) has "
                                         + "\(c.numLayers) blocks, hidden size \(c.hiddenSize), \(c.numHeads)/\(c.numKVHeads) heads, FFN \(c.intermediateSize)")
        }
    }
}
