import FTXCore
import FTXTestSupport
import Foundation
import XCTest
@testable import FTXStore

/// Packs between stores (what remotes carry): outgoing packs, verified incoming packs, pack
/// indexes read on their own, promised objects, remote-tracking revisions.
final class PackTransferTests: StoreTestCase {
    /// Two versions of a 3 MiB file: v2's changed chunks are deltas against v1's.
    func twoVersions() throws -> (v1: ObjectID, v2: ObjectID) {
        var data = randomBytes(3 << 20, seed: 1)
        try write("big.bin", data)
        try repo.add(paths: ["big.bin"], cwd: dir.path)
        let c1 = try repo.commit(message: "v1")
        data.replaceSubrange(100_000..<100_010, with: Data("0123456789".utf8))
        try write("big.bin", data)
        try repo.add(paths: ["big.bin"], cwd: dir.path)
        let c2 = try repo.commit(message: "v2")
        return (c1, c2)
    }

    func chunks(_ commit: ObjectID) throws -> [ObjectID] {
        let e = try XCTUnwrap(try repo.objects.readTree(repo.objects.readCommit(commit).tree)["big.bin"])
        return [e.id] + (try repo.objects.readChunkList(e.id).chunks.map(\.id))
    }

    /// Builds an outgoing pack of `ids` and returns its bytes and parsed index.
    func outgoing(_ ids: [ObjectID], baseAvailable: @escaping (ObjectID) -> Bool) throws -> (Data, PackIndex, [ObjectID]) {
        let scratch = TestSupport.makeTempDir("ftx-out")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let p = try OutgoingPack(store: repo.objects, directory: scratch.path)
        for id in ids { try p.add(id, baseAvailable: baseAvailable) }
        let bases = p.externalBases
        let f = try p.finish()
        let idx = try PackIndex.parse(try Data(contentsOf: URL(fileURLWithPath: f.idxPath)), path: f.idxPath)
        XCTAssertEqual(f.name, "pack-" + idx.packChecksum.map { String(format: "%02x", $0) }.joined())
        return (try Data(contentsOf: URL(fileURLWithPath: f.packPath)), idx, bases)
    }

    /// A second repository that receives entries.
    func receiver() throws -> Repository { try Repository.initialize(at: TestSupport.makeTempDir("ftx-in").path) }

    func receive(_ pack: Data, _ idx: PackIndex, into r: Repository, corrupt: ((inout Data) -> Void)? = nil) throws -> Int {
        var bytes = pack
        corrupt?(&bytes)
        let incoming = try IncomingPack(store: r.objects)
        defer { incoming.abort() }
        try bytes.withUnsafeBytes { raw in
            for (i, id) in idx.ids.enumerated() {
                let range = idx.entryRange(at: i)
                try incoming.addEntry(id: id, entry: UnsafeRawBufferPointer(rebasing: raw[Int(range.lowerBound)..<Int(range.upperBound)]), source: "test.pack")
            }
        }
        return try incoming.install()
    }

    func testDeltasTravelWhenTheReceiverHasTheirBase() throws {
        let (c1, c2) = try twoVersions()
        let old = Set(try chunks(c1))
        let new = try chunks(c2).filter { !old.contains($0) }
        XCTAssertFalse(new.isEmpty)
        // The receiver has v1: v2's chunks go as deltas, naming v1's chunks as external bases.
        let (thin, thinIdx, bases) = try outgoing(new) { old.contains($0) }
        XCTAssertFalse(bases.isEmpty)
        XCTAssertTrue(bases.allSatisfy { old.contains($0) })
        // The receiver lacks v1: the same objects go whole, bigger.
        let (whole, wholeIdx, noBases) = try outgoing(new) { _ in false }
        XCTAssertEqual(noBases, [])
        XCTAssertGreaterThan(whole.count, thin.count * 4)

        let r = try receiver()
        // Without the bases, the thin pack is refused and nothing is installed.
        XCTAssertThrowsError(try receive(thin, thinIdx, into: r)) { e in
            XCTAssertTrue("\(e)".contains("delta base"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: r.objects.packsDirectory).filter { $0.hasPrefix("pack-") }, [])
        XCTAssertEqual(try receive(whole, wholeIdx, into: r), new.count)
        for id in new { XCTAssertEqual(try r.objects.read(id).content, try repo.objects.read(id).content) }
    }

    func testCorruptEntriesAreRefusedAndNothingIsInstalled() throws {
        let (c1, _) = try twoVersions()
        let ids = try chunks(c1)
        let (pack, idx, _) = try outgoing(ids) { _ in false }
        let r = try receiver()
        // A flipped byte inside a frame: the hash (or zstd) check fails.
        XCTAssertThrowsError(try receive(pack, idx, into: r) { $0[$0.count / 2] ^= 0x01 })
        // A wrong length field: the entry does not fit where the index puts it.
        XCTAssertThrowsError(try receive(pack, idx, into: r) { $0[Int(idx.entryRange(at: 0).lowerBound) + 1] ^= 0x10 })
        let names = try FileManager.default.contentsOfDirectory(atPath: r.objects.packsDirectory)
        XCTAssertEqual(names, [], "no pack, not even a temporary, stays behind")
        XCTAssertTrue(r.fsck().isClean)
        XCTAssertEqual(try receive(pack, idx, into: r), ids.count)
        XCTAssertTrue(r.fsck().isClean)
    }

    func testFsckTellsPromisedFromMissingAndGCSkipsThem() throws {
        let (c1, _) = try twoVersions()
        let list = try chunks(c1)[0]
        // Drop every pack (the big file's objects) and promise the first version's chunk list.
        for f in try FileManager.default.contentsOfDirectory(atPath: repo.objects.packsDirectory) {
            try FileManager.default.removeItem(atPath: repo.objects.packsDirectory + "/" + f)
        }
        repo.objects.reloadPacks()
        var report = repo.fsck()
        XCTAssertFalse(report.isClean)
        try repo.addPromised([list: "lazy clone: test"])
        report = repo.fsck()
        XCTAssertEqual(report.promised.count, 1)
        XCTAssertTrue(report.promised[0].contains("lazy clone: test"))
        XCTAssertFalse(report.isClean, "v2's chunk list is missing, not promised")
        XCTAssertTrue(report.errors.allSatisfy { !$0.contains(list.hex) })
        XCTAssertThrowsError(try repo.gc(gracePeriod: 0), "v2's list is absent and not promised")
    }

    func testRemoteTrackingRevisions() throws {
        let c = try commitFiles(["a.txt": "a"], "a")
        try repo.refs.update("refs/remotes/origin/main", to: c, expect: .absent, who: .current(), reason: "fetch")
        XCTAssertEqual(try repo.resolveCommit("origin/main"), c)
        XCTAssertEqual(try repo.resolveCommit("origin/main~0"), c)
        XCTAssertEqual(try repo.decorations()[c]?.contains("origin/main"), true)
    }
}
