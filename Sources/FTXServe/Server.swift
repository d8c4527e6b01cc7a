import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP server: NIO's HTTP/1 codec in front of `HTTPHandler`, one per connection. It listens
/// before the model is loaded (requests get 503 until `ready`), and drains on shutdown: no new
/// connections, in-flight requests finish, then the request log is closed.
public final class Server: @unchecked Sendable {
    public let options: ServeOptions
    public let metrics: ServeMetrics
    public let log: RequestLog?
    /// The environment named in logs for requests that resolve to none (unknown model, bad body).
    public let defaultEnv: String
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let cond = NSCondition()
    private var loaded: ServeEngine?
    private var inFlight = 0
    private var draining = false
    private var nextJob = 0
    private var logErrors = 0

    public init(options: ServeOptions, defaultEnv: String, log: RequestLog?, metrics: ServeMetrics = ServeMetrics()) {
        self.options = options; self.defaultEnv = defaultEnv; self.log = log; self.metrics = metrics
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
    public func start() throws -> (host: String, port: Int) {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HTTPHandler(server: self))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        let ch = try bootstrap.bind(host: options.host, port: options.port).wait()
        channel = ch
        return (options.host, ch.localAddress?.port ?? options.port)
    }

    /// A request starts (false while draining: the handler answers 503).
    func begin() -> (ok: Bool, job: Int) {
        cond.withLock {
            guard !draining else { return (false, 0) }
            inFlight += 1; nextJob += 1
            return (true, nextJob)
        }
    }

    func end() { cond.withLock { inFlight -= 1; cond.broadcast() } }

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
        cond.withLock { draining = true }
        try? channel?.close().wait()
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        while inFlight > 0, cond.wait(until: deadline) {}
        cond.unlock()
        engine?.scheduler.stop()
        log?.close()
        try? group.syncShutdownGracefully()
    }

    static func requestID() -> String { "req-" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }
}
