import Foundation
import XCTest
import FTXTestSupport
import FTXModel

/// Hostile model-side inputs through the real binary: chat templates and metadata inside a GGUF.
/// Each must end in a clear `ftx: …` error naming the file and place, exit status 2, never a signal.
final class HostileModelCLITests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = TestSupport.makeTempDir("ftx-hostile-model") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let tiny = TestSupport.repoRoot.appendingPathComponent("Tests/FTXModelTests/Corpus/valid-tiny.gguf").path

    /// The reader tests' tiny model (1 block, hidden 32) rewritten with `changes` to its metadata.
    static func tinyModel(at path: String, metadata changes: [String: GGUFValue]) throws {
        let g = try GGUFFile(path: tiny)
        var w = GGUFWriter()
        for k in g.metadataKeys where changes[k] == nil { w.set(k, g.metadata[k]!) }
        for k in changes.keys.sorted() { w.set(k, changes[k]!) }
        for t in g.tensors {
            w.addTensor(t.name, dims: t.dims, type: t.type, bytes: Array(UnsafeRawBufferPointer(start: g.pointer(t), count: t.byteCount)))
        }
        try Data(w.bytes()).write(to: URL(fileURLWithPath: path))
    }

    func assertCleanError(_ r: TestSupport.RunResult, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signaled, "killed by signal \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("ftx: "), r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "missing '\(f)' in: \(r.stderr)", file: file, line: line) }
    }

    func testHostileChatTemplatesAreClearErrors() throws {
        let bombs: [(String, String)] = [
            ("{{ 'a' * 100000000000 }}", "64 MiB"),
            ("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}", "nested deeper"),
            (String(repeating: "{% if true %}", count: 20_000) + String(repeating: "{% endif %}", count: 20_000), "nested deeper"),
            ("{% for i in range(100000000000) %}{% endfor %}", "items"),
            ("{% for i in range(3000) %}{% for j in range(3000) %}{% for k in range(3000) %}{% endfor %}{% endfor %}{% endfor %}", "steps"),
        ]
        for (n, (template, fragment)) in bombs.enumerated() {
            let model = dir.appendingPathComponent("evil\(n).gguf").path
            try Self.tinyModel(at: model, metadata: ["tokenizer.chat_template": .string(template)])
            let r = try TestSupport.runFTX(["generate", "-m", model, "--chat", "--max-tokens", "1", "hi"], cwd: dir)
            assertCleanError(r, ["ftx: chat template: ", fragment, "evil\(n).gguf: tokenizer.chat_template, line 1"])
        }
    }
}
