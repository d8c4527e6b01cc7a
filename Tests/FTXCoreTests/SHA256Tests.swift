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
            XCTAssertEqual(SHA256.hash(data: message).hex, hex)
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

    /// A file is read in 4 MiB pieces: one larger than a piece gives the digest of its bytes whole;
    /// a file that cannot be opened gives nil.
    func testFileDigestAndMissingFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ftx-sha-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Data((0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) })
        let file = dir.appendingPathComponent("f.bin")
        try bytes.write(to: file)
        XCTAssertEqual(try SHA256.hash(fileAt: file.path), SHA256.hash(data: bytes))
        XCTAssertEqual(try SHA256.hash(fileAt: file.path)?.hex, Hex.encode(SHA256.hash(data: bytes)))
        XCTAssertNil(try SHA256.hash(fileAt: dir.appendingPathComponent("missing").path))
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
