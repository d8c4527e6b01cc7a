import FTXTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end tests of the store under concurrent and interrupted commands: gc racing add, and
/// checkout killed mid-write (helpers in StoreCLITests.swift).
extension StoreCLITests {
    func randomData(_ n: Int, seed: UInt64) -> Data { TestSupport.pseudoRandomBytes(n, seed: seed) }

    /// `ftx gc --prune=now` running while `ftx add` stores a small file (a loose object) and then
    /// a large one: the small file's object exists long before the index names it. Before the
    /// writer guard, gc pruned it in every round; now the staged files stay readable and fsck
    /// stays clean.
    func testGCPruneNowRacingAddLosesNothing() throws {
        var base = randomData(6 << 20, seed: 1)
        for round in 0..<4 {
            base.replaceSubrange(round * 700_000..<(round * 700_000 + 8), with: Data("round \(round)!".utf8.prefix(8)))
            try write("big.bin", base)
            try write("a-note-\(round).txt", Data("note \(round)\n".utf8))  // staged before big.bin
            let add = try spawn(["add", "."]).0
            usleep(useconds_t(round * 15_000))
            let gc = try ftx(["gc", "--prune=now"])
            add.waitUntilExit()
            XCTAssertEqual(gc.status, 0, gc.stderr)
            XCTAssertEqual(add.terminationStatus, 0, "round \(round)")
            // The staged version is readable through the index.
            XCTAssertEqual(try ftx(["cat-file", "-s", ":big.bin"]).stdout, "\(base.count)\n", "round \(round)")
            XCTAssertEqual(try ftx(["cat-file", "-p", ":a-note-\(round).txt"]).stdout, "note \(round)\n", "round \(round)")
            let fsck = try ftx(["fsck"])
            XCTAssertEqual(fsck.status, 0, "round \(round): \(fsck.stdout)")
            XCTAssertEqual(try ftx(["commit", "-m", "round \(round)"]).status, 0)
            XCTAssertEqual(try ftx(["gc", "--prune=now"]).status, 0)
        }
        XCTAssertEqual(try ftx(["cat-file", "-s", "HEAD:big.bin"]).stdout, "\(base.count)\n")
        XCTAssertEqual(try ftx(["cat-file", "-t", "HEAD:big.bin"]).stdout, "chunked\n")
        XCTAssertEqual(try ftx(["cat-file", "-p", "HEAD~3:a-note-0.txt"]).stdout, "note 0\n")
    }

    /// While some other writer holds the guard, gc packs but does not prune, and says so.
    func testGCSaysWhenItCannotPrune() throws {
        try write("a.txt", Data("a\n".utf8))
        try ftx(["add", "a.txt"])
        try ftx(["commit", "-m", "a"])
        let fd = open(dir.path + "/.ftx/objects.guard", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_SH), 0)
        let r = try ftx(["gc", "--prune=now"], env: ["FTX_LOCK_TIMEOUT": "0.2"])
        close(fd)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("unreachable objects were kept"), r.stderr)
        let again = try ftx(["gc", "--prune=now"])
        XCTAssertFalse(again.stderr.contains("were kept"), again.stderr)
    }

    func temporaries() -> [String] {
        var out: [String] = []
        let e = FileManager.default.enumerator(atPath: dir.path)
        while let rel = e?.nextObject() as? String {
            if rel.hasPrefix(".ftx") { e?.skipDescendants(); continue }
            if (rel as NSString).lastPathComponent.hasPrefix(".tmp-") { out.append(rel) }
        }
        return out
    }

    /// `kill -9` at random moments of `ftx checkout`: every work-tree file is whole (one of the
    /// two versions, never a prefix), leftover temporaries are invisible to status, and the
    /// next checkout removes them.
    func testKillDuringCheckoutLeavesNoPartialFiles() throws {
        var versions: [[String: Data]] = [[:], [:]]
        for v in 0..<2 {
            versions[v]["big.bin"] = randomData(3 << 20, seed: UInt64(10 + v))
            versions[v]["data/large.jsonl"] = randomData(2 << 20, seed: UInt64(20 + v))
            for i in 0..<12 { versions[v]["small/f\(i).txt"] = Data("file \(i) version \(v)\n".utf8) }
            for (p, d) in versions[v] { try write(p, d) }
            XCTAssertEqual(try ftx(["add", "."]).status, 0)
            XCTAssertEqual(try ftx(["commit", "-m", "v\(v)"]).status, 0)
        }
        let ids = try ftx(["log", "--json"])
        let commits = (try JSONSerialization.jsonObject(with: Data(ids.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(commits.count, 2)
        let target = [commits[1], commits[0]]  // v0, v1

        var t0 = Date()
        XCTAssertEqual(try ftx(["checkout", "-f", target[0]]).status, 0)
        let checkoutTime = max(Date().timeIntervalSince(t0), 0.02)
        var killed = 0, leftovers = 0
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<12 {
            let p = try spawn(["checkout", "-f", target[(trial + 1) % 2]]).0
            usleep(useconds_t(Double.random(in: 0...(1.2 * checkoutTime), using: &rng) * 1_000_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { killed += 1 }
            try removeStaleLocks()
            for (path, _) in versions[0] {
                let d = try Data(contentsOf: dir.appendingPathComponent(path))
                XCTAssertTrue(d == versions[0][path] || d == versions[1][path], "trial \(trial): \(path) is neither version (\(d.count) bytes)")
            }
            let tmps = temporaries()
            leftovers += tmps.count
            let status = try ftx(["status", "--json"])
            XCTAssertEqual(status.status, 0, status.stderr)
            for t in tmps { XCTAssertFalse(status.stdout.contains((t as NSString).lastPathComponent), "status lists \(t)") }
        }
        t0 = Date()
        XCTAssertEqual(try ftx(["checkout", "-f", target[1]]).status, 0)
        XCTAssertEqual(temporaries(), [], "checkout must remove temporaries of killed processes")
        for (path, data) in versions[1] { XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(path)), data, path) }
        let status = try ftx(["status", "--json"])
        XCTAssertEqual(status.status, 0)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["clean"] as? Bool, true, status.stdout)
        XCTAssertEqual(try ftx(["fsck"]).status, 0)
        print("checkout kill -9: \(killed) of 12 killed mid-flight, \(leftovers) temporaries seen and cleaned")
        XCTAssertGreaterThan(killed, 0, "no checkout was killed mid-flight; the test proved nothing")
    }
}
