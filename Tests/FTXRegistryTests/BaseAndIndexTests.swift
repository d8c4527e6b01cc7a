import Foundation
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

final class BaseRegistryTests: XCTestCase {
    func testStoredAndLinkedBases() throws {
        let p = try Project()
        let bases = BaseRegistry(registry: p.registry)
        // Over 1 MiB so the store chunks it.
        var big = Data("GGUF".utf8)
        for i in 0..<300_000 { var v = UInt32(truncatingIfNeeded: i &* 2654435761); big.append(Data(bytes: &v, count: 4)) }
        let path = p.root.path + "/models/big.gguf"
        try big.write(to: URL(fileURLWithPath: path))
        let b = try bases.add(file: path, name: "big")
        XCTAssertFalse(b.linked)
        XCTAssertEqual(b.size, big.count)
        XCTAssertEqual(try bases.add(file: path, name: "big").commit, b.commit, "re-adding the same bytes is a no-op")
        XCTAssertEqual(try bases.defaultBase().name, "big")
        XCTAssertEqual(try p.registry.repo.resolveRevision("base"), .external(name: "base", value: b.id))
        XCTAssertEqual(try bases.find(String(b.id.prefix(10))).name, "big")
        // The original file goes away: the stored bytes are restored into the cache, identical.
        try FileManager.default.removeItem(atPath: path)
        let restored = try bases.verifiedPath(b)
        XCTAssertNotEqual(restored, path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: restored)), big)

        let linked = try bases.add(file: p.root.path + "/models/tiny.gguf", name: "tiny", link: true, makeDefault: true)
        XCTAssertTrue(linked.linked)
        XCTAssertEqual(try bases.defaultBase().name, "tiny")
        XCTAssertEqual(try bases.list().map(\.name), ["big", "tiny"])
        XCTAssertEqual(try bases.verifiedPath(linked), p.root.path + "/models/tiny.gguf")
        try p.write("models/tiny.gguf", "GGUF changed")
        XCTAssertThrowsError(try bases.verifiedPath(linked))
        try p.write("models/notgguf.bin", "PK\u{3}\u{4}")
        XCTAssertThrowsError(try bases.add(file: p.root.path + "/models/notgguf.bin")) { e in
            XCTAssertEqual((e as? RegistryError)?.location, p.root.path + "/models/notgguf.bin")
        }
        XCTAssertThrowsError(try bases.find("tinny")) { e in XCTAssertEqual((e as? RegistryError)?.hint, "did you mean 'tiny'? registered base models: big, tiny") }
    }
}

final class RunIndexLiveTests: XCTestCase {
    func testRebuiltIndexEqualsLiveIndex() throws {
        let p = try Project()
        for (i, r) in [4, 8, 16, 32].enumerated() {
            try p.run(["lora_r=\(r)", "fake_quality=\(0.6 + 0.1 * Double(i))"], message: "r\(r)")
        }
        let live = try p.registry.queryRuns(where: nil, sort: "pass_rate", limit: nil)
        let liveLog = try p.registry.logWithMetrics()
        XCTAssertEqual(live.count, 4)
        XCTAssertEqual(liveLog.count, 4)
        XCTAssertEqual(live.map(\.summary), ["r32", "r16", "r8", "r4"])
        let filtered = try p.registry.queryRuns(where: "lora_r <= 16 and pass_rate > 0.65", sort: "lora_r:asc", limit: nil)
        XCTAssertEqual(filtered.map(\.summary), ["r8", "r16"])
        XCTAssertEqual(try p.registry.queryRuns(where: "status = 'failed'", sort: "lora_r", limit: nil).map(\.summary), ["r8", "r4"])

        // Wipe the tables entirely, then rebuild from the objects.
        try p.registry.openRunIndex().clear()
        XCTAssertEqual(try p.registry.openRunIndex().runs(where: nil, sort: nil, limit: nil).count, 0)
        try p.registry.reindex()
        XCTAssertEqual(try p.registry.openRunIndex().runs(where: nil, sort: .init(parsing: "pass_rate"), limit: nil), live)
        XCTAssertEqual(try p.registry.logWithMetrics(), liveLog)
        // The store's own commit table was rebuilt too, from the same pass.
        let repo = p.registry.repo
        let baseCommits = try repo.history(from: BaseRegistry(registry: p.registry).defaultBase().commit).count
        XCTAssertEqual(baseCommits, 2, "registration + its stored eval report")
        XCTAssertEqual(try SQLiteIndex(path: repo.sqlitePath).commitCount, try repo.history(from: repo.headCommit()!).count + baseCommits)
    }

    func testIndexCatchesUpWithCommitsMadeElsewhere() throws {
        let p = try Project()
        try p.run(message: "one")
        // A commit made without the registry (e.g. `ftx commit`) appears in log --metrics as a plain commit.
        let repo = p.registry.repo
        try p.write("notes.txt", "hello")
        _ = try repo.add(paths: [p.root.path + "/notes.txt"], cwd: p.root.path)
        try repo.commit(message: "notes")
        let log = try p.registry.logWithMetrics()
        XCTAssertEqual(log.map(\.summary), ["notes", "one"])
        XCTAssertEqual(log.map(\.isRun), [false, true])
        XCTAssertEqual(RunTable.log(log).split(separator: "\n").count, 2)
    }

    /// index.sqlite is derived: damaged, every reader says so with the way out (`ftx reindex`),
    /// and reindex sets it aside and rebuilds the store's table and the run tables in one pass.
    func testDamagedIndexIsNamedAndRebuilt() throws {
        let p = try Project()
        try p.run(["fake_quality=0.9"], message: "one")
        let path = p.registry.repo.sqlitePath
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        for read in [{ _ = try p.registry.openRunIndex() }, { _ = try p.registry.logWithMetrics() },
                     { _ = try p.registry.queryRuns(where: nil, sort: nil, limit: nil) }] {
            XCTAssertThrowsError(try read()) { error in
                guard case StoreError.derivedIndexDamaged(let at, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(at, path)
                XCTAssertTrue((error as? StoreError)?.hint?.contains("ftx reindex") == true)
            }
        }
        let repo = p.registry.repo
        XCTAssertEqual(try p.registry.reindex(), try repo.history(from: repo.headCommit()!).count
                       + repo.history(from: BaseRegistry(registry: p.registry).defaultBase().commit).count)
        XCTAssertEqual(try p.registry.queryRuns(where: nil, sort: nil, limit: nil).map(\.summary), ["one"])
        // One connection serves both layers: the run index is the store's index.sqlite handle.
        let index = try p.registry.openRunIndex()
        XCTAssertEqual(index.db.path, path)
    }
}
