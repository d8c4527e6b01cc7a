import Foundation
import FTXModel

/// Where adapters come from: a repository's deploy refs and run commits (`RegistryAdapterSource`),
/// or tests' closures. Called from several threads; the catalog serialises the calls.
public protocol AdapterSource: AnyObject {
    /// Every deploy environment and the commit id (hex) it names now.
    func environments() throws -> [String: String]
    /// The commit id a revision (run id, tag, HEAD~1) names, or nil when it names none.
    func commit(of revision: String) throws -> String?
    /// The adapter weights of a commit.
    func weights(ofCommit id: String, config: LlamaConfig) throws -> LoRAWeights
}

/// Which adapter answers a request's `model`: an environment (`prod`, any refs/deploy/*), a run
/// id or revision, or the base alone. Each distinct adapter is loaded once, as a `SharedAdapter`
/// the decode batch applies unmerged to that request's rows. `refresh()` (the hot-swap watcher)
/// follows the deploy refs: new requests get the new adapter, in-flight ones keep theirs.
public final class ModelCatalog: @unchecked Sendable {
    /// What a request is served with.
    public struct Choice {
        public let env: String
        /// The adapter's commit id (the `x-ftx-adapter` header); nil for the base alone.
        public let adapterID: String?
        public let row: RowAdapter
        public var header: String { adapterID ?? "base" }
    }

    public let config: LlamaConfig
    public let defaultEnv: String
    /// Names that mean the base alone: "base" and the GGUF's file name.
    public let baseNames: [String]
    private let source: AdapterSource?
    /// `--adapter PATH` or `REV`: what a request without a known environment name gets by default.
    private let fixedDefault: (id: String, adapter: SharedAdapter)?
    private let state = NSLock(), sourceLock = NSLock()
    private var adapters: [String: SharedAdapter] = [:]   // commit id → loaded once
    private var envs: [String: String] = [:]              // env → commit id being served
    private var failed: Set<String> = []                  // commits whose load failed (logged once)
    private let log: (String) -> Void

    public init(config: LlamaConfig, defaultEnv: String, baseNames: [String], source: AdapterSource?,
                fixedDefault: (id: String, weights: LoRAWeights)? = nil, log: @escaping (String) -> Void = { _ in }) {
        self.config = config; self.defaultEnv = defaultEnv; self.baseNames = ["base"] + baseNames.filter { $0 != "base" }
        self.source = source; self.log = log
        self.fixedDefault = fixedDefault.map { ($0.id, SharedAdapter($0.weights)) }
    }

    /// The environments served now and their commit ids.
    public var environments: [String: String] { state.withLock { envs } }

    /// The model names `/v1/models` lists: environments, then the base names.
    public var modelNames: [String] { environments.keys.sorted() + baseNames }

    /// Reads the deploy refs and loads the adapter of every environment that moved. A failed load
    /// keeps the environment on its previous adapter (and says so once). Returns the environments
    /// that switched.
    @discardableResult
    public func refresh() -> [String] {
        guard let source else { return [] }
        let now: [String: String]
        do { now = try sourceLock.withLock { try source.environments() } } catch {
            log("cannot read the deploy refs: \(error)"); return []
        }
        var switched: [String] = []
        for (env, id) in now.sorted(by: { $0.key < $1.key }) where environments[env] != id {
            guard (try? adapter(commit: id)) != nil else { continue }
            state.withLock { envs[env] = id }
            switched.append(env)
        }
        state.withLock { for env in envs.keys where now[env] == nil { envs[env] = nil } }
        return switched
    }

    /// The adapter of a commit, loaded on first use.
    func adapter(commit id: String) throws -> SharedAdapter {
        if let a = state.withLock({ adapters[id] }) { return a }
        guard let source else { throw ServeError(.notFound, "no repository to load \(id) from") }
        do {
            let w = try sourceLock.withLock { try source.weights(ofCommit: id, config: config) }
            let a = SharedAdapter(w)
            state.withLock { adapters[id] = a; failed.remove(id) }
            return a
        } catch {
            if state.withLock({ failed.insert(id).inserted }) { log("cannot load the adapter of \(id.prefix(12)): \(error)") }
            throw error
        }
    }

    /// Number of distinct adapters in memory (the `ftx_adapters_loaded` gauge).
    public var loadedCount: Int { state.withLock { adapters.count } + (fixedDefault == nil ? 0 : 1) }

    /// The choice for a request's `model` (nil or empty: the default).
    public func resolve(_ model: String?) throws -> Choice {
        let name = model ?? ""
        if name.isEmpty || name == defaultEnv {
            if let f = fixedDefault { return Choice(env: defaultEnv, adapterID: f.id, row: .lora(f.adapter)) }
        }
        if baseNames.contains(name) { return Choice(env: defaultEnv, adapterID: nil, row: .base) }
        let env = name.isEmpty ? defaultEnv : name
        if let id = environments[env], let a = state.withLock({ adapters[id] }) {
            return Choice(env: env, adapterID: id, row: .lora(a))
        }
        if name.isEmpty { return Choice(env: defaultEnv, adapterID: nil, row: .base) }
        if let source, let id = try? sourceLock.withLock({ try source.commit(of: name) }),
           let a = try? adapter(commit: id) {
            return Choice(env: defaultEnv, adapterID: id, row: .lora(a))
        }
        throw ServeError(.notFound, "the model '\(name)' does not exist; served: " + modelNames.joined(separator: ", "), param: "model")
    }
}
