import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The OpenAI server: `HTTPServer` (NIO's HTTP/1 codec) in front of `HTTPHandler`, one per connection. It listens
/// before the model is loaded (requests get 503 until `ready`), and drains on shutdown: no new
/// connections, in-flight requests finish, then the request log is closed.
public final class Server: @unchecked Sendable {
    public let options: ServeOptions
    public let metrics: ServeMetrics
    public let log: RequestLog?
    /// The environment named in logs for requests that resolve to none (unknown model, bad body).
    public let defaultEnv: String
    private(set) var http: HTTPServer!
    private let cond = NSCondition()
    private var loaded: ServeEngine?
    private var logErrors = 0

    public init(options: ServeOptions, defaultEnv: String, log: RequestLog?, metrics: ServeMetrics = ServeMetrics()) {
        self.options = options; self.defaultEnv = defaultEnv; self.log = log; self.metrics = metrics
        http = HTTPServer(host: options.host, port: options.port) { [unowned self] in HTTPHandler(server: self) }
    }

    /// The engine, nil while the model loads.
    public var engine: ServeEngine? { cond.withLock { loaded } }

    /// The model is loaded: requests are served from now on. (`startDecoding: false` leaves the
    /// decode thread stopped, so tests can fill the queue deterministically.)
    public func ready(_ engine: ServeEngine, startDecoding: Bool = true) {
        if startDecoding { engine.scheduler.start() }
        metrics.adapters(engine.catalog.loadedCount)
        cond.withLock { loaded = engine }
    }

    /// Binds and returns the bound address (port 0 picks a free one).
    public func start() throws -> (host: String, port: Int) { try http.start() }

    /// A request starts (false while draining: the handler answers 503).
    func begin() -> (ok: Bool, job: Int) { http.begin() }

    func end() { http.end() }

    func record(_ line: RequestLogLine) {
        do { try log?.append(line) } catch {
            if cond.withLock({ logErrors += 1; return logErrors == 1 }) { FileHandle.standardError.write(Data("ftx serve: \(error)\n".utf8)) }
        }
        metrics.request(env: line.env, adapter: line.adapter ?? "base", status: line.status, ttft: line.ttftMs.map { $0 / 1000 },
                        seconds: line.latencyMs / 1000, tokensIn: line.promptTokens, tokensOut: line.completionTokens)
    }

    /// Stops accepting, waits for in-flight requests (at most `timeout` seconds), stops the decode
    /// thread and closes the log.
    public func drain(timeout: Double) {
        http.drain(timeout: timeout) {
            engine?.scheduler.stop()
            log?.close()
        }
    }

    static func requestID() -> String { "req-" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }
}
