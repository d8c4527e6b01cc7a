import Foundation
import XCTest

/// Every committed seed (Fuzz/corpus/<target>/) and every input that once crashed a fuzz target
/// (Fuzz/crashes/<target>/) runs once through the same target code libFuzzer drives, in the
/// ordinary test build: a regression traps or fails a property check here as it did under the
/// fuzzer, without building the sanitized fuzz package. (libFuzzer's time and memory limits do
/// not apply: an input that hangs again shows as a test that does not finish.)
final class FuzzReplayTests: XCTestCase {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    func testGGUF() throws { try replay("gguf") }
    func testAdapter() throws { try replay("adapter") }
    func testJSONL() throws { try replay("jsonl") }
    func testConfig() throws { try replay("config") }
    func testSuite() throws { try replay("suite") }
    func testJinja() throws { try replay("jinja") }
    func testRevision() throws { try replay("revision") }
    func testPack() throws { try replay("pack") }
    func testObject() throws { try replay("object") }
    func testReport() throws { try replay("report") }
    func testCheckpoint() throws { try replay("checkpoint") }

    /// Writes the checkpoint target's generated seed (FTX_WRITE_CHECKPOINT_SEED=1; `make fuzz-seeds` does all targets).
    func testWriteCheckpointSeed() throws {
        guard ProcessInfo.processInfo.environment["FTX_WRITE_CHECKPOINT_SEED"] != nil else { return }
        let dir = Self.fuzz.appendingPathComponent("corpus/checkpoint")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for s in try CheckpointTarget.seeds() { try s.bytes.write(to: dir.appendingPathComponent(s.name)) }
    }

    /// Every target has a test above and a seed folder; no crash folder is left without a target.
    func testEveryTargetAndFolderIsReplayed() throws {
        let names = Set(FuzzTargets.all.map(\.name))
        XCTAssertEqual(names, ["gguf", "adapter", "jsonl", "config", "suite", "jinja", "revision", "pack", "object", "report",
                               "checkpoint"])
        for folder in try Self.folders("crashes") { XCTAssertTrue(names.contains(folder), "Fuzz/crashes/\(folder) names no target") }
    }

    func replay(_ name: String) throws {
        let target = try XCTUnwrap(FuzzTargets.all.first { $0.name == name })
        let seeds = try Self.files("corpus/" + name)
        XCTAssertFalse(seeds.isEmpty, "no seeds in Fuzz/corpus/\(name)")
        for file in seeds + (try Self.files("crashes/" + name)) {
            target.run(try Data(contentsOf: file))
        }
    }

    static func folders(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fuzz.appendingPathComponent(path).path).filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: fuzz.appendingPathComponent(path + "/" + $0).path, isDirectory: &dir) && dir.boolValue
        }
    }

    /// The files of a folder under Fuzz/, sorted; none when it does not exist.
    static func files(_ path: String) throws -> [URL] {
        let dir = fuzz.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0) }
    }
}
