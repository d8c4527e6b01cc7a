import XCTest
import FTXModel
@testable import FTXServe

/// The hot-swap logic: environments follow the deploy refs, held choices keep their adapter,
/// a failed load keeps the previous adapter, each adapter is loaded once.
final class ModelCatalogTests: XCTestCase {
    func testFollowsTheRefsAndKeepsTheOldAdapterOnFailure() throws {
        let source = FakeAdapterSource(envs: ["prod": "c1", "staging": "c1"])
        var warnings: [String] = []
        let catalog = ModelCatalog(config: .tiny(), defaultEnv: "prod", baseNames: ["tiny.gguf"], source: source, log: { warnings.append($0) })
        XCTAssertEqual(catalog.refresh(), ["prod", "staging"])
        XCTAssertEqual(source.loads, ["c1"], "one load for two environments on the same commit")
        let before = try catalog.resolve("prod")
        XCTAssertEqual(before.header, "c1")
        XCTAssertEqual(try catalog.resolve(nil).header, "c1")

        source.envs["prod"] = "c2"
        XCTAssertEqual(catalog.refresh(), ["prod"])
        let after = try catalog.resolve("prod")
        XCTAssertEqual(after.header, "c2")
        XCTAssertEqual(try catalog.resolve("staging").header, "c1")
        guard case .lora(let old) = before.row, case .lora(let new) = after.row else { return XCTFail() }
        XCTAssertFalse(old === new, "the request that resolved before the swap keeps its own adapter")

        source.broken = ["c3"]
        source.envs["prod"] = "c3"
        XCTAssertEqual(catalog.refresh(), [])
        XCTAssertEqual(try catalog.resolve("prod").header, "c2")
        XCTAssertEqual(catalog.refresh(), [])
        XCTAssertEqual(warnings.count, 1, "a failed load is reported once: \(warnings)")

        XCTAssertEqual(try catalog.resolve("base").header, "base")
        XCTAssertEqual(try catalog.resolve("run-7").header, "run-7")
        XCTAssertThrowsError(try catalog.resolve("nope")) { XCTAssertEqual(($0 as? ServeError)?.kind, .notFound) }
        source.envs["staging"] = nil
        catalog.refresh()
        XCTAssertEqual(catalog.modelNames, ["prod", "base", "tiny.gguf"])
    }
}
