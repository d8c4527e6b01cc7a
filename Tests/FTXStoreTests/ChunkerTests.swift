import Foundation
import XCTest
@testable import FTXStore

final class ChunkerTests: StoreTestCase {
    func chunkIDs(_ d: Data) -> [ObjectID] {
        d.withUnsafeBytes { raw in
            var ids: [ObjectID] = []
            FastCDC.forEachChunk(raw) { off, len in
                ids.append(ObjectID.hash(type: .blob, content: UnsafeRawBufferPointer(rebasing: raw[off..<(off + len)])))
            }
            return ids
        }
    }

    func testDeterministicAndWithinBounds() {
        let data = randomBytes(8 << 20, seed: 7)
        let a = data.withUnsafeBytes { FastCDC.chunkLengths($0) }
        let b = data.withUnsafeBytes { FastCDC.chunkLengths($0) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.reduce(0, +), data.count)
        for len in a.dropLast() {
            XCTAssertGreaterThanOrEqual(len, FastCDC.minSize)
            XCTAssertLessThanOrEqual(len, FastCDC.maxSize)
        }
        let mean = Double(data.count) / Double(a.count)
        XCTAssertTrue((40_000...100_000).contains(mean), "mean chunk \(mean) far from 64 KiB")
        // The gear table and masks are part of the format.
        XCTAssertEqual(FastCDC.maskS.nonzeroBitCount, 18)
        XCTAssertEqual(FastCDC.maskL.nonzeroBitCount, 14)
    }

    func testInsertionNearStartSharesMostChunks() {
        let data = randomBytes(8 << 20, seed: 11)
        var edited = data
        edited.insert(contentsOf: Data("inserted bytes near the start".utf8), at: 1000)
        edited.replaceSubrange(5_000_000..<5_000_010, with: Data(repeating: 0x41, count: 10))
        let a = chunkIDs(data), b = Set(chunkIDs(edited))
        let shared = a.filter { b.contains($0) }.count
        XCTAssertGreaterThan(Double(shared) / Double(a.count), 0.9, "only \(shared) of \(a.count) chunks survived a small edit")
        XCTAssertLessThan(shared, a.count, "the edit must change some chunk")
    }

    func testLargeFileRoundTripAndDedup() throws {
        let data = randomBytes(3 << 20, seed: 3)
        try write("big.bin", data)
        let importer = FileImporter(store: repo.objects)
        let r = try importer.importFile(at: dir.appendingPathComponent("big.bin").path)
        try importer.finish()
        XCTAssertEqual(r.kind, .chunked)
        XCTAssertEqual(r.size, data.count)
        var back = Data()
        try repo.objects.streamFile(kind: r.kind, id: r.id) { back.append($0) }
        XCTAssertEqual(back, data)
        // Hash-only import agrees with the stored id.
        XCTAssertEqual(try FileImporter(store: repo.objects).importFile(at: dir.appendingPathComponent("big.bin").path, write: false).id, r.id)

        var edited = data
        edited.replaceSubrange(100_000..<100_004, with: Data("EDIT".utf8))
        try write("big.bin", edited)
        let importer2 = FileImporter(store: repo.objects)
        _ = try importer2.importFile(at: dir.appendingPathComponent("big.bin").path)
        try importer2.finish()
        XCTAssertLessThan(importer2.bytesWritten, 600_000, "an edit of 4 bytes stored \(importer2.bytesWritten) new bytes")
    }

    /// The chunker as first written (one byte per step): boundaries are part of the format, so
    /// the unrolled scanner must cut exactly where this does.
    static func referenceLengths(_ data: [UInt8]) -> [Int] {
        var out: [Int] = []
        var off = 0
        while off < data.count {
            let n = data.count - off
            var len = n
            if n > FastCDC.minSize {
                let end = min(n, FastCDC.maxSize), normal = min(end, FastCDC.averageSize)
                var h: UInt64 = 0
                var i = FastCDC.minSize
                len = end
                while i < end {
                    h = (h << 1) &+ FastCDC.gear[Int(data[off + i])]
                    if h & (i < normal ? FastCDC.maskS : FastCDC.maskL) == 0 { len = i + 1; break }
                    i += 1
                }
            }
            out.append(len)
            off += len
        }
        return out
    }

    func testUnrolledScannerCutsWhereTheReferenceDoes() {
        // Random data, text-like data (long chunks, cuts after the average size), a run of one
        // byte (no cut: max-size chunks) and odd lengths (the scanner's one-byte tail).
        var inputs: [[UInt8]] = [[UInt8](randomBytes(4 << 20, seed: 21))]
        let noise = [UInt8](randomBytes(400_000, seed: 5))
        let words = (0..<200).map { w in String((0..<(2 + Int(noise[w]) % 8)).map { k in Character(UnicodeScalar(97 + noise[w * 10 + k] % 10)) }) }
        inputs.append(Array(noise.map { words[Int($0) % words.count] }.joined(separator: " ").utf8))
        inputs.append([UInt8](repeating: 7, count: 700_001))
        for cut in [FastCDC.minSize + 1, FastCDC.minSize + 2, 70_001, 1_000_003] { inputs.append(Array(inputs[0].prefix(cut))) }
        for data in inputs {
            let got = data.withUnsafeBytes { FastCDC.chunkLengths($0) }
            XCTAssertEqual(got, Self.referenceLengths(data), "input of \(data.count) bytes")
        }
        // Pinned: the first boundaries of seeded random data (the format).
        XCTAssertEqual(Array(inputs[0].withUnsafeBytes { FastCDC.chunkLengths($0) }.prefix(6)), [50460, 11090, 50526, 111887, 51875, 21218])
    }

    /// Chunk frames use a fast zstd level with Huffman literals forced on: on text that keeps the
    /// ratio near level 1's (without the literal coding the fast levels store text nearly raw).
    func testChunkCompressionKeepsLiteralCoding() throws {
        let noise = [UInt8](randomBytes(200_000, seed: 8))
        let words = (0..<500).map { w in String((0..<(2 + Int(noise[w]) % 9)).map { k in Character(UnicodeScalar(97 + noise[w * 10 + k] % 26)) }) }
        let text = Data(noise[5000...].map { words[Int($0) % words.count] }.joined(separator: " ").utf8.prefix(64 * 1024))
        func size(_ settings: ZstdSettings) -> Int {
            text.withUnsafeBytes { ZstdCompressor(settings).compress(header: Array("blob 65536".utf8) + [0], content: $0).count }
        }
        let chunk = size(ObjectStore.chunkSettings), level1 = size(ZstdSettings(level: 1))
        let rawLiterals = size(ZstdSettings(level: ObjectStore.defaultChunkLevel))
        XCTAssertLessThan(Double(chunk), 1.08 * Double(level1), "chunk frames \(chunk) bytes vs level 1 \(level1)")
        XCTAssertLessThan(Double(chunk), 0.85 * Double(rawLiterals), "literal coding is not in effect (\(chunk) vs \(rawLiterals))")
        // And they decode back.
        let frame = text.withUnsafeBytes { ZstdCompressor(ObjectStore.chunkSettings).compress(header: Array("blob \(text.count)".utf8) + [0], content: $0) }
        let decoded = try frame.withUnsafeBytes { try ZstdFrame.decodeObject($0, path: "test", limit: 1 << 20, expected: nil) }
        XCTAssertEqual(decoded.1, text)
    }
}
