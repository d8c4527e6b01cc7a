import Foundation
import XCTest
@testable import FTXTensor

final class RoPETests: XCTestCase {
    /// The table grown one position at a time (as decoding grows it) equals the table built at once,
    /// and both are cos/sin of pos·θ^(−2i/d) computed in double precision, rounded once.
    func testTableGrownPositionByPositionEqualsFloat64Angles() {
        let hd = 64, theta: Float = 100000, n = 300
        let once = RoPETable(headDim: hd, maxPositions: n, theta: theta)
        let grown = RoPETable(headDim: hd, maxPositions: 0, theta: theta)
        for p in 1...n { grown.reserve(p) }
        XCTAssertEqual(grown.maxPositions, n)
        for p in 0..<n {
            for i in 0..<(hd / 2) {
                let angle = Double(p) * pow(Double(theta), -2.0 * Double(i) / Double(hd))
                XCTAssertEqual(once.cos[p * hd / 2 + i], Float(cos(angle)))
                XCTAssertEqual(once.sin[p * hd / 2 + i], Float(sin(angle)))
                XCTAssertEqual(grown.cos[p * hd / 2 + i], once.cos[p * hd / 2 + i])
                XCTAssertEqual(grown.sin[p * hd / 2 + i], once.sin[p * hd / 2 + i])
            }
        }
    }
}
