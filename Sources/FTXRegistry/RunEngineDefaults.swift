import FTXCore
import FTXData
import FTXEval
import FTXStore
import Foundation

/// The engine wired to the real modules.
extension RunEngine {
    /// `trainer` is FTXTrain's (`FTXTrainRunTrainer`); `modelLoader` opens base (+ adapter
    /// directory) as an EvalModel (`EvalModels.loader()`).
    public static func standard(trainer: RunTrainer, config: RunConfigResolver? = nil,
                                modelLoader: @escaping EvalSuiteEvaluator.ModelLoader = EvalModels.loader()) -> RunEngine {
        RunEngine(config: config ?? TrainConfigResolver(), data: ReaderDataChecker(), trainer: trainer,
                  evaluator: EvalSuiteEvaluator(modelLoader: modelLoader))
    }
}

/// Reads every split with FTXData's reader (format detection, errors with file:line), warns about
/// test inputs that also appear in train, and splits one file deterministically by example id.
public struct ReaderDataChecker: RunDataChecker {
    public init() {}

    public func check(splits: [String: String]) throws -> [String] {
        var inputs: [String: Set<String>] = [:]
        for (name, path) in splits.sorted(by: { $0.key < $1.key }) {
            var set = Set<String>()
            var count = 0
            try ExampleReader.forEach(path: path) { ex in set.insert(ex.input); count += 1 }
            if count == 0 { throw RegistryError.data("split '\(name)' has no examples", location: path) }
            inputs[name] = set
        }
        var warnings: [String] = []
        if let train = inputs["train"] {
            for split in ["valid", "test"] {
                if let s = inputs[split] {
                    let leaked = s.intersection(train).count
                    if leaked > 0 { warnings.append("\(leaked) \(split) input(s) also appear in train (leakage)") }
                }
            }
        }
        return warnings
    }

    /// 80/10/10 by the example id (a hash of its normalized content), so a row keeps its split when
    /// rows are added. Lines are copied byte for byte.
    public func split(file: String, into directory: String, seed: Int) throws -> [String: String] {
        var parts: [String: Data] = ["train": Data(), "valid": Data(), "test": Data()]
        guard let text = FileManager.default.contents(atPath: file) else { throw RegistryError.data("cannot read data file", location: file) }
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var i = 0
        try ExampleReader.forEach(path: file) { ex in
            // Examples come in file order; skip blank lines to find this example's bytes.
            while i < lines.count, lines[i].allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { i += 1 }
            guard i < lines.count else { return }
            let bucket = Self.bucket(ex.id, seed: seed)
            parts[bucket, default: Data()].append(contentsOf: lines[i])
            parts[bucket, default: Data()].append(UInt8(ascii: "\n"))
            i += 1
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var out: [String: String] = [:]
        for (name, data) in parts {
            let p = "\(directory)/\(name).jsonl"
            try AtomicFile.write(data, to: p)
            out[name] = p
        }
        return out
    }

    static func bucket(_ id: String, seed: Int) -> String {
        let h = ObjectID.hash(type: .blob, content: Data("\(seed):\(id)".utf8)).w0 % 100
        return h < 80 ? "train" : (h < 90 ? "valid" : "test")
    }
}

/// Runs a suite with FTXEval over a model opened by `modelLoader`.
public struct EvalSuiteEvaluator: RunEvaluator {
    public typealias ModelLoader = (_ basePath: String, _ baseID: String, _ adapterDirectory: String?) throws -> EvalModel
    public let modelLoader: ModelLoader

    public init(modelLoader: @escaping ModelLoader) { self.modelLoader = modelLoader }

    public func suiteKey(suitePath: String) throws -> String {
        let suite = try SuiteLoader.load(path: suitePath)
        let cases = try CaseLoader.load(suite: suite)
        return BaseRegistry.suiteKey(suiteSHA256: suite.sha256, casesSHA256: cases.sha256)
    }

    public func validate(suitePath: String) throws {
        _ = try CaseLoader.load(suite: SuiteLoader.load(path: suitePath))
    }

    public func evaluate(suitePath: String, basePath: String, baseID: String, adapterDirectory: String?,
                         isCancelled: @escaping () -> Bool) throws -> EvalReport {
        let suite = try SuiteLoader.load(path: suitePath)
        let cases = try CaseLoader.load(suite: suite)
        let model = try modelLoader(basePath, baseID, adapterDirectory)
        return try EvalRunner(suite: suite).run(model: model, cases: cases.cases, casesSHA256: cases.sha256)
    }
}
