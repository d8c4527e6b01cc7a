import Foundation
import XCTest
import FTXTestSupport
@testable import FTXData

/// Writes JSONL test files into a fresh temp dir.
final class DataScratch {
    let dir: URL
    init() { dir = TestSupport.makeTempDir("ftx-data") }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let url = dir.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url.path
    }

    @discardableResult
    func write(_ name: String, lines: [String], terminator: String = "\n") -> String {
        write(name, Array(lines.map { $0 + terminator }.joined().utf8))
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }
    func lines(_ name: String) -> [String] {
        guard let s = try? String(contentsOfFile: path(name), encoding: .utf8) else { return [] }
        return s.split(separator: "\n").map(String.init)
    }
}

func chatLine(_ user: String, _ assistant: String, system: String? = nil, extra: String = "") -> String {
    var msgs: [[String: String]] = []
    if let system { msgs.append(["role": "system", "content": system]) }
    msgs.append(["role": "user", "content": user])
    msgs.append(["role": "assistant", "content": assistant])
    let data = try! JSONSerialization.data(withJSONObject: ["messages": msgs], options: [.sortedKeys])
    var s = String(decoding: data, as: UTF8.self)
    if !extra.isEmpty { s.removeLast(); s += "," + extra + "}" }
    return s
}

func completionLine(_ prompt: String, _ completion: String, extra: String = "") -> String {
    let data = try! JSONSerialization.data(withJSONObject: ["prompt": prompt, "completion": completion], options: [.sortedKeys])
    var s = String(decoding: data, as: UTF8.self)
    if !extra.isEmpty { s.removeLast(); s += "," + extra + "}" }
    return s
}

/// Asserts that `body` throws a DataError whose location is `file:line` and whose message contains `contains`.
func assertDataError(_ body: () throws -> Void, at location: String, contains: String,
                     file: StaticString = #filePath, line: UInt = #line) {
    do {
        try body()
        XCTFail("expected an error at \(location)", file: file, line: line)
    } catch let e as DataError {
        XCTAssertEqual(e.location, location, "\(e)", file: file, line: line)
        XCTAssertTrue(e.message.contains(contains), "message \"\(e.message)\" lacks \"\(contains)\"", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
