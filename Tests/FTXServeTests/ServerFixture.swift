import Foundation
import FTXModel
import FTXTestSupport
@testable import FTXServe

/// Adapters from closures: environments that tests move, weights made from the commit id.
final class FakeAdapterSource: AdapterSource, @unchecked Sendable {
    var envs: [String: String]
    var broken: Set<String> = []
    var loads: [String] = []
    /// Loads of "run-slow…" signal `slowStarted`, then wait for `slowGate` (a slow store read, held by the test).
    let slowStarted = DispatchSemaphore(value: 0), slowGate = DispatchSemaphore(value: 0)
    let lock = NSLock()
    init(envs: [String: String]) { self.envs = envs }
    func environments() throws -> [String: String] { lock.withLock { envs } }
    func commit(of revision: String) throws -> String? { revision.hasPrefix("run-") ? revision : nil }
    func weights(ofCommit id: String, config: LlamaConfig) throws -> LoRAWeights {
        if id.hasPrefix("run-slow") { slowStarted.signal(); slowGate.wait() }
        try lock.withLock {
            if broken.contains(id) { throw ServeError(.internal, "corrupt adapter \(id)") }
            loads.append(id)
        }
        return FakeAdapterSource.adapter(config, seed: UInt64(abs(id.hashValue) % 1000))
    }

    /// A random LoRA on every projection (B non-zero, so it changes the output).
    static func adapter(_ c: LlamaConfig, seed: UInt64) -> LoRAWeights {
        var rng = SplitMix64(seed: seed)
        return LoRAWeights(layers: (0..<c.numLayers).map { _ in
            var d: [Projection: LoRAPair] = [:]
            for p in Projection.allCases {
                let i = c.inFeatures(p), o = c.outFeatures(p)
                d[p] = LoRAPair(a: (0..<(2 * i)).map { _ in rng.nextFloat() - 0.5 }, b: (0..<(o * 2)).map { _ in (rng.nextFloat() - 0.5) * 0.2 },
                                rank: 2, inFeatures: i, outFeatures: o, scale: 2)
            }
            return d
        })
    }
}

/// A server on 127.0.0.1:0 with a tiny random model, `prod` → commit "c1", logging under a temp dir.
final class ServerFixture {
    let server: Server
    let engine: ServeEngine
    let source: FakeAdapterSource
    let logRoot: String
    let port: Int
    var http: RawHTTP { RawHTTP(port: port) }

    init(options: ServeOptions = ServeOptions(), ready: Bool = true, startDecoding: Bool = true) throws {
        var o = options
        o.port = 0
        let model = LlamaModel.random(config: .tiny(), seed: 7, tokenizer: .tinyByteLevel())
        source = FakeAdapterSource(envs: ["prod": "c1"])
        let catalog = ModelCatalog(config: model.config, defaultEnv: "prod", baseNames: ["tiny.gguf"], source: source)
        catalog.refresh()
        logRoot = TestSupport.makeTempDir("ftx-serve").path
        server = Server(options: o, defaultEnv: "prod", log: RequestLog(root: logRoot))
        let metrics = server.metrics
        engine = ServeEngine(model: model, catalog: catalog,
                             scheduler: Scheduler(batch: DecodeBatch(model: model), maxBatch: o.maxBatch, maxQueue: o.maxQueue) {
                                 metrics.step(queued: $0, rows: $1)
                             })
        port = try server.start().port
        if ready { server.ready(engine, startDecoding: startDecoding) }
    }

    /// Every line of every log file, decoded (fails the test on a partial or malformed line).
    func logLines() throws -> [RequestLogLine] {
        var out: [RequestLogLine] = []
        let fm = FileManager.default
        for env in (try? fm.contentsOfDirectory(atPath: logRoot)) ?? [] {
            for f in try fm.contentsOfDirectory(atPath: "\(logRoot)/\(env)").sorted() {
                let text = try String(contentsOfFile: "\(logRoot)/\(env)/\(f)", encoding: .utf8)
                for l in text.split(separator: "\n") { out.append(try JSONDecoder().decode(RequestLogLine.self, from: Data(l.utf8))) }
            }
        }
        return out
    }

    func stop() { server.drain(timeout: 5) }
}
