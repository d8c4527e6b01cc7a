import Foundation
import FTXTestSupport
import XCTest
@testable import FTXEval
@testable import FTXServe

/// `ftx monitor` on synthetic request logs with known figures. Percentile references are numpy's
/// `np.percentile` (linear, its default); Wilson bounds are the closed form in Python float64.
final class MonitorTests: XCTestCase {
    static let adapterA = String(repeating: "a", count: 64)
    static let adapterB = String(repeating: "b", count: 64)
    static let runC = String(repeating: "c", count: 64)

    static func line(_ i: Int, adapter: String? = adapterA, latency: Double, ttft: Double? = nil, output: String? = "{}",
                     error: String? = nil, finish: String? = "stop", tokens: Int = 10, time: String? = nil) -> RequestLogLine {
        RequestLogLine(id: String(format: "req-%016x", i), time: time ?? "2026-12-06T10:00:00.000Z", env: "prod", model: "prod",
                       adapter: adapter, endpoint: "chat.completions", stream: false, status: error == nil ? 200 : 500,
                       messages: [.init(role: "user", content: "q\(i)")], output: output, inputBytes: 2, inputSHA256: "x",
                       outputBytes: 2, outputSHA256: "y", promptTokens: 5, completionTokens: tokens, queueMs: 0,
                       ttftMs: ttft, latencyMs: latency, finishReason: error == nil ? finish : nil, error: error)
    }

    /// Latencies 1…100 ms, TTFT half of each; every 10th request failed (internal at multiples of
    /// 20, timeout otherwise); outputs of requests 5, 15, …, 95 are not JSON.
    static func hundred(adapter: String = adapterA) -> [RequestLogLine] {
        (1...100).map { i in
            let error: String? = i % 10 != 0 ? nil : (i % 20 == 0 ? "internal" : "timeout")
            return line(i, adapter: adapter, latency: Double(i), ttft: Double(i) / 2,
                        output: error != nil ? nil : (i % 10 == 5 ? "not json" : #"{"ok": true}"#), error: error)
        }
    }

    func testTrafficFiguresAreExact() {
        let t = TrafficSummary(Self.hundred())
        XCTAssertEqual(t.volume, 100)
        XCTAssertEqual(t.errors, 10)
        XCTAssertEqual(t.errorRate, 0.1)
        XCTAssertEqual(t.errorsByKind, ["internal": 5, "timeout": 5])
        XCTAssertEqual(t.finishReasons, ["stop": 90])
        // np.percentile(np.arange(1, 101), [50, 95, 99]) and of arange/2.
        let l = try! XCTUnwrap(t.latencyMs)
        XCTAssertEqual(l.p50, 50.5, accuracy: 1e-12)
        XCTAssertEqual(l.p95, 95.05, accuracy: 1e-12)
        XCTAssertEqual(l.p99, 99.01, accuracy: 1e-12)
        let f = try! XCTUnwrap(t.ttftMs)
        XCTAssertEqual(f.p50, 25.25, accuracy: 1e-12)
        XCTAssertEqual(f.p95, 47.525, accuracy: 1e-12)
        XCTAssertEqual(f.p99, 49.505, accuracy: 1e-12)
        // 90 successes × 10 tokens over (5050 − 550) ms.
        XCTAssertEqual(try XCTUnwrap(t.tokensPerSecond), 200, accuracy: 1e-9)
        XCTAssertNil(TrafficSummary([]).latencyMs)
        XCTAssertEqual(TrafficSummary([]).errorRate, 0)
    }

    // MARK: quality

    func makeSuite() throws -> EvalSuite {
        let dir = TestSupport.makeTempDir("ftx-monitor-suite")
        try #"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "{}"}]}"#
            .write(to: dir.appendingPathComponent("cases.jsonl"), atomically: true, encoding: .utf8)
        let yaml = """
            name: json
            cases: cases.jsonl
            assert:
              - type: is-json
              - type: not-contains
                value: ERROR
              - type: equals
              - type: regex
                value: "{{expected}}"
              - type: max-tokens
                value: 8
                metric: short
            """
        let path = dir.appendingPathComponent("suite.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try SuiteLoader.load(path: path)
    }

    /// An eval report on `suite` where every case passed every assertion.
    func makeReport(_ suite: EvalSuite, cases: Int) -> EvalReport {
        let rows = (0..<cases).map { i in
            CaseReport(id: "c\(i)", prompt: "q", expected: "{}", output: "{}", pass: true, score: 1, exactMatch: true,
                       assertions: suite.assertions.map {
                           AssertionResult(type: $0.typeName, pass: true, score: 1, weight: 1, reason: nil, metric: $0.metric)
                       })
        }
        return EvalReport(suite: .init(name: suite.name, assertions: suite.assertions.map(\.canonicalText)),
                          model: .init(name: "m"), cases: rows, metrics: EvalMetrics(cases: rows))
    }

    func testReferenceFreeAssertionsRunOnLoggedOutputsBesideTheEvalReport() throws {
        let suite = try makeSuite()
        XCTAssertEqual(suite.assertions.filter(MonitorQuality.isReferenceFree).map(\.typeName), ["is-json", "not-contains", "max-tokens"])
        let q = MonitorQuality.check(Self.hundred(), suiteName: "json", assertions: suite.assertions, report: makeReport(suite, cases: 20))
        XCTAssertEqual(q.checked, 90)
        XCTAssertEqual(q.assertions.map(\.key), ["is-json", "not-contains", "short"])
        let isJSON = q.assertions[0]
        XCTAssertEqual(isJSON.production.passed, 80)
        XCTAssertEqual(isJSON.production.n, 90)
        XCTAssertEqual(isJSON.production.low, 0.8074221497873896, accuracy: 1e-12)
        XCTAssertEqual(isJSON.production.high, 0.9385168081070229, accuracy: 1e-12)
        XCTAssertEqual(isJSON.eval?.passed, 20)
        XCTAssertEqual(try XCTUnwrap(isJSON.eval).low, 0.8388748419471806, accuracy: 1e-12)
        XCTAssertFalse(isJSON.drift, "the intervals overlap")
        // max-tokens 8 on 10-token outputs: production 0/90 against the eval's 20/20.
        XCTAssertEqual(q.assertions[2].production.passed, 0)
        XCTAssertTrue(q.assertions[2].drift)
        XCTAssertEqual(q.assertions[1].production.passed, 90)
        XCTAssertFalse(q.assertions[1].drift)
        XCTAssertTrue(q.notes.contains { $0.contains("2 assertion(s) need an expected output") }, "\(q.notes)")

        // 10 of 30 valid: Wilson [0.192, 0.512] lies below the eval's [0.839, 1].
        let worse = (1...30).map { Self.line($0, latency: 1, output: $0 <= 10 ? "{}" : "nope") }
        let w = MonitorQuality.check(worse, suiteName: "json", assertions: suite.assertions, report: makeReport(suite, cases: 20))
        XCTAssertEqual(w.assertions[0].production.high, 0.5121994835545616, accuracy: 1e-12)
        XCTAssertTrue(w.assertions[0].drift)
    }

    func testWithoutLoggedContentThereIsNothingToCheck() throws {
        let suite = try makeSuite()
        let lines = (1...5).map { Self.line($0, latency: 1, output: nil) }
        let q = MonitorQuality.check(lines, suiteName: "json", assertions: suite.assertions, report: makeReport(suite, cases: 3))
        XCTAssertEqual(q.checked, 0)
        XCTAssertEqual(q.withoutContent, 5)
        XCTAssertEqual(q.assertions.first?.production.n, 0)
        XCTAssertFalse(q.assertions.contains(where: \.drift))
        XCTAssertTrue(q.notes.contains { $0.contains("--no-log-content") }, "\(q.notes)")
    }

    // MARK: the log

    func writeLog(_ dir: URL, day: String, _ text: String) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: dir.appendingPathComponent("\(day).jsonl"))
    }

    static func encoded(_ l: RequestLogLine) -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try! e.encode(l), as: UTF8.self)
    }

    func testATornLastLineIsCountedAndMalformedLinesAreNamed() throws {
        let dir = TestSupport.makeTempDir("ftx-monitor-log")
        let good = (1...3).map { Self.encoded(Self.line($0, latency: 1)) }
        let torn = String(Self.encoded(Self.line(4, latency: 1)).prefix(40))
        try writeLog(dir, day: "2026-12-06", good[0] + "\nnot json\n" + good[1] + "\n{\"id\": 1}\n" + good[2] + "\n" + torn)
        let log = try MonitorLog.read(directory: dir.path, since: nil, until: nil)
        XCTAssertEqual(log.lines.count, 3)
        XCTAssertEqual(log.torn, 1)
        XCTAssertEqual(log.skipped, 2)
        let file = dir.appendingPathComponent("2026-12-06.jsonl").path
        XCTAssertEqual(log.problems.count, 2)
        XCTAssertTrue(log.problems[0].hasPrefix("\(file):2: "), log.problems[0])
        XCTAssertTrue(log.problems[1].hasPrefix("\(file):4: "), log.problems[1])

        // The same broken line WITH its newline is malformed, not torn.
        try writeLog(dir, day: "2026-12-06", good[0] + "\n" + torn + "\n")
        let again = try MonitorLog.read(directory: dir.path, since: nil, until: nil)
        XCTAssertEqual(again.torn, 0)
        XCTAssertEqual(again.skipped, 1)
    }

    func testAnOverlongLineSkipsTheRestOfItsFileOnly() throws {
        let dir = TestSupport.makeTempDir("ftx-monitor-long")
        let good = Self.encoded(Self.line(1, latency: 1))
        try writeLog(dir, day: "2026-12-05", good + "\n" + String(repeating: "x", count: MonitorLog.maxLineBytes + 10) + "\n" + good + "\n")
        try writeLog(dir, day: "2026-12-06", good + "\n")
        let log = try MonitorLog.read(directory: dir.path, since: nil, until: nil)
        XCTAssertEqual(log.lines.count, 2)
        XCTAssertEqual(log.skipped, 1)
        XCTAssertTrue(log.problems[0].contains("2026-12-05.jsonl:2"), log.problems[0])
    }

    func testTheWindowSelectsFilesAndLines() throws {
        let dir = TestSupport.makeTempDir("ftx-monitor-window")
        try writeLog(dir, day: "2026-12-04", Self.encoded(Self.line(1, latency: 1, time: "2026-12-04T12:00:00.000Z")) + "\n")
        try writeLog(dir, day: "2026-12-05", [8, 20].map { Self.encoded(Self.line($0, latency: Double($0), time: "2026-12-05T\($0 < 10 ? "0" : "")\($0):00:00.000Z")) }.joined(separator: "\n") + "\n")
        let since = LogTime.parse("2026-12-05T10:00:00Z")!
        let log = try MonitorLog.read(directory: dir.path, since: since, until: nil)
        XCTAssertEqual(log.files.count, 1, "the 12-04 file ends before the window")
        XCTAssertEqual(log.lines.map(\.latencyMs), [20])
        let until = try MonitorLog.read(directory: dir.path, since: nil, until: since)
        XCTAssertEqual(until.lines.map(\.latencyMs), [1, 8])
        XCTAssertEqual(LogTime.duration("30m"), 1800)
        XCTAssertEqual(LogTime.duration("7d"), 604_800)
        XCTAssertNil(LogTime.duration("7x"))
        XCTAssertNil(LogTime.duration("-1h"))
        XCTAssertEqual(try MonitorLog.read(directory: dir.path + "/none", since: nil, until: nil).lines.count, 0)
    }

    // MARK: versions

    /// prod: A deployed (t=100), then B (t=200), then rolled back to A (t=300). The log also names a
    /// run requested directly (C) and requests no adapter answered.
    func testVersionsFollowTheDeployReflog() {
        var log = MonitorLog()
        log.lines = [Self.line(1, adapter: Self.adapterB, latency: 5), Self.line(2, latency: 1), Self.line(3, adapter: String(Self.adapterA.prefix(12)), latency: 3),
                     Self.line(4, adapter: Self.runC, latency: 2), Self.line(5, adapter: nil, latency: 2, error: "not_found")]
        let history = [Monitor.Event(adapter: Self.adapterA, time: 300, who: "Ann", message: "rollback prod to prod@{1}"),
                       Monitor.Event(adapter: Self.adapterB, time: 200, who: "Bob", message: "deploy bbbb: B"),
                       Monitor.Event(adapter: Self.adapterA, time: 100, who: "Ann", message: "deploy aaaa: A")]
        let r = Monitor.summarize(log, env: "prod", since: nil, until: nil, history: history) { _, _ in .none("no report") }
        XCTAssertEqual(r.versions.map(\.adapter), [Self.adapterB, Self.adapterA, "-", Self.runC])
        XCTAssertEqual(r.current, Self.adapterA)
        XCTAssertEqual(r.currentVersion?.adapter, Self.adapterA)
        XCTAssertEqual(r.versions[1].traffic.volume, 2, "a short adapter id joins its full one")
        XCTAssertEqual(r.versions[1].deploys.map(\.rev), ["prod@{2}", "prod@{0}"])
        XCTAssertEqual(r.versions[1].deploys.last?.message, "rollback prod to prod@{1}")
        XCTAssertEqual(r.versions[0].deploys.map(\.who), ["Bob"])
        XCTAssertTrue(r.versions[3].deploys.isEmpty)
        XCTAssertEqual(r.versions[2].traffic.errorsByKind, ["not_found": 1])
        XCTAssertEqual(r.versions[1].qualityNote, "no report")
        XCTAssertEqual(r.requests, 5)

        // A deployed version that served nothing in the window is left out unless it is current.
        log.lines = [Self.line(1, adapter: Self.runC, latency: 1)]
        let quiet = Monitor.summarize(log, env: "prod", since: nil, until: nil, history: history) { _, _ in .none("") }
        XCTAssertEqual(quiet.versions.map(\.adapter), [Self.adapterA, Self.runC])
        XCTAssertEqual(quiet.currentVersion?.traffic.volume, 0)
    }

    // MARK: --fail-on

    func testFailOnParsesTheGateGrammarOverMonitorMetrics() throws {
        let c = try FailOnCondition(parsing: "p95_ms > 800")
        XCTAssertEqual(c, FailOnCondition(metric: "p95_ms", op: .gt, value: 800))
        XCTAssertEqual(try FailOnCondition(parsing: "assert.is-json<95%").value, 0.95)
        for bad in ["p95_ms >> 800", "p95 > 800", "p95_ms > fast", "p95_ms", "assert. < 1"] {
            XCTAssertThrowsError(try FailOnCondition(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".contains("condition") || "\(e)".contains("--fail-on"), "\(bad): \(e)")
            }
        }
        XCTAssertThrowsError(try FailOnCondition(parsing: "error_rat > 0.1")) { e in
            XCTAssertEqual((e as? EvalError)?.hint, "did you mean 'error_rate'?")
        }
    }

    func testFailOnHoldsOnTheCurrentVersion() throws {
        let suite = try makeSuite()
        var log = MonitorLog()
        log.lines = Self.hundred()
        let history = [Monitor.Event(adapter: Self.adapterA, time: 1, who: "Ann", message: "deploy")]
        let r = Monitor.summarize(log, env: "prod", since: nil, until: nil, history: history) { _, lines in
            .report(MonitorQuality.check(lines, suiteName: "json", assertions: suite.assertions, report: self.makeReport(suite, cases: 20)))
        }
        let texts = ["p95_ms > 90", "p99_ms > 100", "error_rate > 0.05", "assert.is-json < 0.95", "assert.nope < 1",
                     "volume < 1", "ttft_p95_ms > 47.5", "tokens_per_second < 199"]
        let verdicts = FailOnResult.evaluate(try texts.map { try FailOnCondition(parsing: $0) }, on: r.currentVersion)
        XCTAssertEqual(verdicts.map(\.violated), [true, false, true, true, false, false, true, false])
        XCTAssertNil(verdicts[4].value, "no such assertion: no data, not a failure")
        XCTAssertEqual(try XCTUnwrap(verdicts[3].value), 80.0 / 90, accuracy: 1e-12)
        // Nothing served: only volume has a value.
        let none = FailOnResult.evaluate([try FailOnCondition(parsing: "volume < 1"), try FailOnCondition(parsing: "p95_ms > 1")], on: nil)
        XCTAssertEqual(none.map(\.violated), [true, false])
    }

    // MARK: sample

    func testSampleIsStratifiedAndDeterministic() throws {
        var lines = (1...50).map { Self.line($0, latency: 1) }
        lines += (51...53).map { Self.line($0, latency: 1, finish: "length") }
        lines += (54...55).map { Self.line($0, latency: 1, output: nil, error: "timeout") }
        lines.append(Self.line(56, latency: 1, output: nil).withoutContent())
        let six = MonitorSample.draw(lines, n: 6, seed: 1)
        XCTAssertEqual(six.map(MonitorSample.strata).sorted(), ["\(Self.adapterA)/length", "\(Self.adapterA)/length", "\(Self.adapterA)/stop",
                                                                 "\(Self.adapterA)/stop", "\(Self.adapterA)/timeout", "\(Self.adapterA)/timeout"])
        let eight = MonitorSample.draw(lines, n: 8, seed: 1)
        XCTAssertEqual(Dictionary(grouping: eight, by: MonitorSample.strata).mapValues(\.count),
                       ["\(Self.adapterA)/length": 3, "\(Self.adapterA)/stop": 3, "\(Self.adapterA)/timeout": 2])
        // Same seed, any line order: the same cases and bytes; another seed: other cases.
        XCTAssertEqual(try MonitorSample.jsonl(MonitorSample.draw(lines.reversed(), n: 6, seed: 1)), try MonitorSample.jsonl(six))
        XCTAssertNotEqual(MonitorSample.draw(lines, n: 6, seed: 2).map(\.id), six.map(\.id))
        XCTAssertFalse(MonitorSample.draw(lines, n: 100, seed: 1).contains { $0.id == lines.last!.id }, "no content, nothing to label")
        XCTAssertEqual(MonitorSample.draw(lines, n: 100, seed: 1).count, 55)
    }

    func testSampledRowsLoadAsEvalCases() throws {
        let dir = TestSupport.makeTempDir("ftx-monitor-sample")
        var completion = Self.line(2, latency: 1, output: " done")
        completion.messages = nil
        completion.prompt = "say done:"
        let chat = Self.line(1, latency: 1, output: "{\"a\": 1}")
        // A case file holds one format: a mixed log gives the format most requests used.
        var another = completion
        another.id = String(format: "req-%016x", 3)
        XCTAssertEqual(Set(MonitorSample.draw([chat, completion, another], n: 5, seed: 0).map(\.id)), [completion.id, another.id])
        XCTAssertEqual(MonitorSample.draw([chat, completion], n: 5, seed: 0).map(\.id), [chat.id])
        func load(_ line: RequestLogLine) throws -> EvalCase {
            try MonitorSample.jsonl([line]).write(to: dir.appendingPathComponent("cases.jsonl"))
            let suitePath = dir.appendingPathComponent("suite.yaml").path
            try "name: s\ncases: cases.jsonl\n".write(toFile: suitePath, atomically: true, encoding: .utf8)
            return try XCTUnwrap(CaseLoader.load(suite: try SuiteLoader.load(path: suitePath)).cases.first)
        }
        let c = try load(chat), p = try load(completion)
        XCTAssertEqual([c.id, p.id], [String(format: "req-%016x", 1), String(format: "req-%016x", 2)])
        XCTAssertEqual([c.expected, p.expected], ["{\"a\": 1}", " done"])
        XCTAssertEqual(c.messages.map(\.content), ["q1"])
        XCTAssertEqual(p.fields["logged_output"], " done")
        XCTAssertEqual(p.input, "say done:")
    }
}

extension RequestLogLine {
    func withoutContent() -> RequestLogLine {
        var l = self
        l.messages = nil; l.prompt = nil; l.output = nil
        return l
    }
}
