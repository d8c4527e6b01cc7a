import FTXEval
import FTXStore
import Foundation

/// `ftx eval --base` and `ftx eval REV` inside a repository: a registered base (`--base` or REV =
/// `base`: the default; REV = a base's name or id: that one; its report is stored with the base,
/// once per suite, for `ftx diff base …` and regression gates), or a run commit's adapter on top
/// of its recorded base.
extension Registry {
    public func evaluateBase(_ nameOrID: String = "base", suitePath: String, modelLoader: @escaping EvalSuiteEvaluator.ModelLoader,
                             gates: [GateSpec] = []) throws -> EvalReport {
        let bases = BaseRegistry(registry: self)
        let base = try bases.find(nameOrID)
        let evaluator = EvalSuiteEvaluator(modelLoader: modelLoader)
        var report = try evaluator.evaluate(suitePath: suitePath, basePath: try bases.verifiedPath(base), baseID: base.id,
                                            adapterDirectory: nil, isCancelled: { Interruption.isInterrupted })
        try bases.storeReport(report, for: base, suiteKey: try evaluator.suiteKey(suitePath: suitePath))
        if !gates.isEmpty { report.gates = GateEvaluator.evaluate(gates, report: report) }
        return report
    }

    public func evaluate(revision: String, suitePath: String, modelLoader: @escaping EvalSuiteEvaluator.ModelLoader,
                         gates: [GateSpec] = []) throws -> EvalReport {
        if case .external(_, let id) = try repo.resolveRevision(revision) {
            return try evaluateBase(id, suitePath: suitePath, modelLoader: modelLoader, gates: gates)
        }
        let c = try commit(revision)
        guard let baseID = c.run?.baseID else { throw RegistryError.notARunCommit(revision) }
        let bases = BaseRegistry(registry: self)
        guard let base = try bases.list().first(where: { $0.id == baseID }) else {
            throw RegistryError.base("the base model \(baseID.prefix(12)) of \(revision) is not registered here", location: revision,
                                     hint: "register the same file with `ftx base add`")
        }
        guard let adapter = try entry("adapter", in: c.commit), adapter.kind == .tree else { throw RegistryError.noAdapter(c.id.hex) }
        let dir = NSTemporaryDirectory() + "ftx-eval-\(getpid())-\(c.id.short)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try writeTree(adapter.id, into: dir)
        let evaluator = EvalSuiteEvaluator(modelLoader: modelLoader)
        var report = try evaluator.evaluate(
            suitePath: suitePath, basePath: try bases.verifiedPath(base), baseID: base.id, adapterDirectory: dir,
            isCancelled: { Interruption.isInterrupted })
        if !gates.isEmpty {
            let baseline = try gates.contains { $0.regressionVs == "base" }
                ? bases.storedReport(base, suiteKey: evaluator.suiteKey(suitePath: suitePath)) : nil
            report.gates = GateEvaluator.evaluate(gates, report: report, baseline: baseline)
        }
        return report
    }
}

extension Registry {
    /// The suite a run was evaluated on (its report's suite path, relative paths from the work
    /// tree), for `ftx eval REV` without --suite. `changed` tells whether the file's bytes differ
    /// now from the ones the run used.
    public func recordedSuite(of revision: String) throws -> (path: String, changed: Bool) {
        let hint = "pass --suite FILE.yaml (or --config with eval.suite)"
        if case .external = try repo.resolveRevision(revision) {
            throw RegistryError.missing("\(revision) is a base model, which records no eval suite", hint: hint)
        }
        let c = try commit(revision)
        guard let data = try file("eval/report.json", in: c.commit) else {
            throw RegistryError.missing("\(revision) (\(c.id.short)) has no eval report to take its suite from", hint: hint)
        }
        let suite = try EvalReport.decode(data, file: "\(revision):eval/report.json").suite
        let path = suite.path.hasPrefix("/") ? suite.path
            : URL(fileURLWithPath: suite.path, relativeTo: URL(fileURLWithPath: repo.workTree + "/")).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw RegistryError.missing("the eval suite \(revision) was evaluated on is gone", hint: hint + "; it was \(suite.path)")
        }
        let changed = (try? SuiteLoader.load(path: path).sha256) != suite.sha256
        return (path, changed)
    }
}
