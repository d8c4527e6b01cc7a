import XCTest

// Placeholder until this module's issue lands; replaced by real tests.
final class FTXDataPlaceholderTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
