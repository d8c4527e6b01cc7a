import FTXTestSupport
import Foundation
import XCTest
@testable import FTXStore

/// A fresh repository per test, plus helpers to write files and craft raw objects.
class StoreTestCase: XCTestCase {
    var dir: URL!
    var repo: Repository!

    override func setUpWithError() throws {
        dir = TestSupport.makeTempDir("ftx-store")
        repo = try Repository.initialize(at: dir.path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ rel: String, _ text: String) throws {
        try write(rel, Data(text.utf8))
    }

    func write(_ rel: String, _ data: Data) throws {
        let url = dir.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func read(_ rel: String) -> String? {
        try? String(contentsOf: dir.appendingPathComponent(rel), encoding: .utf8)
    }

    /// Stages and commits the given files.
    @discardableResult
    func commitFiles(_ files: [String: String], _ message: String, time: Int64 = 1_700_000_000) throws -> ObjectID {
        for (p, t) in files { try write(p, t) }
        try repo.add(paths: Array(files.keys), cwd: dir.path)
        return try repo.commit(message: message, author: Signature(ident: "T <t@x>", time: time))
    }

    /// Deterministic pseudo-random bytes.
    func randomBytes(_ n: Int, seed: UInt64) -> Data { TestSupport.pseudoRandomBytes(n, seed: seed) }

    func assertThrows<T>(_ body: @autoclosure () throws -> T, _ check: (StoreError) -> Bool,
                         file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let e as StoreError {
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }
}
