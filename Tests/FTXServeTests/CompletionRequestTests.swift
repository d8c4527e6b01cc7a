import XCTest
@testable import FTXServe

final class CompletionRequestTests: XCTestCase {
    func parse(_ s: String, _ e: CompletionRequest.Endpoint = .chat) throws -> CompletionRequest {
        try CompletionRequest.parse(Array(s.utf8), endpoint: e)
    }

    func refusal(_ s: String, _ e: CompletionRequest.Endpoint = .chat) -> ServeError? {
        do { _ = try parse(s, e); return nil } catch { return error as? ServeError }
    }

    func testFields() throws {
        let r = try parse(#"{"model":"prod","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"max_tokens":7,"temperature":0.5,"top_p":0.9,"seed":42,"stop":"END","n":1,"stream":true}"#)
        XCTAssertEqual(r.model, "prod")
        XCTAssertEqual(r.messages?.map(\.content), ["be brief", "ab"])
        XCTAssertEqual(r.maxTokens, 7)
        XCTAssertEqual(r.temperature, 0.5)
        XCTAssertEqual(r.topP, 0.9)
        XCTAssertEqual(r.seed, 42)
        XCTAssertEqual(r.stop, ["END"])
        XCTAssertTrue(r.stream)
        XCTAssertEqual(try parse(#"{"prompt":["one"],"stop":["a","b"]}"#, .completions).stop, ["a", "b"])
        XCTAssertEqual(try parse(#"{"prompt":"p","response_format":{"type":"json_object"}}"#, .completions).format, .jsonObject)
    }

    func testRefusals() {
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"n":3}"#)?.param, "n")
        XCTAssertEqual(refusal(#"{"messages":[]}"#)?.param, "messages")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#)?.param, "max_tokens")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":"9"}"#)?.param, "max_tokens")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"stop":[1]}"#)?.param, "stop")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}"#)?.param, "stop")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#)?.param, "temperature")
        XCTAssertEqual(refusal(#"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#)?.param, "response_format")
        XCTAssertTrue(refusal(#"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#)?.message.contains("xml") == true)
        XCTAssertEqual(refusal(#"{"prompt":["a","b"]}"#, .completions)?.param, "prompt")
        XCTAssertEqual(refusal("[1]")?.kind, .badRequest)
        XCTAssertTrue(refusal(#"{"a":"#)?.message.contains("not valid JSON") == true)
        do { _ = try CompletionRequest.parse([0x7B, 0xC3, 0x28, 0x7D], endpoint: .chat); XCTFail() } catch {
            XCTAssertTrue("\(error)".contains("UTF-8"))
        }
        XCTAssertEqual(ServeError(.notFound, "x \"y\"").body, #"{"error":{"message":"x \"y\"","type":"not_found_error","param":null,"code":"not_found"}}"#)
    }
}
