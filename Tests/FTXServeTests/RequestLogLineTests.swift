import XCTest
@testable import FTXServe

/// The request log is a file format shared by `ftx serve` (writer) and `ftx monitor` (reader).
final class RequestLogLineTests: XCTestCase {
    func testFieldNamesAreTheFileFormat() throws {
        let line = #"{"id":"req-00000000000000ff","time":"2026-12-06T10:00:00.000Z","env":"prod","model":"prod","adapter":"abc","endpoint":"chat.completions","stream":false,"status":200,"messages":[{"role":"user","content":"hi"}],"output":"{}","input_bytes":2,"input_sha256":"x","output_bytes":2,"output_sha256":"y","prompt_tokens":5,"completion_tokens":2,"queue_ms":1.5,"ttft_ms":20,"latency_ms":40,"finish_reason":"stop","error":null,"response_format":"json_object"}"#
        let decoded = try JSONDecoder().decode(RequestLogLine.self, from: Data(line.utf8))
        XCTAssertEqual(decoded.messages, [.init(role: "user", content: "hi")])
        XCTAssertEqual(decoded.ttftMs, 20)
        XCTAssertEqual(decoded.responseFormat, "json_object")
        XCTAssertNil(decoded.prompt)
    }
}

/// Daily rotation: a line goes to the file of its arrival day (UTC), a new day opens a new file,
/// and a late line of the previous day still lands in that day's file.
final class RequestLogRotationTests: XCTestCase {
    func testLinesGoToTheFileOfTheirDay() throws {
        let root = NSTemporaryDirectory() + "ftx-log-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = RequestLog(root: root)
        let template = #"{"id":"ID","time":"TIME","env":"prod","model":"prod","endpoint":"completions","stream":false,"status":200,"input_bytes":1,"input_sha256":"x","output_bytes":1,"output_sha256":"y","prompt_tokens":1,"completion_tokens":1,"queue_ms":0,"latency_ms":1}"#
        func line(_ id: String, _ time: String) throws -> RequestLogLine {
            let text = template.replacingOccurrences(of: "ID", with: id).replacingOccurrences(of: "TIME", with: time)
            return try JSONDecoder().decode(RequestLogLine.self, from: Data(text.utf8))
        }
        try log.append(line("a", "2026-12-06T23:59:59.999Z"))
        try log.append(line("b", "2026-12-07T00:00:00.000Z"))
        try log.append(line("c", "2026-12-06T23:59:59.998Z"))  // arrived before midnight, finished after
        try log.append(line("d", "2026-12-07T00:00:01.000Z"))
        log.close()
        func ids(_ day: String) throws -> [String] {
            let text = try String(contentsOfFile: "\(root)/prod/\(day).jsonl", encoding: .utf8)
            return try text.split(separator: "\n").map { try JSONDecoder().decode(RequestLogLine.self, from: Data($0.utf8)).id }
        }
        XCTAssertEqual(try ids("2026-12-06"), ["a", "c"])
        XCTAssertEqual(try ids("2026-12-07"), ["b", "d"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/prod").sorted(), ["2026-12-06.jsonl", "2026-12-07.jsonl"])
    }
}
