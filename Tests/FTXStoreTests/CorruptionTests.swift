import FTXCore
import Foundation
import XCTest
@testable import FTXStore

/// "Bad input and faults": damaged objects, packs, refs and frames give clear errors, never crashes.
final class CorruptionTests: StoreTestCase {
    func flipByte(_ path: String, at offset: Int? = nil) throws {
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        let i = offset ?? d.count / 2
        d[i] ^= 0x5a
        try d.write(to: URL(fileURLWithPath: path))
    }

    func testFlippedByteInLooseObjectFoundByReadAndFsck() throws {
        let id = try repo.objects.write(type: .blob, content: Data(String(repeating: "hello world ", count: 200).utf8))
        let c = try commitFiles(["a.txt": "keep me"], "first")
        XCTAssertTrue(repo.fsck().isClean)
        let path = repo.objects.loosePath(id)
        try flipByte(path)
        assertThrows(try repo.objects.read(id)) {
            if case .corruptObject(let p, _) = $0 { return p == path }
            if case .hashMismatch(let p, _, _) = $0 { return p == path }
            return false
        }
        let report = repo.fsck()
        XCTAssertFalse(report.isClean)
        XCTAssertTrue(report.errors.contains { $0.hasPrefix(path) }, "\(report.errors)")
        _ = c
    }

    func testObjectStoredUnderWrongIdIsAHashMismatch() throws {
        let a = try repo.objects.write(type: .blob, content: Data("aaa".utf8))
        let b = try repo.objects.write(type: .blob, content: Data("bbb".utf8))
        try FileManager.default.removeItem(atPath: repo.objects.loosePath(b))
        try FileManager.default.copyItem(atPath: repo.objects.loosePath(a), toPath: repo.objects.loosePath(b))
        assertThrows(try repo.objects.read(b)) { if case .hashMismatch = $0 { return true }; return false }
    }

    func testTruncatedLooseObject() throws {
        let id = try repo.objects.write(type: .blob, content: randomBytes(50_000, seed: 1))
        let path = repo.objects.loosePath(id)
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        try d.prefix(d.count / 2).write(to: URL(fileURLWithPath: path))
        assertThrows(try repo.objects.read(id)) { if case .corruptObject(let p, _) = $0 { return p == path }; return false }
        try Data().write(to: URL(fileURLWithPath: path))
        assertThrows(try repo.objects.read(id)) { if case .corruptObject = $0 { return true }; return false }
    }

    func testHugeClaimedFrameIsRefused() throws {
        // A zstd frame header claiming 2^40 bytes of content (single-segment, 8-byte size field).
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        for i in 0..<8 { frame.append(UInt8(truncatingIfNeeded: (UInt64(1) << 40) >> UInt64(8 * i))) }
        frame += [0x01, 0x00, 0x00]  // an empty raw last block
        let id = ObjectID.hash(type: .blob, content: Data("victim".utf8))
        let path = repo.objects.loosePath(id)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(frame).write(to: URL(fileURLWithPath: path))
        assertThrows(try repo.objects.read(id)) { if case .objectTooLarge(_, let claimed, _) = $0 { return claimed == 1 << 40 }; return false }

        // A typed header claiming more than the limit is refused before allocating.
        let big = Data(count: 2 << 20)
        let bigID = try repo.objects.write(type: .blob, content: big)
        repo.objects.maxObjectSize = 1 << 20
        assertThrows(try repo.objects.read(bigID)) { if case .objectTooLarge = $0 { return true }; return false }
    }

    func testFrameLongerThanItsHeaderIsCorrupt() throws {
        let content = Data(repeating: 7, count: 100)
        let frame = content.withUnsafeBytes { ZstdCompressor().compress(header: Array("blob 10".utf8) + [0], content: $0) }
        XCTAssertThrowsError(try frame.withUnsafeBytes {
            try ZstdFrame.decodeObject($0, path: "x", limit: 1 << 20, expected: nil)
        })
    }

    func testTruncatedPackAndIndex() throws {
        try commitFiles(["a.txt": "one", "b.txt": String(repeating: "two ", count: 1000)], "first")
        _ = try repo.gc(gracePeriod: 0)
        let packs = try FileManager.default.contentsOfDirectory(atPath: repo.objects.packsDirectory)
        let pack = repo.objects.packsDirectory + "/" + packs.first { $0.hasSuffix(".pack") }!
        let idx = String(pack.dropLast(5)) + ".idx"
        let fresh = Repository(workTree: dir.path)
        XCTAssertNoThrow(try fresh.resolveCommit("HEAD"))
        XCTAssertTrue(fresh.fsck().isClean)

        let original = try Data(contentsOf: URL(fileURLWithPath: pack))
        try original.prefix(original.count - 50).write(to: URL(fileURLWithPath: pack))
        let r2 = Repository(workTree: dir.path)
        assertThrows(try r2.objects.read(try r2.refs.resolve("HEAD").id!)) {
            if case .corruptPack(let p, let reason) = $0 { return p == pack && reason.contains("truncated") }
            return false
        }
        XCTAssertTrue(r2.fsck().errors.contains { $0.contains(pack) || $0.contains(idx) })
        try original.write(to: URL(fileURLWithPath: pack))

        let idxData = try Data(contentsOf: URL(fileURLWithPath: idx))
        try idxData.prefix(idxData.count - 10).write(to: URL(fileURLWithPath: idx))
        let r3 = Repository(workTree: dir.path)
        assertThrows(try r3.objects.read(try r3.refs.resolve("HEAD").id!)) {
            if case .corruptPack(let p, _) = $0 { return p == idx }
            return false
        }
        try idxData.write(to: URL(fileURLWithPath: idx))

        // A flipped byte inside the pack body: the pack checksum and the object's hash both catch it.
        var flipped = original
        flipped[original.count / 2] ^= 0xff
        try flipped.write(to: URL(fileURLWithPath: pack))
        let r4 = Repository(workTree: dir.path)
        let report = r4.fsck()
        XCTAssertFalse(report.isClean)
        XCTAssertTrue(report.errors.contains { $0.contains(pack) }, "\(report.errors)")
    }

    func testGarbageRefIsAnError() throws {
        try commitFiles(["a.txt": "x"], "first")
        try Data("not an id\n".utf8).write(to: URL(fileURLWithPath: repo.refs.path("refs/heads/broken")))
        assertThrows(try repo.resolveRevision("broken")) {
            if case .badRef(let name, _) = $0 { return name == "refs/heads/broken" }
            return false
        }
        let report = repo.fsck()
        XCTAssertTrue(report.errors.contains { $0.hasPrefix("refs/heads/broken") }, "\(report.errors)")
        // A ref naming a missing object.
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(to: URL(fileURLWithPath: repo.refs.path("refs/heads/broken")))
        XCTAssertTrue(repo.fsck().errors.contains { $0.contains("refs/heads/broken") })
    }

    func testStaleLocksAreRemovedAndLiveOnesWaitedOn() throws {
        let c = try commitFiles(["a.txt": "x"], "first")
        let lockPath = repo.refs.path("refs/heads/main") + ".lock"
        var notices: [String] = []
        let sink = Notice.sink
        Notice.sink = { notices.append($0) }
        defer { Notice.sink = sink }
        // A lock whose owner has exited: a warning for fsck, then removed (with a notice) and taken.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        try Data("\(p.processIdentifier) \(ProcessInfo.processInfo.hostName)\n".utf8).write(to: URL(fileURLWithPath: lockPath))
        XCTAssertTrue(repo.fsck().isClean, "a stale lock is a warning, not corruption")
        XCTAssertTrue(repo.fsck().warnings.contains { $0.contains(lockPath) && $0.contains("stale lock left by process \(p.processIdentifier)") })
        XCTAssertNoThrow(try repo.refs.update("refs/heads/main", to: c, expect: .value(c), who: .current(), reason: "t"))
        XCTAssertEqual(notices.count, 1)
        XCTAssertTrue(notices.first?.contains(lockPath) == true, "\(notices)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockPath))

        setenv("FTX_LOCK_TIMEOUT", "0.2", 1)
        defer { unsetenv("FTX_LOCK_TIMEOUT") }
        // A lock held by a live process: waits, then reports it busy.
        try Data("\(getpid()) \(ProcessInfo.processInfo.hostName)\n".utf8).write(to: URL(fileURLWithPath: lockPath))
        assertThrows(try repo.refs.update("refs/heads/main", to: c, expect: .any, who: .current(), reason: "t")) {
            if case .lockBusy(let path) = $0 { return path == lockPath }
            return false
        }
        // An old lock from another host whose owner still holds its flock: busy too.
        try Data("4242 elsewhere.example\n".utf8).write(to: URL(fileURLWithPath: lockPath))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lockPath)
        let fd = open(lockPath, O_RDONLY)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        XCTAssertFalse(repo.fsck().warnings.contains { $0.contains("stale") })
        assertThrows(try repo.refs.update("refs/heads/main", to: c, expect: .any, who: .current(), reason: "t")) {
            if case .lockBusy = $0 { return true }
            return false
        }
        close(fd)
        // Once its flock is gone, age decides: older than the lock timeout is stale.
        XCTAssertNoThrow(try repo.refs.update("refs/heads/main", to: c, expect: .value(c), who: .current(), reason: "t"))
        XCTAssertEqual(notices.count, 2)
        XCTAssertEqual(LockFile.ownerIsGone("4242 elsewhere.example\n", age: 1).gone, false)
        XCTAssertEqual(LockFile.ownerIsGone("", age: 0.5).gone, false, "a lock being written is never stale")
    }

    func testCorruptStagingIndex() throws {
        try commitFiles(["a.txt": "x"], "first")
        var d = try Data(contentsOf: URL(fileURLWithPath: repo.indexPath))
        d[20] ^= 1
        try d.write(to: URL(fileURLWithPath: repo.indexPath))
        assertThrows(try repo.loadIndex()) { if case .corruptIndex = $0 { return true }; return false }
        XCTAssertFalse(repo.fsck().isClean)
    }
}
