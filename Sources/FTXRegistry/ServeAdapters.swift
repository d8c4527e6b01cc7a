import FTXModel
import FTXStore
import FTXTrain
import Foundation

/// What `ftx serve` reads from a repository: the deployed environments, a run commit's adapter as
/// unmerged LoRA weights, and the registered base a run was trained on (the same resolution as
/// `ftx eval REV`). FTXServe cannot read adapters itself (FTXTrain sits below the registry only).
extension Registry {
    /// Every `refs/deploy/ENV` and the commit it names now.
    public func deployedEnvironments() throws -> [String: ObjectID] {
        var out: [String: ObjectID] = [:]
        for (name, id) in try repo.refs.list(prefix: "refs/deploy/", skipInvalid: true) {
            out[String(name.dropFirst("refs/deploy/".count))] = id
        }
        return out
    }

    /// The adapter of run commit `id` (its `adapter/` tree) as weights for a model of `config`.
    public func adapterWeights(commit id: ObjectID, config: LlamaConfig) throws -> LoRAWeights {
        let c = try repo.objects.readCommit(id)
        guard let adapter = try entry("adapter", in: c), adapter.kind == .tree else { throw RegistryError.noAdapter(id.hex) }
        let dir = NSTemporaryDirectory() + "ftx-serve-\(getpid())-\(id.short)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try writeTree(adapter.id, into: dir)
        return try AdapterFile.loadLoRAWeights(dir, config: config)
    }

    /// The GGUF file of the registered base run commit `id` was trained on (bytes verified).
    public func basePath(ofRun id: ObjectID) throws -> String {
        let c = try commit(id.hex)
        guard let baseID = c.run?.baseID else { throw RegistryError.notARunCommit(id.hex) }
        let bases = BaseRegistry(registry: self)
        guard let base = try bases.base(withID: baseID) else {
            throw RegistryError.base("the base model \(baseID.prefix(12)) of \(id.short) is not registered here", location: id.hex,
                                     hint: "register the same file with `ftx base add`")
        }
        return try bases.verifiedPath(base)
    }
}
