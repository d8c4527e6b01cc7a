import XCTest
import FTXTestSupport
@testable import FTXData

final class ExampleReaderTests: XCTestCase {
    let s = DataScratch()

    func testReadsThreeFormats() throws {
        let chat = s.write("chat.jsonl", lines: [
            chatLine("Hi", "Hello!", system: "Be brief.", extra: "\"category\":\"greet\",\"n\":3,\"ok\":true,\"z\":null"),
            chatLine("2+2?", "4"),
        ])
        let ex = try ExampleReader.readAll(path: chat)
        XCTAssertEqual(ex.count, 2)
        XCTAssertEqual(ex[0].format, .chat)
        XCTAssertEqual(ex[0].input, "system: Be brief.\nuser: Hi")
        XCTAssertEqual(ex[0].output, "Hello!")
        XCTAssertEqual(ex[0].fields, ["category": "greet", "n": "3", "ok": "true"])
        XCTAssertEqual(ex[0].source?.description, "\(chat):1")
        XCTAssertEqual(ex[1].source?.line, 2)
        XCTAssertEqual(ex[0].id.count, 64)

        let comp = s.write("comp.jsonl", lines: [#"{"prompt":"a\u00e9\n\ud83d\ude00","completion":"b"}"#])
        let c = try ExampleReader.readAll(path: comp)
        XCTAssertEqual(c[0].prompt, "aé\n😀")
        XCTAssertEqual(c[0].output, "b")

        let text = s.write("text.jsonl", lines: [#"{"text":"hello world"}"#])
        let t = try ExampleReader.readAll(path: text)
        XCTAssertEqual(t[0].format, .text)
        XCTAssertEqual(t[0].input, "hello world")
        XCTAssertEqual(t[0].output, "")
    }

    func testIDIsStableAcrossSpellingAndFieldOrder() throws {
        let a = s.write("a.jsonl", lines: [#"{"prompt":"x","completion":"y","id":"1"}"#])
        let b = s.write("b.jsonl", lines: [#"{ "completion" : "\u0079", "prompt": "x" }"#])
        let ea = try ExampleReader.readAll(path: a)[0], eb = try ExampleReader.readAll(path: b)[0]
        XCTAssertEqual(ea.id, eb.id)
        XCTAssertEqual(ea.id, Example.completion(prompt: "x", completion: "y").id)
        XCTAssertNotEqual(ea.id, Example.completion(prompt: "xy", completion: "").id)
    }

    func testCRLFBOMAndBlankLinesAreAccepted() throws {
        let body = "\u{FEFF}" + chatLine("a", "b") + "\r\n\r\n   \r\n" + chatLine("c", "d") + "\r\n"
        let p = s.write("crlf.jsonl", Array(body.utf8))
        let ex = try ExampleReader.readAll(path: p)
        XCTAssertEqual(ex.map(\.output), ["b", "d"])
        XCTAssertEqual(ex.map { $0.source!.line }, [1, 4])
    }

    func testLastLineWithoutNewline() throws {
        let p = s.write("nonl.jsonl", Array((completionLine("a", "b") + "\n" + completionLine("c", "d")).utf8))
        XCTAssertEqual(try ExampleReader.readAll(path: p).count, 2)
    }

    func testSmallBlocksGiveSameResult() throws {
        let lines = (0..<500).map { completionLine("prompt \($0) " + String(repeating: "x", count: $0 % 37), "out \($0)") }
        let p = s.write("many.jsonl", lines: lines)
        let big = try ExampleReader.readAll(path: p)
        let small = try ExampleReader.readAll(path: p, options: ReadOptions(blockSize: 64))
        XCTAssertEqual(big, small)
        XCTAssertEqual(small.count, 500)
        XCTAssertEqual(small[499].source?.line, 500)
    }

    func testEmptyFile() {
        let p = s.write("empty.jsonl", [])
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: p, contains: "no examples")
        let q = s.write("blank.jsonl", Array("\n  \n\r\n".utf8))
        assertDataError({ _ = try ExampleReader.readAll(path: q) }, at: q, contains: "no examples")
    }

    func testMissingFile() {
        let p = s.path("nope.jsonl")
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: p, contains: "cannot open")
    }

    func testInvalidUTF8() {
        var bytes = Array((completionLine("a", "b") + "\n").utf8)
        bytes += Array(#"{"prompt":"ab"#.utf8) + [0xC3, 0x28] + Array(#"","completion":"x"}"#.utf8) + [0x0A]
        let p = s.write("utf8.jsonl", bytes)
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: "\(p):2", contains: "invalid UTF-8 at byte 14")
        // Overlong encoding and a surrogate are refused too.
        let q = s.write("overlong.jsonl", Array(#"{"text":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8))
        assertDataError({ _ = try ExampleReader.readAll(path: q) }, at: "\(q):1", contains: "invalid UTF-8")
        let r = s.write("surrogate.jsonl", Array(#"{"text":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8))
        assertDataError({ _ = try ExampleReader.readAll(path: r) }, at: "\(r):1", contains: "invalid UTF-8")
    }

    func testUTF16File() {
        let p = s.write("u16.jsonl", [0xFF, 0xFE] + Array("{".utf8))
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: p, contains: "UTF-16")
    }

    func testNotJSON() {
        let p = s.write("bad.jsonl", lines: [completionLine("a", "b"), completionLine("c", "d"), "{prompt: 'x'}"])
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: "\(p):3", contains: "not valid JSON")
        let q = s.write("trunc.jsonl", lines: [#"{"prompt":"a","completion":"b""#])
        assertDataError({ _ = try ExampleReader.readAll(path: q) }, at: "\(q):1", contains: "unterminated object")
        let r = s.write("trail.jsonl", lines: [#"{"text":"a"} {"text":"b"}"#])
        assertDataError({ _ = try ExampleReader.readAll(path: r) }, at: "\(r):1", contains: "trailing")
        let deep = s.write("deep.jsonl", lines: [#"{"text":"a","x":"# + String(repeating: "[", count: 100_000)])
        assertDataError({ _ = try ExampleReader.readAll(path: deep) }, at: "\(deep):1", contains: "nesting")
    }

    func testNotAnObject() {
        let p = s.write("arr.jsonl", lines: [#"["prompt","completion"]"#])
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: "\(p):1", contains: "JSON array, expected an object")
        let q = s.write("str.jsonl", lines: [#""hello""#])
        assertDataError({ _ = try ExampleReader.readAll(path: q) }, at: "\(q):1", contains: "JSON string")
    }

    func testMissingAndWrongTypedFields() {
        let cases: [(String, String)] = [
            (#"{"prompt":"a"}"#, "missing \"completion\""),
            (#"{"completion":"a"}"#, "missing \"prompt\""),
            (#"{"prompt":1,"completion":"a"}"#, "\"prompt\" must be a string, found number"),
            (#"{"text":null}"#, "\"text\" must be a string, found null"),
            (#"{"messages":"hi"}"#, "\"messages\" must be an array"),
            (#"{"messages":[]}"#, "is empty"),
            (#"{"messages":[1]}"#, "messages[0]: expected an object"),
            (#"{"messages":[{"content":"x"}]}"#, "missing \"role\""),
            (#"{"messages":[{"role":"user"}]}"#, "missing \"content\""),
            (#"{"messages":[{"role":"user","content":5}]}"#, "\"content\" must be a string, found number"),
            (#"{"messages":[{"role":"wizard","content":"x"}]}"#, "role \"wizard\""),
            (#"{"messages":[{"role":"user","content":"x"}]}"#, "no assistant message"),
            (#"{"input":"a","output":"b"}"#, "unknown example shape (keys input, output)"),
        ]
        for (k, c) in cases.enumerated() {
            let p = s.write("f\(k).jsonl", lines: [c.0])
            assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: "\(p):1", contains: c.1)
        }
    }

    func testMixedFormatsNameTheFirstDifferingLine() {
        let p = s.write("mixed.jsonl", lines: [chatLine("a", "b"), chatLine("c", "d"), completionLine("e", "f"), #"{"text":"g"}"#])
        assertDataError({ _ = try ExampleReader.readAll(path: p) }, at: "\(p):3", contains: "this line is completion but the file is chat (from \(p):1)")
    }

    func testLineLengthCapRefusesWithoutBufferingTheLine() throws {
        let long = completionLine(String(repeating: "x", count: 5000), "y")
        let p = s.write("long.jsonl", lines: [completionLine("a", "b"), long, completionLine("c", "d")])
        let opts = ReadOptions(maxLineBytes: 1024, blockSize: 256)
        assertDataError({ _ = try ExampleReader.readAll(path: p, options: opts) }, at: "\(p):2", contains: "1024-byte limit")
        // A line with no newline at all (the "2 GB single line" case) is refused as soon as it passes the cap.
        let q = s.write("noline.bin", Array(repeating: UInt8(ascii: "a"), count: 200_000))
        var batches = 0
        assertDataError({
            try LineReader(path: q, maxLineBytes: 4096, blockSize: 1024).forEachBatch { _ in batches += 1 }
        }, at: "\(q):1", contains: "4096-byte limit")
        XCTAssertEqual(batches, 0)
        XCTAssertEqual(try ExampleReader.readAll(path: p, options: ReadOptions(maxLineBytes: 10_000)).count, 3)
    }

    func testStreamingStopsAtFirstBadLineInFileOrder() {
        var lines = (0..<300).map { completionLine("p\($0)", "c") }
        lines[120] = "nope"
        lines[250] = "[]"
        let p = s.write("order.jsonl", lines: lines)
        var seen = 0
        assertDataError({ try ExampleReader.forEach(path: p, options: ReadOptions(blockSize: 1 << 20)) { _ in seen += 1 } },
                        at: "\(p):121", contains: "not valid JSON")
    }
}
