import XCTest
import FTXCore

final class JSONStringTests: XCTestCase {
    func testEscapesQuotesBackslashesAndControls() {
        XCTAssertEqual(JSONString.quoted("a\"b\\c\n\t\u{01}é"), "\"a\\\"b\\\\c\\n\\t\\u0001é\"")
    }

    func testAsciiOnlyMatchesPythonEnsureAscii() {
        // json.dumps("é😀") == '"\\u00e9\\ud83d\\ude00"'
        XCTAssertEqual(JSONString.quoted("é😀", asciiOnly: true), "\"\\u00e9\\ud83d\\ude00\"")
    }

    func testDidYouMean() {
        XCTAssertEqual(DidYouMean.suggest("lora_rr", ["lora_r", "lora_alpha"]), "lora_r")
        XCTAssertNil(DidYouMean.suggest("zzzzzz", ["lora_r"]))
    }
}
