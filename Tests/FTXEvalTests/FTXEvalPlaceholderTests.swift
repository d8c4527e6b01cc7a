import XCTest

// Placeholder until this module's issue lands; replaced by real tests.
final class FTXEvalPlaceholderTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
