import Foundation
import XCTest
import FTXTestSupport

/// `ftx generate --adapter` / `ftx score --adapter` end to end on the real SmolLM2 model, with a
/// small LoRA adapter written here in both formats (PEFT and GGUF LoRA) with the same numbers.
final class ModelAdapterCLITests: XCTestCase {
    // SmolLM2-135M: hidden 576, 3 KV heads of 64, FFN 1536, 30 blocks.
    static let hidden = 576, kvWidth = 192, ffn = 1536, layers = 30, rank = 2
    static let alpha: Float = 16

    /// (key stem, in, out) of every adapted projection: v and down (no q/k, so the PEFT and GGUF
    /// files hold B in the same row order and must score identically).
    static func projections(hidden: Int = hidden) -> [(peft: String, gguf: String, inF: Int, out: Int)] {
        (0..<layers).flatMap { l in
            [("base_model.model.model.layers.\(l).self_attn.v_proj", "blk.\(l).attn_v.weight", hidden, kvWidth),
             ("base_model.model.model.layers.\(l).mlp.down_proj", "blk.\(l).ffn_down.weight", ffn, hidden)]
        }
    }

    /// Deterministic factors: A ~ ±1/√in, B ~ ±0.2 (non-zero, so the adapter changes the model).
    static func factors(_ inF: Int, _ out: Int, _ seed: inout UInt64) -> (a: [Float], b: [Float]) {
        func next(_ scale: Float) -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(seed >> 33) % 2001 - 1000) / 1000 * scale
        }
        let a = (0..<(rank * inF)).map { _ in next(1 / Float(inF).squareRoot()) }
        let b = (0..<(out * rank)).map { _ in next(0.2) }
        return (a, b)
    }

    static func f32Bytes(_ v: [Float]) -> Data { v.withUnsafeBufferPointer { Data(buffer: $0) } }

    /// adapter_model.safetensors + adapter_config.json in `dir`.
    static func writePEFT(to dir: URL, hidden: Int = hidden) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var header: [String: Any] = [:], body = Data(), seed: UInt64 = 42
        for p in projections(hidden: hidden) {
            let (a, b) = factors(p.inF, p.out, &seed)
            for (suffix, shape, values) in [("lora_A", [rank, p.inF], a), ("lora_B", [p.out, rank], b)] {
                header["\(p.peft).\(suffix).weight"] = ["dtype": "F32", "shape": shape, "data_offsets": [body.count, body.count + 4 * values.count]]
                body += f32Bytes(values)
            }
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        try (file + json + body).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
        let config: [String: Any] = ["peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": alpha,
                                     "target_modules": ["v_proj", "down_proj"], "use_rslora": false]
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("adapter_config.json"))
    }

    /// The same adapter as a GGUF LoRA file (llama.cpp's layout: lora_a ne [in, r], lora_b ne [r, out]).
    static func writeGGUF(to path: URL) throws {
        var out = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(Data(s.utf8)) }
        var tensors: [(name: String, dims: [Int], data: Data)] = [], seed: UInt64 = 42
        for p in projections() {
            let (a, b) = factors(p.inF, p.out, &seed)
            tensors.append((p.gguf + ".lora_a", [p.inF, rank], f32Bytes(a)))
            tensors.append((p.gguf + ".lora_b", [rank, p.out], f32Bytes(b)))
        }
        out.append(Data("GGUF".utf8)); u32(3); u64(UInt64(tensors.count)); u64(4)
        for (k, v) in [("general.architecture", "llama"), ("general.type", "adapter"), ("adapter.type", "lora")] {
            str(k); u32(8); str(v)
        }
        str("adapter.lora.alpha"); u32(6); withUnsafeBytes(of: alpha.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        var offset = 0
        for t in tensors {
            str(t.name); u32(UInt32(t.dims.count))
            for d in t.dims { u64(UInt64(d)) }
            u32(0); u64(UInt64(offset))
            offset += (t.data.count + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % 32 != 0 { out.append(0) }
        }
        try out.write(to: path)
    }

    func json(_ r: TestSupport.RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout, file: file, line: line)
    }

    func testScoreAndGenerateApplyTheAdapterInEveryFormat() throws {
        let model = try TestSupport.smolLM2Path()
        let cwd = TestSupport.makeTempDir("ftx-model-adapter")
        defer { try? FileManager.default.removeItem(at: cwd) }
        let peft = cwd.appendingPathComponent("peft"), gguf = cwd.appendingPathComponent("adapter.gguf")
        try Self.writePEFT(to: peft)
        try Self.writeGGUF(to: gguf)
        let text = "The quick brown fox jumps over the lazy dog. It was a sunny afternoon, and the children were playing in the park."

        func score(_ adapter: String?) throws -> [String: Any] {
            try json(TestSupport.runFTX(["score", "-m", model, "--json", "--threads", "2", text] + (adapter.map { ["--adapter", $0] } ?? []), cwd: cwd))
        }
        let base = try score(nil)
        let viaDir = try score(peft.path)
        let viaFile = try score(peft.appendingPathComponent("adapter_model.safetensors").path)
        let viaGGUF = try score(gguf.path)
        let baseCE = try XCTUnwrap(base["mean_cross_entropy"] as? Double), ce = try XCTUnwrap(viaDir["mean_cross_entropy"] as? Double)
        XCTAssertEqual(viaDir["adapter"] as? String, peft.path)
        XCTAssertNil(base["adapter"])
        XCTAssertEqual(viaDir["tokens"] as? Int, base["tokens"] as? Int)
        XCTAssertGreaterThan(abs(ce - baseCE), 0.05, "the adapter must change the score (base \(baseCE), adapted \(ce))")
        // The same numbers in the other file forms give the same model.
        XCTAssertEqual(try XCTUnwrap(viaFile["mean_cross_entropy"] as? Double), ce, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(viaGGUF["mean_cross_entropy"] as? Double), ce, accuracy: 1e-9)

        let plain = try TestSupport.runFTX(["score", "-m", model, "--adapter", peft.path, "--threads", "2", text], cwd: cwd)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.hasPrefix("adapter             \(peft.path)\n"), plain.stdout)

        // `ftx eval --adapter` scores the same tokens (prompt "The", expected the rest) to the same loss.
        let cases = cwd.appendingPathComponent("cases.jsonl"), suite = cwd.appendingPathComponent("suite.yaml")
        let rest = String(text.dropFirst(3))
        let row = try JSONSerialization.data(withJSONObject: ["id": "fox", "prompt": "The", "completion": rest])
        try (row + Data("\n".utf8)).write(to: cases)
        try "name: fox\ncases: cases.jsonl\ngeneration:\n  max_tokens: 1\n  chat_template: false\n".write(to: suite, atomically: true, encoding: .utf8)
        let report = try json(TestSupport.runFTX(["eval", "--model", model, "--adapter", peft.path, "--suite", suite.path, "--json"], cwd: cwd))
        let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
        XCTAssertEqual(metrics["scored_tokens"] as? Int, viaDir["predicted"] as? Int)
        XCTAssertEqual(try XCTUnwrap(metrics["loss"] as? Double), ce, accuracy: 1e-4 * ce)

        let prompt = ["generate", "-m", model, "--chat", "--max-tokens", "12", "--threads", "2", "What is the capital of Japan?"]
        let plainGen = try TestSupport.runFTX(prompt, cwd: cwd)
        let adaptedGen = try TestSupport.runFTX(prompt + ["--adapter", peft.path], cwd: cwd)
        let ggufGen = try TestSupport.runFTX(prompt + ["--adapter", gguf.path], cwd: cwd)
        for r in [plainGen, adaptedGen, ggufGen] { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertTrue(plainGen.stdout.hasPrefix("The capital of Japan is Tokyo"), plainGen.stdout)
        XCTAssertNotEqual(adaptedGen.stdout, plainGen.stdout, "the adapter must change the generation")
        XCTAssertEqual(ggufGen.stdout, adaptedGen.stdout)
    }

    func testAdapterThatDoesNotFitTheModelIsAClearError() throws {
        let model = try TestSupport.smolLM2Path()
        let cwd = TestSupport.makeTempDir("ftx-model-adapter-bad")
        defer { try? FileManager.default.removeItem(at: cwd) }
        // Trained for a model with hidden size 64: v_proj's lora_A is [2, 64], SmolLM2 needs [2, 576].
        let other = cwd.appendingPathComponent("other")
        try Self.writePEFT(to: other, hidden: 64)
        for command in [["score", "-m", model, "--adapter", other.path, "hello"],
                        ["generate", "-m", model, "--adapter", other.path, "--max-tokens", "2", "hello"]] {
            let r = try TestSupport.runFTX(command, cwd: cwd)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("ftx: tensor base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight is 2×64; expected 2×576"), r.stderr)
            XCTAssertTrue(r.stderr.contains(other.appendingPathComponent("adapter_model.safetensors").path), r.stderr)
            XCTAssertTrue(r.stderr.contains("hint: an adapter fits only the base it was trained on; SmolLM2-135M-Instruct.Q4_1.gguf has 30 blocks, hidden size 576"), r.stderr)
            XCTAssertTrue(r.stdout.isEmpty, r.stdout)
        }
        // The base model given as the adapter, and a path that is not there.
        let swapped = try TestSupport.runFTX(["score", "-m", model, "--adapter", model, "hello"], cwd: cwd)
        XCTAssertEqual(swapped.status, 2)
        XCTAssertTrue(swapped.stderr.contains("pass it with --model"), swapped.stderr)
        let missing = try TestSupport.runFTX(["generate", "-m", model, "--adapter", cwd.appendingPathComponent("none").path, "hi"], cwd: cwd)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("adapter not found"), missing.stderr)
    }

    func testHelpNamesTheAdapterOption() throws {
        let cwd = TestSupport.makeTempDir("ftx-model-adapter-help")
        defer { try? FileManager.default.removeItem(at: cwd) }
        for command in ["generate", "score"] {
            let r = try TestSupport.runFTX([command, "--help"], cwd: cwd)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("--adapter <path>"), r.stdout)
            XCTAssertTrue(r.stdout.contains("GGUF LoRA"), r.stdout)
        }
    }
}
