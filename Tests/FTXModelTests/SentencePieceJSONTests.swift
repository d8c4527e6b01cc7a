import XCTest
@testable import FTXModel

/// SentencePiece-style tokenizer.json (Llama 2, Mistral, Gemma) against `tokenizers`, on the folders
/// that scripts/spm_tokenizer_reference.py trains with sentencepiece and converts with transformers:
/// ids, ids with special tokens, decoded text, BOS/EOS.
final class SentencePieceJSONTests: XCTestCase {
    static let layouts = ["llama2", "llama-metaspace", "mistral", "gemma"]

    static func folder(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/spm/\(name)").path
    }

    /// The way HFCheckpoint reads a folder's tokenizer.
    func load(_ dir: String) throws -> Tokenizer {
        try HFTokenizer.load(directory: dir, vocabSize: 0, read: { try HFCheckpoint.readJSON(dir, $0, limit: $1) }).tokenizer
    }

    func testIdsDecodingAndSpecialsMatchTokenizers() throws {
        for name in Self.layouts {
            let dir = Self.folder(name)
            let ref = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/cases.json"))) as? [String: Any])
            let tok = try load(dir)
            XCTAssertEqual(tok.kind, .sentencePiece, name)
            XCTAssertEqual(tok.bosID, ref["bos_id"] as? Int, name)
            XCTAssertEqual(tok.eosID, ref["eos_id"] as? Int, name)
            XCTAssertEqual(tok.addBOS, ref["add_bos"] as? Bool, name)
            let cases = try XCTUnwrap(ref["cases"] as? [[String: Any]])
            XCTAssertGreaterThan(cases.count, 200)
            var failures = 0
            for c in cases {
                let text = c["text"] as! String, ids = c["ids"] as! [Int]
                let tag = "\(name) \(text.debugDescription)"
                let got = tok.encode(text)
                XCTAssertEqual(got, ids, tag)
                // encodePrompt adds no second BOS where the text starts with one; tokenizers does.
                var withSpecials = c["with_specials"] as! [Int]
                if let b = tok.bosID, withSpecials.starts(with: [b, b]) { withSpecials.removeFirst() }
                XCTAssertEqual(tok.encodePrompt(text), withSpecials, tag)
                XCTAssertEqual(tok.decode(ids), c["decoded"] as? String, tag)
                if got != ids { failures += 1 }
                if failures > 20 { return XCTFail("\(name): stopping after 20 mismatches") }
            }
        }
    }

    /// Text that neither a piece nor a <0xNN> byte piece covers becomes the model's `unk_token`, one
    /// per run (`fuse_unk`), never dropped: the llama2 folder with its byte pieces removed, against
    /// the ids `tokenizers` gives that file (`Tokenizer.from_str(...).encode(s, add_special_tokens=False)`).
    func testUncoveredTextBecomesTheUnknownToken() throws {
        let src = Self.folder("llama2")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: src + "/tokenizer.json"))) as? [String: Any])
        var model = try XCTUnwrap(json["model"] as? [String: Any])
        model["vocab"] = try XCTUnwrap(model["vocab"] as? [String: Int]).filter { !$0.key.hasPrefix("<0x") }
        json["model"] = model
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spm-unk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try JSONSerialization.data(withJSONObject: json).write(to: tmp.appendingPathComponent("tokenizer.json"))
        try FileManager.default.copyItem(atPath: src + "/tokenizer_config.json", toPath: tmp.appendingPathComponent("tokenizer_config.json").path)
        let tok = try load(tmp.path)
        XCTAssertEqual(tok.encode("a€€b"), [267, 0, 1003])
        XCTAssertEqual(tok.encode("€"), [962, 0])
        XCTAssertEqual(tok.encode("hello 日本"), [297, 274, 976, 578, 1169])
    }

    /// A normalizer or pre-tokenizer the engine does not implement is an error naming the file and key.
    func testUnknownNormalizerOrPreTokenizerIsAnError() throws {
        let src = Self.folder("llama2")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: src + "/tokenizer.json"))) as? [String: Any])
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spm-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let variants: [(String, Any)] = [
            ("normalizer", ["type": "NFKC"]),
            ("pre_tokenizer", ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true]),
            ("pre_tokenizer", ["type": "Whitespace"]),
        ]
        for (key, value) in variants {
            var bad = json
            bad[key] = value
            try JSONSerialization.data(withJSONObject: bad).write(to: tmp.appendingPathComponent("tokenizer.json"))
            XCTAssertThrowsError(try load(tmp.path), key) { error in
                let e = error as? ModelError
                XCTAssertEqual(e?.location, tmp.path + "/tokenizer.json")
                XCTAssertTrue(e?.message.contains(key) == true, "\(key): \(e?.message ?? "\(error)")")
            }
        }
        json["normalizer"] = NSNull()
        try JSONSerialization.data(withJSONObject: json).write(to: tmp.appendingPathComponent("tokenizer.json"))
        XCTAssertThrowsError(try load(tmp.path)) { XCTAssertTrue(($0 as? ModelError)?.message.contains("normalizer") == true) }
    }
}
