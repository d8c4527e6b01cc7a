import FTXCore
import XCTest
import Foundation
@testable import FTXTensor

/// The 8-bit activation quantizer and the integer block kernels, against scalar references.
final class Q8KernelTests: XCTestCase {
    struct RNG: RandomNumberGenerator {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Activations with varied block scales, an all-zero block, exact ±max values and halfway cases.
    func activations(rows: Int, cols: Int, _ rng: inout RNG) -> [Float] {
        var x = (0..<(rows * cols)).map { _ in Float.random(in: -1...1, using: &rng) }
        for r in 0..<rows {
            for b in 0..<(cols / 32) {
                let scale: Float = [1, 1e-3, 40, 0.5][(r + b) % 4]
                for i in 0..<32 { x[r * cols + b * 32 + i] *= scale }
            }
        }
        if cols >= 64 { for i in 32..<64 { x[i] = 0 } }   // row 0, block 1: all zero
        x[0] = 127; x[1] = -127; x[2] = 0.5; x[3] = -1.5; x[4] = 2.5   // row 0, block 0: d = 1, ties to even
        return x
    }

    func testQuantizeMatchesScalarReference() {
        var rng = RNG(s: 3)
        let rows = 5, cols = 96
        let x = activations(rows: rows, cols: cols, &rng)
        let q8 = Q8Rows()
        q8.quantize(x, rows: rows, cols: cols, ldx: cols)
        XCTAssertEqual(q8.rows, rows); XCTAssertEqual(q8.blocksPerRow, 3)
        for r in 0..<rows {
            for b in 0..<3 {
                let blk = Array(x[(r * cols + b * 32)..<(r * cols + b * 32 + 32)])
                let amax = blk.map(abs).max()!
                let d = amax / 127, id: Float = amax > 0 ? 1 / d : 0
                var sum = 0
                for i in 0..<32 {
                    let q = Int((blk[i] * id).rounded(.toNearestOrEven))
                    XCTAssertEqual(Int(q8.qs[r * cols + b * 32 + i]), q, "row \(r) block \(b) element \(i)")
                    sum += q
                }
                XCTAssertEqual(q8.d[r * 3 + b], d)
                XCTAssertEqual(q8.s[r * 3 + b], d * Float(sum))
            }
        }
        // The hand-set values: d = 1, 0.5 → 0 and 2.5 → 2 (ties to even), −1.5 → −2; the zero block.
        XCTAssertEqual((0..<5).map { q8.qs[$0] }, [127, -127, 0, -2, 2])
        XCTAssertEqual(q8.d[1], 0); XCTAssertEqual(q8.s[1], 0)
        XCTAssertTrue((32..<64).allSatisfy { q8.qs[$0] == 0 })
    }

    /// The K-quant layout: one scale per 256 values (max |x| of all 256 over 127), values in
    /// `superBlockSlot`'s order, sums per natural 32 and (as integers) per 16; the 32-value layout filled in the same call is
    /// the one a call of its own gives.
    func testSuperBlockQuantizeMatchesScalarReference() {
        var rng = RNG(s: 7)
        let rows = 3, cols = 512
        let x = activations(rows: rows, cols: cols, &rng)
        let both = Q8Rows(), alone = Q8Rows()
        both.quantize(x, rows: rows, cols: cols, ldx: cols, layouts: [.blocks, .superBlocks])
        alone.quantize(x, rows: rows, cols: cols, ldx: cols)
        XCTAssertEqual(both.layouts, [.blocks, .superBlocks]); XCTAssertEqual(alone.layouts, .blocks)
        XCTAssertEqual((0..<(rows * cols)).map { both.qs[$0] }, (0..<(rows * cols)).map { alone.qs[$0] })
        XCTAssertEqual((0..<(rows * cols / 32)).map { both.d[$0] }, (0..<(rows * cols / 32)).map { alone.d[$0] })
        var saturated = 0
        for r in 0..<rows {
            for k in 0..<(cols / 256) {
                let blk = Array(x[(r * cols + k * 256)..<(r * cols + k * 256 + 256)])
                let d = blk.map(abs).max()! / 127
                XCTAssertEqual(both.kd[r * 2 + k], d, "row \(r) block \(k)")
                for j in 0..<8 {
                    var halves = [0, 0]
                    for i in 0..<32 {
                        let at = 32 * j + i
                        let q = Int((blk[at] * (1 / d)).rounded(.toNearestOrEven))
                        XCTAssertEqual(Int(both.kqs[r * cols + k * 256 + superBlockSlot(at)]), q, "row \(r) block \(k) element \(at)")
                        if abs(q) == 127 { saturated += 1 }
                        halves[i / 16] += q
                    }
                    for h in 0..<2 {
                        XCTAssertEqual(Int(both.kgs[r * 32 + k * 16 + groupSumSlot(2 * j + h)]), halves[h], "row \(r) block \(k) group \(2 * j + h)")
                    }
                }
            }
        }
        // Each block's scale comes from its largest value: at least one ±127 per block.
        XCTAssertGreaterThanOrEqual(saturated, rows * cols / 256)
    }

    /// Random blocks with sane scales (and mins for Q4_1 and Q5_1); K-quants as `kQuantWeights`.
    func weights(_ type: QuantType, rows: Int, cols: Int, _ rng: inout RNG) -> [UInt8] {
        if type.blockSize == 256 { return kQuantWeights(type, rows: rows, cols: cols, &rng) }
        var w = (0..<(type.rowBytes(cols)! * rows)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for blk in 0..<(rows * cols / 32) {
            let off = blk * type.blockBytes
            let h = floatToHalf(Float.random(in: 0.01...0.1, using: &rng))
            w[off] = UInt8(h & 0xff); w[off + 1] = UInt8(h >> 8)
            if type == .q4_1 || type == .q5_1 {
                let m = floatToHalf(Float.random(in: -0.6...0.1, using: &rng))
                w[off + 2] = UInt8(m & 0xff); w[off + 3] = UInt8(m >> 8)
            }
        }
        return w
    }

    func run(_ type: QuantType, _ w: [UInt8], cols: Int, rows: ClosedRange<Int>, _ q8: Q8Rows, nVec: Int,
             ldy: Int, into y: inout [Float], accumulate: Bool = false) {
        w.withUnsafeBytes { wb in y.withUnsafeMutableBufferPointer { yb in
            q8MatVecRows(type, w: wb.baseAddress!, rowBytes: type.rowBytes(cols)!, rowStart: rows.lowerBound, rowEnd: rows.upperBound + 1,
                         x: q8, nVec: nVec, y: yb.baseAddress!, ldy: ldy, accumulate: accumulate)
        } }
    }

    /// Each result equals (1) the blockwise integer formula evaluated in double, to float rounding, and
    /// (2) the f32 dot of the dequantized weights with the unquantized activations, within the bound
    /// set by activation rounding: |error| ≤ Σ_i |w_i|·d_x/2 over the row (d_x of element i's block).
    func testKernelsMatchReferences() {
        var rng = RNG(s: 11)
        for type in [QuantType.q4_0, .q4_1, .q8_0] {
            for cols in [32, 96, 576] {
                let rows = 37   // not a multiple of 8: tails of the eight-row kernel
                let w = weights(type, rows: rows, cols: cols, &rng)
                let rb = type.rowBytes(cols)!, nb = cols / 32
                var deq = [Float](repeating: 0, count: rows * cols)
                w.withUnsafeBytes { wb in deq.withUnsafeMutableBufferPointer { db in
                    for r in 0..<rows { dequantizeRow(type, wb.baseAddress! + r * rb, db.baseAddress! + r * cols, count: cols) }
                } }
                for nVec in [1, 2, 3, 4, 5, 8, 9, 17] {
                    let x = activations(rows: nVec, cols: cols, &rng)
                    let q8 = Q8Rows()
                    q8.quantize(x, rows: nVec, cols: cols, ldx: cols)
                    var y = [Float](repeating: .nan, count: nVec * rows)
                    run(type, w, cols: cols, rows: 0...(rows - 1), q8, nVec: nVec, ldy: rows, into: &y)
                    for v in 0..<nVec {
                        for r in 0..<rows {
                            var exact = 0.0, f32ref = 0.0, bound = 0.0, sumAbs = 0.0
                            for b in 0..<nb {
                                let blk = r * rb + b * type.blockBytes
                                let d = Double(halfToFloat(UInt16(w[blk]) | UInt16(w[blk + 1]) << 8))
                                var dot = 0
                                for i in 0..<32 {
                                    let c = b * 32 + i
                                    // The integer quant behind deq: (deq − m)/d.
                                    let qw: Int
                                    switch type {
                                    case .q8_0: qw = Int(Int8(bitPattern: w[blk + 2 + i]))
                                    case .q4_0: qw = Int(i < 16 ? w[blk + 2 + i] & 15 : w[blk + 2 + i - 16] >> 4)
                                    default: qw = Int(i < 16 ? w[blk + 4 + i] & 15 : w[blk + 4 + i - 16] >> 4)
                                    }
                                    dot += qw * Int(q8.qs[v * cols + c])
                                    f32ref += Double(deq[r * cols + c]) * Double(x[v * cols + c])
                                    bound += Double(abs(deq[r * cols + c])) * Double(q8.d[v * nb + b]) / 2
                                }
                                let dx = Double(q8.d[v * nb + b]), sx = Double(q8.s[v * nb + b])
                                let m: Double
                                switch type {
                                case .q8_0: m = 0
                                case .q4_0: m = -8 * d
                                default: m = Double(halfToFloat(UInt16(w[blk + 2]) | UInt16(w[blk + 3]) << 8))
                                }
                                exact += Double(dot) * d * dx + m * sx
                                sumAbs += abs(Double(dot) * d * dx) + abs(m * sx)
                            }
                            let got = Double(y[v * rows + r])
                            let tag = "\(type) cols \(cols) nVec \(nVec) row \(r) vector \(v)"
                            // f32 accumulation over nb blocks: each step rounds once (relative 2⁻²⁴).
                            XCTAssertEqual(got, exact, accuracy: Double(nb + 4) * 1.2e-7 * sumAbs + 1e-7, tag)
                            XCTAssertLessThanOrEqual(abs(got - f32ref), bound * 1.001 + 1e-5, tag)
                        }
                    }
                }
            }
        }
    }

    /// A result does not depend on the batch: each (row, vector) alone, or any row range, gives the
    /// same bits as all of them together; accumulate adds onto Y. K-quant rows are six blocks long, so
    /// the batched kernel's passes over a tile (four blocks, then two) are covered too.
    func testResultsIndependentOfBatchAndRowRange() {
        var rng = RNG(s: 5)
        for type in [QuantType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
            let rows = 29, cols = type.blockSize == 256 ? 1536 : 64, nVec = 11
            let w = weights(type, rows: rows, cols: cols, &rng)
            let x = activations(rows: nVec, cols: cols, &rng)
            let all = Q8Rows()
            all.quantize(x, rows: nVec, cols: cols, ldx: cols, layouts: type.q8Layout)
            var together = [Float](repeating: 0, count: nVec * rows)
            run(type, w, cols: cols, rows: 0...(rows - 1), all, nVec: nVec, ldy: rows, into: &together)
            for v in 0..<nVec {
                let one = Q8Rows()
                one.quantize(Array(x[(v * cols)..<((v + 1) * cols)]), rows: 1, cols: cols, ldx: cols, layouts: type.q8Layout)
                var alone = [Float](repeating: 0, count: rows)
                for range in [0...12, 13...13, 14...(rows - 1)] {   // split row ranges, as threads do
                    run(type, w, cols: cols, rows: range, one, nVec: 1, ldy: rows, into: &alone)
                }
                XCTAssertEqual(alone, Array(together[(v * rows)..<((v + 1) * rows)]), "\(type) vector \(v)")
            }
            var acc = [Float](repeating: 1, count: nVec * rows)
            run(type, w, cols: cols, rows: 0...(rows - 1), all, nVec: nVec, ldy: rows, into: &acc, accumulate: true)
            XCTAssertEqual(acc, together.map { 1 + $0 })
        }
    }
}

/// parallelFor on the persistent worker pool: every chunk runs once, in any order, for many short
/// regions in a row; nested and concurrent calls fall back to concurrentPerform.
final class WorkerPoolTests: XCTestCase {
    func testParallelForOnWorkerPool() {
        let saved = (Threads.useWorkerPool, Threads.count)
        defer { Threads.useWorkerPool = saved.0; Threads.count = saved.1 }
        Threads.useWorkerPool = true
        Threads.count = 2
        let n = 1000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0, count: n)
        for _ in 0..<2000 {   // short regions back to back, as decoding does
            Threads.parallelFor(n, granularity: 16) { s, e in for i in s..<e { hits[i] += 1 } }
        }
        XCTAssertTrue((0..<n).allSatisfy { hits[$0] == 2000 })
        // Nested: the inner call runs while the pool is busy.
        let inner = UnsafeMutablePointer<Int>.allocate(capacity: 64 * 64)
        defer { inner.deallocate() }
        inner.initialize(repeating: 0, count: 64 * 64)
        Threads.parallelFor(64) { s, e in
            for i in s..<e { Threads.parallelFor(64) { a, b in for j in a..<b { inner[i * 64 + j] += 1 } } }
        }
        XCTAssertTrue((0..<(64 * 64)).allSatisfy { inner[$0] == 1 })
        // Concurrent callers from several threads.
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 4 * n)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 4 * n)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for _ in 0..<100 { Threads.parallelFor(n, granularity: 8) { s, e in for i in s..<e { sums[t * n + i] += 1 } } }
        }
        XCTAssertTrue((0..<(4 * n)).allSatisfy { sums[$0] == 100 })
        // A different thread count replaces the pool.
        Threads.count = 3
        Threads.parallelFor(n) { s, e in for i in s..<e { hits[i] = -1 } }
        XCTAssertTrue((0..<n).allSatisfy { hits[$0] == -1 })
    }
}
