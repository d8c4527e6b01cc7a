import Foundation
import XCTest
import FTXTestSupport
import FTXModel

/// Hostile model-side inputs through the real binary: chat templates and metadata inside a GGUF.
/// Each must end in a clear `ftx: …` error naming the file and place, exit status 2, never a signal.
final class HostileModelCLITests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-hostile-model") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let tiny = TestSupport.repoRoot.appendingPathComponent("Tests/FTXModelTests/Corpus/valid-tiny.gguf").path

    /// The reader tests' tiny model (1 block, hidden 32) rewritten with `changes` to its metadata.
    static func tinyModel(at path: String, metadata changes: [String: GGUFValue]) throws {
        let g = try GGUFFile(path: tiny)
        var w = GGUFWriter()
        for k in g.metadataKeys where changes[k] == nil { w.set(k, g.metadata[k]!) }
        for k in changes.keys.sorted() { w.set(k, changes[k]!) }
        for t in g.tensors {
            w.addTensor(t.name, dims: t.dims, type: t.type, bytes: Array(UnsafeRawBufferPointer(start: g.pointer(t), count: t.byteCount)))
        }
        try Data(w.bytes()).write(to: URL(fileURLWithPath: path))
    }

    func assertCleanError(_ r: TestSupport.RunResult, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signaled, "killed by signal \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("ftx: "), r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "missing '\(f)' in: \(r.stderr)", file: file, line: line) }
    }

    func testHostileChatTemplatesAreClearErrors() throws {
        let bombs: [(String, String)] = [
            ("{{ 'a' * 100000000000 }}", "64 MiB"),
            ("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}", "nested deeper"),
            (String(repeating: "{% if true %}", count: 20_000) + String(repeating: "{% endif %}", count: 20_000), "nested deeper"),
            ("{% for i in range(100000000000) %}{% endfor %}", "items"),
            ("{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}{% endfor %}{% endfor %}{% endfor %}", "steps"),
        ]
        for (n, (template, fragment)) in bombs.enumerated() {
            let model = dir.appendingPathComponent("evil\(n).gguf").path
            try Self.tinyModel(at: model, metadata: ["tokenizer.chat_template": .string(template)])
            let r = try TestSupport.runFTX(["generate", "-m", model, "--chat", "--max-tokens", "1", "hi"], cwd: dir)
            assertCleanError(r, ["ftx: chat template: ", fragment, "evil\(n).gguf: tokenizer.chat_template, line 1"])
        }
    }

    /// A PEFT adapter for the tiny model (v_proj of block 0, rank 2) with `tensors` (name → shape,
    /// all F32 zeros, data offsets as the shapes say) and `config` overrides.
    func writePEFT(_ name: String, tensors: [String: [Int]], config: [String: Any] = [:]) throws -> String {
        let d = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        var header: [String: Any] = [:], offset = 0
        for k in tensors.keys.sorted() {
            let small = tensors[k]!.allSatisfy { $0 >= 0 && $0 < 1 << 10 }
            let bytes = small ? 4 * tensors[k]!.reduce(1, *) : 0   // a hostile shape gets no data at all
            header[k] = ["dtype": "F32", "shape": tensors[k]!, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        try (file + json + Data(count: offset)).write(to: d.appendingPathComponent("adapter_model.safetensors"))
        var cfg: [String: Any] = ["r": 2, "lora_alpha": 4, "target_modules": ["v_proj"], "peft_type": "LORA"]
        for (k, v) in config { cfg[k] = v }
        try JSONSerialization.data(withJSONObject: cfg).write(to: d.appendingPathComponent("adapter_config.json"))
        return d.path
    }

    /// Adapters whose sizes overflow, whose rank would allocate terabytes, or whose tensors name
    /// blocks or modules the base lacks: `generate --adapter` and `eval --adapter` refuse them cleanly.
    func testHostileAdaptersAreClearErrors() throws {
        let v = "base_model.model.model.layers.0.self_attn.v_proj"
        let ok = [v + ".lora_A.weight": [2, 32], v + ".lora_B.weight": [16, 2]]
        let cases: [(String, [String: [Int]], [String: Any], [String])] = [
            ("overflow", [v + ".lora_A.weight": [1 << 62, 2], v + ".lora_B.weight": [16, 2]], [:],
             ["tensor \(v).lora_A.weight", "overflow/adapter_model.safetensors"]),
            ("rank", ok, ["r": 1e11], ["rank r = 100000000000", "rank/adapter_config.json"]),
            ("minus", ok.merging(["base_model.model.model.layers.-1.self_attn.v_proj.lora_A.weight": [2, 32]]) { $1 }, [:],
             ["layers.-1.self_attn.v_proj.lora_A.weight", "block -1", "minus/adapter_model.safetensors"]),
            ("module", ok.merging(["base_model.model.model.layers.0.self_attn.w_proj.lora_A.weight": [2, 32]]) { $1 }, [:],
             ["unexpected tensor base_model.model.model.layers.0.self_attn.w_proj.lora_A.weight", "module/adapter_model.safetensors"]),
            ("shape", [v + ".lora_A.weight": [2, 33], v + ".lora_B.weight": [16, 2]], [:],
             ["is 2×33; expected 2×32", "shape/adapter_model.safetensors"]),
        ]
        try "{\"prompt\": \"p\", \"completion\": \"c\"}\n".write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        try "cases: t.jsonl\n".write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        for (name, tensors, config, fragments) in cases {
            let adapter = try writePEFT(name, tensors: tensors, config: config)
            for args in [["generate", "-m", Self.tiny, "--adapter", adapter, "--max-tokens", "1", "hi"],
                         ["eval", "--model", Self.tiny, "--adapter", adapter, "--suite", "s.yaml"]] {
                assertCleanError(try TestSupport.runFTX(args, cwd: dir), fragments)
            }
        }
    }

    /// `rope.scaling.type`, as llama.cpp's converter writes it for any family: linear is applied (it
    /// changes the scores of a text) and shown; YaRN, LongRoPE and unknown types are refused by name,
    /// where they used to be ignored (a llama/qwen2 file was read as if unscaled: every angle wrong).
    func testRopeScalingIsAppliedOrRefusedByName() throws {
        let text = "a few words, so that positions past the first matter"
        func score(_ model: String) throws -> String {
            let r = try TestSupport.runFTX(["score", "-m", model, "--json", text], cwd: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout
        }
        let linear = dir.appendingPathComponent("linear.gguf").path
        try Self.tinyModel(at: linear, metadata: ["llama.rope.scaling.type": .string("linear"), "llama.rope.scaling.factor": .float32(4)])
        let info = try TestSupport.runFTX(["model", "info", linear], cwd: dir)
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("linear rope scaling ×4.0"), info.stdout)
        XCTAssertNotEqual(try score(linear), try score(Self.tiny), "the factor must change the angles")
        let one = dir.appendingPathComponent("factor1.gguf").path
        try Self.tinyModel(at: one, metadata: ["llama.rope.scaling.type": .string("linear"), "llama.rope.scaling.factor": .float32(1)])
        XCTAssertEqual(try score(one), try score(Self.tiny), "factor 1 is no scaling")
        for type in ["yarn", "longrope", "dynamic"] {
            let model = dir.appendingPathComponent("\(type).gguf").path
            try Self.tinyModel(at: model, metadata: ["llama.rope.scaling.type": .string(type), "llama.rope.scaling.factor": .float32(4)])
            for args in [["model", "info", model], ["generate", "-m", model, "--max-tokens", "1", "hi"]] {
                assertCleanError(try TestSupport.runFTX(args, cwd: dir), ["rope scaling \(type)", "llama.rope.scaling.type", "\(type).gguf"])
            }
        }
    }

    /// A model carrying an 8 MB metadata array opens without decoding it (it used to take 40× its
    /// size in memory); the same array claiming 2^40 elements is refused with the byte offset.
    func testLargeAndMalformedMetadataArrays() throws {
        let model = dir.appendingPathComponent("big.gguf")
        try Self.tinyModel(at: model.path, metadata: ["big.bytes": .array(GGUFArray(Array(repeating: .uint8(7), count: 8_000_000)))])
        let info = try TestSupport.runFTX(["model", "info", model.path], cwd: dir)
        XCTAssertEqual(info.status, 0, info.stderr)

        var bytes = try Data(contentsOf: model)
        let key = bytes.range(of: Data("big.bytes".utf8))!
        let countAt = key.upperBound + 8   // after the value type (array) and the element type (u8)
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { bytes.replaceSubrange(countAt..<(countAt + 8), with: $0) }
        let bad = dir.appendingPathComponent("bad.gguf")
        try bytes.write(to: bad)
        for args in [["model", "info", bad.path], ["generate", "-m", bad.path, "--max-tokens", "1", "hi"]] {
            assertCleanError(try TestSupport.runFTX(args, cwd: dir), ["array count 1099511627776 cannot fit", "bad.gguf at byte \(countAt)"])
        }
    }
}
