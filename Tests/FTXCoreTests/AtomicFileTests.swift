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

final class AtomicTemporaryTests: XCTestCase {
    func testTemporaryNamesFitNAME_MAXAndNameTheirOwner() throws {
        for name in ["f", String(repeating: "n", count: 226), String(repeating: "é", count: 127) + "x"] {
            let tmp = AtomicFile.temporaryName(for: name)
            XCTAssertLessThanOrEqual(tmp.utf8.count, 255)
            XCTAssertEqual(AtomicFile.temporaryOwner(ofName: tmp), getpid())
            XCTAssertTrue(name.hasPrefix(String(tmp.split(separator: "-", maxSplits: 3)[3])))
        }
        XCTAssertEqual(AtomicFile.temporaryOwner(ofName: ".tmp-pack-42-17"), 42)
        for notTemporary in [".tmp-x-1-a", ".tmp-1-x-a", ".tmp-1-2", "tmp-1-2-a", ".tmp-pack-42-17-x", ".tmp--1-2-a"] {
            XCTAssertNil(AtomicFile.temporaryOwner(ofName: notTemporary), notTemporary)
        }
    }

    func testLongestNameIsWritable() throws {
        let dir = NSTemporaryDirectory() + "ftx-core-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + String(repeating: "é", count: 127) + "x"
        try AtomicFile.write(Data("long".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "long")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 1)
        XCTAssertTrue(AtomicFile.pathFits(path))
        XCTAssertFalse(AtomicFile.pathFits("/" + String(repeating: "a/", count: 2040) + "b"))
        XCTAssertFalse(AtomicFile.pathFits("/d/" + String(repeating: "n", count: 256)))
    }
}
