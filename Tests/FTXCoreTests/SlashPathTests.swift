import XCTest
@testable import FTXCore

final class SlashPathTests: XCTestCase {
    func testParentAndLastComponent() {
        let cases: [(String, String, String)] = [
            ("a/b/c", "a/b", "c"), ("d/x.txt", "d", "x.txt"), ("d", "", "d"), ("x", "", "x"), ("", "", ""),
            ("/a", "/", "a"), ("/", "/", ""), ("/a/b", "/a", "b"), ("a/", "a", ""),
            // Bytes, not characters: a slash followed by a combining mark still separates.
            ("a/\u{301}b", "a", "\u{301}b"), ("caf\u{E9}/e\u{301}", "caf\u{E9}", "e\u{301}"),
        ]
        for (path, parent, last) in cases {
            XCTAssertEqual(SlashPath.parent(path), parent, path.debugDescription)
            XCTAssertEqual(SlashPath.lastComponent(path), last, path.debugDescription)
        }
        // Walking up from a one-letter directory ends at the root (Foundation's trapped here).
        var dir = SlashPath.parent("d/x.txt"), steps = 0
        while !dir.isEmpty { dir = SlashPath.parent(dir); steps += 1 }
        XCTAssertEqual(steps, 1)
    }

    func testJoinAndComponents() {
        XCTAssertEqual(SlashPath.join("", "b"), "b")
        XCTAssertEqual(SlashPath.join("a", ""), "a")
        XCTAssertEqual(SlashPath.join("a", "b"), "a/b")
        XCTAssertEqual(SlashPath.join("/", "b"), "/b")
        XCTAssertEqual(SlashPath.join("/w/", "b"), "/w/b")
        XCTAssertEqual(SlashPath.components(""), [])
        XCTAssertEqual(SlashPath.components("a/b/c"), ["a", "b", "c"])
        XCTAssertEqual(SlashPath.components("a//b/"), ["a", "", "b", ""])
        XCTAssertEqual(SlashPath.components("a/\u{301}b"), ["a", "\u{301}b"])
    }

    func testWithinAndRelative() {
        XCTAssertTrue(SlashPath.isWithin("a/b", ""))
        XCTAssertTrue(SlashPath.isWithin("a/b", "a"))
        XCTAssertTrue(SlashPath.isWithin("a", "a"))
        XCTAssertFalse(SlashPath.isWithin("ab", "a"))
        XCTAssertFalse(SlashPath.isWithin("a", "a/b"))
        XCTAssertTrue(SlashPath.isWithin("/w/x", "/"))
        // Byte comparison: canonically equivalent spellings are different paths.
        XCTAssertFalse(SlashPath.isWithin("e\u{301}/x", "\u{E9}"))
        XCTAssertFalse(SlashPath.isWithin("\u{E9}/x", "e\u{301}"))
        XCTAssertEqual(SlashPath.relative("/w/a/b", to: "/w"), "a/b")
        XCTAssertEqual(SlashPath.relative("/w", to: "/w"), "")
        XCTAssertEqual(SlashPath.relative("/a", to: "/"), "a")
        XCTAssertNil(SlashPath.relative("/wx/a", to: "/w"))
    }

    func testNormalizedAbsolute() {
        XCTAssertEqual(SlashPath.normalizedAbsolute("/a/./b/../c//d/"), "/a/c/d")
        XCTAssertEqual(SlashPath.normalizedAbsolute("/../.."), "/")
        XCTAssertEqual(SlashPath.normalizedAbsolute("/"), "/")
        XCTAssertEqual(SlashPath.normalizedAbsolute("/a/..."), "/a/...")
        XCTAssertEqual(SlashPath.normalizedAbsolute("/a/.\u{301}"), "/a/.\u{301}")
    }

    func testNormalizedKeepsRelativePathsRelative() {
        XCTAssertEqual(SlashPath.normalized("configs/../eval/../data/test.jsonl"), "data/test.jsonl")
        XCTAssertEqual(SlashPath.normalized("./a//b/."), "a/b")
        XCTAssertEqual(SlashPath.normalized("../x/../../y"), "../../y")   // leading .. cannot be resolved
        XCTAssertEqual(SlashPath.normalized("a/.."), ".")
        XCTAssertEqual(SlashPath.normalized(""), "")
        XCTAssertEqual(SlashPath.normalized("/a/../b"), "/b")
        XCTAssertEqual(SlashPath.normalized("/../b"), "/b")
    }
}
