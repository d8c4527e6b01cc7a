import FTXCore
import FTXData
import FTXStore
import Foundation

/// `ftx reproduce REV`: re-trains from exactly the inputs a run commit recorded (its resolved
/// config.yaml, its data/ files, the base model with the recorded id) and compares the adapter
/// bytes; when they differ, it names the first training-log line that diverges.
extension Registry {
    public struct ReproduceResult {
        public let commit: ObjectID
        public let identical: Bool
        /// Adapter files whose bytes differ (empty when identical).
        public let differingFiles: [String]
        /// 1-based line of train/log.jsonl where the logs first differ, with both lines.
        public let firstDivergence: (line: Int, recorded: String, reproduced: String)?
        /// Facts that legitimately change results (engine version, thread count), recorded vs now.
        public let notes: [String]
    }

    public func reproduce(_ revision: String, trainer: RunTrainer, log: (String) -> Void = { _ in }) throws -> ReproduceResult {
        let target = try commit(revision)
        guard let header = target.run else { throw RegistryError.notARunCommit(revision) }
        guard let cfgData = try file("config.yaml", in: target.commit),
              let config = try YAMLDocument.load(String(decoding: cfgData, as: UTF8.self), file: "\(revision):config.yaml") as? [String: Any] else {
            throw RegistryError.missing("\(revision) has no readable config.yaml", hint: nil)
        }
        guard let baseID = header.baseID else { throw RegistryError.missing("\(revision) records no base model id", hint: nil) }
        let bases = BaseRegistry(registry: self)
        guard let base = try bases.list().first(where: { $0.id == baseID }) else {
            throw RegistryError.base("the base model \(baseID.prefix(12)) of \(revision) is not registered here", location: revision,
                                     hint: "register the same file with `ftx base add`")
        }
        let basePath = try bases.verifiedPath(base)

        let work = repo.ftxDirectory + "/runs/reproduce-\(target.id.short)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        try? FileManager.default.removeItem(atPath: work)
        var splits: [String: String] = [:]
        if let dataTree = try entry("data", in: target.commit), dataTree.kind == .tree {
            try FileManager.default.createDirectory(atPath: work + "/data", withIntermediateDirectories: true)
            try writeTree(dataTree.id, into: work + "/data")
            for name in try FileManager.default.contentsOfDirectory(atPath: work + "/data") where name.hasSuffix(".jsonl") {
                splits[String(name.dropLast(6))] = work + "/data/" + name
            }
        }
        guard splits["train"] != nil else { throw RegistryError.missing("\(revision) has no data/train.jsonl", hint: nil) }
        var resolved = config
        resolved["data"] = splits
        // The thread count decides how gradient sums are split, so it is part of what gives the bytes.
        // (The recorded config.yaml spells an unset count `threads: null`.)
        if resolved["threads"] == nil || resolved["threads"] is NSNull, let t = header.hostThreads { resolved["threads"] = t }
        let plan = RunPlan(config: resolved, configYAML: String(decoding: cfgData, as: UTF8.self), configSource: "\(revision):config.yaml",
                           params: header.params, baseModel: base.name, splits: splits, seed: header.seed ?? 0,
                           suitePath: nil, gates: [], message: "")
        let adapterDir = work + "/adapter", logPath = work + "/train/log.jsonl"
        try FileManager.default.createDirectory(atPath: adapterDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work + "/train", withIntermediateDirectories: true)
        log("re-training \(target.id.short) on base \(base.name) (seed \(plan.seed))")
        let outcome = try trainer.train(plan: plan, basePath: basePath, adapterDirectory: adapterDir, logPath: logPath,
                                        checkpointDirectory: work + "/checkpoint", isCancelled: { Interruption.isInterrupted })

        var notes: [String] = []
        if let e = header.engine, e != trainer.engineVersion { notes.append("engine: recorded \(e), now \(trainer.engineVersion)") }
        if let t = header.hostThreads, t != outcome.threads { notes.append("threads: recorded \(t), now \(outcome.threads)") }
        if let cpu = header.hostCPU, cpu != HostFacts.cpuModel { notes.append("cpu: recorded \(cpu), now \(HostFacts.cpuModel)") }

        var differing: [String] = []
        let recorded = try entry("adapter", in: target.commit).map { try repo.flatten(tree: $0.id) } ?? [:]
        let reproduced = Set((try? FileManager.default.contentsOfDirectory(atPath: adapterDir)) ?? [])
        for name in Set(recorded.keys).union(reproduced).sorted() {
            guard let e = recorded[name], let now = FileManager.default.contents(atPath: adapterDir + "/" + name) else {
                differing.append(name); continue
            }
            var then = Data()
            try repo.objects.streamFile(kind: e.kind, id: e.id) { then.append($0) }
            if then != now { differing.append(name) }
        }
        var divergence: (Int, String, String)?
        if !differing.isEmpty {
            let a = String(decoding: try file("train/log.jsonl", in: target.commit) ?? Data(), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let b = String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for i in 0..<max(a.count, b.count) {
                let x = i < a.count ? a[i] : "<end of log>", y = i < b.count ? b[i] : "<end of log>"
                if Self.logLine(x) != Self.logLine(y) { divergence = (i + 1, x, y); break }
            }
        }
        return ReproduceResult(commit: target.id, identical: differing.isEmpty, differingFiles: differing,
                               firstDivergence: divergence, notes: notes)
    }

    /// A log line without wall-clock fields (tokens/s, elapsed), which differ between identical runs.
    static func logLine(_ line: String) -> String {
        guard var obj = (try? JSONParser.parse(line))?.foundationObject as? [String: Any] else { return line }
        for k in obj.keys where k.contains("per_s") || k.contains("tok_s") || k.contains("seconds") || k == "elapsed" || k == "time" {
            obj.removeValue(forKey: k)
        }
        let d = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
        return String(decoding: d, as: UTF8.self)
    }
}
