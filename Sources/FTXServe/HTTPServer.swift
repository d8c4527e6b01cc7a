import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The NIO HTTP/1 listener `ftx serve` and `ftx ui` share: the bootstrap, NIO's HTTP/1 codec in
/// front of one handler per connection (made by `makeHandler`), the in-flight count, and the drain
/// (no new connections, in-flight requests finish, then the event loop stops).
public final class HTTPServer: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let makeHandler: () -> ChannelHandler
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let cond = NSCondition()
    private var inFlight = 0
    private var draining = false
    private var nextJob = 0

    public init(host: String, port: Int, makeHandler: @escaping () -> ChannelHandler) {
        self.host = host; self.port = port; self.makeHandler = makeHandler
    }

    /// Binds and returns the bound address (port 0 picks a free one).
    public func start() throws -> (host: String, port: Int) {
        let make = makeHandler
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // On the channel's loop: the handler need not be Sendable.
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(make())
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        let ch = try bootstrap.bind(host: host, port: port).wait()
        channel = ch
        return (host, ch.localAddress?.port ?? port)
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

    /// Stops accepting, waits for in-flight requests (at most `timeout` seconds), runs `cleanup`
    /// (while the event loop still runs: late events can still hop onto it), then stops the loop.
    public func drain(timeout: Double, cleanup: () -> Void = {}) {
        cond.withLock { draining = true }
        try? channel?.close().wait()
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        while inFlight > 0, cond.wait(until: deadline) {}
        cond.unlock()
        cleanup()
        try? group.syncShutdownGracefully()
    }

    /// SIGINT/SIGTERM handlers, installed on creation: `wait()` blocks until the first signal, which
    /// `warn`s that in-flight requests are being finished; a second signal exits at once. `name`
    /// prefixes the message (`ftx serve`, `ftx ui`).
    public final class StopSignal: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var sources: [DispatchSourceSignal] = []
        private var signalled = false

        public init(name: String, warn: @escaping (String) -> Void) {
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                s.setEventHandler { [unowned self] in
                    if self.signalled { _exit(130) }
                    self.signalled = true
                    warn("\(name): stopping: finishing in-flight requests (signal again to quit now)")
                    self.done.signal()
                }
                s.resume()
                sources.append(s)
            }
        }

        public func wait() { done.wait() }
    }
}
