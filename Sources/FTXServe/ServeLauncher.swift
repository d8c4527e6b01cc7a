import Foundation
import FTXCore
import FTXModel
import FTXRegistry
import FTXStore

/// `ftx serve` from the command line's choices to a running server: what to serve (a deploy
/// environment, a revision, or a GGUF + adapter file), the log directory, the signal handling.
public struct ServeSetup {
    public var env = "prod"
    /// REV: serve this run's adapter by default instead of the environment's.
    public var revision: String?
    /// `--model FILE.gguf [--adapter PATH]`: no repository needed.
    public var modelPath: String?
    public var adapterPath: String?
    public var options = ServeOptions()
    /// Where the request log goes (default: `.ftx/serve` of the repository; none without one).
    public var logRoot: String?
    public var matmuls: MatmulMode = .int8
    public init() {}
}

public enum ServeLauncher {
    /// Binds, prints the listening line, loads the model, serves until SIGINT/SIGTERM, drains, and
    /// returns (the caller exits 0). `say` prints one line on stdout.
    public static func run(_ setup: ServeSetup, say: @escaping (String) -> Void, warn: @escaping (String) -> Void) throws {
        let registry = setup.modelPath == nil ? try Registry.discover() : try? Registry.discover()
        if let registry, setup.revision == nil, setup.modelPath == nil {
            try RefStore.validate(shortName: setup.env)
            guard try registry.deployedEnvironments()[setup.env] != nil else {
                throw ServeError(.notFound, "nothing is deployed to '\(setup.env)' (refs/deploy/\(setup.env))")
            }
        }
        let logRoot = setup.logRoot ?? registry.map { $0.repo.ftxDirectory + "/serve" }
        let server = Server(options: setup.options, defaultEnv: setup.env, log: logRoot.map(RequestLog.init(root:)))
        let bound = try server.start()
        let host = bound.host.contains(":") ? "[\(bound.host)]" : bound.host
        say("ftx serve: listening on http://\(host):\(bound.port) (env \(setup.env))")

        // Ctrl-C / SIGTERM: drain, then return; a second signal exits at once.
        let stop = HTTPServer.StopSignal(name: "ftx serve", warn: warn)

        let (engine, watcher) = try load(setup, registry: registry, metrics: server.metrics, warn: warn)
        server.ready(engine)
        watcher?.start()
        let adapter = (try? engine.catalog.resolve(nil).header) ?? "base"
        say("ftx serve: ready (model \(setup.revision ?? setup.env), adapter \(adapter))")
        stop.wait()
        watcher?.stop()
        server.drain(timeout: setup.options.timeoutSeconds)
    }

    /// The base model and the adapters: from the repository (the default run's recorded base) or
    /// from `--model`/`--adapter`.
    static func load(_ setup: ServeSetup, registry: Registry?, metrics: ServeMetrics, warn: @escaping (String) -> Void) throws -> (ServeEngine, DeployWatcher?) {
        var fixed: (id: String, weights: LoRAWeights)?
        let model: LlamaModel
        let baseName: String
        if let path = setup.modelPath {
            let opened = try EvalModels.open(base: path, baseSHA256: "-", adapter: setup.adapterPath)
            model = opened.model
            if let w = model.adapter, let a = setup.adapterPath { fixed = ("file:" + (a as NSString).lastPathComponent, w) }
            baseName = (path as NSString).lastPathComponent
        } else {
            guard let registry else { throw ServeError(.notFound, "not in an ftx repository; pass --model FILE.gguf") }
            let commit: ObjectID
            if let rev = setup.revision { commit = try registry.commit(rev).id } else {
                guard let id = try registry.deployedEnvironments()[setup.env] else {
                    throw ServeError(.notFound, "nothing is deployed to '\(setup.env)'")
                }
                commit = id
            }
            let path = try registry.basePath(ofRun: commit)
            model = try LlamaModel.load(path: path)
            baseName = (path as NSString).lastPathComponent
            if setup.revision != nil { fixed = (commit.hex, try registry.adapterWeights(commit: commit, config: model.config)) }
        }
        model.adapter = nil
        let catalog = ModelCatalog(config: model.config, defaultEnv: setup.env, baseNames: [baseName],
                                   source: registry.map(RegistryAdapterSource.init(registry:)), fixedDefault: fixed,
                                   log: { warn("ftx serve: \($0)") })
        catalog.refresh()
        let scheduler = Scheduler(batch: DecodeBatch(model: model, matmuls: setup.matmuls), maxBatch: setup.options.maxBatch,
                                  maxQueue: setup.options.maxQueue) { q, rows in metrics.step(queued: q, rows: rows) }
        let engine = ServeEngine(model: model, catalog: catalog, scheduler: scheduler)
        let watcher = registry == nil ? nil : DeployWatcher(catalog: catalog) { env, id in
            warn("ftx serve: \(env) now serves \(id.prefix(12))")
        }
        return (engine, watcher)
    }
}
