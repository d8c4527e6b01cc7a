import XCTest
import FTXTestSupport

final class CLISmokeTests: XCTestCase {
    func testVersionAndHelp() throws {
        let dir = TestSupport.makeTempDir()
        let r = try TestSupport.runFTX(["--version"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let bad = try TestSupport.runFTX(["no-such-command"], cwd: dir)
        XCTAssertNotEqual(bad.status, 0)
    }
}
