import XCTest
import FTXTestSupport
@testable import FTXRegistry

final class AtomicDirectoryTests: XCTestCase {
    func testReplaceSwapsWholeDirectoryAndCleansUp() throws {
        let root = TestSupport.makeTempDir("ftx-atomic")
        let target = root.appendingPathComponent("prod").path
        try AtomicDirectory.replace(target) { tmp in
            try AtomicDirectory.writeFile(Data("one-a".utf8), to: "\(tmp)/a")
            try AtomicDirectory.writeFile(Data("one-b".utf8), to: "\(tmp)/b")
        }
        try AtomicDirectory.replace(target) { tmp in
            try AtomicDirectory.writeFile(Data("two-a".utf8), to: "\(tmp)/a")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["a"])
        XCTAssertEqual(try String(contentsOfFile: "\(target)/a", encoding: .utf8), "two-a")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["prod"], "no temp or old dirs left")
    }

    func testFailedBuildLeavesOldContent() throws {
        let root = TestSupport.makeTempDir("ftx-atomic")
        let target = root.appendingPathComponent("prod").path
        try AtomicDirectory.replace(target) { tmp in try AtomicDirectory.writeFile(Data("old".utf8), to: "\(tmp)/a") }
        XCTAssertThrowsError(try AtomicDirectory.replace(target) { tmp in
            try AtomicDirectory.writeFile(Data("half".utf8), to: "\(tmp)/a")
            throw RegistryError.interrupted
        })
        XCTAssertEqual(try String(contentsOfFile: "\(target)/a", encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["prod"])
    }

    /// A reader polling during many swaps always sees a complete pair (both files from one version).
    func testReaderNeverSeesAMix() throws {
        let root = TestSupport.makeTempDir("ftx-atomic")
        let target = root.appendingPathComponent("prod").path
        func version(_ v: Int) throws {
            try AtomicDirectory.replace(target) { tmp in
                try AtomicDirectory.writeFile(Data(String(repeating: "\(v % 10)", count: 4096).utf8), to: "\(tmp)/adapter.bin")
            }
        }
        try version(0)
        let stop = DispatchSemaphore(value: 0)
        final class Flag: @unchecked Sendable { var bad = 0; var reads = 0; var done = false }
        let flag = Flag()
        DispatchQueue.global().async {
            while !flag.done {
                if let d = FileManager.default.contents(atPath: "\(target)/adapter.bin") {
                    flag.reads += 1
                    if d.count != 4096 || Set(d).count != 1 { flag.bad += 1 }
                }
            }
            stop.signal()
        }
        for v in 1...200 { try version(v) }
        flag.done = true
        stop.wait()
        XCTAssertEqual(flag.bad, 0)
        XCTAssertGreaterThan(flag.reads, 0)
    }
}
