import XCTest
import FTXTestSupport
@testable import FTXRegistry

final class ProvenanceTests: XCTestCase {
    func git(_ args: [String], _ dir: URL) throws {
        let r = try TestSupport.run("/usr/bin/git", ["-c", "user.name=t", "-c", "user.email=t@x"] + args, cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testReadsHeadBranchAndDirtyFlag() throws {
        let dir = TestSupport.makeTempDir("ftx-prov")
        XCTAssertNil(try GitProvenance.read(at: dir.path), "no repository → none")
        try git(["init", "-q", "-b", "work"], dir)
        XCTAssertNil(try GitProvenance.read(at: dir.path), "unborn branch → none")
        try "a\n".write(to: dir.appendingPathComponent("train.py"), atomically: true, encoding: .utf8)
        try git(["add", "train.py"], dir)
        try git(["commit", "-q", "-m", "one"], dir)
        let head = try TestSupport.run("/usr/bin/git", ["rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sub = dir.appendingPathComponent("project/.ftx")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        // Untracked files (like .ftx/) do not make it dirty; it is found from a subdirectory.
        XCTAssertEqual(try GitProvenance.read(at: sub.path), CodeProvenance(commit: head, branch: "work", dirty: false))
        try "b\n".write(to: dir.appendingPathComponent("train.py"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try GitProvenance.read(at: dir.path)?.dirty, true)
        try git(["commit", "-qam", "two"], dir)
        try git(["checkout", "-q", "--detach"], dir)
        let p = try GitProvenance.read(at: dir.path)
        XCTAssertNil(p?.branch)
        XCTAssertEqual(p?.dirty, false)
    }

    func testHostFacts() {
        XCTAssertFalse(HostFacts.cpuModel.isEmpty)
        XCTAssertGreaterThan(HostFacts.threads, 0)
    }
}
