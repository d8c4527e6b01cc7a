import XCTest
import FTXTestSupport

/// End-to-end: the built `ftx data …` commands, their exit codes, text and --json output.
final class DataCLITests: XCTestCase {
    var dir: URL!

    override func setUp() {
        dir = TestSupport.makeTempDir("ftx-data-cli")
    }

    func write(_ name: String, _ rows: [[String: Any]]) -> String {
        let text = rows.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) + "\n" }.joined()
        let url = dir.appendingPathComponent(name)
        try! text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func sentence(_ k: Int) -> String { (0..<25).map { "w\(($0 * 7919 + k * 104_729) % 100_003)" }.joined(separator: " ") }

    func rows(_ n: Int) -> [[String: Any]] {
        (0..<n).map { ["prompt": "Q \(sentence($0))", "completion": "A \(sentence($0 + 5000))", "category": "c\($0 % 2)"] }
    }

    func json(_ s: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(s.utf8)) }

    func testCheckCleanFileExitsZero() throws {
        let p = write("all.jsonl", rows(30))
        let r = try TestSupport.runFTX(["data", "check", p], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("checked 30 examples"))
        XCTAssertTrue(r.stdout.contains("result: passed"))
    }

    func testCheckFindingsExitCodesAndJSON() throws {
        var rs = rows(30)
        rs.append(rs[1])                                                        // exact duplicate
        rs.append(["prompt": rs[2]["prompt"]!, "completion": "Something else", "category": "c0"])  // contradiction
        let p = write("all.jsonl", rs)
        let r = try TestSupport.runFTX(["data", "check", p], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("result: FAILED (contradictions)"))
        XCTAssertTrue(r.stdout.contains("\(p):2  \(p):31"), r.stdout)

        let j = try TestSupport.runFTX(["data", "check", p, "--json"], cwd: dir)
        XCTAssertEqual(j.status, 1)
        let report = try XCTUnwrap(try json(j.stdout) as? [String: Any])
        XCTAssertEqual(report["failed"] as? Bool, true)
        let checks = try XCTUnwrap(report["checks"] as? [[String: Any]])
        let exact = try XCTUnwrap(checks.first { $0["name"] as? String == "exact-duplicates" })
        let findings = try XCTUnwrap(exact["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.first?["locations"] as? [String], ["\(p):2", "\(p):31"])
        let contra = try XCTUnwrap(checks.first { $0["name"] as? String == "contradictions" })
        XCTAssertEqual(contra["status"] as? String, "fail")

        // Severity flags: contradictions off → exit 0; exact duplicates as error → exit 1.
        XCTAssertEqual(try TestSupport.runFTX(["data", "check", p, "--severity", "contradictions=off"], cwd: dir).status, 0)
        let e = try TestSupport.runFTX(["data", "check", p, "--severity", "contradictions=off", "--severity", "exact-duplicates=error"], cwd: dir)
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.stdout.contains("FAILED (exact-duplicates)"))
        // Config file.
        let cfg = dir.appendingPathComponent("check.yaml")
        try "severity:\n  contradictions: warn\n".write(to: cfg, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.runFTX(["data", "check", p, "--config", cfg.path], cwd: dir).status, 0)
    }

    func testLeakageAcrossSplitFiles() throws {
        let train = write("train.jsonl", rows(20))
        let test = write("test.jsonl", [["prompt": "Q \(sentence(4))", "completion": "new", "category": "c0"]])
        let r = try TestSupport.runFTX(["data", "check", train, test, "--json"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        let report = try XCTUnwrap(try json(r.stdout) as? [String: Any])
        let leak = try XCTUnwrap((report["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "leakage" })
        XCTAssertEqual((leak["findings"] as? [[String: Any]])?.first?["locations"] as? [String], ["\(test):1", "\(train):5"])
        // Roles by flag instead of by name.
        let other = write("other.jsonl", [["prompt": "Q \(sentence(4))", "completion": "new", "category": "c0"]])
        XCTAssertEqual(try TestSupport.runFTX(["data", "check", "--train", train, "--test", other], cwd: dir).status, 1)
    }

    func testBadInputIsAnErrorWithFileAndLine() throws {
        let url = dir.appendingPathComponent("bad.jsonl")
        try "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\"}\n".write(to: url, atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["data", "check", url.path], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("ftx: completion example is missing \"completion\" (\(url.path):2)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint:"))
        let cap = try TestSupport.runFTX(["data", "stats", url.path, "--max-line-bytes", "10"], cwd: dir)
        XCTAssertEqual(cap.status, 2)
        XCTAssertTrue(cap.stderr.contains("10-byte limit (\(url.path):1)"), cap.stderr)
        let missing = try TestSupport.runFTX(["data", "check", dir.appendingPathComponent("none.jsonl").path], cwd: dir)
        XCTAssertEqual(missing.status, 2)
        let model = try TestSupport.runFTX(["data", "check", url.path, "--model", dir.appendingPathComponent("x.gguf").path], cwd: dir)
        XCTAssertEqual(model.status, 2)
        XCTAssertTrue(model.stderr.contains("x.gguf"), model.stderr)
    }

    func testAliasBombConfigIsAClearError() throws {
        let data = write("d.jsonl", rows(4))
        try TestSupport.yamlAliasBomb(under: "severity").write(to: dir.appendingPathComponent("bomb.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runFTX(["data", "check", data, "--config", "bomb.yaml"], cwd: dir)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("expands to more than 100000 nodes") && r.stderr.contains("(bomb.yaml:7)"), r.stderr)
    }

    func testCleanWritesCopyAndReports() throws {
        var rs = rows(10)
        rs.append(rs[0])
        let p = write("all.jsonl", rs)
        let out = dir.appendingPathComponent("clean.jsonl").path
        let r = try TestSupport.runFTX(["data", "clean", p, "--out", out], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("kept 10 of 11"), r.stdout)
        XCTAssertTrue(r.stdout.contains("removed \(p):11  exact-duplicate of \(p):1"), r.stdout)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count, 10)
        let j = try TestSupport.runFTX(["data", "clean", p, "--out", out, "--json"], cwd: dir)
        let report = try XCTUnwrap(try json(j.stdout) as? [String: Any])
        XCTAssertEqual(report["kept"] as? Int, 10)
        let inPlace = try TestSupport.runFTX(["data", "clean", p, "--out", p], cwd: dir)
        XCTAssertEqual(inPlace.status, 2)
        XCTAssertTrue(inPlace.stderr.contains("in place"))
        XCTAssertEqual(try TestSupport.runFTX(["data", "clean", p, "--out", out, "--contradictions", "maybe"], cwd: dir).status, 2)
    }

    func testSplitWritesThreeFilesDeterministically() throws {
        let p = write("all.jsonl", rows(200))
        let out = dir.appendingPathComponent("splits").path
        let r = try TestSupport.runFTX(["data", "split", p, "--valid", "0.1", "--test", "0.2", "--seed", "3", "--out", out, "--json"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(try json(r.stdout) as? [String: Any])
        let counts = try XCTUnwrap(report["counts"] as? [String: Int])
        XCTAssertEqual(counts.values.reduce(0, +), 200)
        var first: [String: String] = [:]
        for f in ["train", "valid", "test"] {
            let text = try String(contentsOfFile: "\(out)/\(f).jsonl", encoding: .utf8)
            XCTAssertEqual(text.split(separator: "\n").count, counts[f])
            first[f] = text
        }
        let again = try TestSupport.runFTX(["data", "split", p, "--valid", "0.1", "--test", "0.2", "--seed", "3", "--out", out], cwd: dir)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stdout.contains("split 200 examples (seed 3)"), again.stdout)
        for f in ["train", "valid", "test"] { XCTAssertEqual(try String(contentsOfFile: "\(out)/\(f).jsonl", encoding: .utf8), first[f]) }
        let strat = try TestSupport.runFTX(["data", "split", p, "--stratify", "category", "--out", out], cwd: dir)
        XCTAssertTrue(strat.stdout.contains("category=c0: train 80, valid 10, test 10"), strat.stdout)
        XCTAssertEqual(try TestSupport.runFTX(["data", "split", p, "--valid", "0.7", "--test", "0.5"], cwd: dir).status, 2)
    }

    func testStatsTextAndJSON() throws {
        let p = write("chat.jsonl", [
            ["messages": [["role": "system", "content": "S"], ["role": "user", "content": "hi"], ["role": "assistant", "content": "Hello"]]],
            ["messages": [["role": "user", "content": "yo"], ["role": "assistant", "content": "Hey"]]],
        ])
        let r = try TestSupport.runFTX(["data", "stats", p], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("2 chat examples"))
        XCTAssertTrue(r.stdout.contains("roles         assistant 2, system 1, user 2"), r.stdout)
        let j = try TestSupport.runFTX(["data", "stats", p, "--json"], cwd: dir)
        let arr = try XCTUnwrap(try json(j.stdout) as? [[String: Any]])
        XCTAssertEqual(arr.first?["examples"] as? Int, 2)
        XCTAssertEqual(arr.first?["format"] as? String, "chat")
    }

    /// Token statistics and truncation with the real SmolLM2 tokenizer.
    func testTokenLengthsWithModel() throws {
        let model = try TestSupport.smolLM2Path()
        let short: [[String: Any]] = (0..<20).map { ["prompt": "What is \($0) plus \($0)?", "completion": "It is \($0 * 2)."] }
        let p = write("all.jsonl", short + [["prompt": "Q " + String(repeating: "lorem ipsum ", count: 200), "completion": "A"]])
        let r = try TestSupport.runFTX(["data", "check", p, "--model", model, "--max-seq-length", "256", "--json"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(try json(r.stdout) as? [String: Any])
        let tokens = try XCTUnwrap(report["tokenStatistics"] as? [String: Any])
        XCTAssertEqual(tokens["overMaxSeqLength"] as? Int, 1)
        let dist = try XCTUnwrap(tokens["tokens"] as? [String: Any])
        XCTAssertGreaterThan(dist["max"] as? Double ?? 0, 256)
        XCTAssertLessThan(dist["min"] as? Double ?? 1000, 256)
        let trunc = try XCTUnwrap((report["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "truncation" })
        XCTAssertEqual((trunc["findings"] as? [[String: Any]])?.first?["locations"] as? [String], ["\(p):21"])
        let stats = try TestSupport.runFTX(["data", "stats", p, "--model", model], cwd: dir)
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertTrue(stats.stdout.contains("tokens "), stats.stdout)
    }

    func testHelpTeaches() throws {
        let r = try TestSupport.runFTX(["data", "check", "--help"], cwd: dir)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("ftx data check data/all.jsonl"))
    }
}
