import Foundation
import FTXTestSupport
import XCTest

/// `ftx monitor` end to end: a real run on the tiny GGUF, deployed to prod, and a synthetic request
/// log in `.ftx/serve/prod/` with known figures.
final class MonitorCLITests: RegistryCLITestCase {
    /// Ten requests an hour ago answered by `adapter`: latencies 10…100 ms, the last one a timeout,
    /// the others 8 tokens long (the suite's max-tokens is 4), then a torn line.
    func writeLog(adapter: String) throws {
        let t = Date().addingTimeInterval(-3600)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let day = String(f.string(from: t).prefix(10))
        let lines = (1...10).map { i -> String in
            let error = i == 10 ? "\"timeout\"" : "null"
            let finish = i == 10 ? "null" : "\"stop\""
            return #"{"adapter":"\#(adapter)","completion_tokens":8,"endpoint":"completions","env":"prod","error":\#(error),"finish_reason":\#(finish),"id":"req-\#(String(format: "%016x", i))","input_bytes":3,"input_sha256":"x","latency_ms":\#(i * 10),"model":"prod","output":" [RED] and more","output_bytes":5,"output_sha256":"y","prompt":"color red ->","prompt_tokens":4,"queue_ms":0,"status":\#(i == 10 ? 504 : 200),"stream":false,"time":"\#(f.string(from: t))","ttft_ms":\#(i)}"#
        }
        try write(".ftx/serve/prod/\(day).jsonl", lines.joined(separator: "\n") + "\n{\"id\":\"req-torn")
    }

    func testMonitorReportsFiguresFailsOnConditionsAndSamples() throws {
        try makeTinyProject()
        let run = try JSONSerialization.jsonObject(with: Data(try ftx(["run", "-c", "configs/lora.yaml", "-m", "first", "--json"]).stdout.utf8)) as? [String: Any]
        let commit = try XCTUnwrap(run?["commit"] as? String)
        try ftx(["deploy", commit, "--env", "prod"])
        try writeLog(adapter: commit)

        let out = try ftx(["monitor", "--json", "--fail-on", "p95_ms > 800"]).stdout
        let top = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let report = try XCTUnwrap(top["report"] as? [String: Any])
        XCTAssertEqual(report["current"] as? String, commit)
        XCTAssertEqual(report["torn"] as? Int, 1)
        let version = try XCTUnwrap((report["versions"] as? [[String: Any]])?.first)
        XCTAssertEqual(version["current"] as? Bool, true)
        let traffic = try XCTUnwrap(version["traffic"] as? [String: Any])
        XCTAssertEqual(traffic["volume"] as? Int, 10)
        XCTAssertEqual(traffic["error_rate"] as? Double, 0.1)
        XCTAssertEqual(traffic["errors_by_kind"] as? [String: Int], ["timeout": 1])
        // np.percentile([10, 20, …, 100], [50, 95, 99]) = 55, 95.5, 99.1.
        let latency = try XCTUnwrap(traffic["latency_ms"] as? [String: Double])
        XCTAssertEqual(try XCTUnwrap(latency["p50"]), 55, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(latency["p95"]), 95.5, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(latency["p99"]), 99.1, accuracy: 1e-9)
        let quality = try XCTUnwrap(version["quality"] as? [String: Any], "\(version)")
        XCTAssertEqual(quality["checked"] as? Int, 9)
        let maxTokens = try XCTUnwrap((quality["assertions"] as? [[String: Any]])?.first { $0["key"] as? String == "max-tokens" })
        XCTAssertEqual((maxTokens["production"] as? [String: Any])?["passed"] as? Int, 0)
        XCTAssertEqual((maxTokens["production"] as? [String: Any])?["n"] as? Int, 9)
        let eval = try XCTUnwrap(maxTokens["eval"] as? [String: Any])
        XCTAssertEqual(eval["passed"] as? Int, eval["n"] as? Int, "the run passed max-tokens on every case")
        XCTAssertEqual(maxTokens["drift"] as? Bool, true)
        XCTAssertEqual((top["fail_on"] as? [[String: Any]])?.first?["violated"] as? Bool, false)

        let failed = try ftx(["monitor", "--fail-on", "p95_ms > 90", "--fail-on", "assert.max-tokens < 0.95", "--fail-on", "error_rate > 0.5",
                              "--html", "monitor.html"], status: 1)
        XCTAssertTrue(failed.stdout.contains("FAIL p95_ms > 90 (95.5)"), failed.stdout)
        XCTAssertTrue(failed.stdout.contains("FAIL assert.max-tokens < 0.95 (0)"), failed.stdout)
        XCTAssertTrue(failed.stdout.contains("ok   error_rate > 0.5 (0.1)"), failed.stdout)
        XCTAssertTrue(failed.stdout.contains("DRIFT"), failed.stdout)
        let html = try String(contentsOf: dir.appendingPathComponent("monitor.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!doctype html>") && html.contains("assert.max-tokens"), html)

        for bad in ["p95_ms >> 800", "p95 > 800", "p95_ms > fast"] {
            let r = try ftx(["monitor", "--fail-on", bad], status: 2)
            XCTAssertTrue(r.stderr.hasPrefix("ftx: condition") || r.stderr.hasPrefix("ftx: unknown metric"), "\(bad): \(r.stderr)")
        }
        try ftx(["monitor", "--since", "yesterday"], status: 2)

        let quiet = try ftx(["monitor", "--env", "staging", "--fail-on", "p95_ms > 1"])
        XCTAssertTrue(quiet.stdout.contains("no requests logged for staging"), quiet.stdout)

        let sample = try ftx(["monitor", "sample", "--n", "4", "--out", "cases.jsonl", "--seed", "3"])
        XCTAssertTrue(sample.stdout.contains("wrote 4 case(s) to cases.jsonl"), sample.stdout)
        let rows = try String(contentsOf: dir.appendingPathComponent("cases.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 4)
        XCTAssertTrue(rows.contains { $0.contains(#""outcome":"timeout""#) }, "the rare stratum is drawn: \(rows)")
        XCTAssertTrue(rows.allSatisfy { $0.contains(#""prompt":"color red ->""#) && $0.contains(#""logged_output":" [RED] and more""#) })
    }
}
