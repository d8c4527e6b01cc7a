import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import FTXStore

final class MaintenanceTests: StoreTestCase {
    func testGCPacksEverythingAndPrunesUnreachable() throws {
        let c1 = try commitFiles(["a.txt": "one", "big.bin": String(repeating: "x", count: 10)], "one")
        try write("large.bin", randomBytes(1_500_000, seed: 9))
        try repo.add(paths: ["large.bin"], cwd: dir.path)
        let c2 = try repo.commit(message: "two")
        try repo.refs.update("refs/tags/v1", to: c1, expect: .absent, who: .current(), reason: "tag")
        let orphan = try repo.objects.write(type: .blob, content: Data("unreachable".utf8))
        let staged = try repo.objects.write(type: .blob, content: Data("staged only".utf8))
        try write("staged.txt", "staged only")
        try repo.add(paths: ["staged.txt"], cwd: dir.path)

        // Within the grace period nothing unreachable is pruned.
        var r = try repo.gc(gracePeriod: 3600)
        XCTAssertTrue(repo.objects.contains(orphan))
        XCTAssertEqual(r.prunedObjects, 0)
        r = try repo.gc(gracePeriod: 0)
        XCTAssertGreaterThan(r.prunedObjects, 0)
        let fresh = Repository(workTree: dir.path)
        XCTAssertFalse(fresh.objects.contains(orphan))
        XCTAssertTrue(fresh.objects.contains(staged), "objects named by the staging index are kept")
        XCTAssertTrue(fresh.objects.looseIDs().isEmpty)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fresh.objects.packsDirectory).filter { $0.hasSuffix(".pack") }.count, 1)
        XCTAssertEqual(try fresh.resolveCommit("HEAD"), c2)
        XCTAssertEqual(try fresh.resolveCommit("v1"), c1)
        XCTAssertEqual(try fresh.history(from: c2).count, 2)
        try fresh.checkout(c1.hex, force: true)
        XCTAssertEqual(read("a.txt"), "one")
        try fresh.checkout("main", force: true)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("large.bin")), randomBytes(1_500_000, seed: 9))
        XCTAssertTrue(fresh.fsck().isClean, "\(fresh.fsck().errors)")

        // More work after gc, then gc again: still everything readable, one pack.
        try write("c.txt", "three")
        try fresh.add(paths: ["c.txt"], cwd: dir.path)
        let c3 = try fresh.commit(message: "three")
        _ = try fresh.gc(gracePeriod: 0)
        let again = Repository(workTree: dir.path)
        XCTAssertEqual(try again.history(from: c3).count, 3)
        XCTAssertTrue(again.fsck().isClean)
        XCTAssertEqual(try Repository.parseGracePeriod("2w"), 1_209_600)
        XCTAssertThrowsError(try Repository.parseGracePeriod("soon"))
    }

    /// Another process's shared hold on the writer guard (a second open file behaves like one).
    func holdAsOtherWriter(_ mode: Int32) -> Int32? {
        let fd = open(dir.path + "/.ftx/objects.guard", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0, flock(fd, mode | LOCK_NB) == 0 else { if fd >= 0 { close(fd) }; return nil }
        return fd
    }

    /// gc --prune=now must not delete objects a running writer has stored (or is reusing) but
    /// not yet recorded: it prunes only when it holds the writer guard exclusively.
    func testGCDoesNotPruneWhileAnotherWriterRuns() throws {
        // Writers hold the guard from their first object write: no one could take it exclusively.
        if let fd = holdAsOtherWriter(LOCK_EX) { close(fd) } else { XCTFail("guard held before any write") }
        try commitFiles(["a.txt": "one"], "one")
        XCTAssertNil(holdAsOtherWriter(LOCK_EX), "a process that wrote objects must hold the writer guard")

        let orphan = try repo.objects.write(type: .blob, content: Data("written, not yet recorded".utf8))
        try write("big.bin", randomBytes(1_200_000, seed: 4))
        let importer = FileImporter(store: repo.objects)
        let big = try importer.importFile(at: dir.appendingPathComponent("big.bin").path)
        try importer.finish()  // a renamed pack whose objects no ref or index names yet

        guard let other = holdAsOtherWriter(LOCK_SH) else { return XCTFail("cannot share the guard") }
        var r = try repo.gc(gracePeriod: 0, writerWait: 0.2)
        XCTAssertTrue(r.pruningSkipped)
        XCTAssertEqual(r.prunedObjects, 0)
        let fresh = Repository(workTree: dir.path)
        XCTAssertEqual(try fresh.objects.read(orphan).content, Data("written, not yet recorded".utf8))
        var back = Data()
        try fresh.objects.streamFile(kind: .chunked, id: big.id) { back.append($0) }
        XCTAssertEqual(back, randomBytes(1_200_000, seed: 4))
        XCTAssertTrue(fresh.fsck().isClean, "\(fresh.fsck().errors)")

        // The other writer exits: now the unrecorded objects are garbage and go.
        close(other)
        r = try repo.gc(gracePeriod: 0, writerWait: 0.2)
        XCTAssertFalse(r.pruningSkipped)
        XCTAssertGreaterThan(r.prunedObjects, 2)
        let after = Repository(workTree: dir.path)
        XCTAssertFalse(after.objects.contains(orphan))
        XCTAssertFalse(after.objects.contains(big.id))
        XCTAssertEqual(try after.objects.read(try after.resolveObject("HEAD:a.txt")).content, Data("one".utf8))
        // After gc this process is an ordinary writer again.
        XCTAssertNil(holdAsOtherWriter(LOCK_EX))
    }

    func testSQLiteIndexIsDerivedAndRebuildable() throws {
        try commitFiles(["a.txt": "1"], "one")
        let c2 = try repo.commit(message: "two", extraHeaders: [("seed", "7"), ("metrics", "a\nb")], allowEmpty: true)
        var db = try SQLiteIndex(path: repo.sqlitePath)
        XCTAssertEqual(db.commitCount, 2)
        let row = try db.db.query("SELECT headers, parents FROM commits WHERE id = ?", [.text(c2.hex)])
        XCTAssertEqual(row.first?[0], .text("[[\"seed\",\"7\"],[\"metrics\",\"a\\nb\"]]"))
        try FileManager.default.removeItem(atPath: repo.sqlitePath)
        XCTAssertEqual(try repo.reindex(), 2)
        db = try SQLiteIndex(path: repo.sqlitePath)
        XCTAssertEqual(db.commitCount, 2)

        // A later layer adds its own table through a migration, applied exactly once.
        let runs = SQLiteIndex.Migration("v1-runs", "CREATE TABLE runs (commit_id TEXT PRIMARY KEY, pass_rate REAL)")
        db = try SQLiteIndex(path: repo.sqlitePath, migrations: [runs])
        db = try SQLiteIndex(path: repo.sqlitePath, migrations: [runs])
        XCTAssertEqual(db.appliedMigrations, ["v1-commits", "v1-runs"])
        try db.db.run("INSERT INTO runs VALUES (?, ?)", [.text(c2.hex), .real(0.9)])
    }

    func testFsckCleanOnFreshAndPopulatedRepos() throws {
        XCTAssertTrue(repo.fsck().isClean)
        try commitFiles(["a.txt": "1"], "one")
        let r = repo.fsck()
        XCTAssertTrue(r.isClean, "\(r.errors)")
        XCTAssertGreaterThanOrEqual(r.objectsChecked, 3)
        // A missing object referenced by a tree is reported with the path it should be at.
        let blob = try repo.resolveCommit("HEAD")
        let tree = try repo.objects.readCommit(blob).tree
        let entry = try repo.objects.readTree(tree).entries[0].id
        try FileManager.default.removeItem(atPath: repo.objects.loosePath(entry))
        let broken = repo.fsck()
        XCTAssertTrue(broken.errors.contains { $0.hasPrefix(repo.objects.loosePath(entry)) }, "\(broken.errors)")
    }
}
