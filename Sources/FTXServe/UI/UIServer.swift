import Foundation
import FTXRegistry
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ftx ui` over HTTP: the shared `HTTPServer` in front of `UIHandler`. Pages are built on one
/// worker thread (repository reads block; the store, the SQLite index and the pages are read by
/// one thread at a time), never on the event loop.
public final class UIServer: @unchecked Sendable {
    public let site: UISite
    let apiKey: String?
    private(set) var http: HTTPServer!
    let pool = NIOThreadPool(numberOfThreads: 1)

    public init(site: UISite, host: String, port: Int, apiKey: String?) {
        self.site = site; self.apiKey = apiKey
        http = HTTPServer(host: host, port: port) { [unowned self] in UIHandler(server: self) }
    }

    /// Binds and returns the bound address (port 0 picks a free one).
    public func start() throws -> (host: String, port: Int) {
        pool.start()
        return try http.start()
    }

    /// Stops accepting, lets the pages being built finish (at most `timeout` seconds).
    public func drain(timeout: Double) {
        http.drain(timeout: timeout)
        try? pool.syncShutdownGracefully()
    }

    /// `ftx ui`: binds, prints `ftx ui: listening on http://HOST:PORT/`, optionally opens a browser,
    /// serves until SIGINT/SIGTERM, drains, returns.
    public static func run(site: UISite, host: String, port: Int, apiKey: String?, open: Bool,
                           say: @escaping (String) -> Void, warn: @escaping (String) -> Void) throws {
        let server = UIServer(site: site, host: host, port: port, apiKey: apiKey)
        let bound = try server.start()
        let shown = bound.host.contains(":") ? "[\(bound.host)]" : bound.host
        let url = "http://\(shown):\(bound.port)/"
        say("ftx ui: listening on \(url)")
        let stop = HTTPServer.StopSignal(name: "ftx ui", warn: warn)
        if open { openBrowser(url, warn: warn) }
        stop.wait()
        server.drain(timeout: 10)
    }

    /// `xdg-open URL` when it is installed (a missing opener is a warning, not an error).
    static func openBrowser(_ url: String, warn: (String) -> Void) {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/xdg-open" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return warn("ftx ui: --open: xdg-open is not installed; open \(url) yourself") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = [url]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { warn("ftx ui: --open: \(error)") }
    }
}

/// One connection of `ftx ui`: GET and HEAD only, the API key when one is set, and the page built
/// off the event loop by `UISite.respond`, then written back on it.
final class UIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: UIServer
    private var head: HTTPRequestHead?

    init(server: UIServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break  // GET/HEAD carry none worth reading; the codec bounds what it buffers
        case .end:
            guard let h = head else { return }
            head = nil
            respond(h, context: context)
        }
    }

    private func respond(_ h: HTTPRequestHead, context: ChannelHandlerContext) {
        guard h.method == .GET || h.method == .HEAD else {
            return send(Self.text(405, "ftx ui is read-only: \(h.method) is not allowed (GET, HEAD)"), head: h, context: context,
                        extra: [("allow", "GET, HEAD")])
        }
        guard BearerAuth.allows(h.headers.first(name: "authorization"), key: server.apiKey) else {
            return send(Self.text(401, "missing or wrong API key (send Authorization: Bearer KEY)"), head: h, context: context,
                        extra: [("www-authenticate", "Bearer")])
        }
        let http: HTTPServer = server.http
        guard http.begin().ok else { return send(Self.text(503, "the server is shutting down"), head: h, context: context) }
        let site = server.site, target = h.uri
        server.pool.runIfActive(eventLoop: context.eventLoop) { site.respond(UIRequest(target: target)) }
            .whenComplete { result in
                defer { http.end() }
                switch result {
                case .success(let r): self.send(r, head: h, context: context)
                case .failure: self.send(Self.text(503, "the server is shutting down"), head: h, context: context)
                }
            }
    }

    static func text(_ status: Int, _ message: String) -> UIResponse {
        UIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data((message + "\n").utf8))
    }

    private func send(_ r: UIResponse, head h: HTTPRequestHead, context: ChannelHandlerContext, extra: [(String, String)] = []) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: r.contentType)
        headers.add(name: "content-length", value: String(r.body.count))
        for (k, v) in r.headers + extra { headers.add(name: k, value: v) }
        if !h.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: r.status),
                                                             headers: headers))), promise: nil)
        if h.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: r.body)))), promise: nil)
        }
        let keepAlive = h.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { context.close(promise: nil) } }
    }
}
