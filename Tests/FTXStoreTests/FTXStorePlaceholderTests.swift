import XCTest

// Placeholder until this module's issue lands; replaced by real tests.
final class FTXStorePlaceholderTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
