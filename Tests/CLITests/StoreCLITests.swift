import FTXTestSupport
import Foundation
import XCTest

/// End-to-end tests of the store porcelain through the built `ftx` binary.
final class StoreCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = TestSupport.makeTempDir("ftx-cli-store")
        let r = try ftx(["init"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func ftx(_ args: [String], env: [String: String] = [:]) throws -> TestSupport.RunResult {
        try TestSupport.runFTX(args, cwd: dir, env: ["FTX_AUTHOR": "Tester <t@example.com>"].merging(env) { $1 })
    }

    func write(_ rel: String, _ data: Data) throws {
        let url = dir.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func json(_ r: TestSupport.RunResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    func branchHistory() throws -> [String] {
        let r = try ftx(["log", "main", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (try json(r) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    func testWorkflowEndToEnd() throws {
        try write("data/train.jsonl", Data("{\"text\": \"a\"}\n".utf8))
        try write("config.yaml", Data("lora_r: 8\n".utf8))
        XCTAssertEqual(try ftx(["add", "."]).status, 0)
        var r = try ftx(["status", "--json"])
        let status = try json(r) as? [String: Any]
        XCTAssertEqual((status?["staged"] as? [[String: String]])?.map { $0["path"]! }, ["config.yaml", "data/train.jsonl"])
        r = try ftx(["commit", "-m", "first", "--header", "seed=42"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("[main "), r.stdout)

        try write("config.yaml", Data("lora_r: 16\n".utf8))
        XCTAssertEqual(try ftx(["status", "--short"]).stdout, " M config.yaml\n")
        try ftx(["add", "config.yaml"])
        XCTAssertEqual(try ftx(["commit", "-m", "second"]).status, 0)

        let log = try json(try ftx(["log", "--json"])) as? [[String: Any]]
        XCTAssertEqual(log?.map { $0["message"] as? String }, ["second\n", "first\n"])
        XCTAssertEqual((log?[1]["headers"] as? [[String]])?.first, ["seed", "42"])
        XCTAssertEqual(try ftx(["log", "--oneline", "-n", "1"]).stdout.split(separator: "\n").count, 1)
        r = try ftx(["show", "HEAD~1"])
        XCTAssertTrue(r.stdout.contains("seed: 42") && r.stdout.contains("A\tconfig.yaml"), r.stdout)
        XCTAssertEqual(try ftx(["cat-file", "-t", "HEAD"]).stdout, "commit\n")
        XCTAssertEqual(try ftx(["cat-file", "-p", "HEAD:missing"]).status == 0, false)
        let head = (log?[0]["id"] as? String) ?? ""
        XCTAssertEqual(try ftx(["cat-file", "-t", String(head.prefix(8))]).stdout, "commit\n")
        XCTAssertTrue(try ftx(["cat-file", "-p", "HEAD"]).stdout.hasPrefix("tree "))

        XCTAssertEqual(try ftx(["tag", "v1", "HEAD~1"]).status, 0)
        XCTAssertEqual(try ftx(["tag", "-a", "v2", "-m", "annotated"]).status, 0)
        XCTAssertEqual(try ftx(["cat-file", "-t", "v2"]).stdout, "tag\n")
        XCTAssertEqual(try ftx(["branch", "exp", "v1"]).status, 0)
        let branches = try json(try ftx(["branch", "--json"])) as? [[String: Any]]
        XCTAssertEqual(branches?.map { $0["name"] as? String }, ["exp", "main"])

        XCTAssertEqual(try ftx(["checkout", "exp"]).status, 0)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("config.yaml"), encoding: .utf8), "lora_r: 8\n")
        try write("config.yaml", Data("dirty\n".utf8))
        r = try ftx(["checkout", "main"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("uncommitted changes"), r.stderr)
        XCTAssertEqual(try ftx(["checkout", "--force", "main"]).status, 0)
        XCTAssertEqual(try ftx(["checkout", "v1", "--", "config.yaml"]).status, 0)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("config.yaml"), encoding: .utf8), "lora_r: 8\n")

        r = try ftx(["reflog", "--json"])
        XCTAssertGreaterThanOrEqual((try json(r) as? [Any])?.count ?? 0, 4)
        XCTAssertEqual(try ftx(["cat-file", "-t", "HEAD@{1}"]).stdout, "commit\n")
        XCTAssertEqual(try ftx(["fsck"]).status, 0)
        r = try ftx(["gc", "--prune=now"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ftx(["fsck"]).status, 0)
        XCTAssertEqual(try branchHistory().count, 2)
        XCTAssertEqual(try ftx(["reindex"]).status, 0)
        XCTAssertEqual(try ftx(["branch", "-d", "exp"]).status, 0)

        // Found by walking up from a subdirectory.
        let sub = dir.appendingPathComponent("data")
        XCTAssertEqual(try TestSupport.runFTX(["log", "--oneline"], cwd: sub).status, 0)
        XCTAssertNotEqual(try TestSupport.runFTX(["log"], cwd: URL(fileURLWithPath: "/")).status, 0)
    }

    func testBadInputGivesClearErrors() throws {
        try write("a.txt", Data("a\n".utf8))
        try ftx(["add", "a.txt"])
        try ftx(["commit", "-m", "one"])
        var r = try ftx(["show", "no-such-rev"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("ftx: bad revision"), r.stderr)
        r = try ftx(["log", "HEAD~5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("HEAD~5"), r.stderr)

        try Data("garbage\n".utf8).write(to: dir.appendingPathComponent(".ftx/refs/heads/bad"))
        r = try ftx(["log", "bad"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("bad ref") && r.stderr.contains("refs/heads/bad"), r.stderr)
        r = try ftx(["fsck"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("refs/heads/bad"), r.stdout)
        XCTAssertEqual(try ftx(["log", "--oneline", "main"]).status, 0, "a broken ref does not block other history")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".ftx/refs/heads/bad"))

        // Flip a byte in every loose object file: any read fails, fsck names the files.
        let objects = dir.appendingPathComponent(".ftx/objects")
        var damaged: [String] = []
        for sub in try FileManager.default.contentsOfDirectory(atPath: objects.path) {
            for name in try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(sub).path) {
                let url = objects.appendingPathComponent(sub).appendingPathComponent(name)
                var d = try Data(contentsOf: url)
                d[d.count - 2] ^= 0x40
                try d.write(to: url)
                damaged.append(url.path)
            }
        }
        r = try ftx(["cat-file", "-p", "HEAD"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(".ftx/objects/"), r.stderr)
        r = try ftx(["fsck"])
        XCTAssertEqual(r.status, 1)
        for path in damaged { XCTAssertTrue(r.stdout.contains(path), "fsck did not name \(path)") }
        XCTAssertNotEqual(try ftx(["checkout", "--force", "HEAD"]).status, 0)
    }

    /// Spawns ftx without waiting, so a test can kill it.
    func spawn(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestSupport.ftxBinary)
        p.arguments = args
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["FTX_AUTHOR"] = "Tester <t@example.com>"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, out)
    }

    /// `kill -9` at random moments of `ftx add` / `ftx commit`: the store stays fsck-clean, and
    /// every commit that reported success is still in the history.
    func testKillNineLeavesAConsistentStore() throws {
        var rng = SystemRandomNumberGenerator()
        var base = Data(count: 3 << 20)
        for i in stride(from: 0, to: base.count, by: 8) { base[i] = UInt8.random(in: 0...255, using: &rng) }
        var succeeded: [String] = []
        var killed = 0
        // Calibrate: how long does an add + commit take here?
        try write("data.bin", base)
        var t0 = Date()
        try ftx(["add", "data.bin"])
        let addTime = max(Date().timeIntervalSince(t0), 0.01)
        t0 = Date()
        try ftx(["commit", "-m", "calibrate"])
        let commitTime = max(Date().timeIntervalSince(t0), 0.01)
        for trial in 0..<24 {
            var d = base
            let off = Int.random(in: 0..<(d.count - 16), using: &rng)
            d.replaceSubrange(off..<(off + 16), with: Data("trial \(trial) edit....".utf8.prefix(16)))
            try write("data.bin", d)
            try write("small-\(trial).txt", Data("small file \(trial)\n".utf8))
            let add = try spawn(["add", "."])
            usleep(useconds_t(Double.random(in: 0...(1.3 * addTime), using: &rng) * 1_000_000))
            kill(add.0.processIdentifier, SIGKILL)
            add.0.waitUntilExit()
            if add.0.terminationReason == .uncaughtSignal { killed += 1 }
            try removeStaleLocks()
            let commit = try spawn(["commit", "-m", "trial \(trial)"])
            // Up to 1.6× a typical commit: some are killed, some finish and must survive.
            usleep(useconds_t(Double.random(in: 0...(1.6 * commitTime), using: &rng) * 1_000_000))
            kill(commit.0.processIdentifier, SIGKILL)
            commit.0.waitUntilExit()
            let out = String(decoding: commit.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if commit.0.terminationReason == .exit && commit.0.terminationStatus == 0 {
                // "[main <12 hex>] message"
                if let short = out.split(separator: " ").dropFirst().first?.dropLast() { succeeded.append(String(short)) }
            } else if commit.0.terminationReason == .uncaughtSignal {
                killed += 1
            }
            try removeStaleLocks()
            let fsck = try ftx(["fsck"])
            XCTAssertEqual(fsck.status, 0, "trial \(trial): \(fsck.stdout)")
        }
        let history = try branchHistory()
        for short in succeeded {
            XCTAssertTrue(history.contains { $0.hasPrefix(short) }, "commit \(short) reported success but is gone")
        }
        print("kill -9: \(killed) of 48 processes killed mid-flight, \(succeeded.count) commits reported success")
        XCTAssertGreaterThan(killed, 0, "no process was killed mid-flight; the test proved nothing")
        XCTAssertEqual(try ftx(["gc", "--prune=now"]).status, 0)
        XCTAssertEqual(try ftx(["fsck"]).status, 0)
    }

    /// A killed process leaves its lock; the error names it and the user removes it (the hint).
    func removeStaleLocks() throws {
        let ftxDir = dir.appendingPathComponent(".ftx")
        guard let e = FileManager.default.enumerator(atPath: ftxDir.path) else { return }
        var locks: [String] = []
        while let rel = e.nextObject() as? String { if rel.hasSuffix(".lock") { locks.append(rel) } }
        for rel in locks { try FileManager.default.removeItem(at: ftxDir.appendingPathComponent(rel)) }
    }

    /// Four processes commit to the same branch at once, several rounds: every success is in the
    /// history and every failure says it lost the race.
    func testConcurrentCommittersNeverLoseACommit() throws {
        try write("a.txt", Data("a\n".utf8))
        try ftx(["add", "a.txt"])
        try ftx(["commit", "-m", "base"])
        var succeeded: [String] = []
        var lost = 0
        for round in 0..<4 {
            var procs: [(Process, Pipe, Pipe)] = []
            for i in 0..<4 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: TestSupport.ftxBinary)
                p.arguments = ["commit", "--allow-empty", "-m", "round \(round) writer \(i)"]
                p.currentDirectoryURL = dir
                let out = Pipe(), err = Pipe()
                p.standardOutput = out
                p.standardError = err
                procs.append((p, out, err))
            }
            for (p, _, _) in procs { try p.run() }
            for (p, out, err) in procs {
                let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                if p.terminationStatus == 0 {
                    succeeded.append(String(o.split(separator: " ")[1].dropLast()))
                } else {
                    XCTAssertTrue(e.contains("lost the race"), "a failed writer must say it lost: \(e)")
                    lost += 1
                }
            }
        }
        let history = try branchHistory()
        for short in succeeded { XCTAssertTrue(history.contains { $0.hasPrefix(short) }, "\(short) missing") }
        XCTAssertEqual(history.count, succeeded.count + 1, "history holds exactly the winners and the base")
        XCTAssertEqual(succeeded.count + lost, 16)
        print("concurrent commits: \(succeeded.count) landed, \(lost) reported losing the race")
        XCTAssertEqual(try ftx(["fsck"]).status, 0)
    }
}
