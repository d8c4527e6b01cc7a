import Foundation
import FTXTestSupport
import XCTest

/// The CLI's manners: did-you-mean for misspelt commands, exit 2 for usage errors, errors that
/// name the operator, the field and the line, JSON without escaped slashes.
final class CLIMannersTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = TestSupport.makeTempDir("ftx-manners") }

    func ftx(_ args: [String], status: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> TestSupport.RunResult {
        let r = try TestSupport.runFTX(args, cwd: dir)
        XCTAssertEqual(r.status, status, "ftx \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testMisspeltCommandsGetADidYouMean() throws {
        for (args, suggestion) in [(["comit", "-m", "x"], "ftx commit"), (["stauts"], "ftx status"),
                                   (["data", "chek", "x.jsonl"], "ftx data check"), (["bsae", "list"], "ftx base")] {
            let r = try ftx(args, status: 2)
            XCTAssertTrue(r.stderr.contains("ftx: unknown command '\(args[0] == "data" ? args[1] : args[0])'"), r.stderr)
            XCTAssertTrue(r.stderr.contains("hint: did you mean `\(suggestion)`?"), r.stderr)
        }
        let far = try ftx(["xyzzy"], status: 2)
        XCTAssertTrue(far.stderr.contains("hint: the commands of `ftx`: ") && far.stderr.contains("commit"), far.stderr)
    }

    func testUsageErrorsExitTwo() throws {
        for args in [["status", "--bogus"], ["log", "-n"], ["export", "HEAD"], ["--nope"]] {
            let r = try ftx(args, status: 2)
            XCTAssertTrue(r.stderr.contains("Usage:") || r.stderr.contains("Error:"), "\(args): \(r.stderr)")
        }
        // Help and --version still exit 0.
        XCTAssertTrue(try ftx(["help", "status"], status: 0).stdout.contains("USAGE:"))
        _ = try ftx(["--version"], status: 0)
    }

    func testGateWithAMisspeltOperatorNamesIt() throws {
        let r = try ftx(["eval", "--model", "m.gguf", "--suite", "s.yaml", "--gate", "pass_rate => 0.8"], status: 2)
        XCTAssertTrue(r.stderr.contains("gate 'pass_rate => 0.8': '=>' is not an operator"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: did you mean '>='? operators: >= > <= < =="), r.stderr)
        XCTAssertFalse(r.stderr.contains("unknown metric"), r.stderr)
    }

    func testStratifyOnAFieldNoRowHasIsAnError() throws {
        let rows = (0..<40).map { i in
            #"{"prompt": "ticket \#(i) about item \#(i * 7)", "completion": "{\"category\": \"c\#(i % 2)\", \"priority\": \#(i % 3)}", "source": "s\#(i % 4)"}"#
        }
        let p = try write("all.jsonl", rows.joined(separator: "\n") + "\n")
        let r = try ftx(["data", "split", p, "--stratify", "category", "--out", dir.appendingPathComponent("s").path], status: 2)
        XCTAssertTrue(r.stderr.contains("no example has the field 'category' to stratify by"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: fields: completion.category, completion.priority, source"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s/train.jsonl").path))
        // A dotted path reads the JSON completion.
        let ok = try ftx(["data", "split", p, "--stratify", "completion.category", "--out", dir.appendingPathComponent("s").path], status: 0)
        XCTAssertTrue(ok.stdout.contains("completion.category=c0: train 16, valid 2, test 2"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("completion.category=c1: train 16, valid 2, test 2"), ok.stdout)
    }

    func testDataCheckConfigErrorsNameTheLine() throws {
        let data = try write("d.jsonl", #"{"prompt": "a", "completion": "b"}"# + "\n")
        for (yaml, message, line) in [
            ("severity:\n  casing: off\nnear_duplicate_treshold: 0.9\n", "unknown key \"near_duplicate_treshold\" (did you mean near_duplicate_threshold?)", 3),
            ("# thresholds\nminhash_permutations: 128\nnear_duplicate_threshold: 2\n", "near-duplicate threshold must be in (0, 1]", 3),
            ("severity:\n  casing: off\n  leakge: error\n", "unknown check \"leakge\"", 3),
            ("length_outlier_z: high\n", "length_outlier_z must be a number", 1),
        ] {
            let cfg = try write("check.yaml", yaml)
            let r = try ftx(["data", "check", data, "--config", cfg], status: 2)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertTrue(r.stderr.contains("check.yaml:\(line))"), r.stderr)
        }
    }
}
