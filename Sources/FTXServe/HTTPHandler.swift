import Foundation
import FTXCore
import FTXStore
import NIOCore
import NIOHTTP1

/// One connection: routes requests, answers errors in OpenAI's shape, and runs completions through
/// the scheduler, streaming (SSE) or whole. Every response carries `x-request-id` and
/// `x-ftx-adapter`. Runs on its channel's event loop; the decode thread's events hop onto it.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: Server
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyBytes = 0
    private var context: ChannelHandlerContext?
    /// The completion in flight on this connection (HTTP/1: one at a time).
    private var active: Completion?

    init(server: Server) { self.server = server }

    /// A completion between its submission and its last byte.
    final class Completion {
        let job: Int
        let request: CompletionRequest
        let prepared: ServeEngine.Prepared
        let started = Date()
        var line: RequestLogLine
        let keepAlive: Bool
        var text = ""
        var headSent = false
        var firstText: Date?
        var timeout: Scheduled<Void>?
        init(job: Int, request: CompletionRequest, prepared: ServeEngine.Prepared, line: RequestLogLine, keepAlive: Bool) {
            self.job = job; self.request = request; self.prepared = prepared; self.line = line; self.keepAlive = keepAlive
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h; body = []; bodyBytes = 0
        case .body(let b):
            bodyBytes += b.readableBytes
            if bodyBytes <= server.options.maxBodyBytes { body += b.readableBytesView }
            // Past 64 limits' worth the client is not worth reading to the end.
            else if bodyBytes / 64 > server.options.maxBodyBytes { context.close(promise: nil) }
        case .end:
            guard let h = head else { return }
            head = nil
            route(h, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: its sequence leaves the batch at once.
        if let c = active {
            server.engine?.scheduler.cancel(id: c.job)
            finish(c, status: ServeErrorKind.clientClosed.status, error: .clientClosed, finishReason: nil)
        }
        context.fireChannelInactive()
    }

    // MARK: routing

    private func route(_ h: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        let routes: [String: HTTPMethod] = ["/healthz": .GET, "/metrics": .GET, "/v1/models": .GET,
                                            "/v1/chat/completions": .POST, "/v1/completions": .POST]
        let id = Server.requestID()
        guard let method = routes[path] else {
            return sendError(ServeError(.notFound, "no such endpoint: \(h.method) \(path)"), id: id, keepAlive: h.isKeepAlive)
        }
        guard h.method == method else {
            return sendError(ServeError(.methodNotAllowed, "\(path) takes \(method), not \(h.method)"), id: id, keepAlive: h.isKeepAlive,
                             extra: [("allow", "\(method)")])
        }
        if path == "/healthz" {
            let ok = server.engine != nil
            return send(status: ok ? .ok : .serviceUnavailable, body: ok ? "{\"status\":\"ok\"}" : "{\"status\":\"loading\"}",
                        id: id, keepAlive: h.isKeepAlive)
        }
        guard BearerAuth.allows(h.headers.first(name: "authorization"), key: server.options.apiKey) else {
            let e = ServeError(.unauthorized, "missing or wrong API key (send Authorization: Bearer KEY)")
            if let endpoint = Self.endpoint(path) { logRejected(e, id: id, endpoint: endpoint, model: nil) }
            return sendError(e, id: id, keepAlive: h.isKeepAlive, extra: [("www-authenticate", "Bearer")])
        }
        switch path {
        case "/metrics":
            if let e = server.engine { server.metrics.adapters(e.catalog.loadedCount) }
            send(status: .ok, body: server.metrics.text(), id: id, keepAlive: h.isKeepAlive,
                 contentType: "text/plain; version=0.0.4; charset=utf-8")
        case "/v1/models":
            guard let e = server.engine else { return sendError(Self.loading, id: id, keepAlive: h.isKeepAlive) }
            send(status: .ok, body: OpenAIBodies.models(e.catalog.modelNames, created: Int(Date().timeIntervalSince1970)),
                 id: id, keepAlive: h.isKeepAlive)
        default:
            complete(h, endpoint: Self.endpoint(path)!, id: id, context: context)
        }
    }

    static func endpoint(_ path: String) -> CompletionRequest.Endpoint? {
        path == "/v1/chat/completions" ? .chat : path == "/v1/completions" ? .completions : nil
    }

    static let loading = ServeError(.loading, "the model is still loading; retry in a moment")

    // MARK: completions

    private func complete(_ h: HTTPRequestHead, endpoint: CompletionRequest.Endpoint, id: String, context: ChannelHandlerContext) {
        let arrival = Date()
        var request: CompletionRequest?
        do {
            guard bodyBytes <= server.options.maxBodyBytes else {
                throw ServeError(.tooLarge, "the request body is \(bodyBytes) bytes; the limit is \(server.options.maxBodyBytes)")
            }
            guard let engine = server.engine else { throw Self.loading }
            let r = try CompletionRequest.parse(body, endpoint: endpoint)
            request = r
            body = []
            // Counted from here, so a drain waits for a request still being prepared.
            let (ok, job) = server.begin()
            guard ok else { throw ServeError(.loading, "the server is shutting down") }
            server.preparePool.runIfActive(eventLoop: context.eventLoop) { try engine.prepare(r) }.whenComplete { result in
                switch result {
                case .success(let prepared):
                    self.submit(prepared, request: r, job: job, engine: engine, head: h, id: id, arrival: arrival, context: context)
                case .failure(let error):
                    self.server.end()
                    let e = error as? ServeError ?? ServeError(.internal, "\(error)")
                    self.logRejected(e, id: id, endpoint: endpoint, model: r.model, request: r, arrival: arrival)
                    self.sendError(e, id: id, keepAlive: h.isKeepAlive, adapter: nil)
                }
            }
        } catch {
            let e = error as? ServeError ?? ServeError(.internal, "\(error)")
            logRejected(e, id: id, endpoint: endpoint, model: request?.model, request: request, arrival: arrival)
            sendError(e, id: id, keepAlive: h.isKeepAlive, adapter: nil)
        }
    }

    /// Hands a prepared request to the decode loop (back on the event loop).
    private func submit(_ prepared: ServeEngine.Prepared, request r: CompletionRequest, job: Int, engine: ServeEngine,
                        head h: HTTPRequestHead, id: String, arrival: Date, context: ChannelHandlerContext) {
        let c = Completion(job: job, request: r, prepared: prepared,
                           line: logLine(id: id, arrival: arrival, endpoint: r.endpoint, request: r, prepared: prepared),
                           keepAlive: h.isKeepAlive)
        active = c
        // The client left while the request was prepared: nothing to decode.
        guard context.channel.isActive else { return finish(c, status: ServeErrorKind.clientClosed.status, error: .clientClosed, finishReason: nil) }
        do {
            let loop = context.eventLoop
            let submitted = engine.scheduler.submit(Scheduler.Job(
                id: job, prompt: prepared.prompt, params: prepared.params, adapter: prepared.choice.row,
                constraint: prepared.constraint) { [weak self] event in
                    loop.execute { _ = self?.deliver(event, job: job) }
                })
            guard submitted else {
                throw ServeError(.queueFull, "the server's queue is full (\(engine.scheduler.maxQueue) waiting); retry later")
            }
            c.timeout = loop.scheduleTask(in: .milliseconds(Int64(server.options.timeoutSeconds * 1000))) { [weak self] in
                _ = self?.timedOut(job: job)
            }
        } catch {
            fail(c, error as? ServeError ?? ServeError(.internal, "\(error)"))
        }
    }

    private func deliver(_ event: Scheduler.Event, job: Int) {
        guard let c = active, c.job == job else { return }
        switch event {
        case .started(let waited):
            c.line.queueMs = waited * 1000
        case .text(let piece):
            if c.firstText == nil { c.firstText = Date() }
            c.text += piece
            if c.request.stream { streamChunk(c, piece) }
        case .finished(let r):
            if c.firstText == nil { c.firstText = Date() }
            c.text = r.text
            c.line.completionTokens = r.tokenIDs.count
            // Logged before the last byte goes out: a client that reads its answer finds it logged.
            finish(c, status: 200, error: nil, finishReason: r.finishReason)
            if c.request.stream {
                streamEnd(c, finishReason: r.finishReason, completionTokens: r.tokenIDs.count)
            } else {
                let created = Int(c.started.timeIntervalSince1970)
                send(status: .ok, body: OpenAIBodies.completion(c.request.endpoint, id: c.line.id, created: created, model: modelName(c),
                                                                text: r.text, finishReason: r.finishReason,
                                                                promptTokens: c.prepared.prompt.count, completionTokens: r.tokenIDs.count),
                     id: c.line.id, keepAlive: c.keepAlive, adapter: c.prepared.choice.header)
            }
        case .failed(let e):
            fail(c, e)
        }
    }

    private func timedOut(job: Int) {
        guard let c = active, c.job == job else { return }
        server.engine?.scheduler.cancel(id: job)
        fail(c, ServeError(.timeout, "the request took longer than \(Int(server.options.timeoutSeconds)) s and was cancelled"))
    }

    private func fail(_ c: Completion, _ e: ServeError) {
        finish(c, status: e.kind.status, error: e.kind, finishReason: nil)
        if c.headSent {
            // Mid-stream: the error travels as a last event, then the stream ends.
            write("data: " + e.body + "\n\n" + OpenAIBodies.done, end: true, keepAlive: false)
        } else {
            sendError(e, id: c.line.id, keepAlive: c.keepAlive, adapter: c.prepared.choice.header)
        }
    }

    /// Logs and counts the request and frees its slot (exactly once per completion).
    private func finish(_ c: Completion, status: Int, error: ServeErrorKind?, finishReason: String?) {
        guard active === c else { return }
        active = nil
        c.timeout?.cancel()
        let now = Date()
        c.line.status = status
        c.line.error = error?.rawValue
        c.line.finishReason = finishReason
        c.line.latencyMs = now.timeIntervalSince(c.started) * 1000
        c.line.ttftMs = c.firstText.map { $0.timeIntervalSince(c.started) * 1000 }
        c.line.outputBytes = c.text.utf8.count
        c.line.outputSHA256 = Self.sha256(c.text)
        if server.options.logContent { c.line.output = c.text }
        server.record(c.line)
        server.end()
    }

    private func modelName(_ c: Completion) -> String { c.request.model ?? c.prepared.choice.env }

    // MARK: streaming

    private func streamChunk(_ c: Completion, _ piece: String) {
        let first = !c.headSent
        if first { sendStreamHead(c) }
        write(OpenAIBodies.chunk(c.request.endpoint, id: c.line.id, created: Int(c.started.timeIntervalSince1970), model: modelName(c),
                                 text: piece, first: first), end: false, keepAlive: c.keepAlive)
    }

    private func streamEnd(_ c: Completion, finishReason: String, completionTokens: Int) {
        if !c.headSent { streamChunk(c, "") }
        write(OpenAIBodies.chunk(c.request.endpoint, id: c.line.id, created: Int(c.started.timeIntervalSince1970), model: modelName(c),
                                 text: "", finishReason: finishReason, usage: (c.prepared.prompt.count, completionTokens))
              + OpenAIBodies.done, end: true, keepAlive: c.keepAlive)
    }

    private func sendStreamHead(_ c: Completion) {
        guard let context else { return }
        c.headSent = true
        var headers = baseHeaders(id: c.line.id, adapter: c.prepared.choice.header, keepAlive: c.keepAlive)
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
    }

    private func write(_ s: String, end: Bool, keepAlive: Bool) {
        guard let context, context.channel.isActive else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: s)))), promise: nil)
        if end {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { context.close(promise: nil) } }
        } else {
            context.flush()
        }
    }

    // MARK: plain responses

    private func baseHeaders(id: String, adapter: String?, keepAlive: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "x-request-id", value: id)
        headers.add(name: "x-ftx-adapter", value: adapter ?? defaultAdapterHeader())
        if !keepAlive { headers.add(name: "connection", value: "close") }
        return headers
    }

    /// What the default model is served with now (for responses that resolved no model).
    private func defaultAdapterHeader() -> String { (try? server.engine?.catalog.resolve(nil).header) ?? "base" }

    private func send(status: HTTPResponseStatus, body: String, id: String, keepAlive: Bool, adapter: String? = nil,
                      contentType: String = "application/json", extra: [(String, String)] = []) {
        guard let context, context.channel.isActive else { return }
        var headers = baseHeaders(id: id, adapter: adapter, keepAlive: keepAlive)
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(body.utf8.count))
        for (k, v) in extra { headers.add(name: k, value: v) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { context.close(promise: nil) } }
    }

    private func sendError(_ e: ServeError, id: String, keepAlive: Bool, adapter: String? = nil, extra: [(String, String)] = []) {
        send(status: HTTPResponseStatus(statusCode: e.kind.status), body: e.body, id: id, keepAlive: keepAlive, adapter: adapter, extra: extra)
    }

    // MARK: the request log

    private func logLine(id: String, arrival: Date, endpoint: CompletionRequest.Endpoint, request r: CompletionRequest?,
                         prepared: ServeEngine.Prepared?) -> RequestLogLine {
        let input = prepared?.promptText ?? r?.prompt ?? ""
        let content = server.options.logContent
        return RequestLogLine(
            id: id, time: RequestLog.timestamp(arrival), env: prepared?.choice.env ?? server.defaultEnv, model: r?.model ?? "",
            adapter: prepared?.choice.adapterID, endpoint: endpoint.rawValue, stream: r?.stream ?? false, status: 0,
            messages: content ? r?.messages : nil, prompt: content ? r?.prompt : nil, output: nil,
            inputBytes: input.utf8.count, inputSHA256: Self.sha256(input), outputBytes: 0, outputSHA256: Self.sha256(""),
            promptTokens: prepared?.prompt.count ?? 0, completionTokens: 0, queueMs: 0, ttftMs: nil, latencyMs: 0,
            finishReason: nil, error: nil, responseFormat: r?.format.logName)
    }

    /// A completion refused before it reached the decode loop.
    private func logRejected(_ e: ServeError, id: String, endpoint: CompletionRequest.Endpoint, model: String?,
                             request: CompletionRequest? = nil, arrival: Date = Date()) {
        var line = logLine(id: id, arrival: arrival, endpoint: endpoint, request: request, prepared: nil)
        line.model = model ?? ""
        line.status = e.kind.status
        line.error = e.kind.rawValue
        line.latencyMs = Date().timeIntervalSince(arrival) * 1000
        server.record(line)
    }

    static func sha256(_ s: String) -> String { SHA256.hash(data: Data(s.utf8)).hex }
}
