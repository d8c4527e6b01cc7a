import FTXCore
import FTXStore
import FTXTestSupport
import Foundation
import XCTest

/// Hostile and damaged repositories, run through the built `ftx` binary. Each case builds its
/// repository by hand (raw objects, edited pack indexes, planted lock files) and checks that the
/// command exits with a clear error — never a signal — and that nothing outside the repository
/// is written; a refused checkout also leaves the work tree, the index and HEAD as they were.
/// The work tree sits inside a (simulated) git repository, so `.git/` is there to be attacked.
final class HostileRepoCLITests: XCTestCase {
    var base: URL!
    var wt: URL { base.appendingPathComponent("wt") }
    var ftxDir: String { wt.path + "/.ftx" }

    override func setUpWithError() throws {
        base = TestSupport.makeTempDir("ftx-cli-hostile")
        try FileManager.default.createDirectory(at: wt.appendingPathComponent(".git/hooks"), withIntermediateDirectories: true)
        try Data("[core]\n\trepositoryformatversion = 0\n".utf8).write(to: wt.appendingPathComponent(".git/config"))
        try Data("outside\n".utf8).write(to: base.appendingPathComponent("sibling.txt"))
        XCTAssertEqual(try ftx(["init"]).status, 0)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: base) }

    @discardableResult
    func ftx(_ args: [String], env: [String: String] = [:]) throws -> TestSupport.RunResult {
        try TestSupport.runFTX(args, cwd: wt, env: ["FTX_AUTHOR": "Tester <t@example.com>", "FTX_DATE": "1700000000"]
            .merging(env) { $1 })
    }

    func write(_ rel: String, _ text: String) throws {
        let url = wt.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Writes, stages and commits one file.
    func commit(_ rel: String, _ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try write(rel, text)
        XCTAssertEqual(try ftx(["add", rel]).status, 0, file: file, line: line)
        XCTAssertEqual(try ftx(["commit", "-m", message]).status, 0, file: file, line: line)
    }

    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: wt.appendingPathComponent(rel).path) }

    /// Ran to completion (no signal) with `status`, saying `text` on stderr (or stdout).
    func assertExit(_ r: TestSupport.RunResult, _ status: Int32, saying text: String...,
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signaled, "killed by signal \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, status, "stdout: \(r.stdout)\nstderr: \(r.stderr)", file: file, line: line)
        for t in text {
            XCTAssertTrue(r.stderr.contains(t) || r.stdout.contains(t), "expected '\(t)' in:\n\(r.stdout)\(r.stderr)", file: file, line: line)
        }
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr, file: file, line: line)
    }

    /// Every file, directory and link under `base` (the work tree, the enclosing `.git/`, a
    /// sibling file), plus HEAD and the index; objects and logs inside `.ftx` are left out.
    func snapshot() -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: base.path) else { return out }
        while let rel = e.nextObject() as? String {
            let path = base.path + "/" + rel
            if rel == "wt/.ftx" { e.skipDescendants(); continue }
            if let dest = try? fm.destinationOfSymbolicLink(atPath: path) { out[rel] = "link " + dest; continue }
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: path, isDirectory: &isDir)
            out[rel] = isDir.boolValue ? "dir" : "file " + ((fm.contents(atPath: path)).map { SHA256.hash(data: $0).description } ?? "?")
        }
        for f in ["HEAD", "index", "index.lock", "HEAD.lock"] {
            out[".ftx/" + f] = fm.contents(atPath: ftxDir + "/" + f).map { String(decoding: $0, as: UTF8.self) }
        }
        return out
    }

    // MARK: Crafting raw objects (the store writes whatever bytes it is given, as `git hash-object --literally`)

    var store: ObjectStore { ObjectStore(ftxDirectory: ftxDir) }

    func blob(_ text: String) throws -> ObjectID { try store.write(type: .blob, content: Data(text.utf8)) }

    /// A tree object from `(kind, name, id)` entries, sorted by name bytes, with no validation.
    func rawTree(_ entries: [(EntryKind, String, ObjectID)]) throws -> ObjectID {
        let lines = entries.sorted { Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) }
            .map { "\($0.0.rawValue) \($0.2.hex) \($0.1)\n" }
        return try store.write(type: .tree, content: Data(lines.joined().utf8))
    }

    func rawCommit(tree: ObjectID, parent: ObjectID?) throws -> ObjectID {
        let sig = "Evil <e@x> 1700000000 +0000"
        let text = "tree \(tree.hex)\n" + (parent.map { "parent \($0.hex)\n" } ?? "") + "author \(sig)\ncommitter \(sig)\n\nevil\n"
        return try store.write(type: .commit, content: Data(text.utf8))
    }

    func setRef(_ name: String, _ id: ObjectID) throws {
        try Data((id.hex + "\n").utf8).write(to: URL(fileURLWithPath: ftxDir + "/" + name))
    }

    func head() throws -> ObjectID {
        let log = try JSONSerialization.jsonObject(with: Data(try ftx(["log", "-n", "1", "--json"]).stdout.utf8)) as? [[String: Any]]
        return try XCTUnwrap(ObjectID(hex: log?.first?["id"] as? String ?? ""))
    }

    // MARK: 1. everyday checkout

    func testCheckoutAndRmOfAOneLetterDirectory() throws {
        try commit("a.txt", "a\n", "one")
        try write("d/x.txt", "x\n")
        XCTAssertEqual(try ftx(["add", "d"]).status, 0)
        XCTAssertEqual(try ftx(["commit", "-m", "two"]).status, 0)

        assertExit(try ftx(["checkout", "HEAD~1"]), 0)
        XCTAssertFalse(exists("d"), "the emptied directory is removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ftxDir + "/index.lock"))
        XCTAssertTrue(try ftx(["log", "-n", "1", "--oneline"]).stdout.contains("one"))
        assertExit(try ftx(["checkout", "main"]), 0)
        XCTAssertEqual(try String(contentsOf: wt.appendingPathComponent("d/x.txt"), encoding: .utf8), "x\n")

        assertExit(try ftx(["rm", "d/x.txt"]), 0)
        XCTAssertFalse(exists("d"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ftxDir + "/index.lock"))
        XCTAssertTrue(try ftx(["status", "--short"]).stdout.contains("D  d/x.txt"))
    }

    // MARK: 2. `.git` (and `.ftx`) in a tree

    /// Spellings a filesystem may take for `.git` or `.ftx`: case, NTFS trailing dots and spaces,
    /// streams and short names, HFS+ ignorable code points, Unicode compatibility forms.
    static let reservedSpellings = [
        ".git", ".GIT", ".Git", ".git.", ".git ", ".git. .", ".git::$INDEX_ALLOCATION", "git~1", "GIT~1",
        ".g\u{200C}it", "\u{FEFF}.git", ".gi\u{206F}t\u{200E}", "\u{FF0E}git", ".\u{FF47}\u{FF49}\u{FF54}",
        ".ftx", ".FTX", ".ftx.", "ftx~1", ".f\u{200D}tx", "\u{FF0E}ftx",
    ]

    func testGitDirectoryInATreeIsRefusedEverywhere() throws {
        try commit("a.txt", "safe\n", "one")
        let main = try head()
        let config = try blob("[core]\n\tfsmonitor = touch pwned\n")
        let hook = try blob("#!/bin/sh\ntouch pwned\n")
        let hooks = try rawTree([(.blob, "pre-commit", hook)])
        let safe = try blob("safe\n")
        let dotgit = try rawTree([(.blob, "config", config), (.tree, "hooks", hooks)])
        for name in Self.reservedSpellings {
            let top = try rawTree([(.blob, "a.txt", safe), (.tree, name, dotgit)])
            let nested = try rawTree([(.tree, name, dotgit)])
            // The tree holding the name is the damaged object: at the root, or one level down.
            for (root, bad) in [(top, top), (try rawTree([(.blob, "a.txt", safe), (.tree, "sub", nested)]), nested)] {
                try setRef("refs/heads/evil", try rawCommit(tree: root, parent: main))
                let before = snapshot()
                for args in [["checkout", "evil"], ["checkout", "--force", "evil"], ["checkout", "evil", "--", "."]] {
                    assertExit(try ftx(args), 2, saying: "invalid tree entry name", "reserved")
                    XCTAssertEqual(snapshot(), before, "\(args) with \(name.debugDescription) changed the work tree")
                }
                assertExit(try ftx(["fsck"]), 1, saying: "invalid tree entry name", bad.hex)
            }
        }
        XCTAssertFalse(exists("pwned"))
        XCTAssertEqual(try String(contentsOf: wt.appendingPathComponent(".git/config"), encoding: .utf8),
                       "[core]\n\trepositoryformatversion = 0\n")
    }

    func testAddNeverStagesAGitDirectory() throws {
        try write("ok.txt", "ok\n")
        for name in [".GIT", "git~1", ".g\u{200C}it", "\u{FF0E}git", ".git.", "sub/.Git"] { try write(name + "/config", "x\n") }
        assertExit(try ftx(["add", "."]), 0)
        let status = try ftx(["status", "--json"])
        let staged = ((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["staged"]
            as? [[String: String]])?.compactMap { $0["path"] }
        XCTAssertEqual(staged, ["ok.txt"])
        for path in [".GIT/config", "git~1/config", "sub/.Git/config", ".git/config"] {
            assertExit(try ftx(["add", path]), 2, saying: "reserved")
        }
    }

    // MARK: 3. crafted pack index

    /// Rewrites the idx with `edit` and recomputes its checksum, as an attacker would.
    func editIndex(_ idxPath: String, _ edit: (inout [UInt8], Int) -> Void) throws {
        var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: idxPath)))
        let count = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16
        edit(&b, count)
        b.replaceSubrange((b.count - 32)..., with: Array(SHA256.hash(data: b[..<(b.count - 32)])))
        try Data(b).write(to: URL(fileURLWithPath: idxPath))
    }

    func putU64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
    func putU32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }

    func testCraftedPackIndexIsAClearError() throws {
        try commit("a.txt", "a\n", "one")
        try commit("b.txt", "b\n", "two")
        assertExit(try ftx(["gc", "--prune=now"]), 0)
        let packs = ftxDir + "/packs"
        let idx = packs + "/" + (try FileManager.default.contentsOfDirectory(atPath: packs).first { $0.hasSuffix(".idx") })!
        let original = try Data(contentsOf: URL(fileURLWithPath: idx))
        let fanout = 24, ids = 24 + 1024
        let edits: [(String, (inout [UInt8], Int) -> Void)] = [
            ("offset at 2^63", { b, n in self.putU64(&b, ids + 32 * n, 1 << 63) }),
            ("offset past the pack", { b, n in self.putU64(&b, ids + 32 * n + 8, 1 << 40) }),
            ("huge pack size", { b, _ in self.putU64(&b, 16, UInt64.max - 7) }),
            ("pack size 2^63", { b, _ in self.putU64(&b, 16, 1 << 63) }),
            ("non-monotonic fanout", { b, n in self.putU32(&b, fanout + 4 * 10, UInt32(n + 1)) }),
            ("fanout not ending at the count", { b, n in self.putU32(&b, fanout + 4 * 255, UInt32(n - 1)) }),
            // Monotonic and ending at the count, but every bucket claims to be empty except the
            // last: lookups find nothing while a walk by position sees every object.
            ("fanout inconsistent with the ids", { b, n in for i in 0..<255 { self.putU32(&b, fanout + 4 * i, 0) } }),
            ("ids out of order", { b, _ in
                let first = Array(b[ids..<(ids + 32)]); b.replaceSubrange(ids..<(ids + 32), with: b[(ids + 32)..<(ids + 64)])
                b.replaceSubrange((ids + 32)..<(ids + 64), with: first) }),
            ("object count larger than the file", { b, _ in self.putU64(&b, 8, 1 << 60) }),
        ]
        for (what, edit) in edits {
            try original.write(to: URL(fileURLWithPath: idx))
            try editIndex(idx, edit)
            let before = snapshot()
            assertExit(try ftx(["fsck"]), 1, saying: "corrupt pack", idx)
            assertExit(try ftx(["show", "HEAD"]), 2, saying: "corrupt pack")
            assertExit(try ftx(["log"]), 2, saying: "corrupt pack")
            assertExit(try ftx(["checkout", "HEAD~1"]), 2, saying: "corrupt pack")
            XCTAssertEqual(snapshot(), before, what)
        }
        try original.write(to: URL(fileURLWithPath: idx))
        assertExit(try ftx(["fsck"]), 0, saying: "ok")
    }

    // MARK: 4. long names, and checkouts that validate before they write

    func testLongestFileNamesCheckOut() throws {
        try commit("a.txt", "a\n", "one")
        let names = [String(repeating: "n", count: 226), String(repeating: "l", count: 251) + ".txt",
                     String(repeating: "é", count: 127) + "x"]  // 255 bytes of two-byte characters
        for n in names { try write("d/" + n, n) }
        XCTAssertEqual(try ftx(["add", "d"]).status, 0)
        assertExit(try ftx(["commit", "-m", "long"]), 0)
        assertExit(try ftx(["checkout", "HEAD~1"]), 0)
        XCTAssertFalse(exists("d"))
        assertExit(try ftx(["checkout", "main"]), 0)
        for n in names { XCTAssertEqual(try String(contentsOf: wt.appendingPathComponent("d/" + n), encoding: .utf8), n) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: wt.path + "/d").count, names.count, "no temporaries left")
        assertExit(try ftx(["status", "--short"]), 0)
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, "")
    }

    func testRefusedCheckoutChangesNothing() throws {
        try commit("a.txt", "one\n", "one")
        try write("a.txt", "two\n")
        try write("z/y.txt", "y\n")
        try write("zz.txt", "late\n")
        XCTAssertEqual(try ftx(["add", "."]).status, 0)
        XCTAssertEqual(try ftx(["commit", "-m", "two"]).status, 0)
        assertExit(try ftx(["checkout", "HEAD~1"]), 0)

        // An untracked file where "two" has a directory: refused, the file kept.
        try write("z", "my notes\n")
        var before = snapshot()
        assertExit(try ftx(["checkout", "main"]), 2, saying: "would overwrite", ": z")
        XCTAssertEqual(snapshot(), before)
        try FileManager.default.removeItem(at: wt.appendingPathComponent("z"))

        // A file of "two" missing from the store: refused before a.txt (sorted first) is written.
        let zz = try ftx(["cat-file", "-p", "main:"]).stdout.split(separator: "\n").first { $0.hasSuffix("\tzz.txt") }!
        let id = String(zz.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
        let loose = ftxDir + "/objects/" + id.prefix(2) + "/" + id.dropFirst(2)
        let saved = try Data(contentsOf: URL(fileURLWithPath: loose))
        try FileManager.default.removeItem(atPath: loose)
        before = snapshot()
        assertExit(try ftx(["checkout", "main"]), 2, saying: "object not found")
        XCTAssertEqual(snapshot(), before)
        assertExit(try ftx(["checkout", "--force", "main"]), 2, saying: "object not found")
        XCTAssertEqual(snapshot(), before)
        try saved.write(to: URL(fileURLWithPath: loose))
        assertExit(try ftx(["checkout", "main"]), 0)
        XCTAssertEqual(try String(contentsOf: wt.appendingPathComponent("zz.txt"), encoding: .utf8), "late\n")
    }

    // MARK: 5. fsck and HEAD

    func testFsckFailsWithoutAValidHEAD() throws {
        try commit("a.txt", "a\n", "one")
        let headPath = ftxDir + "/HEAD"
        let saved = try Data(contentsOf: URL(fileURLWithPath: headPath))
        try FileManager.default.removeItem(atPath: headPath)
        assertExit(try ftx(["fsck"]), 1, saying: "HEAD", "missing")
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: headPath))
        assertExit(try ftx(["fsck"]), 1, saying: "HEAD")
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(to: URL(fileURLWithPath: headPath))
        assertExit(try ftx(["fsck"]), 1, saying: "HEAD", "missing")
        try Data("ref: refs/tags/v1\n".utf8).write(to: URL(fileURLWithPath: headPath))
        assertExit(try ftx(["fsck"]), 1, saying: "HEAD")
        try saved.write(to: URL(fileURLWithPath: headPath))
        assertExit(try ftx(["fsck"]), 0, saying: "ok")
    }

    // MARK: 6. ref names

    func testRefNamesGitRefusesAreRefused() throws {
        try commit("a.txt", "a\n", "one")
        let bad = ["HEAD", "@", "a..b", "x.lock", "a/x.lock", "x.", "a@{1}", "a b", "/x", "x/", "a//b", ".x",
                   "a/.x", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "a\u{7}b", "a\u{7F}b",
                   String(repeating: "ab", count: 32), "refs/heads/x"]
        for name in bad {
            for kind in ["branch", "tag"] {
                assertExit(try ftx([kind, name]), 2, saying: "invalid ref name")
            }
        }
        XCTAssertEqual(try ftx(["branch", "--json"]).stdout.filter { $0 == "{" }.count, 1, "only main exists")
        XCTAssertEqual(try ftx(["tag"]).stdout, "")
        assertExit(try ftx(["branch", "feature/x-1.2"]), 0)
        assertExit(try ftx(["tag", "v1.0"]), 0)

        // A branch file named HEAD planted by hand: `checkout HEAD` stays on the current branch.
        try setRef("refs/heads/HEAD", try head())
        assertExit(try ftx(["checkout", "HEAD"]), 0)
        XCTAssertEqual(try String(contentsOfFile: ftxDir + "/HEAD", encoding: .utf8), "ref: refs/heads/main\n")
    }

    // MARK: 7. stale locks

    func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testStaleLocksAreRemovedAndLiveOnesRespected() throws {
        try write("a.txt", "a\n")
        let lock = ftxDir + "/index.lock"
        let host = ProcessInfo.processInfo.hostName
        // Same host, owner gone: removed with a notice.
        try Data("\(try deadPID()) \(host)\n".utf8).write(to: URL(fileURLWithPath: lock))
        var r = try ftx(["add", "a.txt"])
        assertExit(r, 0, saying: "stale lock", lock)
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.contains("stale lock") }.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock))

        // Same host, owner alive (this test process): refused after the wait.
        try Data("\(getpid()) \(host)\n".utf8).write(to: URL(fileURLWithPath: lock))
        try write("a.txt", "b\n")
        r = try ftx(["add", "a.txt"], env: ["FTX_LOCK_TIMEOUT": "0.3"])
        assertExit(r, 2, saying: "holds the lock")
        XCTAssertTrue(FileManager.default.fileExists(atPath: lock))

        // Another host: its pid cannot be checked, so only age counts (older than the lock timeout).
        try Data("4242 elsewhere.example\n".utf8).write(to: URL(fileURLWithPath: lock))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lock)
        assertExit(try ftx(["add", "a.txt"]), 0, saying: "stale lock")
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock))

        // A lock whose owner holds it (flock), even an old one from another host, is never taken.
        try Data("4242 elsewhere.example\n".utf8).write(to: URL(fileURLWithPath: lock))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lock)
        let fd = open(lock, O_RDONLY)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        r = try ftx(["add", "a.txt"], env: ["FTX_LOCK_TIMEOUT": "0.3"])
        close(fd)
        assertExit(r, 2, saying: "holds the lock")
        try FileManager.default.removeItem(atPath: lock)

        // Ref locks share the rule.
        let refLock = ftxDir + "/refs/heads/main.lock"
        try Data("\(try deadPID()) \(host)\n".utf8).write(to: URL(fileURLWithPath: refLock))
        assertExit(try ftx(["commit", "-m", "one"]), 0, saying: "stale lock", refLock)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refLock))
        assertExit(try ftx(["fsck"]), 0, saying: "ok")
    }

    // MARK: 8. damaged index.sqlite

    func testDamagedSQLiteIndexIsSetAsideAndRebuilt() throws {
        try commit("a.txt", "a\n", "one")
        let sqlite = ftxDir + "/index.sqlite"
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: sqlite))
        for args in [["runs"], ["log", "--metrics"]] {
            let r = try ftx(args)
            assertExit(r, 2, saying: "index.sqlite", "ftx reindex")
        }
        let r = try ftx(["reindex"])
        assertExit(r, 0, saying: "index.sqlite.corrupt-", "indexed 1 commits")
        let aside = try FileManager.default.contentsOfDirectory(atPath: ftxDir).filter { $0.hasPrefix("index.sqlite.corrupt-") }
        XCTAssertEqual(aside.count, 1)
        if let first = aside.first {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: ftxDir + "/" + first)), Data(repeating: 0x5a, count: 8192))
        }
        assertExit(try ftx(["runs"]), 0)
        assertExit(try ftx(["fsck"]), 0, saying: "ok")
    }

    // MARK: 9. a huge stray file in objects/

    func testHugeStrayObjectFileIsRefusedUnread() throws {
        let dir = ftxDir + "/objects/ab"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + String(repeating: "c", count: 62)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([0x28, 0xb5, 0x2f, 0xfd])))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.truncate(atOffset: 3 << 30)  // sparse: 3 GiB that take no disk
        try h.close()
        assertExit(try ftx(["fsck"]), 1, saying: path, "too large")
    }
}
