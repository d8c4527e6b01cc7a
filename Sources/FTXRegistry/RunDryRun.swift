import FTXCore
import FTXData
import FTXTrain
import Foundation

/// `ftx run --dry-run`: every check `run` makes before training (config, eval section and suite,
/// base bytes, data, regression baselines), then the training plan and an estimated time; nothing
/// is registered, committed or trained. A single data file is split in a temporary directory.
extension RunPipeline {
    public struct DryRun {
        public let plan: RunPlan
        /// The registered base's name and id, or the GGUF path `run` would register.
        public let base: String
        /// Examples per split (train, valid, test).
        public let rows: [String: Int]
        public let warnings: [String]
        public let estimate: TrainEstimate?
    }

    public func dryRun(configPath: String?, overrides: [String] = []) throws -> DryRun {
        var loader = RunConfigLoader(workingDirectory: FileManager.default.currentDirectoryPath, resolver: engine.config)
        var plan = try loader.loadValidated(path: configPath, overrides: overrides, message: nil, evaluator: engine.evaluator)
        let bases = BaseRegistry(registry: registry)
        let found = try findBase(plan.baseModel, bases: bases, relativeTo: plan.baseDirectory, config: plan.configSource)
        let basePath = try found.base.map(bases.verifiedPath) ?? found.path
        let scratch = NSTemporaryDirectory() + "ftx-dry-run-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let warnings = try checkSplits(&plan) { _ in scratch + "/splits" }
        _ = try regressionBaselines(plan.gates, base: found.base, bases: bases)
        var rows: [String: Int] = [:]
        for (name, path) in plan.splits {
            var n = 0
            try ExampleReader.forEach(path: path) { _ in n += 1 }
            rows[name] = n
        }
        let estimate = try engine.trainer.estimate(plan: plan, basePath: basePath)
        let label = found.base.map { "\($0.name) \($0.id.prefix(12))" } ?? "\(basePath) (registered by the run)"
        return DryRun(plan: plan, base: label, rows: rows, warnings: warnings, estimate: estimate)
    }
}
