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
