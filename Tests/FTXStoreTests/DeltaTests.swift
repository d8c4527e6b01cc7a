import Foundation
import XCTest
@testable import FTXStore

/// Changed chunks of a new file version are stored as zstd deltas against the chunks they replace.
final class DeltaTests: StoreTestCase {
    /// JSONL-like text with unique rows.
    func rows(_ n: Int, edited: Set<Int> = []) -> Data {
        var s = ""
        var x: UInt64 = 42
        for i in 0..<n {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let body = String(x, radix: 36) + " " + String(x >> 7, radix: 17) + " " + String(x >> 3, radix: 29)
            s += "{\"id\": \(i), \"text\": \"\(edited.contains(i) ? "EDITED " : "")\(body) \(body.reversed())\"}\n"
        }
        return Data(s.utf8)
    }

    func testScatteredEditsStoreSmallDeltas() throws {
        let n = 40_000
        try write("data.jsonl", rows(n))
        try repo.add(paths: ["data.jsonl"], cwd: dir.path)
        let c1 = try repo.commit(message: "v1")
        let size = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("data.jsonl").path)[.size] as! Int
        XCTAssertGreaterThan(size, 3 << 20)
        // 1% of rows, spread evenly: nearly every 64 KiB chunk changes.
        let v2 = rows(n, edited: Set(stride(from: 50, to: n, by: 100)))
        try write("data.jsonl", v2)
        let importer = FileImporter(store: repo.objects)
        let previous = try repo.loadIndex().entries["data.jsonl"]!.id
        let r = try importer.importFile(at: dir.appendingPathComponent("data.jsonl").path, previous: previous)
        try importer.finish()
        XCTAssertLessThan(Double(importer.bytesWritten) / Double(size), 0.05,
                          "v2 stored \(importer.bytesWritten) new bytes for a \(size)-byte file")
        var back = Data()
        try repo.objects.streamFile(kind: r.kind, id: r.id) { back.append($0) }
        XCTAssertEqual(back, v2)

        try repo.add(paths: ["data.jsonl"], cwd: dir.path)
        try repo.commit(message: "v2")
        XCTAssertTrue(repo.fsck().isClean, "\(repo.fsck().errors)")
        // gc keeps deltas whose base stays reachable...
        _ = try repo.gc(gracePeriod: 0)
        var fresh = Repository(workTree: dir.path)
        XCTAssertTrue(fresh.fsck().isClean)
        try fresh.checkout(c1.hex)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("data.jsonl")), rows(n))
        try fresh.checkout("main")
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("data.jsonl")), v2)
        // ...and stores an object whole when its base becomes unreachable and is pruned.
        let logs = dir.appendingPathComponent(".ftx/logs")
        try FileManager.default.removeItem(at: logs)
        let tip = try fresh.resolveCommit("HEAD")
        let orphanTree = try fresh.objects.readCommit(tip).tree
        let lone = try fresh.objects.write(commit: Commit(tree: orphanTree, parents: [], author: .current(), message: "only v2\n"))
        try fresh.refs.update("refs/heads/main", to: lone, expect: .any, who: .current(), reason: "rewrite")
        _ = try fresh.gc(gracePeriod: 0)
        fresh = Repository(workTree: dir.path)
        XCTAssertFalse(fresh.objects.contains(c1), "the old commit was pruned")
        XCTAssertTrue(fresh.fsck().isClean, "\(fresh.fsck().errors)")
        var again = Data()
        try fresh.objects.streamFile(kind: .chunked, id: r.id) { again.append($0) }
        XCTAssertEqual(again, v2)
    }
}
