import Foundation
import XCTest
@testable import FTXCore

final class SHA256Tests: XCTestCase {
    /// FIPS 180-2's examples (appendix B) and the empty message, fed whole and in uneven pieces.
    func testStandardVectorsWholeAndInPieces() {
        let vectors: [(Data, String)] = [
            (Data(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Data("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (Data(repeating: UInt8(ascii: "a"), count: 1_000_000),
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (message, hex) in vectors {
            XCTAssertEqual(Hex.encode(SHA256.hash(data: message)), hex)
            var h = SHA256()
            var at = 0, step = 1
            while at < message.count {
                let end = min(message.count, at + step)
                message[at..<end].withUnsafeBytes { h.update(bufferPointer: $0) }
                at = end; step = step * 3 + 1
            }
            XCTAssertEqual(Hex.encode(h.finalize()), hex, "in pieces, \(message.count) bytes")
        }
    }

    /// finalize() leaves the hasher as it was: more input continues the same message.
    func testFinalizeLeavesTheHasherAsItWas() {
        var h = SHA256()
        h.update(data: Data("ab".utf8))
        XCTAssertEqual(h.finalize(), SHA256.hash(data: Data("ab".utf8)))
        h.update(data: Data("c".utf8))
        XCTAssertEqual(Hex.encode(h.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Array(h.finalize()).count, 32)
    }
}
