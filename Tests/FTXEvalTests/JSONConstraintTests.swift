import XCTest
import FTXData
@testable import FTXModel
import FTXTestSupport
@testable import FTXEval

/// Structured output: the JSON automaton byte by byte, the vocabulary mask, and generation under
/// the constraint whose outputs are judged by FTXData's parser and the eval schema validator.
final class JSONConstraintTests: XCTestCase {
    static let person = """
    {"type": "object",
     "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                    "tags": {"type": "array", "items": {"enum": ["a", "b", 3]}},
                    "home": {"type": "object", "properties": {"zip": {"type": "integer"}}, "required": ["zip"],
                             "additionalProperties": false}},
     "required": ["name", "age"], "additionalProperties": false}
    """

    func schema(_ text: String) throws -> JSONConstraintSchema {
        try JSONConstraintSchema.compile(JSONParser.parse(text))
    }

    /// How far the automaton gets through `text`: nil when it takes every byte, else the offset of the refused byte.
    func refusedAt(_ text: String, _ schema: JSONConstraintSchema = .anyObject) -> Int? {
        var s = JSONGrammarState(root: schema.root)
        for (i, b) in text.utf8.enumerated() where !s.step(b, schema) { return i }
        return nil
    }

    func refusedAt(bytes: [UInt8], _ schema: JSONConstraintSchema = .anyObject) -> Int? {
        var s = JSONGrammarState(root: schema.root)
        for (i, b) in bytes.enumerated() where !s.step(b, schema) { return i }
        return nil
    }

    func complete(_ text: String, _ schema: JSONConstraintSchema = .anyObject) -> Bool {
        var s = JSONGrammarState(root: schema.root)
        for b in text.utf8 where !s.step(b, schema) { return false }
        return s.canEnd(schema)
    }

    func testGrammarPrefixes() {
        for ok in ["{", " {\"a\": [1, -2.5e+3, 0.0, true, null, \"x\\u00e9\\n\\/\"]", "{\"a\":{}}", "{\"\": {\"b\": []}}",
                   "{\"s\": \"\\ud83d\\ude00\"}", "{}\n", "{\"a\":1E-07}"] {
            XCTAssertNil(refusedAt(ok), ok)
        }
        let bad: [(String, Int)] = [
            ("[", 0), ("\"x\"", 0), ("{,", 1), ("{\"a\" 1", 5), ("{\"a\":01", 6), ("{\"a\":tru e", 8),
            ("{\"a\":\"\u{01}", 6), ("{\"a\":1,}", 7), ("{\"a\":1}x", 7), ("{\"a\":\"\\x", 7),
            ("{\"a\":\"\\ud800x", 12), ("{\"a\":\"\\udc00", 9), ("{\"a\":\"\\ud800\\u0041", 14), ("{\"a\":-}", 6),
            ("{\"a\":1.}", 7), ("{\"a\":1e}", 7), ("{\"a\":nul}", 8), ("{\"a\":[1 2]}", 8), ("{\"a\":[1,]}", 8),
            ("{" + String(repeating: " ", count: 13), 13), ("{}" + String(repeating: "\n", count: 13), 14),
        ]
        for (text, at) in bad { XCTAssertEqual(refusedAt(text), at, text) }
        XCTAssertTrue(complete("{\"a\": [1, {\"b\": null}]}"))
        XCTAssertFalse(complete("{\"a\": [1, {\"b\": null}]"))
        // Nesting stops at 32 containers.
        let deep = "{\"a\":" + String(repeating: "[", count: 31)
        XCTAssertNil(refusedAt(deep))
        XCTAssertEqual(refusedAt(deep + "["), deep.utf8.count)
        XCTAssertNil(refusedAt(deep + "1"))
    }

    func testUTF8AcrossBytes() {
        let head = Array("{\"k\":\"".utf8)
        XCTAssertNil(refusedAt(bytes: head + [0xC3, 0xA9, 0x22, 0x7D]))              // é
        XCTAssertNil(refusedAt(bytes: head + [0xF0, 0x9F, 0x98, 0x80, 0x22]))        // 😀
        XCTAssertEqual(refusedAt(bytes: head + [0xC3, 0x41]), head.count + 1)       // lead byte then ASCII
        XCTAssertEqual(refusedAt(bytes: head + [0xC3, 0x22]), head.count + 1)       // string closed mid-character
        XCTAssertEqual(refusedAt(bytes: head + [0xC0, 0x80]), head.count)           // overlong
        XCTAssertEqual(refusedAt(bytes: head + [0xE0, 0x80]), head.count + 1)       // overlong 3-byte
        XCTAssertEqual(refusedAt(bytes: head + [0xED, 0xA0]), head.count + 1)       // UTF-16 surrogate
        XCTAssertEqual(refusedAt(bytes: head + [0xF4, 0x90]), head.count + 1)       // past U+10FFFF
        XCTAssertEqual(refusedAt(bytes: head + [0xF5]), head.count)
        XCTAssertEqual(refusedAt(bytes: head + [0xA9]), head.count)                 // lone continuation
    }

    /// Tokens that split a code point: the mask follows the state across the token boundary.
    func testMaskAcrossTokenThatSplitsACodePoint() throws {
        var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        tokens += [ByteLevel.encode([0x22, 0xC3]), ByteLevel.encode([0xA9, 0x22, 0x7D]), ByteLevel.encode([0x41, 0x22]), "<|im_end|>"]
        var types = [Tokenizer.TokenType](repeating: .normal, count: tokens.count)
        types[types.count - 1] = .control
        let tok = Tokenizer.make(kind: .byteLevelBPE, tokens: tokens, types: types, bosID: nil, eosID: tokens.count - 1)
        let c = try JSONConstraint(tokenizer: tok, schema: nil)
        for b in "{\"k\":".utf8 { c.accept(Int(b)) }
        c.accept(256)   // "\xC3
        var logits = [Float](repeating: 0, count: tokens.count)
        logits.withUnsafeMutableBufferPointer { c.mask($0.baseAddress!, vocab: tokens.count) }
        XCTAssertEqual(logits[257], 0)                     // \xA9"} completes é and the object
        XCTAssertEqual(logits[258], -.infinity)            // A" would break the character
        XCTAssertEqual(logits[0xA9], 0)
        XCTAssertEqual(logits[0x41], -.infinity)
        XCTAssertEqual(logits[259], -.infinity)            // EOS while incomplete
        XCTAssertFalse(c.isComplete)
        c.accept(257)
        XCTAssertTrue(c.isComplete)
        logits = [Float](repeating: 0, count: tokens.count)
        logits.withUnsafeMutableBufferPointer { c.mask($0.baseAddress!, vocab: tokens.count) }
        XCTAssertEqual(logits[259], 0)                     // EOS once complete
        XCTAssertEqual(logits[0x7D], -.infinity)
    }

    func testSchemaRequiredDeclaredKeysAndIntegers() throws {
        let s = try schema(Self.person)
        XCTAssertTrue(complete("{\"name\": \"x\", \"age\": 3}", s))
        XCTAssertTrue(complete("{\"age\":-0,\"tags\":[\"a\",3,\"b\"],\"name\":\"\",\"home\":{\"zip\":12}}", s))
        XCTAssertEqual(refusedAt("{\"name\":\"x\"}", s), 11)                 // age is required
        XCTAssertEqual(refusedAt("{\"name\":\"x\",\"nam", s), 13)           // each key once
        XCTAssertEqual(refusedAt("{\"foo\"", s), 2)                        // undeclared key
        XCTAssertEqual(refusedAt("{\"age\":1.5", s), 8)                    // integer
        XCTAssertEqual(refusedAt("{\"age\":1e3", s), 8)
        XCTAssertEqual(refusedAt("{\"age\":\"3\"", s), 7)
        XCTAssertEqual(refusedAt("{\"age\":1234567890123456", s), 22)      // integers stay below 10^15
        XCTAssertEqual(refusedAt("{\"name\":1", s), 8)
        XCTAssertEqual(refusedAt("{\"tags\":[\"c", s), 10)                 // enum
        XCTAssertEqual(refusedAt("{\"tags\":[31", s), 10)
        XCTAssertEqual(refusedAt("{\"home\":{}", s), 9)                    // nested required
        XCTAssertEqual(refusedAt("{\"home\":{\"zip\":1,", s), 16)          // no key left to write
        // All declared keys written, additionalProperties false: no ',' any more.
        let full = "{\"name\":\"x\",\"age\":1,\"tags\":[],\"home\":{\"zip\":1}"
        XCTAssertEqual(refusedAt(full + ",", s), full.utf8.count)
        XCTAssertTrue(complete(full + "}", s))
    }

    func testSchemaOpenObjectsEnumsAndTopLevelScalars() throws {
        let open = try schema(#"{"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n", "id"]}"#)
        XCTAssertTrue(complete(#"{"zz": [1, {"q": "\u00e9"}], "n": 2.5e-3, "id": null}"#, open))
        XCTAssertEqual(refusedAt(#"{"n": "x""#, open), 6)
        XCTAssertEqual(refusedAt(#"{"z\n"#, open), 3)                   // undeclared keys without escapes
        XCTAssertEqual(refusedAt(#"{"n": 1, "n""#, open), 11)          // a declared key twice
        let e = try schema(#"{"enum": ["red", 12, 1, {"k": [true]}]}"#)
        XCTAssertTrue(complete("\"red\"", e))
        XCTAssertTrue(complete("12", e))
        XCTAssertTrue(complete("1", e))
        XCTAssertTrue(complete(#"{"k":[true]}"#, e))
        XCTAssertEqual(refusedAt("\"re ", e), 3)
        XCTAssertEqual(refusedAt("123", e), 2)
        XCTAssertEqual(refusedAt("13", e), 1)
        let n = try schema(#"{"type": ["integer", "null"]}"#)
        XCTAssertTrue(complete("-42", n))
        XCTAssertTrue(complete("null", n))
        XCTAssertFalse(complete("-", n))
        XCTAssertEqual(refusedAt("true", n), 0)
        XCTAssertEqual(refusedAt("4 5", n), 2)
    }

    func testSchemaOutsideTheSubsetIsAClearError() throws {
        for (text, word) in [(#"{"type": "string", "pattern": "x"}"#, "pattern"),
                             (#"{"properties": {"a": {"minimum": 1}}}"#, "minimum"),
                             (#"{"additionalProperties": {"type": "string"}}"#, "additionalProperties")] {
            XCTAssertThrowsError(try JSONConstraint(tokenizer: .tinyByteLevel(), schema: JSONParser.parse(text))) { error in
                let m = (error as? EvalError)?.message ?? ""
                XCTAssertTrue(m.contains(word), m)
            }
        }
        // The validator judges additionalProperties: false too (the constraint must agree with it).
        let v = try JSONSchemaSubset(EvalJSON.parse(#"{"properties": {"a": {}}, "additionalProperties": false}"#)!)
        XCTAssertNil(v.violation(of: EvalJSON.parse(#"{"a": 1}"#)!))
        XCTAssertEqual(v.violation(of: EvalJSON.parse(#"{"a": 1, "b": 2}"#)!), "$: property 'b' is not allowed")
    }

    func testResponseFormatParsing() throws {
        XCTAssertEqual(try ResponseFormat(json: JSONParser.parse(#"{"type": "text"}"#)), .text)
        XCTAssertNil(try ResponseFormat.text.constraint(tokenizer: .tinyByteLevel()))
        XCTAssertEqual(try ResponseFormat(json: JSONParser.parse(#"{"type": "json_object"}"#)), .jsonObject)
        let strict = try ResponseFormat(json: JSONParser.parse(
            #"{"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {}}}}}}}"#))
        guard case .jsonSchema(let name, let s) = strict else { return XCTFail("\(strict)") }
        XCTAssertEqual(name, "p")
        XCTAssertEqual(s["additionalProperties"], .bool(false))
        XCTAssertEqual(s["properties"]?["a"]?["additionalProperties"], .bool(false))
        let c = try XCTUnwrap(try strict.constraint(tokenizer: .tinyByteLevel()))
        var g = JSONGrammarState(root: c.schema.root)
        XCTAssertFalse("{\"x".utf8.allSatisfy { g.step($0, c.schema) })
        for (text, word) in [(#"{"type": "json"}"#, "json"), (#"{"type": "json_schema"}"#, "json_schema"),
                             (#"{"type": "json_object", "schema": {}}"#, "schema"),
                             (#"{"type": "json_schema", "json_schema": {"schema": {"type": "strin"}}}"#, "strin")] {
            XCTAssertThrowsError(try ResponseFormat(json: JSONParser.parse(text))) { error in
                XCTAssertTrue((error as? EvalError)?.message.contains(word) == true, "\(error)")
            }
        }
    }

    /// A suite's `generation.response_format` reaches the model's generate call and the report.
    func testSuiteResponseFormatReachesGeneration() throws {
        let dir = TestSupport.makeTempDir("ftx-eval-format")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "{\"id\": \"a\", \"prompt\": \"p\", \"completion\": \"{}\"}\n".write(to: dir.appendingPathComponent("c.jsonl"), atomically: true, encoding: .utf8)
        let yaml = """
        cases: c.jsonl
        generation:
          response_format:
            type: json_schema
            json_schema: {name: t, schema: {type: object, required: [a], properties: {a: {type: integer}}}}
        """
        let path = dir.appendingPathComponent("s.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let suite = try SuiteLoader.load(path: path)
        let want = try ResponseFormat(json: JSONParser.parse(
            #"{"type": "json_schema", "json_schema": {"name": "t", "schema": {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}}}"#))
        XCTAssertEqual(suite.generation.responseFormat, want)
        let model = FakeEvalModel(fallback: "{\"a\": 1}")
        let report = try EvalRunner(suite: suite, showProgress: false).run(model: model)
        XCTAssertEqual(model.paramsSeen.map(\.responseFormat), [want])
        let again = try JSONDecoder().decode(EvalSuite.Generation.self, from: JSONEncoder().encode(report.suite.generation))
        XCTAssertEqual(again.responseFormat, want)

        try yaml.replacingOccurrences(of: "type: integer", with: "type: int").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SuiteLoader.load(path: path)) { error in
            XCTAssertEqual((error as? EvalError)?.location, "\(path):4", "\(error)")
            XCTAssertTrue((error as? EvalError)?.message.contains("'int'") == true, "\(error)")
        }
    }

    // MARK: generation under the constraint

    /// Generation under the constraint through the engine's decode loop (`generate(constraints:)`,
    /// as eval and `ftx serve` run it); `maskSeconds` adds up the time spent in `mask`.
    static func generate(_ model: LlamaModel, prompt: [Int], constraint: JSONConstraint?, seed: UInt64,
                         maxTokens: Int, temperature: Float, maskSeconds: UnsafeMutablePointer<Double>? = nil) throws -> String {
        final class Timed: TokenConstraint {
            let inner: JSONConstraint, seconds: UnsafeMutablePointer<Double>?
            init(_ inner: JSONConstraint, _ seconds: UnsafeMutablePointer<Double>?) { self.inner = inner; self.seconds = seconds }
            func mask(_ logits: UnsafeMutablePointer<Float>, vocab: Int) {
                let t0 = Date(); inner.mask(logits, vocab: vocab); seconds?.pointee += Date().timeIntervalSince(t0)
            }
            func accept(_ token: Int) { inner.accept(token) }
            var isComplete: Bool { inner.isComplete }
        }
        let params = GenerationParams(maxTokens: maxTokens, temperature: temperature, seed: seed, matmuls: .exact)
        let c: TokenConstraint? = constraint.map { Timed($0, maskSeconds) }
        return try model.generate(prompts: [prompt], params: params, constraints: [c])[0].text
    }

    func randomModel() -> LlamaModel {
        var config = LlamaConfig.tiny()
        config.contextLength = 4096
        return LlamaModel.random(config: config, seed: 3, tokenizer: .tinyByteLevel())
    }

    func testRandomModelUnconstrainedIsGarbage() throws {
        let model = randomModel()
        var parsed = 0
        for seed in 0..<8 as Range<UInt64> {
            let text = try Self.generate(model, prompt: [257], constraint: nil, seed: seed, maxTokens: 40, temperature: 1)
            if case .object? = EvalJSON.parse(text) { parsed += 1 }
        }
        XCTAssertEqual(parsed, 0)
    }

    func testRandomModelUnderSchemaAlwaysFits() throws {
        let model = randomModel()
        let schemaJSON = try JSONParser.parse(Self.person)
        let validator = try JSONSchemaSubset(EvalJSON(schemaJSON))
        for seed in 0..<12 as Range<UInt64> {
            let c = try JSONConstraint(tokenizer: model.tokenizer, schema: schemaJSON)
            // A hot draw: the random model alone repeats one token forever.
            let text = try Self.generate(model, prompt: [257], constraint: c, seed: seed, maxTokens: 3000, temperature: 4)
            let value = try XCTUnwrap(EvalJSON.parse(text), "seed \(seed): not JSON: \(text)")
            XCTAssertNil(validator.violation(of: value), "seed \(seed): \(text)")
            XCTAssertTrue(c.isComplete)
        }
    }

    func testRandomModelJSONObjectAlwaysParses() throws {
        let model = randomModel()
        for seed in 0..<8 as Range<UInt64> {
            let c = try JSONConstraint(tokenizer: model.tokenizer, schema: nil)
            let text = try Self.generate(model, prompt: [257], constraint: c, seed: seed, maxTokens: 3000, temperature: 4)
            guard case .object? = EvalJSON.parse(text) else { return XCTFail("seed \(seed): not a JSON object: \(text)") }
        }
    }

    /// The real model with a schema prompt; also reports ms per mask over SmolLM2's 49k vocabulary.
    func testSmolLM2SchemaOutputParsesAndFits() throws {
        let path = try TestSupport.smolLM2Path()
        let model = try LlamaModel.load(path: path)
        let schemaJSON = try JSONParser.parse(#"""
        {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
         "city": {"enum": ["Paris", "London", "Tokyo"]}}, "required": ["name", "age", "city"], "additionalProperties": false}
        """#)
        let template = try XCTUnwrap(model.chatTemplate)
        let prompt = try template.render(messages: [(role: "user", content: "Describe a person as JSON with name, age and city.")],
                                         addGenerationPrompt: true)
        let c = try JSONConstraint(tokenizer: model.tokenizer, schema: schemaJSON)
        var maskSeconds = 0.0
        let text = try Self.generate(model, prompt: model.tokenizer.encode(prompt), constraint: c, seed: 0, maxTokens: 120,
                                     temperature: 0, maskSeconds: &maskSeconds)
        let value = try XCTUnwrap(EvalJSON.parse(text), "not JSON: \(text)")
        XCTAssertNil(try JSONSchemaSubset(EvalJSON(schemaJSON)).violation(of: value), text)

        // The widest mask: inside a free string nearly every token stays allowed.
        let wide = try JSONConstraint(tokenizer: model.tokenizer, schema: nil)
        for t in model.tokenizer.encode("{\"note\": \"", parseSpecial: false) { wide.accept(t) }
        var logits = [Float](repeating: 0, count: model.config.vocabSize)
        // The first mask in a state walks the trie; the string's next tokens reuse it.
        var t0 = Date()
        logits.withUnsafeMutableBufferPointer { wide.mask($0.baseAddress!, vocab: model.config.vocabSize) }
        let coldMs = Date().timeIntervalSince(t0) * 1000
        let coldAllowed = logits.filter { $0 == 0 }.count
        t0 = Date()
        for _ in 0..<20 {
            logits.withUnsafeMutableBufferPointer { $0.update(repeating: 0); wide.mask($0.baseAddress!, vocab: model.config.vocabSize) }
        }
        let warmMs = Date().timeIntervalSince(t0) / 20 * 1000
        XCTAssertEqual(logits.filter { $0 == 0 }.count, coldAllowed, "a repeated state allows the same tokens")
        print("JSONConstraint on SmolLM2 (\(model.config.vocabSize) tokens): \(text.utf8.count) bytes in \(text) ; "
              + String(format: "%.2f ms per mask along the output; inside a string (%d allowed): %.2f ms for the first mask, %.3f ms per later one",
                       maskSeconds * 1000 / Double(max(1, model.tokenizer.encode(text, parseSpecial: false).count)), coldAllowed,
                       coldMs, warmMs))
    }
}
