import FTXEval
import FTXTrain
import Foundation

/// The engine pieces `ftx run` orchestrates, behind small protocols so the orchestration (config,
/// base verification, splits, gates, the commit, interruption) is testable on its own and the
/// real modules plug in as they land: FTXTrain (config defaults, training, adapter files), FTXData
/// (checks, splits), FTXModel + FTXEval (evaluation).
public protocol RunConfigResolver {
    /// Fills every default and validates keys and types (unknown keys are errors with a
    /// did-you-mean), returning the resolved mapping. `source` names the file for messages;
    /// `originalText` is the file's text when no override changed it (so errors get exact lines).
    func resolve(_ config: [String: Any], originalText: String?, source: String) throws -> [String: Any]
}

public protocol RunDataChecker {
    /// Checks the splits; throws on errors (malformed lines, leakage …) naming file:line. Returns
    /// warnings worth printing.
    func check(splits: [String: String]) throws -> [String]
    /// Splits one JSONL file deterministically into train/valid/test files under `directory`.
    func split(file: String, into directory: String, seed: Int) throws -> [String: String]
}

/// What a training run produced.
public struct TrainOutcome: Sendable {
    /// Final training and validation loss (for the header's metrics), when known.
    public var trainLoss: Double?
    public var validLoss: Double?
    /// Threads the training used (reproducibility depends on it).
    public var threads: Int
    public init(trainLoss: Double? = nil, validLoss: Double? = nil, threads: Int) {
        self.trainLoss = trainLoss; self.validLoss = validLoss; self.threads = threads
    }
}

public protocol RunTrainer {
    /// e.g. "ftx-train 0.3.0"; recorded in the header (`reproduce` compares it).
    var engineVersion: String { get }
    /// Trains on `plan`, writing adapter files (PEFT + GGUF-LoRA) into `adapterDirectory` and the
    /// JSONL training log to `logPath`. Checkpoints go under `checkpointDirectory` (kept when
    /// interrupted so the same run resumes). Must poll `isCancelled` and throw when it turns true.
    func train(plan: RunPlan, basePath: String, adapterDirectory: String, logPath: String,
               checkpointDirectory: String, isCancelled: @escaping () -> Bool) throws -> TrainOutcome
    /// `--dry-run`: the step plan of `plan` and an estimated time, training and writing nothing;
    /// nil when this trainer cannot tell.
    func estimate(plan: RunPlan, basePath: String) throws -> TrainEstimate?
}

extension RunTrainer {
    public func estimate(plan: RunPlan, basePath: String) throws -> TrainEstimate? { nil }
}

public protocol RunEvaluator {
    /// A stable key of the suite and its cases (e.g. their hashes), to find a stored base report.
    func suiteKey(suitePath: String) throws -> String
    /// Validates the suite and its cases before any training starts (errors name file:line).
    func validate(suitePath: String) throws
    /// Evaluates base + optional adapter on the suite. Gates are applied by the pipeline.
    func evaluate(suitePath: String, basePath: String, baseID: String, adapterDirectory: String?,
                  isCancelled: @escaping () -> Bool) throws -> EvalReport
}

/// The set of engine pieces a run uses.
public struct RunEngine {
    public var config: RunConfigResolver
    public var data: RunDataChecker
    public var trainer: RunTrainer
    public var evaluator: RunEvaluator
    public init(config: RunConfigResolver, data: RunDataChecker, trainer: RunTrainer, evaluator: RunEvaluator) {
        self.config = config; self.data = data; self.trainer = trainer; self.evaluator = evaluator
    }
}

/// A run's resolved inputs.
public struct RunPlan {
    /// The resolved config (every default filled in) and its YAML text as committed.
    public var config: [String: Any]
    public var configYAML: String
    public var configSource: String
    /// Flattened scalar params (`lora_r`, `eval.suite`, …) for the header and index.
    public var params: [String: ParamValue]
    public var baseModel: String
    /// split name → absolute JSONL path (train, valid, test).
    public var splits: [String: String]
    public var seed: Int
    public var suitePath: String?
    public var gates: [GateSpec]
    public var message: String
    /// Where relative paths in the config point from (the config file's directory).
    public var baseDirectory: String = FileManager.default.currentDirectoryPath
}
