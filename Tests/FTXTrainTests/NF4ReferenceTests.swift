import XCTest
import FTXTestSupport
@testable import FTXTrain

/// NF4 against bitsandbytes (Fixtures/nf4, written by scripts/nf4_reference.py): the 16 levels read
/// out of bitsandbytes' source, and a quantize/dequantize round trip with double quantization
/// checked against a float64 reimplementation of bitsandbytes' quantize_4bit/dequantize_4bit.
final class NF4ReferenceTests: XCTestCase {
    func fixture(_ name: String) -> URL { TestSupport.fixture("FTXTrainTests/Fixtures/nf4/\(name)") }

    func testLevelsAreBitsandbytesTableBitForBit() throws {
        let ref = try TestSupport.hexFloat32s(fixture("bnb_nf4_levels_f32.txt"))
        XCTAssertEqual(ref.count, 16)
        XCTAssertEqual(NF4Linear.levels.map(\.bitPattern), ref.map(\.bitPattern))
    }

    func testRoundTripMatchesBitsandbytes() throws {
        let shape = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture("roundtrip.json"))) as! [String: Any]
        let rows = try XCTUnwrap(shape["rows"] as? Int), cols = try XCTUnwrap(shape["cols"] as? Int)
        XCTAssertEqual(shape["blocksize"] as? Int, NF4Linear.blockSize)
        XCTAssertEqual(shape["groupsize"] as? Int, NF4Linear.groupSize)
        let w = try TestSupport.float32s(fixture("roundtrip_input_f32.bin"))
        let refCodes = [UInt8](try Data(contentsOf: fixture("roundtrip_codes_u8.bin")))
        let refAbsmaxCodes = [UInt8](try Data(contentsOf: fixture("roundtrip_absmax_codes_u8.bin")))
        let refAbsmax = try TestSupport.float32s(fixture("roundtrip_absmax_f32.bin"))
        let refOut = try TestSupport.float32s(fixture("roundtrip_dequant_f32.bin"))
        XCTAssertEqual(w.count, rows * cols)
        let q = NF4Linear(quantizing: w, out: rows, in: cols)

        // Double quantization: the 8-bit code of every block's absmax, and the absmax it decodes to.
        XCTAssertEqual(q.qAbsmax, refAbsmaxCodes)
        // f32 against float64: the products and the offset round apart by a few ulps of the largest scale.
        let tol = 1e-6 * refAbsmax.max()!
        for b in 0..<refAbsmax.count {
            let am = DynamicMap.values[Int(q.qAbsmax[b])] * q.groupScale[b / NF4Linear.groupSize] + q.absmaxMean
            XCTAssertEqual(am, refAbsmax[b], accuracy: tol, "block \(b)")
        }
        // The 4-bit code of every weight (the data was moved off the midpoints, so no tie can round apart).
        let codes = (0..<w.count).map { (i: Int) -> UInt8 in
            let byte = q.codes[i / 2]
            return i % 2 == 0 ? byte & 0x0F : byte >> 4
        }
        let differing = zip(codes, refCodes).filter { $0 != $1 }.count
        XCTAssertEqual(differing, 0, "\(differing) of \(w.count) NF4 codes differ from bitsandbytes'")
        // And the weights they decode to.
        let dq = q.dequantized()
        let worst = zip(dq, refOut).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, tol, "max |ftx − bitsandbytes| over the dequantized weights")
    }
}
