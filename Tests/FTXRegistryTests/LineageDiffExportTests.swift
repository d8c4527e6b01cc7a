import Foundation
import FTXEval
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

final class LineageDiffExportTests: XCTestCase {
    func testLineageNamesEverythingTheRunUsed() throws {
        let p = try Project()
        let r = try p.run(message: "rank 8")
        try p.registry.deploy(revision: "HEAD", env: "prod")
        let l = try p.registry.lineage("HEAD")
        XCTAssertEqual(l.commit, r.commit)
        XCTAssertEqual(l.data.map(\.path), ["data/test.jsonl", "data/train.jsonl", "data/valid.jsonl"])
        XCTAssertEqual(l.data.compactMap(\.rows).reduce(0, +), 40, "every row of all.jsonl lands in one split")
        XCTAssertEqual(l.adapter.map(\.path), ["adapter/adapter.gguf", "adapter/adapter_config.json", "adapter/adapter_model.safetensors"])
        XCTAssertEqual(l.base?.name, "tiny")
        XCTAssertEqual(l.deployedIn, ["prod"])
        XCTAssertNotNil(l.report)
        let text = l.text
        for needle in ["base    tiny", "seed    7", "code    none", "pass_rate = 0.9", "pass  pass_rate >= 0.8", "deployed in: prod", "lora_r: 8"] {
            XCTAssertTrue(text.contains(needle), "missing '\(needle)' in\n\(text)")
        }
        XCTAssertEqual((l.json["data"] as? [[String: Any]])?.count, 3)
        XCTAssertThrowsError(try p.registry.lineage("nosuch"))
    }

    func testDiffOfRevisionsAndBase() throws {
        let p = try Project()
        try p.run(["fake_quality=0.9"], message: "good")
        try p.write("data/all.jsonl", (0..<44).map { "{\"prompt\": \"q\($0)\", \"completion\": \"a\($0)\"}" }.joined(separator: "\n") + "\n")
        try p.run(["fake_quality=0.5", "lora_r=4"], message: "worse")
        let d = try p.registry.diff("HEAD~1", "HEAD")
        XCTAssertEqual(d.mcnemar.b, 4, "cases that flipped pass -> fail")
        XCTAssertTrue(d.configChanges.contains { $0.key == "lora_r" && $0.a == "8" && $0.b == "4" }, "\(d.configChanges)")
        let added = d.datasetChanges.reduce(0) { $0 + $1.added }
        XCTAssertEqual(added, 4, "\(d.datasetChanges)")
        // `base` is the stored report of the base model on the same suite (quality 0.2).
        let vsBase = try p.registry.diff("base", "HEAD~1")
        XCTAssertEqual(vsBase.a.passRate, 0.2, accuracy: 1e-9)
        XCTAssertEqual(vsBase.b.passRate, 0.9, accuracy: 1e-9)
        XCTAssertEqual(vsBase.mcnemar.c, 7)
        XCTAssertThrowsError(try p.registry.diff("base", "base"))
    }

    func testExportPEFTAndGGUFCopiesTheCommittedBytes() throws {
        let p = try Project()
        try p.run()
        let out = TestSupport.makeTempDir("ftx-export")
        let peft = try p.registry.export("HEAD", format: .peft, to: out.path)
        XCTAssertEqual(peft.map { ($0 as NSString).lastPathComponent }, ["adapter_model.safetensors", "adapter_config.json"])
        let c = try p.registry.commit("HEAD")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: peft[0])),
                       try p.registry.file("adapter/adapter_model.safetensors", in: c.commit))
        let gguf = try p.registry.export("HEAD", format: .gguf, to: out.path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: gguf[0])), try p.registry.file("adapter/adapter.gguf", in: c.commit))
    }
}
