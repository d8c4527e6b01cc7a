import Foundation
import XCTest
import FTXTestSupport
@testable import FTXModel

/// A Hugging Face folder is untrusted input: each malformed part is an error naming the file and
/// what is wrong, never a crash or a read outside the folder.
final class HFCheckpointTests: XCTestCase {
    var dir = ""

    /// A copy of the qwen2 fixture's folder to damage.
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hf-\(UUID().uuidString)"
        try FileManager.default.copyItem(at: TestSupport.fixture("FTXModelTests/Fixtures/arch/qwen2/hf"), to: URL(fileURLWithPath: dir))
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func editJSON(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: dir + "/" + name)
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&obj)
        try JSONSerialization.data(withJSONObject: obj).write(to: url)
    }

    func assertFails(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LlamaModel.load(path: dir), file: file, line: line) { e in
            let text = "\(e) \((e as? ModelError)?.location ?? "")"
            for f in fragments { XCTAssertTrue(text.contains(f), "\(text) lacks \(f)", file: file, line: line) }
        }
    }

    func testTheIntactCopyLoads() throws {
        XCTAssertEqual(try LlamaModel.load(path: dir).config.architecture, .qwen2)
    }

    func testUnknownModelTypeListsTheSupportedOnes() throws {
        try editJSON("config.json") { $0["model_type"] = "gpt_neox" }
        assertFails(["model_type gpt_neox", "qwen2", "llama", "gemma3_text", "config.json"])
    }

    /// Gemma 3's multimodal checkpoints (model_type gemma3, a text_config) are named as such.
    func testGemma3MultimodalCheckpointIsNamed() throws {
        try editJSON("config.json") { $0["model_type"] = "gemma3"; $0["text_config"] = ["hidden_size": 64] }
        assertFails(["model_type gemma3", "multimodal", "gemma3_text", "config.json"])
    }

    func testUnsupportedRopeScalingIsNamed() throws {
        try editJSON("config.json") { $0["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0] }
        assertFails(["rope scaling yarn", "config.json"])
    }

    func testShapeThatDisagreesWithTheConfigIsNamed() throws {
        try editJSON("config.json") { $0["intermediate_size"] = 96 }
        assertFails(["model.layers.0.mlp.gate_proj.weight", "[128, 64]", "model.safetensors"])
    }

    func testBadHeadLayoutIsRefused() throws {
        try editJSON("config.json") { $0["num_key_value_heads"] = 3 }
        assertFails(["kv heads 3", "config.json"])
    }

    func testShardOutsideTheFolderIsRefused() throws {
        let index = ["weight_map": ["model.embed_tokens.weight": "../model.safetensors"]]
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        assertFails(["../model.safetensors", "not a file name inside the folder"])
    }

    func testTruncatedSafetensorsIsAnError() throws {
        let path = dir + "/model.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: path))
        assertFails(["data_offsets", "model.safetensors"])
    }

    func testHugeHeaderLengthIsAnError() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        try data.write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
        assertFails(["exceeds the file size", "model.safetensors"])
    }

    func testUnknownPreTokenizerRegexIsNamed() throws {
        try editJSON("tokenizer.json") { tj in
            var pre = tj["pre_tokenizer"] as! [String: Any]
            var steps = pre["pretokenizers"] as! [[String: Any]]
            steps[0]["pattern"] = ["Regex": "\\w+"]
            pre["pretokenizers"] = steps
            tj["pre_tokenizer"] = pre
        }
        assertFails(["pre_tokenizer split", "tokenizer.json"])
    }

    func testMissingTokenizerIsNamed() throws {
        try FileManager.default.removeItem(atPath: dir + "/tokenizer.json")
        assertFails(["tokenizer.json", "missing"])
    }

    func testVocabularyIdsOverTheLimitAreRefused() throws {
        try editJSON("tokenizer.json") { tj in
            var model = tj["model"] as! [String: Any]
            var vocab = model["vocab"] as! [String: Int]
            vocab["huge"] = 1 << 30
            model["vocab"] = vocab
            tj["model"] = model
        }
        assertFails(["over the 4M limit", "tokenizer.json"])
    }
}
