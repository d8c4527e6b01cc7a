import Foundation
import FTXModel
import FTXTrain

/// Adapters as `--adapter` reads them, for the tiny test model's shape: a GGUF LoRA file when the
/// input starts with "GGUF", else a PEFT directory. A PEFT input is adapter_config.json, the
/// separator, then adapter_model.safetensors; without a separator the whole input is the
/// safetensors file and the config is a valid rank-1 one. Every read adapter is also applied the
/// way inference applies it (LoRAWeights).
enum AdapterTarget {
    static let target = FuzzTarget(name: "adapter", run: run, seeds: seeds)
    static let separator = "\n--safetensors--\n"
    static let dims = ModelDims(LlamaConfig.tiny(vocabSize: 64))
    static let defaultConfig = Data(#"{"r": 1, "lora_alpha": 2, "target_modules": ["q_proj", "v_proj"]}"#.utf8)

    static func run(_ data: Data) {
        let dir = Scratch.directory("adapter")
        let lora: LoRAParameters?
        if data.starts(with: Data("GGUF".utf8)) {
            Scratch.write(data, to: dir + "/adapter.gguf")
            lora = attempt { try AdapterFile.read(dir + "/adapter.gguf", dims: dims) }
        } else {
            let (first, second) = Scratch.split(data, at: separator)
            Scratch.write(second == nil ? defaultConfig : first, to: dir + "/" + PEFTAdapter.configFile)
            Scratch.write(second ?? first, to: dir + "/" + PEFTAdapter.weightsFile)
            _ = attempt { try SafetensorsFile.parse(second ?? first, path: "fuzz.safetensors") }
            lora = attempt { try AdapterFile.read(dir, dims: dims) }
        }
        if let lora { _ = lora.loraWeights() }
    }

    /// A rank-1 adapter on q and v of both blocks, in both formats.
    static func seeds() throws -> [(name: String, bytes: Data)] {
        let lora = LoRAParameters(dims: dims, spec: LoRASpec(rank: 1, alpha: 2, targets: [.q, .v]))
        for i in 0..<lora.count { lora.params.p[i] = Float(i % 13) / 13 - 0.5 }
        let dir = Scratch.directory("adapter-seeds")
        try PEFTAdapter.write(lora, to: dir, baseModelName: "tiny")
        try GGUFLoRA.write(lora, to: dir + "/adapter.gguf")
        let config = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + PEFTAdapter.configFile))
        let weights = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + PEFTAdapter.weightsFile))
        return [
            ("peft-rank1", config + Data(separator.utf8) + weights),
            ("safetensors-only", weights),
            ("gguf-lora-rank1", try Data(contentsOf: URL(fileURLWithPath: dir + "/adapter.gguf"))),
        ]
    }
}
