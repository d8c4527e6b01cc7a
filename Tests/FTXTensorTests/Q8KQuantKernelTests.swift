import XCTest
@testable import FTXTensor

/// The K-quant and five-bit integer kernels against the float64 dot of the bit-exact dequantized
/// weights (`dequantizeRow`, checked against gguf-py) with the dequantized 8-bit activations d_x·q_x
/// (K-quants: one d_x per 256 values).
extension Q8KernelTests {
    /// Random bytes for quants, scales and mins; finite f16 d (and dmin) of either sign.
    func kQuantWeights(_ type: QuantType, rows: Int, cols: Int, _ rng: inout RNG) -> [UInt8] {
        var w = (0..<(type.rowBytes(cols)! * rows)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let halves = type == .q6_K ? [208] : [0, 2]
        for blk in 0..<(rows * cols / 256) {
            for at in halves {
                let h = floatToHalf(Float.random(in: 1e-4...0.05, using: &rng) * (Bool.random(using: &rng) ? 1 : -1))
                let off = blk * type.blockBytes + at
                w[off] = UInt8(h & 0xff); w[off + 1] = UInt8(h >> 8)
            }
        }
        return w
    }

    func testKQuantKernelsMatchFloat64Dot() {
        var rng = RNG(s: 23)
        checkAgainstFloat64Dot([.q4_K, .q5_K, .q6_K], shapes: [(256, 37), (512, 5), (2304, 19)], &rng)
    }

    func testFiveBitKernelsMatchFloat64Dot() {
        var rng = RNG(s: 29)
        checkAgainstFloat64Dot([.q5_0, .q5_1], shapes: [(32, 37), (96, 5), (896, 19)], &rng)
    }

    /// The largest pair sums the 16-bit adds in `blockDots` see: every quant at its maximum (15 or 31)
    /// against activations of ±127, the worst case that must not wrap.
    func testNarrowPairSumsAtTheirLimits() {
        for type in [QuantType.q4_0, .q4_1, .q5_0, .q5_1] {
            let cols = 64, rows = 9
            var w = [UInt8](repeating: 0xFF, count: type.rowBytes(cols)! * rows)
            for blk in 0..<(rows * cols / 32) {   // d = 0.01, and a zero min for Q4_1/Q5_1
                let off = blk * type.blockBytes, h = floatToHalf(0.01)
                w[off] = UInt8(h & 0xff); w[off + 1] = UInt8(h >> 8)
                if type == .q4_1 || type == .q5_1 { w[off + 2] = 0; w[off + 3] = 0 }
            }
            var deq = [Float](repeating: 0, count: cols)
            w.withUnsafeBytes { wb in deq.withUnsafeMutableBufferPointer { dequantizeRow(type, wb.baseAddress!, $0.baseAddress!, count: cols) } }
            for nVec in [1, 8] {
                // Rows of +1 and −1: every activation quantizes to ±127.
                let x = (0..<(nVec * cols)).map { i -> Float in (i / cols) % 2 == 0 ? 1 : -1 }
                let q8 = Q8Rows()
                q8.quantize(x, rows: nVec, cols: cols, ldx: cols)
                var y = [Float](repeating: .nan, count: nVec * rows)
                run(type, w, cols: cols, rows: 0...(rows - 1), q8, nVec: nVec, ldy: rows, into: &y)
                let sum = deq.reduce(0.0) { $0 + Double($1) }
                for v in 0..<nVec {
                    let want = (v % 2 == 0 ? 1.0 : -1.0) * sum
                    for r in 0..<rows { XCTAssertEqual(Double(y[v * rows + r]), want, accuracy: 1e-5 * abs(want), "\(type) nVec \(nVec) vector \(v) row \(r)") }
                }
            }
        }
    }

    /// The largest sums the K-quant kernels add in 16 bits (`kBlockDot`: four pair sums per lane, two
    /// for Q6_K): Q4_K/Q5_K quants at 15 or 31 under scales of 63, Q6_K quants at 31 (unsigned 63, the
    /// largest pair sums) and at −32 (unsigned 0, all of the dot in the group-sum term) under scales of
    /// −128, against activations of ±127, through both the one-row and the eight-row paths.
    func testKQuantSixteenBitSumsAtTheirLimits() {
        // (type, every quant byte, scale bytes, the f16 d's offsets)
        let cases: [(QuantType, UInt8, Range<Int>, UInt8, [Int])] = [
            (.q4_K, 0xFF, 4..<16, 0xFF, [0, 2]), (.q5_K, 0xFF, 4..<16, 0xFF, [0, 2]),
            (.q6_K, 0xFF, 192..<208, 0x80, [208]), (.q6_K, 0x00, 192..<208, 0x80, [208]),
        ]
        for (type, fill, scaleBytes, scale, halves) in cases {
            let cols = 512, rows = 9
            var w = [UInt8](repeating: fill, count: type.rowBytes(cols)! * rows)
            for blk in 0..<(rows * cols / 256) {
                let off = blk * type.blockBytes
                for at in scaleBytes { w[off + at] = scale }
                for (k, at) in halves.enumerated() {   // d = 0.01; dmin = 0, so the mins add nothing
                    let h = floatToHalf(k == 0 ? 0.01 : 0)
                    w[off + at] = UInt8(h & 0xff); w[off + at + 1] = UInt8(h >> 8)
                }
            }
            var deq = [Float](repeating: 0, count: cols)
            w.withUnsafeBytes { wb in deq.withUnsafeMutableBufferPointer { dequantizeRow(type, wb.baseAddress!, $0.baseAddress!, count: cols) } }
            let sum = deq.reduce(0.0) { $0 + Double($1) }
            XCTAssertGreaterThan(abs(sum), 0, "\(type)")
            for nVec in [1, 8] {
                let x = (0..<(nVec * cols)).map { i -> Float in (i / cols) % 2 == 0 ? 1 : -1 }
                let q8 = Q8Rows()
                q8.quantize(x, rows: nVec, cols: cols, ldx: cols, layouts: type.q8Layout)
                var y = [Float](repeating: .nan, count: nVec * rows)
                run(type, w, cols: cols, rows: 0...(rows - 1), q8, nVec: nVec, ldy: rows, into: &y)
                for v in 0..<nVec {
                    let want = (v % 2 == 0 ? 1.0 : -1.0) * sum
                    for r in 0..<rows { XCTAssertEqual(Double(y[v * rows + r]), want, accuracy: 1e-5 * abs(want), "\(type) nVec \(nVec) vector \(v) row \(r)") }
                }
            }
        }
    }

    /// `shapes` are (cols, rows), rows not multiples of 8 for the tails of the eight-row kernel.
    func checkAgainstFloat64Dot(_ types: [QuantType], shapes: [(Int, Int)], _ rng: inout RNG) {
        for type in types {
            for (cols, rows) in shapes {
                let w = weights(type, rows: rows, cols: cols, &rng)
                let rb = type.rowBytes(cols)!, nb = cols / 32
                var deq = [Float](repeating: 0, count: rows * cols)
                w.withUnsafeBytes { wb in deq.withUnsafeMutableBufferPointer { db in
                    for r in 0..<rows { dequantizeRow(type, wb.baseAddress! + r * rb, db.baseAddress! + r * cols, count: cols) }
                } }
                for nVec in 1...9 {   // 1–3: eight weight rows per step; 4–9: eight activation rows
                    for accumulate in [false, true] {
                        let x = activations(rows: nVec, cols: cols, &rng)
                        let q8 = Q8Rows()
                        q8.quantize(x, rows: nVec, cols: cols, ldx: cols, layouts: type.q8Layout)
                        let y0 = (0..<(nVec * rows)).map { _ in accumulate ? Float.random(in: -1...1, using: &rng) : Float.nan }
                        var y = y0
                        run(type, w, cols: cols, rows: 0...(rows - 1), q8, nVec: nVec, ldy: rows, into: &y, accumulate: accumulate)
                        for v in 0..<nVec {
                            for r in 0..<rows {
                                var dot = 0.0, scale = 0.0
                                for c in 0..<cols {
                                    // K-quants read the 256-value layout (interleaved), the others the 32-value one.
                                    let xd = type.blockSize == 256
                                        ? Double(q8.kd[(v * cols + c) / 256]) * Double(q8.kqs[v * cols + c / 256 * 256 + superBlockSlot(c % 256)])
                                        : Double(q8.d[v * nb + c / 32]) * Double(q8.qs[v * cols + c])
                                    dot += Double(deq[r * cols + c]) * xd
                                    scale += abs(Double(deq[r * cols + c]) * xd)
                                }
                                let base = accumulate ? Double(y0[v * rows + r]) : 0
                                let tag = "\(type) cols \(cols) nVec \(nVec) accumulate \(accumulate) row \(r) vector \(v)"
                                XCTAssertEqual(Double(y[v * rows + r]), base + dot, accuracy: 1e-5 * scale + 1e-7 * abs(base) + 1e-30, tag)
                            }
                        }
                    }
                }
            }
        }
    }
}
