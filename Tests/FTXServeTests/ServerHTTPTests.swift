import Foundation
import XCTest
@testable import FTXServe
import FTXData
import FTXEval
import FTXCore

/// The HTTP server in-process on a free port with a tiny random model, driven by a raw socket client.
final class ServerHTTPTests: XCTestCase {
    let chat = #"{"model":"prod","messages":[{"role":"user","content":"hello"}],"max_tokens":12,"temperature":0}"#

    func testChatWholeAndStreamedAgreeAndAreLogged() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let whole = f.http.post("/v1/chat/completions", json: chat)
        XCTAssertEqual(whole.status, 200, whole.body)
        XCTAssertEqual(whole.headers["x-ftx-adapter"], "c1")
        XCTAssertTrue(whole.headers["x-request-id"]?.hasPrefix("req-") == true)
        let j = try XCTUnwrap(whole.json)
        XCTAssertEqual(j["object"] as? String, "chat.completion")
        let choice = try XCTUnwrap((j["choices"] as? [[String: Any]])?.first)
        let content = try XCTUnwrap((choice["message"] as? [String: Any])?["content"] as? String)
        let usage = try XCTUnwrap(j["usage"] as? [String: Int])
        XCTAssertGreaterThan(usage["prompt_tokens"]!, 5)
        XCTAssertEqual(usage["total_tokens"], usage["prompt_tokens"]! + usage["completion_tokens"]!)

        let streamed = f.http.post("/v1/chat/completions", json: chat.replacingOccurrences(of: "}],", with: "}],\"stream\":true,"))
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(streamed.headers["content-type"], "text/event-stream")
        let events = streamed.events
        XCTAssertEqual(events.last, "[DONE]")
        var text = "", role: String?
        for e in events.dropLast() {
            let c = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.utf8)) as? [String: Any])
            XCTAssertEqual(c["object"] as? String, "chat.completion.chunk")
            let delta = try XCTUnwrap(((c["choices"] as? [[String: Any]])?.first)?["delta"] as? [String: Any])
            role = role ?? delta["role"] as? String
            text += delta["content"] as? String ?? ""
        }
        XCTAssertEqual(role, "assistant")
        XCTAssertEqual(text, content, "greedy: the stream spells the same text")

        let lines = try f.logLines()
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.map(\.adapter), ["c1", "c1"])
        XCTAssertEqual(lines.map(\.stream).sorted { !$0 && $1 }, [false, true])
        XCTAssertEqual(lines[0].output, content)
        XCTAssertEqual(lines[0].messages, [RequestLogLine.LoggedMessage(role: "user", content: "hello")])
        XCTAssertEqual(lines[0].outputSHA256.count, 64)
        XCTAssertNotNil(lines[0].ttftMs)
    }

    /// response_format constrains decoding: a random model's output parses and fits the schema, as
    /// FTXEval's validator (not the constraint) judges it, and the log names the format.
    func testStructuredOutputParsesAndFits() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let schema = #"{"type":"object","properties":{"n":{"type":"integer"},"tag":{"enum":["a","b"]}},"required":["n","tag"],"additionalProperties":false}"#
        let validator = try JSONSchemaSubset(EvalJSON(JSONParser.parse(schema)))
        for seed in 0..<4 {
            let body = #"{"model":"prod","messages":[{"role":"user","content":"hello"}],"max_tokens":150,"temperature":2,"seed":\#(seed),"response_format":{"type":"json_schema","json_schema":{"name":"t","schema":\#(schema)}}}"#
            let r = f.http.post("/v1/chat/completions", json: body)
            XCTAssertEqual(r.status, 200, r.body)
            let choice = try XCTUnwrap((r.json?["choices"] as? [[String: Any]])?.first)
            let content = try XCTUnwrap((choice["message"] as? [String: Any])?["content"] as? String)
            let value = try XCTUnwrap(EvalJSON.parse(content), "seed \(seed): not JSON: \(content)")
            XCTAssertNil(validator.violation(of: value), "seed \(seed): \(content)")
            XCTAssertEqual(choice["finish_reason"] as? String, "stop")
        }
        XCTAssertEqual(try f.logLines().map(\.responseFormat), Array(repeating: "json_schema", count: 4))
    }

    /// --no-log-content: the log keeps sizes and SHA-256 hashes, never the text.
    func testNoLogContentKeepsOnlySizesAndHashes() throws {
        var o = ServeOptions()
        o.logContent = false
        let f = try ServerFixture(options: o)
        defer { f.stop() }
        let r = f.http.post("/v1/chat/completions", json: chat)
        XCTAssertEqual(r.status, 200, r.body)
        let content = try XCTUnwrap(((r.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String)
        let line = try XCTUnwrap(try f.logLines().first)
        XCTAssertNil(line.messages); XCTAssertNil(line.prompt); XCTAssertNil(line.output)
        XCTAssertEqual(line.outputBytes, content.utf8.count)
        XCTAssertEqual(line.outputSHA256, SHA256.hash(data: Data(content.utf8)).map { String(format: "%02x", $0) }.joined())
        XCTAssertGreaterThan(line.inputBytes, 0)
        XCTAssertEqual(line.inputSHA256.count, 64)
        let raw = try String(contentsOfFile: try FileManager.default.subpathsOfDirectory(atPath: f.logRoot)
            .filter { $0.hasSuffix(".jsonl") }.map { "\(f.logRoot)/\($0)" }.first!, encoding: .utf8)
        XCTAssertFalse(raw.contains("hello"), "the prompt's text is not in the log")
    }

    func testCompletionsModelsHealthAndMetrics() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let r = f.http.post("/v1/completions", json: #"{"model":"base","prompt":"abc","max_tokens":5,"stop":["\n"]}"#)
        XCTAssertEqual(r.status, 200, r.body)
        XCTAssertEqual(r.headers["x-ftx-adapter"], "base")
        XCTAssertEqual(r.json?["object"] as? String, "text_completion")
        let models = f.http.request("GET", "/v1/models")
        let ids = (models.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids, ["prod", "base", "tiny.gguf"])
        XCTAssertEqual(f.http.request("GET", "/healthz").status, 200)
        let m = f.http.request("GET", "/metrics").body
        let counted = m.split(separator: "\n").filter { $0.hasPrefix("ftx_requests_total{") }
        XCTAssertEqual(counted.count, 1, m)
        for part in [#"env="prod""#, #"adapter="base""#, #"status="200""#] { XCTAssertTrue(counted.first?.contains(part) == true, m) }
        XCTAssertTrue(counted.first?.hasSuffix(" 1") == true, m)
        for name in ["ftx_time_to_first_token_seconds", "ftx_request_duration_seconds", "ftx_tokens_in_total", "ftx_tokens_out_total",
                     "ftx_queue_depth", "ftx_batch_size", "ftx_adapters_loaded"] {
            XCTAssertTrue(m.contains(name), name)
        }
    }

    /// Every refusal is a 4xx with OpenAI's error body, and the server answers normally afterwards.
    func testEveryErrorStatusHasOpenAIsBody() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let h = f.http
        let cases: [(String, RawHTTP.Response, Int, String)] = [
            ("malformed JSON", h.post("/v1/chat/completions", json: #"{"messages": [}"#), 400, "bad_request"),
            ("invalid UTF-8", h.request("POST", "/v1/completions", body: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]), 400, "bad_request"),
            ("10^6 max_tokens", h.post("/v1/completions", json: #"{"prompt":"hi","max_tokens":1000000}"#), 400, "bad_request"),
            ("n = 2", h.post("/v1/completions", json: #"{"prompt":"hi","n":2}"#), 400, "bad_request"),
            ("schema outside the subset", h.post("/v1/completions", json: #"{"prompt":"hi","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string","pattern":"a"}}}}"#), 400, "bad_request"),
            ("unknown response_format", h.post("/v1/completions", json: #"{"prompt":"hi","response_format":{"type":"xml"}}"#), 400, "bad_request"),
            ("unknown model", h.post("/v1/chat/completions", json: #"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#), 404, "not_found"),
            ("unknown path", h.request("GET", "/v1/nothing"), 404, "not_found"),
            ("wrong method", h.request("GET", "/v1/chat/completions"), 405, "method_not_allowed"),
            ("huge body", h.request("POST", "/v1/completions", body: [UInt8](repeating: 0x20, count: 2 << 20)), 413, "too_large"),
        ]
        for (what, r, status, code) in cases {
            XCTAssertEqual(r.status, status, "\(what): \(r.body)")
            let e = try XCTUnwrap(r.json?["error"] as? [String: Any], what)
            XCTAssertEqual(e["code"] as? String, code, what)
            XCTAssertNotNil(e["message"] as? String, what)
            XCTAssertNotNil(e["type"] as? String, what)
            XCTAssertTrue(e.keys.contains("param"), what)
            XCTAssertNotNil(r.headers["x-request-id"], what)
        }
        XCTAssertTrue(cases[2].1.body.contains("context length is 256"), cases[2].1.body)
        XCTAssertEqual(h.post("/v1/completions", json: #"{"prompt":"still alive","max_tokens":3}"#).status, 200)
        let logged = try f.logLines().compactMap(\.error)
        XCTAssertEqual(Set(logged), ["bad_request", "not_found", "too_large"])
    }

    func testBearerKey() throws {
        var o = ServeOptions()
        o.apiKey = "sekret"
        let f = try ServerFixture(options: o)
        defer { f.stop() }
        let body = #"{"prompt":"x","max_tokens":2}"#
        XCTAssertEqual(f.http.post("/v1/completions", json: body).status, 401)
        let wrong = f.http.post("/v1/completions", json: body, headers: ["Authorization": "Bearer sekreT"])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.errorCode, "unauthorized")
        XCTAssertEqual(f.http.post("/v1/completions", json: body, headers: ["Authorization": "Bearer sekret"]).status, 200)
        XCTAssertEqual(f.http.request("GET", "/healthz").status, 200)
        XCTAssertTrue(BearerAuth.allows("Bearer k", key: "k"))
        XCTAssertFalse(BearerAuth.allows("Bearer kk", key: "k"))
        XCTAssertFalse(BearerAuth.allows("Bearer ", key: "k"))
    }

    func testLoadingIs503() throws {
        let f = try ServerFixture(ready: false)
        defer { f.stop() }
        let r = f.http.post("/v1/chat/completions", json: chat)
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.errorCode, "loading")
        XCTAssertEqual(f.http.request("GET", "/healthz").status, 503)
    }

    /// With the decode thread held, one request fills the only slot: the next gets 429; when the
    /// first client hangs up its slot is free again, and the queued work runs once decoding starts.
    func testQueueFullThenDisconnectFreesTheSlot() throws {
        var o = ServeOptions()
        o.maxBatch = 1; o.maxQueue = 0
        let f = try ServerFixture(options: o, startDecoding: false)
        defer { f.stop() }
        let first = RawHTTP.connect(port: f.port)
        RawHTTP.sendAll(first, RawHTTP.requestBytes("POST", "/v1/chat/completions", headers: [:], body: Array(chat.utf8)))
        try waitFor { f.engine.scheduler.depth.queued == 1 }
        let refused = f.http.post("/v1/chat/completions", json: chat)
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.errorCode, "queue_full")
        close(first)
        try waitFor { f.engine.scheduler.depth.queued == 0 }
        f.engine.scheduler.start()
        XCTAssertEqual(f.http.post("/v1/chat/completions", json: chat).status, 200)
        let errors = try f.logLines().map(\.error)
        XCTAssertEqual(errors.filter { $0 == "client_closed" }.count, 1)
        XCTAssertEqual(errors.filter { $0 == "queue_full" }.count, 1)
    }

    func testTimeoutCancels() throws {
        var o = ServeOptions()
        o.timeoutSeconds = 0.2
        let f = try ServerFixture(options: o, startDecoding: false)
        defer { f.stop() }
        let r = f.http.post("/v1/chat/completions", json: chat)
        XCTAssertEqual(r.status, 504)
        XCTAssertEqual(r.errorCode, "timeout")
        XCTAssertEqual(f.engine.scheduler.depth.queued, 0)
        XCTAssertEqual(try f.logLines().map(\.error), ["timeout"])
    }

    /// A request whose run adapter is still loading holds no one else up: the event loop keeps
    /// answering (health, other completions) while the load waits, and the request then completes.
    func testAdapterLoadDoesNotBlockOtherRequests() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let slow = DispatchGroup()
        final class Status: @unchecked Sendable { var value = 0 }  // written before the group leaves
        let slowStatus = Status()
        DispatchQueue.global().async(group: slow) {
            slowStatus.value = f.http.post("/v1/completions", json: #"{"model":"run-slow-1","prompt":"hi","max_tokens":3}"#).status
        }
        XCTAssertEqual(f.source.slowStarted.wait(timeout: .now() + 30), .success, "the slow load began")
        XCTAssertEqual(f.http.request("GET", "/healthz").status, 200)
        XCTAssertEqual(f.http.post("/v1/completions", json: #"{"model":"base","prompt":"hi","max_tokens":3}"#).status, 200)
        XCTAssertEqual(slow.wait(timeout: .now() + 0.1), .timedOut, "the slow request waits for its adapter")
        f.source.slowGate.signal()
        XCTAssertEqual(slow.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(slowStatus.value, 200)
        XCTAssertEqual(try f.logLines().filter { $0.model == "run-slow-1" }.map(\.status), [200])
    }

    func testThirtyTwoConcurrentClients() throws {
        let f = try ServerFixture()
        defer { f.stop() }
        let statuses = NSLock()
        var got: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let model = i % 2 == 0 ? "prod" : "base"
            let r = f.http.post("/v1/chat/completions",
                                json: #"{"model":"\#(model)","messages":[{"role":"user","content":"client \#(i)"}],"max_tokens":8,"stream":\#(i % 3 == 0)}"#)
            statuses.withLock { got.append(r.status) }
        }
        XCTAssertEqual(got, [Int](repeating: 200, count: 32))
        XCTAssertEqual(try f.logLines().count, 32)
    }

    func waitFor(_ condition: () -> Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        for _ in 0..<500 where !condition() { usleep(10_000) }
        XCTAssertTrue(condition(), "condition not reached", file: file, line: line)
    }
}
