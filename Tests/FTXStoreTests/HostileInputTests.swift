import FTXCore
import Foundation
import XCTest
@testable import FTXStore

/// Hostile bytes and damaged repositories at the library level: each is a clear StoreError,
/// never a trap, and a refused checkout changes nothing.
final class HostileInputTests: StoreTestCase {
    // MARK: Reserved names

    func testGitAndStoreSpellingsAreReservedNames() {
        let id = ObjectID.hash(type: .blob, content: Data())
        let reserved = [
            ".git", ".GIT", ".gIt", ".git.", ".git ", ".git . .", ".git:stream", ".git::$INDEX_ALLOCATION", ".git\\x",
            "git~1", "GIT~1", "Git~1.", "git~4", ".g\u{200C}it", ".\u{200D}git", "\u{FEFF}.git", ".gi\u{202E}t",
            ".git\u{206A}", ".g\u{200F}i\u{200E}t", "\u{FF0E}git", ".\u{FF47}\u{FF49}\u{FF54}", "\u{FE52}GIT",
            ".\u{1D4D}\u{2071}\u{1D57}",  // modifier letters g, i, t (NFKC)
            ".ftx", ".FTX", ".ftx.", ".ftx ", "ftx~1", "FTX~2", ".f\u{200C}tx", "\u{FF0E}ftx", ".\u{FF46}tx",
        ]
        for name in reserved {
            XCTAssertThrowsError(try TreeEntry(name: name, kind: .tree, id: id), name.debugDescription)
            XCTAssertThrowsError(try StagingIndex.validate(path: "a/\(name)/b"), name.debugDescription)
            let raw = Data("tree \(id.hex) \(name)\n".utf8)
            XCTAssertThrowsError(try Tree.parse(raw, id: "t"), name.debugDescription)
        }
        for name in [".github", ".gitignore", ".gitkeep", "git", "x.git", ".gitx", ".g-it", "git~", "git~x", "git~10",
                     ".ftxignore", "ftx", ".ftx2", "..git", "caf\u{E9}", "e\u{301}", "\u{FF47}it"] {
            XCTAssertNoThrow(try TreeEntry(name: name, kind: .blob, id: id), name.debugDescription)
        }
    }

    func testAddRefusesAnExplicitReservedPath() throws {
        try write(".GIT/config", "x")
        try write("git~1/config", "x")
        try write("ok.txt", "ok")
        try repo.add(paths: ["."], cwd: dir.path)
        XCTAssertEqual(Array(try repo.loadIndex().entries.keys), ["ok.txt"])
        assertThrows(try repo.add(paths: [".GIT/config"], cwd: dir.path)) {
            if case .invalidPath(_, let reason) = $0 { return reason.contains("reserved") }
            return false
        }
    }

    // MARK: Decoders

    func testChunkListSizesThatOverflowAreAnError() {
        let id = ObjectID.hash(type: .blob, content: Data()).hex
        let text = "size 1\n\(id) \(Int.max)\n\(id) \(Int.max)\n"
        assertThrows(try ChunkList.parse(Data(text.utf8), id: "c")) { if case .badObject = $0 { return true }; return false }
        assertThrows(try ChunkList.parse(Data("size 9223372036854775807\n\(id) \(Int.max)\n\(id) 1\n".utf8), id: "c")) {
            if case .badObject = $0 { return true }; return false
        }
    }

    func testDecodersSurviveHostileBytes() {
        // Not a crash: each of these is an error (or, where valid, a value).
        var seed: UInt64 = 7
        for n in 0..<2000 {
            var bytes = [UInt8](repeating: 0, count: n % 97)
            for i in bytes.indices {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: seed >> 33)
            }
            let d = Data(bytes)
            _ = try? Tree.parse(d, id: "t")
            _ = try? Commit.parse(d, id: "c")
            _ = try? Tag.parse(d, id: "g")
            _ = try? ChunkList.parse(d, id: "l")
            _ = try? PackIndex.parse(d, path: "x.idx")
            d.withUnsafeBytes { _ = try? ZstdFrame.decodeObject($0, path: "o", limit: 1 << 20, expected: nil) }
        }
    }

    // MARK: Pack index

    /// A packed repository and its idx path.
    func packedIndex() throws -> String {
        try commitFiles(["a.txt": "one", "b.txt": String(repeating: "two ", count: 1000)], "first")
        try commitFiles(["c.txt": "three"], "second")
        _ = try repo.gc(gracePeriod: 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: repo.objects.packsDirectory)
        return repo.objects.packsDirectory + "/" + names.first { $0.hasSuffix(".idx") }!
    }

    func edited(_ idx: Data, _ edit: (inout [UInt8], Int) -> Void) -> Data {
        var b = [UInt8](idx)
        let n = Int(b[8]) | Int(b[9]) << 8
        edit(&b, n)
        b.replaceSubrange((b.count - 32)..., with: Array(SHA256.hash(data: b[..<(b.count - 32)])))
        return Data(b)
    }

    func put(_ b: inout [UInt8], _ at: Int, _ v: UInt64, bytes: Int = 8) {
        for i in 0..<bytes { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    func testPackIndexIsValidatedWhole() throws {
        let idx = try packedIndex()
        let original = try Data(contentsOf: URL(fileURLWithPath: idx))
        XCTAssertNoThrow(try PackIndex.parse(original, path: idx))
        let ids = 24 + 1024
        let cases: [(String, (inout [UInt8], Int) -> Void)] = [
            ("outside the pack", { b, n in self.put(&b, ids + 32 * n, 1 << 63) }),
            ("outside the pack", { b, n in self.put(&b, ids + 32 * n + 8, 3) }),
            ("overlap", { b, n in b.replaceSubrange((ids + 32 * n + 8)..<(ids + 32 * n + 16), with: b[(ids + 32 * n)..<(ids + 32 * n + 8)]) }),
            ("pack size", { b, _ in self.put(&b, 16, UInt64.max) }),
            ("pack size", { b, _ in self.put(&b, 16, 20) }),
            ("fanout", { b, n in self.put(&b, 24 + 40, UInt64(n + 1), bytes: 4) }),
            ("fanout", { b, n in self.put(&b, 24 + 4 * 255, UInt64(n - 1), bytes: 4) }),
            ("fanout", { b, n in for i in 0..<255 { self.put(&b, 24 + 4 * i, 0, bytes: 4) } }),
            ("sorted", { b, _ in
                let first = Array(b[ids..<(ids + 32)]); b.replaceSubrange(ids..<(ids + 32), with: b[(ids + 32)..<(ids + 64)])
                b.replaceSubrange((ids + 32)..<(ids + 64), with: first) }),
            ("sorted", { b, _ in b.replaceSubrange((ids + 32)..<(ids + 64), with: b[ids..<(ids + 32)]) }),
            ("objects", { b, _ in self.put(&b, 8, 1 << 62) }),
        ]
        for (what, edit) in cases {
            let bad = edited(original, edit)
            assertThrows(try PackIndex.parse(bad, path: idx)) {
                if case .corruptPack(let p, let reason) = $0 { return p == idx && reason.contains(what) }
                return false
            }
            try bad.write(to: URL(fileURLWithPath: idx))
            let fresh = Repository(workTree: dir.path)
            assertThrows(try fresh.resolveCommit("HEAD")) { if case .corruptPack = $0 { return true }; return false }
            let report = fresh.fsck()
            XCTAssertTrue(report.errors.contains { $0.contains(idx) && $0.contains(what) }, "\(what): \(report.errors)")
        }
        try original.write(to: URL(fileURLWithPath: idx))
        XCTAssertTrue(Repository(workTree: dir.path).fsck().isClean)
    }

    func testTreeOfSharedSubtreesIsBounded() throws {
        // 40 levels, each naming the level below twice: 2^40 files from 41 small objects.
        var level = try repo.objects.write(tree: try Tree(entries: [try TreeEntry(name: "f", kind: .blob,
                                                                               id: try repo.objects.write(type: .blob, content: Data("x".utf8)))]))
        for _ in 0..<40 {
            level = try repo.objects.write(tree: try Tree(entries: [try TreeEntry(name: "a", kind: .tree, id: level),
                                                                   try TreeEntry(name: "b", kind: .tree, id: level)]))
        }
        assertThrows(try repo.flatten(tree: level, limit: 100_000)) {
            if case .badObject(_, let reason) = $0 { return reason.contains("more than 100000 entries") }
            return false
        }
        XCTAssertTrue(repo.fsck().isClean, "the objects themselves are valid")
    }

    // MARK: Checkout

    func testCheckoutOfAOneLetterDirectory() throws {
        try commitFiles(["a.txt": "a"], "one")
        try commitFiles(["d/x.txt": "x"], "two")
        try repo.checkout("HEAD~1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("d").path))
        try repo.checkout("main")
        try repo.remove(paths: ["d/x.txt"], cwd: dir.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("d").path))
    }

    func testDirectoryReplacedByAFileAndBack() throws {
        try commitFiles(["d/x.txt": "x", "d/y/z.txt": "z"], "dirs")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("d"))
        try repo.add(paths: ["."], cwd: dir.path)
        try commitFiles(["d": "now a file"], "file")
        try repo.checkout("HEAD~1")
        XCTAssertEqual(read("d/y/z.txt"), "z")
        try repo.checkout("main")
        XCTAssertEqual(read("d"), "now a file")
    }

    func testRefusedCheckoutLeavesEverythingAsItWas() throws {
        try commitFiles(["a.txt": "one"], "one")
        let two = try commitFiles(["a.txt": "two", "z/y.txt": "y", "zz.txt": "late"], "two")
        try repo.checkout("HEAD~1")
        let headBefore = try Data(contentsOf: URL(fileURLWithPath: repo.ftxDirectory + "/HEAD"))
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: repo.indexPath))
        func unchanged(file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(read("a.txt"), "one", file: file, line: line)
            XCTAssertNil(read("zz.txt"), file: file, line: line)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: repo.ftxDirectory + "/HEAD")), headBefore, file: file, line: line)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: repo.indexPath)), indexBefore, file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: repo.indexPath + ".lock"), file: file, line: line)
        }
        // An untracked file where the target has a directory.
        try write("z", "my notes")
        assertThrows(try repo.checkout(two.hex)) { if case .wouldOverwrite(let p) = $0 { return p == ["z"] }; return false }
        try unchanged()
        XCTAssertEqual(read("z"), "my notes")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("z"))
        // A file object missing from the store.
        let zz = try repo.flatten(tree: repo.objects.readCommit(two).tree)["zz.txt"]!.id
        let saved = try Data(contentsOf: URL(fileURLWithPath: repo.objects.loosePath(zz)))
        try FileManager.default.removeItem(atPath: repo.objects.loosePath(zz))
        for force in [false, true] {
            assertThrows(try repo.checkout(two.hex, force: force)) { if case .objectNotFound = $0 { return true }; return false }
            try unchanged()
        }
        try saved.write(to: URL(fileURLWithPath: repo.objects.loosePath(zz)))
        try repo.checkout(two.hex)
        XCTAssertEqual(read("zz.txt"), "late")
    }

    func testLongestNamesCheckOut() throws {
        try commitFiles(["a.txt": "a"], "one")
        let name = String(repeating: "é", count: 127) + "x"  // 255 bytes
        try commitFiles(["d/" + name: "long"], "two")
        try repo.checkout("HEAD~1")
        try repo.checkout("main")
        XCTAssertEqual(read("d/" + name), "long")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/d"), [name])
    }

    // MARK: fsck and HEAD

    func testFsckNeedsAValidHEAD() throws {
        try commitFiles(["a.txt": "x"], "one")
        let head = repo.ftxDirectory + "/HEAD"
        let saved = try Data(contentsOf: URL(fileURLWithPath: head))
        try FileManager.default.removeItem(atPath: head)
        XCTAssertTrue(repo.fsck().errors.contains { $0.hasPrefix("HEAD") && $0.contains("missing") }, "\(repo.fsck().errors)")
        try Data("ref: refs/tags/v1\n".utf8).write(to: URL(fileURLWithPath: head))
        XCTAssertTrue(repo.fsck().errors.contains { $0.hasPrefix("HEAD") }, "\(repo.fsck().errors)")
        try Data((String(repeating: "cd", count: 32) + "\n").utf8).write(to: URL(fileURLWithPath: head))
        XCTAssertTrue(repo.fsck().errors.contains { $0.contains("HEAD") && $0.contains("missing") }, "\(repo.fsck().errors)")
        try saved.write(to: URL(fileURLWithPath: head))
        XCTAssertTrue(repo.fsck().isClean)
    }

    func testFsckRefusesAHugeStrayFileUnread() throws {
        let path = repo.objects.objectsDirectory + "/ab/" + String(repeating: "c", count: 62)
        try FileManager.default.createDirectory(atPath: repo.objects.objectsDirectory + "/ab", withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.truncate(atOffset: 3 << 30)
        try h.close()
        let report = repo.fsck()
        XCTAssertTrue(report.errors.contains { $0.hasPrefix(path) && $0.contains("too large") }, "\(report.errors)")
    }

    // MARK: Ref names

    func testRefNamesGitRefuses() {
        for bad in ["HEAD", "@", "x.", "a/b.", "-x", String(repeating: "ab", count: 32), "refs/heads/x",
                    "a..b", "x.lock", "a@{1}", "a b", "/x", "x/", "a//b", ".x", "a/.x", "a~1", "a^", "a:b", "a?",
                    "a*", "a[b", "a\\b", "a\u{1}b", "a\u{7F}b", ""] {
            XCTAssertThrowsError(try RefStore.validate(shortName: bad), bad.debugDescription)
        }
        for ok in ["main", "feature/x-1.2", "v1.0", "héllo", "a.b/c", "HEADS", "head"] {
            XCTAssertNoThrow(try RefStore.validate(shortName: ok), ok)
        }
    }

    // MARK: index.sqlite

    func testDamagedSQLiteIndexIsSetAsideByReindex() throws {
        try commitFiles(["a.txt": "x"], "one")
        try Data(repeating: 0x5a, count: 4096).write(to: URL(fileURLWithPath: repo.sqlitePath))
        assertThrows(try SQLiteIndex(path: repo.sqlitePath)) {
            if case .derivedIndexDamaged = $0 { return $0.hint?.contains("ftx reindex") == true }
            return false
        }
        XCTAssertEqual(try repo.reindex(), 1)
        let aside = try FileManager.default.contentsOfDirectory(atPath: repo.ftxDirectory).filter { $0.hasPrefix("index.sqlite.corrupt-") }
        XCTAssertEqual(aside.count, 1)
        XCTAssertEqual(try SQLiteIndex(path: repo.sqlitePath).commitCount, 1)
    }
}
