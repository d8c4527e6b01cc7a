import XCTest
@testable import FTXModel

/// Hostile chat templates (they come from GGUF files): each is a clear ModelError.template naming the
/// template's origin and line, never a crash, an allocation abort or a render that runs for minutes.
final class ChatTemplateLimitsTests: XCTestCase {
    func render(_ src: String) throws -> String {
        try ChatTemplate(source: src, origin: "evil.gguf: tokenizer.chat_template")
            .render(messages: [("user", "hi")], addGenerationPrompt: true)
    }

    func expectRefused(_ src: String, _ fragment: String, line: Int? = 1, file: StaticString = #filePath, at: UInt = #line) {
        XCTAssertThrowsError(try render(src), file: file, line: at) { e in
            guard let e = e as? ModelError, case .template = e else { return XCTFail("\(e)", file: file, line: at) }
            XCTAssertTrue(e.message.contains(fragment), e.description, file: file, line: at)
            XCTAssertEqual(e.location, "evil.gguf: tokenizer.chat_template" + (line.map { ", line \($0)" } ?? ""), file: file, line: at)
        }
    }

    func testStringRepetitionAndConcatenationAreBounded() {
        expectRefused("{{ 'a' * 100000000000 }}", "64 MiB")
        expectRefused("x\n{% set ns = namespace(s='abcdefgh') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "64 MiB", line: 2)
        expectRefused("{% set ns = namespace(s='abcdefgh') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "64 MiB")
        expectRefused("{{ ('a' * 1000000) | replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') }}", "64 MiB")
        expectRefused("{{ range(1000) | map('string') | join('a' * 100000) }}", "64 MiB")
    }

    func testDeepNestingIsRefusedBeforeTheStackOverflows() {
        expectRefused("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}", "nested deeper")
        expectRefused(String(repeating: "{% if true %}", count: 20_000) + String(repeating: "{% endif %}", count: 20_000), "nested deeper")
        expectRefused("{{ " + String(repeating: "not ", count: 100_000) + "1 }}", "nested deeper")
        expectRefused("{{ " + String(repeating: "- ", count: 100_000) + "1 }}", "nested deeper")
        // A long chain of operators builds a deep tree without deep recursion in the parser.
        expectRefused("{{ 1" + String(repeating: " + 1", count: 100_000) + " }}", "nested deeper")
        expectRefused("{{ x" + String(repeating: ".a", count: 100_000) + " }}", "nested deeper")
        expectRefused("{{ [" + String(repeating: "[", count: 100_000) + " }}", "nested deeper")
        // Values nested by a loop: rendering or releasing them would recurse as deep.
        expectRefused("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}", "nested deeper")
    }

    func testLoopsAndRangesAreBounded() {
        expectRefused("{% for i in range(100000000000) %}{% endfor %}", "items")
        expectRefused("{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}{% endfor %}{% endfor %}{% endfor %}", "steps")
        // A list that shares itself renders exponentially: 2^40 items from 40 doublings.
        expectRefused("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}", "steps")
        expectRefused("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l == ns.l }}", "steps")
        expectRefused("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "items")
        expectRefused("{{ ('a' * 10000000) | list | length }}", "items")
    }

    func testIntegerArithmeticDoesNotWrap() {
        expectRefused("{{ 9223372036854775807 + 1 }}", "overflow")
        expectRefused("{{ 4611686018427387904 * 4 }}", "overflow")
        expectRefused("{{ -9223372036854775807 - 2 }}", "overflow")
        XCTAssertEqual(try render("{{ (-9223372036854775807 - 1) % -1 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ -7 // 2 }}|{{ (1000000000000.0 * 1000000000000.0 * 1000000000000.0) | int }}"),
                       "0|2|-2|-4|0")
    }

    func testTemplateSourceSizeIsBounded() {
        expectRefused(String(repeating: "a", count: 2 << 20), "MiB", line: nil)
    }

    func testErrorsWithoutOriginStillNameTheLine() {
        XCTAssertThrowsError(try ChatTemplate(source: "\n{{ 'a' * 100000000000 }}").render(messages: [], addGenerationPrompt: false)) { e in
            XCTAssertEqual((e as? ModelError)?.location, "template line 2")
        }
    }
}
