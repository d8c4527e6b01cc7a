import FTXCore
import FTXEval
import FTXModel
import FTXStore
import Foundation

/// `ftx run`: config → base check → data check/splits → train → eval (and the base, once per base +
/// suite) → gates → one commit holding the run tree (docs/architecture.md) and the run header.
/// Everything that can be wrong with the inputs is found before training starts. A failed gate
/// still commits (the evidence is kept) with `gate-status failed`. An interruption stops at the
/// next safe point and commits nothing.
public final class RunPipeline {
    public let registry: Registry
    public let engine: RunEngine
    public var isCancelled: () -> Bool = { Interruption.isInterrupted }
    /// Stage lines ("[2/6] data: …") go here (stderr in the CLI).
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Called just before the commit becomes visible (tests use it to interrupt at the last moment).
    public var beforePublish: () throws -> Void = {}

    public init(registry: Registry, engine: RunEngine) {
        self.registry = registry; self.engine = engine
    }

    public struct Result {
        public let commit: ObjectID
        public let header: RunHeader
        public let report: EvalReport?
        public let failedGates: [String]
        public let warnings: [String]
    }

    public func run(configPath: String?, overrides: [String] = [], message: String? = nil) throws -> Result {
        let started = Date()
        let repo = registry.repo
        // 1. Config (every default filled in).
        var loader = RunConfigLoader(workingDirectory: FileManager.default.currentDirectoryPath, resolver: engine.config)
        var plan = try loader.loadValidated(path: configPath, overrides: overrides, message: message, evaluator: engine.evaluator)
        log("[1/6] config: \(plan.configSource) (seed \(plan.seed))")

        // 2. Base model: registered, and its bytes still match.
        let bases = BaseRegistry(registry: registry)
        let base = try resolveBase(plan.baseModel, bases: bases, relativeTo: plan.baseDirectory, config: plan.configSource)
        let basePath = try bases.verifiedPath(base)
        log("[2/6] base: \(base.name) \(base.id.prefix(12))")

        // 3. Data: split when given one file, then check (errors stop here, before training).
        let seed = plan.seed
        let warnings = try checkSplits(&plan) { all in repo.ftxDirectory + "/cache/splits/" + (try self.fileKey(all, seed: seed)) }
        for w in warnings { log("  warning: \(w)") }
        let (baselines, baseBaselines) = try regressionBaselines(plan.gates, base: base, bases: bases)
        log("[3/6] data: " + plan.splits.sorted { $0.key < $1.key }.map { "\($0.key) \(($0.value as NSString).lastPathComponent)" }
            .joined(separator: ", "))
        try checkCancelled()

        // 4. Train into a work directory keyed by the inputs (its checkpoint survives Ctrl-C).
        let work = repo.ftxDirectory + "/runs/wip-" + (try runKey(plan, baseID: base.id))
        let adapterDir = work + "/adapter", logPath = work + "/train/log.jsonl"
        try? FileManager.default.removeItem(atPath: adapterDir)
        try FileManager.default.createDirectory(atPath: adapterDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work + "/train", withIntermediateDirectories: true)
        log("[4/6] train")
        let trained = try engine.trainer.train(plan: plan, basePath: basePath, adapterDirectory: adapterDir, logPath: logPath,
                                               checkpointDirectory: work + "/checkpoint", isCancelled: isCancelled)
        try checkCancelled()

        // 5. Evaluate the adapter, the base when its report for this suite is not stored yet, then gates.
        var report: EvalReport?
        if let suite = plan.suitePath {
            log("[5/6] eval: \((suite as NSString).lastPathComponent)")
            var r = try engine.evaluator.evaluate(suitePath: suite, basePath: basePath, baseID: base.id,
                                                  adapterDirectory: adapterDir, isCancelled: isCancelled)
            try checkCancelled()
            let key = try engine.evaluator.suiteKey(suitePath: suite)
            let baseReport: EvalReport
            if let stored = try bases.storedReport(base, suiteKey: key) {
                baseReport = stored
            } else {
                log("      base model on the suite (stored once per base and suite)")
                baseReport = try engine.evaluator.evaluate(suitePath: suite, basePath: basePath, baseID: base.id,
                                                           adapterDirectory: nil, isCancelled: isCancelled)
                try checkCancelled()
                try bases.storeReport(baseReport, for: base, suiteKey: key)
            }
            var baseBaselineReports: [String: EvalReport] = [:]
            for (rev, b) in baseBaselines {
                baseBaselineReports[rev] = b.id == base.id ? baseReport : try bases.storedReport(b, suiteKey: key)
            }
            r.gates = plan.gates.flatMap { spec -> [GateResult] in
                let baseline = spec.regressionVs.flatMap { baselines[$0] ?? baseBaselineReports[$0] }
                return GateEvaluator.evaluate([spec], report: r, baseline: baseline)
            }
            report = r
        } else {
            log("[5/6] eval: skipped (no eval.suite in the config)")
        }

        // 6. Commit the run tree with the run header.
        var header = RunHeader()
        header.baseID = base.id
        header.baseName = base.name
        header.seed = plan.seed
        header.engine = engine.trainer.engineVersion
        header.code = try? GitProvenance.read(at: repo.workTree)
        header.hostCPU = HostFacts.cpuModel
        header.hostThreads = trained.threads
        header.params = plan.params
        if let r = report {
            for (name, _) in EvalMetrics.headline { if let v = r.metrics.value(name) { header.metrics[name] = v } }
            header.gates = r.gates.map { GateVerdict(name: $0.gate, passed: $0.status != .fail, detail: $0.detail) }
        }
        if let l = trained.trainLoss { header.metrics["train_loss"] = l }
        if let l = trained.validLoss { header.metrics["valid_loss"] = l }
        let failed = header.gates.filter { !$0.passed }.map(\.name)
        header.gateStatus = header.gates.isEmpty ? .none : (failed.isEmpty ? .passed : .failed)
        header.wallSeconds = Date().timeIntervalSince(started)

        var children: [String: Registry.TreeSource] = [
            "config.yaml": .bytes(Data(plan.configYAML.utf8)),
            "adapter": .directory(adapterDir),
            "data": .tree(plan.splits.reduce(into: [:]) { $0["\($1.key).jsonl"] = .file($1.value) }),
        ]
        if FileManager.default.fileExists(atPath: logPath) { children["train"] = .tree(["log.jsonl": .file(logPath)]) }
        if let r = report { children["eval"] = .tree(["report.json": .bytes(try r.jsonData())]) }
        try checkCancelled()
        let importer = FileImporter(store: repo.objects)
        let tree: ObjectID
        do {
            tree = try registry.writeTree(children, importer: importer)
            try importer.finish()
        } catch {
            importer.abort()
            throw error
        }
        let commit = try registry.commitRun(tree: tree, message: plan.message, headers: header.headers,
                                            beforePublish: { try self.checkCancelled(); try self.beforePublish() })
        log("[6/6] commit \(commit.short)" + (failed.isEmpty ? "" : " (gates failed: \(failed.joined(separator: "; ")))"))
        try? FileManager.default.removeItem(atPath: work)
        return Result(commit: commit, header: header, report: report, failedGates: failed, warnings: warnings)
    }

    func checkCancelled() throws {
        if isCancelled() { throw RegistryError.interrupted }
    }

    /// `base_model` as a registered name/id, or a GGUF path (registered on first use, linked).
    /// An unknown name is an error naming the config file and listing the registered bases.
    func resolveBase(_ ref: String, bases: BaseRegistry, relativeTo dir: String, config: String) throws -> BaseRegistry.Base {
        let found = try findBase(ref, bases: bases, relativeTo: dir, config: config)
        if let known = found.base { return known }
        // Registered on the fly under the model's family name, or its file name when that is taken.
        let path = found.path
        let family = BaseRegistry.defaultName(forModelAt: path)
        let name = (try? bases.base(named: family)) == nil ? family : BaseRegistry.defaultName(for: SlashPath.lastComponent(path))
        return try bases.add(file: path, name: name, link: true)
    }

    /// The registered base `ref` names, or (base nil) the GGUF file it names that is not registered
    /// yet. Writes nothing.
    func findBase(_ ref: String, bases: BaseRegistry, relativeTo dir: String, config: String) throws -> (base: BaseRegistry.Base?, path: String) {
        if !BaseRegistry.looksLikePath(ref) {
            do { let b = try bases.find(ref); return (b, b.path) } catch RegistryError.base(let why, _, let hint) {
                throw RegistryError.base(why, location: config, hint: hint)
            }
        }
        let path = ref.hasPrefix("/") ? ref : URL(fileURLWithPath: ref, relativeTo: URL(fileURLWithPath: dir + "/")).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw RegistryError.base("base model file not found", location: ref,
                                     hint: "register it with `ftx base add FILE.gguf` and name it in base_model")
        }
        // A run records its base by content id: a checkpoint folder becomes one file first.
        if HFCheckpoint.isCheckpoint(path) {
            throw RegistryError.base("a Hugging Face checkpoint folder is a run's base once it is registered", location: ref,
                                     hint: "ftx base add \(ref) --name NAME (it is stored as a GGUF), then base_model: NAME")
        }
        guard let id = try bases.fileID(path) else { throw RegistryError.base("cannot read base model", location: ref, hint: nil) }
        return (try bases.base(withID: id), path)
    }

    /// A single data file split (into `splitDirectory(file)`), then every split checked: errors stop
    /// here, before training. Returns the checker's warnings.
    func checkSplits(_ plan: inout RunPlan, splitDirectory: (String) throws -> String) throws -> [String] {
        if let all = plan.splits["all"] {
            plan.splits = try engine.data.split(file: all, into: try splitDirectory(all), seed: plan.seed)
        }
        guard plan.splits["train"] != nil else {
            throw RegistryError.config("the run config names no training split", location: plan.configSource,
                                       hint: "data: {train: …, valid: …, test: …} or data: all.jsonl")
        }
        return try engine.data.check(splits: plan.splits)
    }

    /// Regression baselines, found before training: a run commit's report now; a base (`base`:
    /// this run's base; another base's name or id) once the suite's base report is known.
    func regressionBaselines(_ gates: [GateSpec], base: BaseRegistry.Base?, bases: BaseRegistry) throws
        -> (reports: [String: EvalReport], bases: [String: BaseRegistry.Base]) {
        var reports: [String: EvalReport] = [:], baseBaselines: [String: BaseRegistry.Base] = [:]
        for rev in Set(gates.compactMap(\.regressionVs)).sorted() {
            if rev == "base" {
                if let base { baseBaselines[rev] = base }
            } else if case .external(_, let id) = try registry.repo.resolveRevision(rev), let b = try bases.base(withID: id) {
                baseBaselines[rev] = b
            } else {
                reports[rev] = try storedReport(at: rev)
            }
        }
        return (reports, baseBaselines)
    }

    /// The eval report of a revision (for regression gates against a tag or commit).
    func storedReport(at rev: String) throws -> EvalReport {
        let c = try registry.commit(rev)
        guard let data = try registry.file("eval/report.json", in: c.commit) else {
            throw RegistryError.missing("\(rev) has no eval/report.json to compare against", hint: "regression_vs names a run commit, tag or `base`")
        }
        return try EvalReport.decode(data, file: "\(rev):eval/report.json")
    }

    func fileKey(_ path: String, seed: Int) throws -> String {
        let id = try FileImporter(store: registry.repo.objects).importFile(at: path, write: false).id.hex
        return String(id.prefix(16)) + "-s\(seed)"
    }

    /// Same resolved config, base and data → same work directory (so an interrupted run resumes).
    private func runKey(_ plan: RunPlan, baseID: String) throws -> String {
        var text = plan.configYAML + "\n" + baseID
        for (k, p) in plan.splits.sorted(by: { $0.key < $1.key }) {
            text += "\n\(k) " + (try FileImporter(store: registry.repo.objects).importFile(at: p, write: false).id.hex)
        }
        return String(ObjectID.hash(type: .blob, content: Data(text.utf8)).hex.prefix(16))
    }
}
