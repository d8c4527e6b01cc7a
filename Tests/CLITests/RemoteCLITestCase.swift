import FTXTestSupport
import Foundation
import XCTest

/// Shared set-up of the remote end-to-end tests: a fresh bucket on the shared moto S3 server, a
/// scratch directory for repositories, and an isolated HOME with test credentials.
class RemoteCLITestCase: XCTestCase {
    var root: URL!
    var moto: LoopbackServer!
    var bucket: String!
    var remoteURL: String { "s3://\(bucket!)/team/proj" }

    override func setUpWithError() throws {
        root = TestSupport.makeTempDir("ftx-remote")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("home"), withIntermediateDirectories: true)
        (moto, bucket) = try RemoteTestServers.freshBucket()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    var env: [String: String] {
        RemoteTestServers.awsEnvironment(home: root.appendingPathComponent("home"))
            .merging(["FTX_AUTHOR": "Tester <t@example.com>"]) { $1 }
    }

    func path(_ name: String) -> URL { root.appendingPathComponent(name) }

    @discardableResult
    func ftx(_ args: [String], in dir: String, env extra: [String: String] = [:]) throws -> TestSupport.RunResult {
        try TestSupport.runFTX(args, cwd: path(dir), env: env.merging(extra) { $1 })
    }

    /// Runs and expects success.
    @discardableResult
    func ok(_ args: [String], in dir: String, env extra: [String: String] = [:],
            file: StaticString = #filePath, line: UInt = #line) throws -> TestSupport.RunResult {
        let r = try ftx(args, in: dir, env: extra)
        XCTAssertEqual(r.status, 0, "ftx \(args.joined(separator: " ")): \(r.stderr)\(r.stdout)", file: file, line: line)
        return r
    }

    /// A new repository `name` with `origin` pointing at this test's bucket (or `url`).
    func makeRepo(_ name: String, url: String? = nil, endpoint: String? = nil) throws {
        try FileManager.default.createDirectory(at: path(name), withIntermediateDirectories: true)
        try ok(["init"], in: name)
        let u = url ?? remoteURL
        try ok(["remote", "add", "origin", u] + (u.hasPrefix("s3://") ? ["--endpoint", endpoint ?? moto.endpoint] : []), in: name)
    }

    /// `ftx clone` of this test's remote into `name`.
    @discardableResult
    func clone(_ name: String, _ extra: [String] = [], env more: [String: String] = [:]) throws -> TestSupport.RunResult {
        try ok(["clone", remoteURL, path(name).path, "--endpoint", moto.endpoint] + extra, in: ".", env: more)
    }

    func write(_ dir: String, _ rel: String, _ data: Data) throws {
        let url = path(dir).appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func read(_ dir: String, _ rel: String) -> Data? { FileManager.default.contents(atPath: path(dir).appendingPathComponent(rel).path) }

    @discardableResult
    func commitAll(_ dir: String, _ message: String) throws -> String {
        try ok(["add", "."], in: dir)
        try ok(["commit", "-m", message], in: dir)
        return try head(dir)
    }

    func head(_ dir: String, _ rev: String = "HEAD") throws -> String {
        try ok(["log", rev, "-n", "1", "--json"], in: dir).json()
    }

    /// Commit ids of `rev`'s history, newest first.
    func history(_ dir: String, _ rev: String = "HEAD") throws -> [String] {
        let r = try ok(["log", rev, "--json"], in: dir)
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    func json(_ r: TestSupport.RunResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    /// Text rows of a JSONL dataset: `rows` lines with a seeded sentence each, every `editEvery`-th
    /// answer changed when `edited`.
    func jsonl(rows: Int, edited: Bool = false, editEvery: Int = 100) -> Data {
        var s = ""
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma"]
        var x: UInt64 = 42
        for i in 0..<rows {
            var q = "", a = ""
            for _ in 0..<12 { x = x &* 6364136223846793005 &+ 1442695040888963407; q += words[Int(x >> 60) % 10] + " " }
            for _ in 0..<20 { x = x &* 6364136223846793005 &+ 1442695040888963407; a += words[Int(x >> 59) % 10] + "\(x >> 54) " }
            if edited && i % editEvery == 7 { a = "EDITED " + a }
            s += "{\"id\": \(i), \"prompt\": \"\(q)\", \"completion\": \"\(a)\"}\n"
        }
        return Data(s.utf8)
    }
}

extension TestSupport.RunResult {
    /// The `id` of the first object of a `--json` listing (for `log -n 1 --json`).
    func json() throws -> String {
        let list = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]]
        return try XCTUnwrap(list?.first?["id"] as? String, stdout + stderr)
    }
}
