import Foundation
import FTXModel
import FTXTestSupport
import XCTest
@testable import FTXTrain

/// Phi-3's fused LoRA modules in the adapter files and the config: PEFT's `qkv_proj`/`gate_up_proj`
/// names (as the PEFT fixture holds them), llama.cpp's `attn_qkv`/`ffn_up`, and targets that would
/// split a fused module refused with the valid ones named.
final class Phi3AdapterTests: XCTestCase {
    func testFusedModulesRoundTripThroughBothAdapterFormats() throws {
        let f = try PEFTReferenceTests.loadFixture("arch/peft_phi3")
        let lora = PEFTReferenceTests.peftLoRA(f)
        let dir = NSTemporaryDirectory() + "ftx-phi3-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PEFTAdapter.write(lora, to: dir, baseModelName: "tiny-phi3")
        let written = try SafetensorsFile.read(path: dir + "/" + PEFTAdapter.weightsFile)
        // The same names, shapes and values as PEFT's own tensors (less the gradients).
        XCTAssertEqual(Set(written.tensors.keys), Set(f.st.tensors.keys.filter { $0.contains("lora_") && !$0.hasSuffix(".grad") }))
        for (k, t) in written.tensors { XCTAssertEqual(t.values, f.st.tensors[k]?.values, k) }
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + PEFTAdapter.configFile))) as! [String: Any]
        XCTAssertEqual(cfg["target_modules"] as? [String], ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"])
        XCTAssertEqual(try PEFTAdapter.read(from: dir, dims: f.dims).params.array, lora.params.array)

        try GGUFLoRA.write(lora, to: dir + "/a.gguf")
        let g = try GGUFFile(path: dir + "/a.gguf")
        for n in ["blk.0.attn_qkv.weight.lora_a", "blk.0.attn_output.weight.lora_b", "blk.1.ffn_up.weight.lora_b", "blk.1.ffn_down.weight.lora_a"] {
            XCTAssertNotNil(g.tensor(n), n)
        }
        XCTAssertEqual(g.tensor("blk.0.attn_qkv.weight.lora_b")?.dims, [4, 16 * 4 + 2 * 16 * 2])
        XCTAssertEqual(g.tensor("blk.0.ffn_up.weight.lora_b")?.dims, [4, 2 * 64])
        XCTAssertEqual(try GGUFLoRA.read(path: dir + "/a.gguf", dims: f.dims).params.array, lora.params.array)
    }

    func testTargetsThatSplitAFusedModuleAreRefused() throws {
        let c = try TrainConfig.parse("base_model: b.gguf\ndata: {train: t.jsonl}\nlora_target_modules: [qkv_proj, gate_up_proj]\n", file: "c.yaml")
        XCTAssertEqual(c.loraTargetModules, [.q, .k, .v, .gate, .up])
        XCTAssertNoThrow(try c.loraSpec(numLayers: 2).checkTargets(.phi3))
        XCTAssertNoThrow(try LoRASpec(rank: 2, alpha: 4).checkTargets(.phi3), "all-linear")
        let split = try TrainConfig.parse("base_model: b.gguf\ndata: {train: t.jsonl}\nlora_target_modules: [q_proj, up_proj]\n", file: "c.yaml")
        XCTAssertThrowsError(try split.loraSpec(numLayers: 2).checkTargets(.phi3)) {
            XCTAssertTrue("\($0)".contains("q_proj") && "\($0)".contains("qkv_proj, o_proj, gate_up_proj, down_proj"), "\($0)")
        }
        XCTAssertNoThrow(try split.loraSpec(numLayers: 2).checkTargets(.llama))
    }
}
