import XCTest
@testable import FTXModel

/// Tokenizer kinds and pre-tokenizers beyond SmolLM2's: SentencePiece-style vocabularies and the
/// GPT-2 / Llama 3 splitting rules.
final class TokenizerKindsTests: XCTestCase {
    func makeSPM() -> Tokenizer {
        var tokens = ["<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab"]
        var types: [Tokenizer.TokenType] = [.unknown, .control, .control] + Array(repeating: .normal, count: 6)
        var scores: [Float] = [0, 0, 0, -5, -6, -6, -2, -3, -1]
        for b in 0..<256 { tokens.append(String(format: "<0x%02X>", b)); types.append(.byte); scores.append(0) }
        return Tokenizer.make(kind: .sentencePiece, tokens: tokens, types: types, scores: scores,
                              bosID: 1, eosID: 2, addBOS: true, addSpacePrefix: true)
    }

    func testSentencePieceMergesByScoreAndFallsBackToBytes() {
        let t = makeSPM()
        XCTAssertEqual(t.encode("ab ab"), [8, 8])
        XCTAssertEqual(t.decode([8, 8]), "ab ab")
        // "é" is not in the vocabulary: its UTF-8 bytes become <0xC3><0xA9>.
        let ids = t.encode("aé")
        XCTAssertEqual(ids, [6, 9 + 0xC3, 9 + 0xA9])
        XCTAssertEqual(t.decode(ids), "aé")
        XCTAssertEqual(t.encode("<s>ab", parseSpecial: true), [1, 8])
        XCTAssertTrue(t.addBOS)
    }

    func words(_ pre: PreTokenizer, _ s: String) -> [String] {
        let sc = Array(s.unicodeScalars)
        return pre.split(sc).map { String(String.UnicodeScalarView(sc[$0])) }
    }

    func testGPT2AndLlama3Splitting() {
        XCTAssertEqual(words(.gpt2, "Hello world's 2024 tests!!  ok"),
                       ["Hello", " world", "'s", " 2024", " tests", "!!", " ", " ok"])
        XCTAssertEqual(words(.llama3, "Hello WORLD'S 123456 x\n\n  y"),
                       ["Hello", " WORLD", "'S", " ", "123", "456", " x", "\n\n", " ", " y"])
        XCTAssertEqual(words(.smollm, "ab 12c"), ["ab", " ", "1", "2", "c"])
        XCTAssertEqual(PreTokenizer.named("llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer.named("something-new"), .gpt2)
    }

    func testTinyByteLevelRoundTrip() {
        let t = Tokenizer.tinyByteLevel()
        let text = "héllo <|im_end|> wörld 🙂"
        let ids = t.encode(text)
        XCTAssertTrue(ids.contains(258))
        XCTAssertEqual(t.decode(ids), text)
        XCTAssertEqual(t.encode(text, parseSpecial: false).count, text.utf8.count)
    }
}
