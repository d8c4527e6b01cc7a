import FTXCore
import XCTest
@testable import FTXTensor

final class DequantTilesTests: XCTestCase {
    func testTilesAreLargeWhenSerialAndBalancedAcrossThreads() {
        let saved = Threads.count
        defer { Threads.count = saved }
        Threads.count = 2
        // Two threads: up to 256 rows while each thread gets four tiles, never below the minimum.
        XCTAssertEqual(DequantTiles.rows(out: 49152, cols: 576, minimum: 64), 256)
        XCTAssertEqual(DequantTiles.rows(out: 1536, cols: 576, minimum: 64), 192)
        XCTAssertEqual(DequantTiles.rows(out: 576, cols: 576, minimum: 64), 64)
        XCTAssertEqual(DequantTiles.rows(out: 10, cols: 576, minimum: 64), 64)
        // One thread (or a data-parallel worker): the whole weight, up to 4 MiB of f32 per tile.
        Threads.serial {
            XCTAssertTrue(Threads.isSerial)
            XCTAssertEqual(DequantTiles.rows(out: 1536, cols: 576, minimum: 64), 1536)
            XCTAssertEqual(DequantTiles.rows(out: 576, cols: 1536, minimum: 64), 576)
            XCTAssertEqual(DequantTiles.rows(out: 49152, cols: 576, minimum: 64), (1 << 20) / 576)
        }
        XCTAssertFalse(Threads.isSerial)
        Threads.count = 1
        XCTAssertEqual(DequantTiles.rows(out: 2048, cols: 8192, minimum: 64), 128)
    }

    func testSerialRegionsRunParallelForAsOneChunkOnTheCallingThread() {
        let saved = Threads.count
        defer { Threads.count = saved }
        Threads.count = 2
        var chunks: [[Int]] = []
        Threads.serial {
            Threads.parallelFor(1000, granularity: 10) { s, e in chunks.append([s, e]) }
        }
        XCTAssertEqual(chunks, [[0, 1000]])
    }
}
