import Foundation
import XCTest
import FTXTestSupport
@testable import FTXModel

/// The real SmolLM2 model, loaded once per test process (loading maps 98 MB and parses the vocab).
enum SmolLM2 {
    nonisolated(unsafe) private static var cached: LlamaModel?
    static func model() throws -> LlamaModel {
        let path = try TestSupport.smolLM2Path()
        if let m = cached { return m }
        let m = try LlamaModel.load(path: path)
        cached = m
        return m
    }

    /// The float64 references of Fixtures/smollm2 (scripts/smollm2_reference.py writes them).
    static func fixture(_ name: String) -> URL { TestSupport.fixture("FTXModelTests/Fixtures/smollm2/\(name)") }

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixture(name))) as! [String: Any]
    }

    /// The English fixture: its JSON (ids, argmax per position), and the reference logits of every
    /// position (ids.count × vocab, float64 reference stored as f32).
    static func english() throws -> (fx: [String: Any], ids: [Int], logits: [Float]) {
        let fx = try json("english.json")
        return (fx, fx["ids"] as! [Int], try floats("english_logits.bin"))
    }

    static func floats(_ name: String) throws -> [Float] { try TestSupport.float32s(fixture(name)) }
}
