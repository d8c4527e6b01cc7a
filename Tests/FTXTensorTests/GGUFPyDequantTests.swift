import XCTest
import FTXTestSupport
@testable import FTXTensor

/// Dequantization against gguf-py's `gguf.quants.dequantize`, bit for bit, on random blocks whose
/// scales span zero, subnormal, negative and the largest finite halves
/// (Fixtures/gguf_quants, written by scripts/gguf_quants_reference.py).
final class GGUFPyDequantTests: XCTestCase {
    func check(_ type: QuantType, _ name: String) throws {
        let blocks = try Data(contentsOf: TestSupport.fixture("FTXTensorTests/Fixtures/gguf_quants/\(name).blocks.bin"))
        let ref = try TestSupport.float32s(TestSupport.fixture("FTXTensorTests/Fixtures/gguf_quants/\(name).f32.bin"))
        XCTAssertEqual(blocks.count % type.blockBytes, 0, name)
        let count = blocks.count / type.blockBytes * type.blockSize
        XCTAssertEqual(ref.count, count, name)
        XCTAssertGreaterThanOrEqual(count / type.blockSize, 32, "\(name): too few blocks to mean much")
        var out = [Float](repeating: .nan, count: count)
        blocks.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { dequantizeRow(type, b.baseAddress!, $0.baseAddress!, count: count) } }
        var mismatches = 0
        for i in 0..<count where out[i].bitPattern != ref[i].bitPattern {
            if mismatches < 5 { XCTFail("\(name) element \(i) (block \(i / type.blockSize)): \(out[i]) vs gguf-py \(ref[i])") }
            mismatches += 1
        }
        XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(count) values differ from gguf-py")
    }

    func testQ4_0MatchesGGUFPy() throws { try check(.q4_0, "q4_0") }
    func testQ4_KMatchesGGUFPy() throws { try check(.q4_K, "q4_k") }
    func testQ6_KMatchesGGUFPy() throws { try check(.q6_K, "q6_k") }
    func testQ5_0MatchesGGUFPy() throws { try check(.q5_0, "q5_0") }
    func testQ5_1MatchesGGUFPy() throws { try check(.q5_1, "q5_1") }
    func testQ2_KMatchesGGUFPy() throws { try check(.q2_K, "q2_k") }
    func testQ3_KMatchesGGUFPy() throws { try check(.q3_K, "q3_k") }
    func testQ5_KMatchesGGUFPy() throws { try check(.q5_K, "q5_k") }

    /// ftx's quantizers (for the GGUFs it writes) give the reference's bytes, bit for bit.
    func testQuantizersMatchGGUFPy() throws {
        // Q8_0, Q4_1 and Q5_0 against gguf-py's quantizers; Q4_K against ggml's C one
        // (scripts/ggml_quantize_reference.py), which gguf-py lacks.
        for (type, name) in [(QuantType.q8_0, "q8_0"), (.q4_1, "q4_1"), (.q5_0, "q5_0"), (.q4_K, "q4_k")] {
            let x = try TestSupport.float32s(TestSupport.fixture("FTXTensorTests/Fixtures/gguf_quants/\(name).quantize-in.f32.bin"))
            let want = try Data(contentsOf: TestSupport.fixture("FTXTensorTests/Fixtures/gguf_quants/\(name).quantize-out.blocks.bin"))
            XCTAssertEqual(x.count, 48 * type.blockSize)
            let got = x.withUnsafeBufferPointer { Quantize.row($0.baseAddress!, count: x.count, as: type) }
            XCTAssertEqual(got.map { Data($0) }, want, name)
        }
        let bad: [Float] = [.nan] + [Float](repeating: 1, count: 31)
        XCTAssertNil(bad.withUnsafeBufferPointer { Quantize.row($0.baseAddress!, count: 32, as: .q8_0) })
    }
}
