import FTXCore
import FTXModel
import FTXTrain
import Foundation
import Yams

/// FTXTrain's config schema for `ftx run`: unknown keys and wrong types are errors naming
/// file:line (with a did-you-mean), and every default is filled in. The registry also accepts
/// `data: FILE.jsonl` (one file, split deterministically), which FTXTrain's schema spells as a
/// mapping; it is validated as `data: {train: FILE}` and handed back unchanged.
public struct TrainConfigResolver: RunConfigResolver {
    public init() {}

    public func resolve(_ config: [String: Any], originalText: String?, source: String) throws -> [String: Any] {
        var forTrain = config
        let singleData = config["data"] as? String
        if let singleData { forTrain["data"] = ["train": singleData] }
        let text: String
        var file = source
        if let originalText, singleData == nil {
            text = originalText
        } else {
            text = try Yams.dump(object: forTrain, sortKeys: true)
            if originalText == nil { file = "\(source) (with --set)" }
        }
        let tc = try TrainConfig.parse(text, file: file)
        guard var resolved = try YAMLDocument.load(tc.resolvedYAML, file: file) as? [String: Any] else {
            throw RegistryError.config("the resolved config is not a mapping", location: source, hint: nil)
        }
        if let singleData { resolved["data"] = singleData }
        return resolved
    }

    /// The TrainConfig `ftx train` runs: the plan's resolved config (its --set overrides applied),
    /// paths still relative to the config file as it was named (so errors name them as written).
    /// A single data file is the training split.
    public static func trainConfig(_ plan: RunPlan) throws -> TrainConfig {
        var map = plan.config
        if let single = map["data"] as? String { map["data"] = ["train": single] }
        return try TrainConfig.parse(try Yams.dump(object: map, sortKeys: true), file: plan.configSource)
    }
}

/// FTXTrain's trainer for `ftx run`: trains into the run's work directory (its checkpoint lets an
/// interrupted run resume), exports PEFT + GGUF-LoRA files into the adapter directory, and copies
/// the training log.
public struct FTXTrainRunTrainer: RunTrainer {
    public let engineVersion: String
    /// Tests hand in a tiny in-process model instead of loading the GGUF at the base path.
    public var preload: ((String) throws -> LlamaModel?)?
    public var progress: Bool

    public init(engineVersion: String, progress: Bool = true, preload: ((String) throws -> LlamaModel?)? = nil) {
        self.engineVersion = engineVersion; self.progress = progress; self.preload = preload
    }

    /// The TrainConfig a plan trains with: its resolved config, with the verified base path, the
    /// splits and the work directory filled in, and GGUF-LoRA export on.
    public static func trainConfig(plan: RunPlan, basePath: String, outputDir: String) throws -> TrainConfig {
        var map = plan.config
        var data: [String: Any] = [:]
        for (k, p) in plan.splits where ["train", "valid", "test"].contains(k) { data[k] = p }
        map["data"] = data
        map["base_model"] = basePath
        map["output_dir"] = outputDir
        map["export_gguf"] = true
        var tc = try TrainConfig.parse(try Yams.dump(object: map, sortKeys: true), file: plan.configSource)
        tc.exportGGUF = true
        return tc
    }

    public func estimate(plan: RunPlan, basePath: String) throws -> TrainEstimate? {
        let tc = try Self.trainConfig(plan: plan, basePath: basePath, outputDir: NSTemporaryDirectory() + "ftx-dry-run")
        return try Trainer(config: tc, preloaded: try preload?(basePath)).estimate()
    }

    public func train(plan: RunPlan, basePath: String, adapterDirectory: String, logPath: String,
                      checkpointDirectory: String, isCancelled: @escaping () -> Bool) throws -> TrainOutcome {
        let tc = try Self.trainConfig(plan: plan, basePath: basePath, outputDir: checkpointDirectory)
        let fm = FileManager.default
        try fm.createDirectory(atPath: checkpointDirectory, withIntermediateDirectories: true)
        let resume = fm.fileExists(atPath: checkpointDirectory + "/" + Checkpoint.fileName)
        let trainer = try Trainer(config: tc, preloaded: try preload?(basePath))
        var options = Trainer.Options(resume: resume, progress: progress)
        options.shouldStop = isCancelled
        let result = try trainer.run(options)
        if result.interrupted { throw RegistryError.interrupted }
        try trainer.exportAdapter()
        for name in [PEFTAdapter.weightsFile, PEFTAdapter.configFile, "adapter.gguf"] {
            let src = checkpointDirectory + "/" + name
            guard fm.fileExists(atPath: src) else { continue }
            try? fm.removeItem(atPath: adapterDirectory + "/" + name)
            try fm.copyItem(atPath: src, toPath: adapterDirectory + "/" + name)
        }
        let log = checkpointDirectory + "/train_log.jsonl"
        if fm.fileExists(atPath: log) {
            try? fm.removeItem(atPath: logPath)
            try fm.copyItem(atPath: log, toPath: logPath)
        }
        return TrainOutcome(trainLoss: result.lastLoss, validLoss: result.validLoss, threads: Threads.usable)
    }
}
