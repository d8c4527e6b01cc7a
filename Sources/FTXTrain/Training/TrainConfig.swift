import FTXCore
import Foundation
import FTXModel

/// A training run's configuration (docs/training.md; axolotl/mlx-lm key names). Every key has a
/// default except base_model and data.train; `resolvedYAML` writes all of them back
/// deterministically.
public struct TrainConfig: Equatable {
    public enum AdapterKind: String, CaseIterable, Sendable { case lora, qlora }

    public var baseModel: String = ""
    public var dataTrain: String = ""
    public var dataValid: String?
    public var dataTest: String?
    public var outputDir: String = "out"
    public var adapter: AdapterKind = .lora
    public var loraR: Int = 8
    public var loraAlpha: Double = 16
    public var loraDropout: Double = 0
    public var loraTargetModules: [Projection] = Projection.allCases
    /// Adapt only the last N blocks (nil = all).
    public var loraLayers: Int?
    public var useRslora: Bool = false
    public var learningRate: Double = 2e-4
    public var numEpochs: Int = 1
    public var maxSteps: Int?
    public var microBatchSize: Int = 1
    public var gradientAccumulationSteps: Int = 1
    public var maxSeqLength: Int = 512
    public var warmupRatio: Double = 0
    public var lrScheduler: LRSchedulerKind = .cosine
    public var weightDecay: Double = 0
    public var maxGradNorm: Double = 1
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    public var adamEpsilon: Double = 1e-8
    public var trainOnInputs: Bool = false
    public var packing: Bool = false
    /// Shuffle the training examples each epoch (seeded); false keeps file order.
    public var shuffle: Bool = true
    public var longSequences: LongSequencePolicy = .error
    public var seed: Int = 42
    public var evalSteps: Int = 0
    public var saveSteps: Int = 0
    public var loggingSteps: Int = 1
    public var earlyStoppingPatience: Int = 0
    public var gradientCheckpointing: Bool = false
    public var threads: Int?
    public var exportGGUF: Bool = false
    /// The eval section, kept opaque (YAML text) for the eval module.
    public var eval: String?
    /// Directory of the config file: relative base_model and data paths are resolved against it
    /// (output_dir is relative to the working directory, like --output-dir). Not serialized.
    public var baseDirectory: String?
    /// The file base_model names when a caller resolved it (a registered base name → its verified
    /// GGUF path, done by the CLI, which can see the repository). Not serialized.
    public var baseModelPath: String?

    /// A path from the config, resolved against the config file's directory.
    public func resolve(_ path: String) -> String {
        guard let dir = baseDirectory, !path.hasPrefix("/") else { return path }
        return (dir as NSString).appendingPathComponent(path)
    }

    public init() {}

    /// The LoRA shape this config asks for on a model with `numLayers` blocks.
    public func loraSpec(numLayers: Int) -> LoRASpec {
        let layers = loraLayers.map { n in Array(max(0, numLayers - n)..<numLayers) }
        return LoRASpec(rank: loraR, alpha: Float(loraAlpha), useRSLoRA: useRslora, dropout: Float(loraDropout),
                        targets: loraTargetModules, layers: layers)
    }

    public static let keys: [String] = [
        "base_model", "data", "output_dir", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules",
        "lora_layers", "use_rslora", "learning_rate", "num_epochs", "max_steps", "micro_batch_size",
        "gradient_accumulation_steps", "max_seq_length", "warmup_ratio", "lr_scheduler", "weight_decay", "max_grad_norm",
        "adam_beta1", "adam_beta2", "adam_epsilon", "train_on_inputs", "packing", "shuffle", "long_sequences", "seed", "eval_steps",
        "save_steps", "logging_steps", "early_stopping_patience", "gradient_checkpointing", "threads", "export_gguf", "eval",
    ]

    /// Deterministic YAML with every key (defaults filled in), in `keys` order.
    public var resolvedYAML: String {
        func q(_ s: String) -> String {
            let plain = !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) } && Double(s) == nil
                && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(s.lowercased())
            if plain { return s }
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        func num(_ d: Double) -> String {
            if d == d.rounded(), abs(d) < 1e15 { return String(format: "%.1f", d) }
            return "\(d)"
        }
        var out = "base_model: \(q(baseModel))\n"
        out += "data:\n  train: \(q(dataTrain))\n"
        out += "  valid: \(dataValid.map(q) ?? "null")\n  test: \(dataTest.map(q) ?? "null")\n"
        out += "output_dir: \(q(outputDir))\nadapter: \(adapter.rawValue)\n"
        out += "lora_r: \(loraR)\nlora_alpha: \(num(loraAlpha))\nlora_dropout: \(num(loraDropout))\n"
        out += "lora_target_modules: [\(loraTargetModules.map { $0.peftName }.joined(separator: ", "))]\n"
        out += "lora_layers: \(loraLayers.map(String.init) ?? "null")\nuse_rslora: \(useRslora)\n"
        out += "learning_rate: \(num(learningRate))\nnum_epochs: \(numEpochs)\nmax_steps: \(maxSteps.map(String.init) ?? "null")\n"
        out += "micro_batch_size: \(microBatchSize)\ngradient_accumulation_steps: \(gradientAccumulationSteps)\n"
        out += "max_seq_length: \(maxSeqLength)\nwarmup_ratio: \(num(warmupRatio))\nlr_scheduler: \(lrScheduler.rawValue)\n"
        out += "weight_decay: \(num(weightDecay))\nmax_grad_norm: \(num(maxGradNorm))\n"
        out += "adam_beta1: \(num(adamBeta1))\nadam_beta2: \(num(adamBeta2))\nadam_epsilon: \(num(adamEpsilon))\n"
        out += "train_on_inputs: \(trainOnInputs)\npacking: \(packing)\nshuffle: \(shuffle)\nlong_sequences: \(longSequences.rawValue)\n"
        out += "seed: \(seed)\neval_steps: \(evalSteps)\nsave_steps: \(saveSteps)\nlogging_steps: \(loggingSteps)\n"
        out += "early_stopping_patience: \(earlyStoppingPatience)\ngradient_checkpointing: \(gradientCheckpointing)\n"
        out += "threads: \(threads.map(String.init) ?? "null")\nexport_gguf: \(exportGGUF)\n"
        if let eval, !eval.isEmpty {
            out += "eval:\n" + eval.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.isEmpty }.map { "  " + $0 }.joined(separator: "\n") + "\n"
        } else {
            out += "eval: null\n"
        }
        return out
    }
}

/// A did-you-mean hint for a misspelt key, or nil.
func didYouMean(_ key: String, among keys: [String]) -> String? {
    DidYouMean.suggest(key, keys).map { "did you mean `\($0)`?" }
}
