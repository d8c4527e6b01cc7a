import Foundation
import XCTest
import FTXTestSupport

/// `ftx generate / model info / tokenize / score` end to end on the real model and hostile files.
final class ModelCLITests: XCTestCase {
    func testInfoTokenizeScoreGenerate() throws {
        let model = try TestSupport.smolLM2Path()
        let cwd = TestSupport.makeTempDir()
        let info = try TestSupport.runFTX(["model", "info", model, "--json"], cwd: cwd)
        XCTAssertEqual(info.status, 0, info.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        let cfg = obj["config"] as! [String: Any]
        XCTAssertEqual(cfg["num_layers"] as? Int, 30)
        XCTAssertEqual((obj["tensor_types"] as! [String: Int])["Q4_1"], 210)
        let text = try TestSupport.runFTX(["model", "info", model], cwd: cwd)
        XCTAssertTrue(text.stdout.contains("byte-level BPE, pre smollm"), text.stdout)

        let tok = try TestSupport.runFTX(["tokenize", "-m", model, "--json", "Hello world"], cwd: cwd)
        XCTAssertEqual(tok.status, 0, tok.stderr)
        let t = try JSONSerialization.jsonObject(with: Data(tok.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(t["ids"] as? [Int], [19556, 905])
        XCTAssertEqual(t["pieces"] as? [String], ["Hello", " world"])

        let english = "The quick brown fox jumps over the lazy dog. It was a sunny afternoon, and the children were playing in the park."
        let sc = try TestSupport.runFTX(["score", "-m", model, "--json", "--threads", "2", english], cwd: cwd)
        XCTAssertEqual(sc.status, 0, sc.stderr)
        let s = try JSONSerialization.jsonObject(with: Data(sc.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(s["tokens"] as? Int, 25)
        XCTAssertEqual(s["mean_cross_entropy"] as! Double, 2.788731226061955, accuracy: 1e-3)

        let gen = try TestSupport.runFTX(["generate", "-m", model, "--chat", "--max-tokens", "20", "What is the capital of Japan?"], cwd: cwd)
        XCTAssertEqual(gen.status, 0, gen.stderr)
        XCTAssertEqual(gen.stdout, "The capital of Japan is Tokyo.\n")
    }

    func testHostileModelIsAClearError() throws {
        let cwd = TestSupport.makeTempDir()
        let bad = cwd.appendingPathComponent("bad.gguf")
        try Data("GGUF".utf8 + [3, 0, 0, 0] + [UInt8](repeating: 0xff, count: 16)).write(to: bad)
        let r = try TestSupport.runFTX(["model", "info", bad.path], cwd: cwd)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("ftx: malformed GGUF"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.gguf at byte 8"), r.stderr)
        let missing = try TestSupport.runFTX(["generate", "-m", cwd.appendingPathComponent("none.gguf").path, "hi"], cwd: cwd)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("cannot open"), missing.stderr)
    }
}
