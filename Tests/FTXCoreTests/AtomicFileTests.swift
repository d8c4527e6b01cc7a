import XCTest
@testable import FTXCore

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesAndLeavesNoTempFiles() throws {
        let dir = NSTemporaryDirectory() + "ftx-core-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/file.txt"
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub"), ["file.txt"])
    }

    func testFailedBodyLeavesOldContentAndNoTemp() throws {
        let dir = NSTemporaryDirectory() + "ftx-core-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f"
        try AtomicFile.write(Data("old".utf8), to: path)
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: path) { _ in throw Boom() })
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f"])
    }

    func testErrorDescriptionNamesLocation() {
        let e = GenericError("bad thing", at: "a.jsonl:3", hint: "fix it")
        XCTAssertEqual(e.description, "bad thing (a.jsonl:3)")
        XCTAssertEqual(e.exitCode, 2)
    }
}
