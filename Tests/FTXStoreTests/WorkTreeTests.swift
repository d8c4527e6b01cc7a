import Foundation
import XCTest
@testable import FTXStore

final class WorkTreeTests: StoreTestCase {
    func testAddStatusCommitCycle() throws {
        try write("a.txt", "a")
        try write("d/b.txt", "b")
        var s = try repo.status()
        XCTAssertEqual(s.untracked, ["a.txt", "d/b.txt"])
        try repo.add(paths: ["."], cwd: dir.path)
        s = try repo.status()
        XCTAssertEqual(s.staged.map(\.path), ["a.txt", "d/b.txt"])
        let c1 = try repo.commit(message: "one")
        XCTAssertTrue(try repo.status().isClean)
        assertThrows(try repo.commit(message: "again")) { if case .nothingToCommit = $0 { return true }; return false }

        try write("a.txt", "changed")
        XCTAssertEqual(try repo.status().unstaged.map(\.path), ["a.txt"])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("d/b.txt"))
        try repo.add(paths: ["."], cwd: dir.path)
        s = try repo.status()
        XCTAssertEqual(s.staged.map { "\($0.change.rawValue) \($0.path)" }, ["modified a.txt", "deleted d/b.txt"])
        let c2 = try repo.commit(message: "two")
        XCTAssertEqual(try repo.objects.readCommit(c2).parents, [c1])
        XCTAssertEqual(try repo.diffTrees(try repo.objects.readCommit(c1).tree, try repo.objects.readCommit(c2).tree).count, 2)

        try repo.remove(paths: ["a.txt"], cwd: dir.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.txt").path))
        XCTAssertEqual(try repo.status().staged.map(\.change), [.deleted])
        assertThrows(try repo.add(paths: ["missing.txt"], cwd: dir.path)) { if case .invalidPath = $0 { return true }; return false }
        assertThrows(try repo.add(paths: ["/etc/passwd"], cwd: dir.path)) { if case .invalidPath = $0 { return true }; return false }
    }

    func testDiscoverWalksUpAndIgnoreFile() throws {
        try write("sub/deep/x.txt", "x")
        let found = try Repository.discover(from: dir.appendingPathComponent("sub/deep").path)
        XCTAssertEqual(found.workTree, repo.workTree)
        XCTAssertThrowsError(try Repository.discover(from: "/"))
        try write(".ftxignore", "*.tmp\nbuild/\n")
        try write("a.tmp", "t")
        try write("build/out.bin", "o")
        XCTAssertEqual(Set(try repo.status().untracked), [".ftxignore", "sub/deep/x.txt"])
    }

    func testCheckoutSwitchesAndRefusesToOverwrite() throws {
        let c1 = try commitFiles(["a.txt": "v1", "only1.txt": "1"], "one")
        try repo.remove(paths: ["only1.txt"], cwd: dir.path)
        let c2 = try commitFiles(["a.txt": "v2", "dir/new.txt": "n"], "two")
        try repo.checkout(c1.hex)
        XCTAssertEqual(read("a.txt"), "v1")
        XCTAssertEqual(read("only1.txt"), "1")
        XCTAssertNil(read("dir/new.txt"))
        XCTAssertNil(try repo.refs.currentBranch(), "a commit id detaches HEAD")
        try repo.checkout("main")
        XCTAssertEqual(read("a.txt"), "v2")
        XCTAssertEqual(try repo.refs.currentBranch(), "refs/heads/main")
        XCTAssertEqual(try repo.headCommit(), c2)

        try write("a.txt", "local edit")
        assertThrows(try repo.checkout(c1.hex)) { if case .wouldOverwrite(let p) = $0 { return p == ["a.txt"] }; return false }
        XCTAssertEqual(read("a.txt"), "local edit", "a refused checkout changes nothing")
        XCTAssertEqual(try repo.headCommit(), c2)
        try write("only1.txt", "untracked in the way")
        assertThrows(try repo.checkout(c1.hex)) { if case .wouldOverwrite(let p) = $0 { return p.contains("only1.txt") }; return false }
        try repo.checkout(c1.hex, force: true)
        XCTAssertEqual(read("a.txt"), "v1")
        XCTAssertEqual(read("only1.txt"), "1")
        XCTAssertTrue(try repo.status().isClean)

        // Restoring paths leaves HEAD alone.
        try repo.checkout("main", force: true)
        try write("a.txt", "edit")
        assertThrows(try repo.checkoutPaths(c1.hex, paths: ["a.txt"], cwd: dir.path)) { if case .wouldOverwrite = $0 { return true }; return false }
        try repo.checkoutPaths(c1.hex, paths: ["a.txt"], force: true, cwd: dir.path)
        XCTAssertEqual(read("a.txt"), "v1")
        XCTAssertEqual(try repo.headCommit(), c2)
        XCTAssertEqual(try repo.status().staged.map(\.path), ["a.txt"])
    }

    /// A directory in one commit is a file in the other: the directory's files go before the file
    /// is written (it used to stop with "a directory is in the way"), and many files at once.
    func testCheckoutReplacesADirectoryWithAFileAndWritesManyFiles() throws {
        var many: [String: String] = [:]
        for i in 0..<300 { many["d\(i % 7)/f\(i).txt"] = "file \(i)" }
        let c1 = try commitFiles(many.merging(["xd/inner.txt": "inner"]) { a, _ in a }, "dirs")
        try repo.remove(paths: ["xd", "d0", "d1", "d2", "d3", "d4", "d5", "d6"], cwd: dir.path)
        let c2 = try commitFiles(["xd": "now a file"], "file")
        try repo.checkout(c1.hex)
        for (p, t) in many { XCTAssertEqual(read(p), t, p) }
        XCTAssertEqual(read("xd/inner.txt"), "inner")
        try repo.checkout(c2.hex)
        XCTAssertEqual(read("xd"), "now a file")
        XCTAssertNil(read("d3/f3.txt"))
        XCTAssertTrue(try repo.status().isClean)
    }

    func testUncommittedFilesUntouchedByCheckoutSurvive() throws {
        let c1 = try commitFiles(["a.txt": "v1", "b.txt": "b"], "one")
        try commitFiles(["a.txt": "v2"], "two")
        try write("b.txt", "local change to a file both commits share")
        try write("notes.txt", "untracked")
        try repo.checkout(c1.hex)
        XCTAssertEqual(read("a.txt"), "v1")
        XCTAssertEqual(read("b.txt"), "local change to a file both commits share")
        XCTAssertEqual(read("notes.txt"), "untracked")
    }

    /// A crafted tree (written raw, bypassing validation) must never write outside the work tree.
    func testCheckoutRejectsCraftedTreeNames() throws {
        try commitFiles(["a.txt": "safe"], "one")
        let blob = try repo.objects.write(type: .blob, content: Data("pwned".utf8))
        let outside = dir.deletingLastPathComponent().appendingPathComponent("ftx-escape-\(UUID().uuidString.prefix(6))")
        for name in ["..", "../\(outside.lastPathComponent)", "/tmp/ftx-abs-escape", "a\0b", ".ftx"] {
            let raw = Data("blob \(blob.hex) \(name)\n".utf8)
            let tree = try repo.objects.write(type: .tree, content: raw)
            let commit = try repo.objects.write(commit: Commit(tree: tree, parents: [], author: .current(), message: "evil\n"))
            XCTAssertThrowsError(try repo.checkout(commit.hex, force: true), "checked out a tree naming \(name.debugDescription)")
            XCTAssertThrowsError(try repo.checkoutPaths(commit.hex, paths: ["."], force: true, cwd: dir.path))
            XCTAssertFalse(repo.fsck().isClean, "fsck must flag the tree naming \(name.debugDescription)")
            try FileManager.default.removeItem(atPath: repo.objects.loosePath(tree))
            try FileManager.default.removeItem(atPath: repo.objects.loosePath(commit))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/ftx-abs-escape"))
        XCTAssertEqual(read("a.txt"), "safe")

        // A symbolic link in the work tree cannot redirect a checkout outside it.
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let c2 = try commitFiles(["link/f.txt": "inside"], "two")
        try repo.checkout("HEAD~1")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: outside.path)
        XCTAssertThrowsError(try repo.checkout(c2.hex))
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.appendingPathComponent("f.txt").path))
    }

    func testLargeFilesCheckoutByteExact() throws {
        let v1 = randomBytes(2_500_000, seed: 5)
        try write("data.bin", v1)
        try repo.add(paths: ["data.bin"], cwd: dir.path)
        let c1 = try repo.commit(message: "v1")
        var v2 = v1
        v2.replaceSubrange(1_000_000..<1_000_100, with: Data(repeating: 1, count: 100))
        try write("data.bin", v2)
        try repo.add(paths: ["data.bin"], cwd: dir.path)
        try repo.commit(message: "v2")
        try repo.checkout(c1.hex)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("data.bin")), v1)
        try repo.checkout("main")
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("data.bin")), v2)
        XCTAssertTrue(repo.fsck().isClean)
    }
}
