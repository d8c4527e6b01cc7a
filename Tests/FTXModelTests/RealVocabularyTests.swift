import Foundation
import XCTest
import FTXTestSupport
@testable import FTXModel

/// The tokenizers against real vocabularies: llama.cpp's vocab-only GGUFs with the ids Hugging Face's
/// tokenizers gave for each of their texts (`make vocab`). Compared as llama.cpp's
/// tests/test-tokenizer-0.cpp does: no BOS or other added specials, control tokens in the text read
/// as plain text (user-defined ones still match), ids equal one for one.
final class RealVocabularyTests: XCTestCase {
    /// Qwen2/2.5/3's 151k vocabulary (pre-tokenizer qwen2, NFC).
    func testQwen2() throws { try check("qwen2", pre: .qwen2) }
    /// Llama 3's 128k vocabulary (pre-tokenizer llama-bpe).
    func testLlama3() throws { try check("llama-bpe", pre: .llama3) }
    func testGPT2() throws { try check("gpt-2", pre: .gpt2) }
    /// GPT-NeoX's vocabulary (GPT-2's rule), whose runs of spaces are user-defined added tokens.
    func testMPT() throws { try check("mpt", pre: .gpt2) }
    /// Single digits, then GPT-2's rule.
    func testStarCoder() throws { try check("starcoder", pre: .smollm) }
    func testRefact() throws { try check("refact", pre: .smollm) }
    func testCommandR() throws { try check("command-r", pre: .smollm) }
    /// Llama 2's and Phi-3's SentencePiece vocabularies.
    func testLlamaSentencePiece() throws { try check("llama-spm", kind: .sentencePiece) }
    func testPhi3() throws { try check("phi-3", kind: .sentencePiece) }

    /// SentencePiece compares pieces as code points and bytes: a combining mark or CR stays a symbol
    /// of its own and a decomposed "e\u{301}" never finds the token "é". The ids are llama.cpp's
    /// (llama-cpp-python 0.3.36, vocab_only, add_bos=False, special=False).
    func testSentencePieceCodePointsNotGraphemes() throws {
        let tok = try Tokenizer.fromGGUF(GGUFFile(path: try TestSupport.vocabularyPath("llama-spm")))
        XCTAssertEqual(tok.encode("e\u{301}", parseSpecial: false), [321, 30103])
        XCTAssertEqual(tok.encode("caf\u{e9} cafe\u{301}", parseSpecial: false), [274, 28059, 5777, 1725, 30103])
        XCTAssertEqual(tok.encode(" \u{301}", parseSpecial: false), [259, 30103])
        XCTAssertEqual(tok.encode("a\r\nb", parseSpecial: false), [263, 30004, 13, 29890])
    }

    struct Case { let text: String; let ids: [Int] }

    func check(_ name: String, kind: Tokenizer.Kind = .byteLevelBPE, pre: PreTokenizer? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try TestSupport.vocabularyPath(name, file: file, line: line)
        let tok = try Tokenizer.fromGGUF(GGUFFile(path: path))
        XCTAssertEqual(tok.kind, kind, file: file, line: line)
        if let pre { XCTAssertEqual(tok.preTokenizer, pre, file: file, line: line) }
        let cases = try Self.cases(path)
        XCTAssertGreaterThan(cases.count, 30, "\(name): too few cases read", file: file, line: line)
        var failed: [String] = []
        for c in cases {
            let got = tok.encode(c.text, parseSpecial: false)
            if got != c.ids { failed.append("\(c.text.debugDescription): expected \(c.ids), got \(got)") }
        }
        XCTAssert(failed.isEmpty, "\(name): \(failed.count) of \(cases.count) cases differ:\n" + failed.joined(separator: "\n"),
                  file: file, line: line)
    }

    /// The cases of `<path>.inp` (texts, each followed by a line `__ggml_vocab_test__`) and
    /// `<path>.out` (one line of space-separated ids per text).
    static func cases(_ path: String) throws -> [Case] {
        let inp = try Data(contentsOf: URL(fileURLWithPath: path + ".inp"))
        let out = try String(contentsOfFile: path + ".out", encoding: .utf8)
        let sep = Data("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var pos = inp.startIndex
        while pos < inp.endIndex {
            let end = inp.range(of: sep, in: pos..<inp.endIndex)
            let chunk = inp[pos..<(end?.lowerBound ?? inp.endIndex)]
            guard let text = String(data: chunk, encoding: .utf8) else { throw CocoaError(.fileReadCorruptFile) }
            texts.append(text)
            pos = end?.upperBound ?? inp.endIndex
        }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast(out.hasSuffix("\n") ? 1 : 0)
        guard lines.count == texts.count else { throw CocoaError(.fileReadCorruptFile) }
        return try zip(texts, lines).map { text, line in
            let ids = try line.split(separator: " ").map { s -> Int in
                guard let id = Int(s) else { throw CocoaError(.fileReadCorruptFile) }
                return id
            }
            return Case(text: text, ids: ids)
        }
    }
}
