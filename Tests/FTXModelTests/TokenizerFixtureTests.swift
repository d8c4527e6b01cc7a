import XCTest
import FTXTestSupport
@testable import FTXModel

/// SmolLM2's tokenizer against reference ids (special tokens parsed, no BOS).
final class TokenizerFixtureTests: XCTestCase {
    func testEveryCaseExactAndRoundTrip() throws {
        let tok = try SmolLM2.model().tokenizer
        XCTAssertEqual(tok.preTokenizer, .smollm)
        let cases = try SmolLM2.json("tokenizer_cases.json")["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let text = c["text"] as! String
            let ids = c["ids"] as! [Int]
            XCTAssertEqual(tok.encode(text, parseSpecial: true), ids, "encode \(text.debugDescription)")
            XCTAssertEqual(tok.decode(ids), text, "decode of \(text.debugDescription)")
        }
    }

    func testSpecialsAsPlainTextWhenNotParsed() throws {
        let tok = try SmolLM2.model().tokenizer
        let ids = tok.encode("<|im_end|>", parseSpecial: false)
        XCTAssertFalse(ids.contains(2))
        XCTAssertEqual(tok.decode(ids), "<|im_end|>")
        XCTAssertEqual(tok.encode("<|im_end|>", parseSpecial: true), [2])
    }

    func testStreamingDecodeHoldsIncompleteUTF8() throws {
        let tok = try SmolLM2.model().tokenizer
        let text = "日本語のテキスト 🙂 ok"
        let ids = tok.encode(text)
        var dec = StreamingDecoder(tokenizer: tok)
        var out = ""
        for id in ids {
            let piece = dec.push(id)
            XCTAssertFalse(piece.contains("\u{FFFD}"), "a piece split a character")
            out += piece
        }
        out += dec.flush()
        XCTAssertEqual(out, text)
    }
}
