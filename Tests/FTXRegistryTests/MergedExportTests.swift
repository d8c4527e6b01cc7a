import Foundation
import FTXModel
import FTXTensor
import FTXTestSupport
import FTXTrain
import XCTest
@testable import FTXRegistry

/// Merged export on the real SmolLM2 base: adapted tensors become W + s·B·A (checked against the
/// dequantized base and the adapter's own factors), everything else is byte-identical, and the
/// result loads as a model.
final class MergedExportTests: XCTestCase {
    func testMergedGGUFOnSmolLM2() throws {
        let basePath = try TestSupport.smolLM2Path()
        let base = try GGUFFile(path: basePath)
        let llama = try LlamaModel.load(gguf: base)
        let lora = LoRAParameters(dims: ModelDims(llama.config), spec: LoRASpec(rank: 2, alpha: 4, targets: [.q, .down], layers: [0, 3]))
        lora.initialize(seed: 5)
        var rng = UInt64(9)
        for e in lora.entries {
            lora.setB(e, (0..<(2 * e.outFeatures)).map { _ in
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: rng >> 11) % 2001 - 1000) / 50_000
            })
        }
        let dir = TestSupport.makeTempDir("ftx-merge")
        try PEFTAdapter.write(lora, to: dir.path, baseModelName: "SmolLM2")
        let out = dir.appendingPathComponent("merged.gguf").path
        try MergedGGUF.write(basePath: basePath, peftDirectory: dir.path, to: out)

        let m = try GGUFFile(path: out)
        XCTAssertEqual(m.metadataKeys, base.metadataKeys)
        for k in base.metadataKeys { XCTAssertEqual(m.metadata[k], base.metadata[k], k) }
        XCTAssertEqual(m.tensors.map(\.name), base.tensors.map(\.name))
        // Read back through the merged adapter's own (re-read) factors, so q/k row order matches.
        let reread = try PEFTAdapter.read(from: dir.path, dims: ModelDims(llama.config))
        let mergedNames = Set(reread.entries.map { "blk.\($0.layer).\($0.target.ggufName).weight" })
        XCTAssertEqual(mergedNames.count, 4)
        for (t, bt) in zip(m.tensors, base.tensors) {
            if let e = reread.entries.first(where: { "blk.\($0.layer).\($0.target.ggufName).weight" == t.name }) {
                XCTAssertEqual(t.type, .f32)
                var w = [Float](repeating: 0, count: bt.elementCount)
                w.withUnsafeMutableBufferPointer { dequantizeRow(bt.type, base.pointer(bt), $0.baseAddress!, count: bt.elementCount) }
                let expected = reread.merged(e, base: w)
                let got = Array(UnsafeBufferPointer(start: m.pointer(t).assumingMemoryBound(to: Float.self), count: t.elementCount))
                XCTAssertEqual(got, expected, t.name)
                XCTAssertNotEqual(got, w, "\(t.name) changed")
            } else {
                XCTAssertEqual(t.type, bt.type)
                XCTAssertEqual(Data(bytes: m.pointer(t), count: t.byteCount), Data(bytes: base.pointer(bt), count: bt.byteCount), t.name)
            }
        }
        XCTAssertNoThrow(try LlamaModel.load(path: out))
    }
}
