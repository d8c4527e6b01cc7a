import XCTest
import FTXModel
import FTXTestSupport
@testable import FTXTrain

/// Hostile adapter files (both formats): overflowing shapes, absurd ranks, tensors for blocks or
/// modules the base does not have. Each is a TrainError naming the tensor and the file; nothing
/// is allocated from an unchecked size (this module is built -Ounchecked, where overflow wraps).
final class AdapterHostileTests: XCTestCase {
    let dims = ModelDims(LlamaConfig.tiny())   // hidden 64, FFN 96, 2 blocks, q 64, k/v 32
    var dir: String!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-adapter-hostile").path }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A safetensors file from header entries (name → JSON object) and the data section.
    static func safetensors(_ header: [String: Any], data: Data = Data()) throws -> Data {
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    static let peftV = "base_model.model.model.layers.0.self_attn.v_proj"

    /// A PEFT directory adapting v_proj of every block with rank 2 (all zeros), with `extra` tensors
    /// (name → shape) and config overrides.
    func writePEFT(_ name: String, extra: [String: [Int]] = [:], config: [String: Any] = [:], omit: String? = nil) throws -> String {
        let d = dir + "/" + name
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        var shapes: [String: [Int]] = [:]
        for l in 0..<dims.numLayers {
            shapes["base_model.model.model.layers.\(l).self_attn.v_proj.lora_A.weight"] = [2, 64]
            shapes["base_model.model.model.layers.\(l).self_attn.v_proj.lora_B.weight"] = [32, 2]
        }
        for (k, v) in extra { shapes[k] = v }
        if let omit { shapes[omit] = nil }
        var header: [String: Any] = [:], offset = 0
        for k in shapes.keys.sorted() {
            let n = shapes[k]!.reduce(1, *) * 4
            header[k] = ["dtype": "F32", "shape": shapes[k]!, "data_offsets": [offset, offset + n]]
            offset += n
        }
        try Self.safetensors(header, data: Data(count: offset)).write(to: URL(fileURLWithPath: d + "/adapter_model.safetensors"))
        var cfg: [String: Any] = ["r": 2, "lora_alpha": 4, "target_modules": ["v_proj"], "peft_type": "LORA"]
        for (k, v) in config { cfg[k] = v }
        try JSONSerialization.data(withJSONObject: cfg).write(to: URL(fileURLWithPath: d + "/adapter_config.json"))
        return d
    }

    func expect(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AdapterFile.read(path, dims: dims), file: file, line: line) { e in
            guard let e = e as? TrainError else { return XCTFail("\(e)", file: file, line: line) }
            for f in fragments { XCTAssertTrue(e.description.contains(f), "\(e.description) lacks \(f)", file: file, line: line) }
        }
    }

    func testValidAdapterStillReads() throws {
        let lora = try AdapterFile.read(try writePEFT("ok"), dims: dims)
        XCTAssertEqual(lora.spec.rank, 2)
        XCTAssertEqual(lora.spec.targets, [.v])
    }

    func testOverflowingShapesAreRefusedBeforeAnyAllocation() throws {
        let d = dir + "/overflow"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let st = d + "/adapter_model.safetensors"
        for shape in [[1 << 62, 2], [1 << 61, 2], [1 << 31, 1 << 31, 4], [-1, 2]] {
            try Self.safetensors([Self.peftV + ".lora_A.weight": ["dtype": "F32", "shape": shape, "data_offsets": [0, 0]]])
                .write(to: URL(fileURLWithPath: st))
            XCTAssertThrowsError(try SafetensorsFile.read(path: st)) { e in
                XCTAssertTrue("\(e)".contains(Self.peftV + ".lora_A.weight") && "\(e)".contains(st), "\(e)")
            }
        }
        // Offsets outside the data section, a header longer than the file, a deeply nested header.
        try Self.safetensors([Self.peftV + ".lora_A.weight": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]], data: Data(count: 4))
            .write(to: URL(fileURLWithPath: st))
        XCTAssertThrowsError(try SafetensorsFile.read(path: st)) { XCTAssertTrue("\($0)".contains("data_offsets"), "\($0)") }
        var long = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { long.append(contentsOf: $0) }
        try (long + Data("{}".utf8)).write(to: URL(fileURLWithPath: st))
        XCTAssertThrowsError(try SafetensorsFile.read(path: st)) { XCTAssertTrue("\($0)".contains("exceeds the file size"), "\($0)") }
        let deep = Data(String(repeating: "[", count: 100_000).utf8)
        var nested = Data()
        withUnsafeBytes(of: UInt64(deep.count).littleEndian) { nested.append(contentsOf: $0) }
        try (nested + deep).write(to: URL(fileURLWithPath: st))
        XCTAssertThrowsError(try SafetensorsFile.read(path: st)) { XCTAssertTrue("\($0)".contains("not a JSON object"), "\($0)") }
    }

    func testConfigNumbersAreCheckedAgainstTheBase() throws {
        expect(try writePEFT("r-huge", config: ["r": 1e11]), ["rank r = 100000000000", "between 1 and 32", "r-huge/adapter_config.json"])
        expect(try writePEFT("r-zero", config: ["r": 0]), ["rank r = 0", "r-zero/adapter_config.json"])
        expect(try writePEFT("alpha", config: ["lora_alpha": 1e39]), ["lora_alpha", "finite", "alpha/adapter_config.json"])
        expect(try writePEFT("dropout", config: ["lora_dropout": 2]), ["lora_dropout", "dropout/adapter_config.json"])
    }

    func testTensorsTheBaseDoesNotHaveAreErrorsNamingThem() throws {
        let weights = "adapter_model.safetensors"
        let minus = "base_model.model.model.layers.-1.self_attn.v_proj.lora_A.weight"
        expect(try writePEFT("minus", extra: [minus: [2, 64]]), [minus, "block -1", "minus/\(weights)"])
        let beyond = "base_model.model.model.layers.2.self_attn.v_proj.lora_A.weight"
        expect(try writePEFT("beyond", extra: [beyond: [2, 64]]), [beyond, "block 2", "2 blocks", "beyond/\(weights)"])
        for odd in ["base_model.model.model.layers.0.self_attn.foo_proj.lora_A.weight",
                    "base_model.model.model.layers.0.mlp.v_proj.lora_A.weight",      // v_proj is not under mlp
                    "base_model.model.model.layers.01.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight.extra",
                    "model.layers.0.self_attn.v_proj.lora_A.weight"] {
            expect(try writePEFT("odd", extra: [odd: [2, 64]]), ["unexpected tensor \(odd)", "odd/\(weights)"])
        }
        let wrong = "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"
        expect(try writePEFT("shape", extra: [wrong: [64, 2]]), [wrong, "is 64×2; expected 32×2", "shape/\(weights)"])
        expect(try writePEFT("half", omit: wrong), [wrong, "is missing", "half/\(weights)"])
    }

    func testGGUFAdapterTensorsAreCheckedTheSameWay() throws {
        func write(_ name: String, alpha: Float = 4, _ tensors: [(String, [Int])]) throws -> String {
            var w = GGUFWriter()
            w.set("general.architecture", .string("llama")); w.set("general.type", .string("adapter"))
            w.set("adapter.type", .string("lora")); w.set("adapter.lora.alpha", .float32(alpha))
            for (n, d) in tensors { w.addTensor(n, dims: d, f32: .init(repeating: 0, count: d.reduce(1, *))) }
            let p = dir + "/" + name
            try Data(w.bytes()).write(to: URL(fileURLWithPath: p))
            return p
        }
        let pair = [("blk.0.attn_v.weight.lora_a", [64, 2]), ("blk.0.attn_v.weight.lora_b", [2, 32])]
        XCTAssertEqual(try AdapterFile.read(try write("ok.gguf", pair), dims: dims).spec.rank, 2)
        expect(try write("minus.gguf", pair + [("blk.-1.attn_v.weight.lora_a", [64, 2])]), ["blk.-1.attn_v.weight.lora_a", "block -1", "minus.gguf"])
        expect(try write("odd.gguf", pair + [("blk.0.attn_zz.weight.lora_a", [64, 2])]), ["unexpected tensor blk.0.attn_zz.weight.lora_a", "odd.gguf"])
        expect(try write("rank.gguf", [("blk.0.attn_v.weight.lora_a", [64, 40]), ("blk.0.attn_v.weight.lora_b", [40, 32])]),
               ["rank r = 40", "between 1 and 32", "rank.gguf"])
        expect(try write("nan.gguf", alpha: .nan, pair), ["lora_alpha", "finite", "nan.gguf"])
    }
}
