import XCTest
import FTXTestSupport
@testable import FTXCore

/// The bounded YAML reader: alias bombs, deep nesting, oversize documents and aliased keys are
/// errors naming the file and line; ordinary documents (anchors and merge keys included) read as Yams reads them.
final class YAMLDocumentTests: XCTestCase {
    func expectError(_ text: String, _ fragment: String, line: Int?, file: StaticString = #filePath, at: UInt = #line) {
        XCTAssertThrowsError(try YAMLDocument.compose(text, file: "x.yaml"), file: file, line: at) { e in
            guard let e = e as? YAMLError else { return XCTFail("\(e)", file: file, line: at) }
            XCTAssertTrue(e.message.contains(fragment), e.message, file: file, line: at)
            XCTAssertEqual(e.location, "x.yaml" + (line.map { ":\($0)" } ?? ""), file: file, line: at)
        }
    }

    func testAliasBombIsRefusedAtTheAliasThatCrossesTheLimit() {
        // a..e expand to 10, 91, 820, 7381 and 66430 nodes; f's first *e crosses 100000.
        expectError(TestSupport.yamlAliasBomb(), "expands to more than 100000 nodes", line: 6)
        expectError(TestSupport.yamlAliasBomb(under: "eval"), "expands to more than 100000 nodes", line: 7)
    }

    func testAliasUsedAsAKeyIsRefusedBeforeYamsHashesIt() {
        let bomb = TestSupport.yamlAliasBomb().split(separator: "\n").prefix(5).joined(separator: "\n") + "\n? *e\n: 1\n"
        expectError(bomb, "mapping key must be a plain value", line: 6)
        expectError("? [a, b]\n: 1\n", "mapping key must be a plain value", line: 1)
    }

    func testNestingSizeAndSyntax() {
        expectError(String(repeating: "[", count: 100), "nests deeper than 64 levels", line: 1)
        expectError(String(repeating: "[", count: 100_000), "nests deeper than 1000 levels", line: 1)
        expectError((0..<100).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n", "nests deeper than 64 levels", line: 65)
        expectError("a: " + String(repeating: "x", count: 5 << 20), "over the 4 MiB limit", line: nil)
        expectError("a: 1\nb: [unclosed\n", "not valid YAML", line: 3)
        expectError("a: 1\nb: *nowhere\n", "names no anchor", line: 2)
        expectError("a: 1\nb: 2\na: 3\n", "key 'a' appears twice", line: 1)
    }

    func testOrdinaryDocumentsReadAsYamsReadsThem() throws {
        let text = "base: &b {lr: 0.001, r: 8}\nrun:\n  <<: *b\n  r: 16\nlist: [1, two, true, null]\nq: \"007\"\n"
        let doc = try XCTUnwrap(YAMLDocument.load(text, file: "x.yaml") as? [String: Any])
        let run = try XCTUnwrap(doc["run"] as? [String: Any])
        XCTAssertEqual(run["r"] as? Int, 16)
        XCTAssertEqual(run["lr"] as? Double, 0.001)
        XCTAssertEqual((doc["list"] as? [Any])?.count, 4)
        XCTAssertEqual(doc["q"] as? String, "007")
        XCTAssertEqual(try YAMLDocument.compose(text, file: "x.yaml")?.mapping?["run"]?.mark?.line, 3)
        XCTAssertNil(try YAMLDocument.compose("", file: "x.yaml"))
        XCTAssertNil(try YAMLDocument.compose("# only a comment\n", file: "x.yaml"))
    }
}
