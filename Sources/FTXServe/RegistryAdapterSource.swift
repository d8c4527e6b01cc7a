import Foundation
import FTXModel
import FTXRegistry
import FTXStore

/// Adapters from a repository: deploy refs, run commits by any revision, adapters read through
/// the registry (the same trees `ftx deploy` materializes).
public final class RegistryAdapterSource: AdapterSource {
    let registry: Registry
    public init(registry: Registry) { self.registry = registry }

    public func environments() throws -> [String: String] { try registry.deployedEnvironments().mapValues(\.hex) }

    public func commit(of revision: String) throws -> String? {
        guard let c = try? registry.commit(revision), c.run != nil else { return nil }
        return c.id.hex
    }

    public func weights(ofCommit id: String, config: LlamaConfig) throws -> LoRAWeights {
        guard let oid = ObjectID(hex: id) else { throw ServeError(.notFound, "not a commit id: \(id)") }
        return try registry.adapterWeights(commit: oid, config: config)
    }
}

/// Polls the deploy refs (every `interval` seconds) and switches environments whose ref moved:
/// `ftx deploy`, `ftx checkout prod@{1}`, a pull. New requests get the new adapter; in-flight ones
/// keep the `SharedAdapter` they hold.
public final class DeployWatcher: @unchecked Sendable {
    private let catalog: ModelCatalog
    private let interval: Double
    private let onSwitch: (String, String) -> Void
    private var stopped = false
    private let lock = NSLock()

    public init(catalog: ModelCatalog, interval: Double = 0.2, onSwitch: @escaping (_ env: String, _ commit: String) -> Void) {
        self.catalog = catalog; self.interval = interval; self.onSwitch = onSwitch
    }

    public func start() {
        let t = Thread { [self] in
            while !lock.withLock({ stopped }) {
                Thread.sleep(forTimeInterval: interval)
                for env in catalog.refresh() { onSwitch(env, catalog.environments[env] ?? "") }
            }
        }
        t.name = "ftx-deploy-watcher"
        t.start()
    }

    public func stop() { lock.withLock { stopped = true } }
}
