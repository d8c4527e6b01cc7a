import XCTest
@testable import FTXTensor

final class DequantizeTests: XCTestCase {
    /// A Q4_1 block built by hand: element j = low nibble of byte j, element j+16 = high nibble.
    func testQ4_1BlockLayout() {
        var block = [UInt8](repeating: 0, count: 20)
        let d = floatToHalf(0.5), m = floatToHalf(-1)
        block[0] = UInt8(d & 0xff); block[1] = UInt8(d >> 8)
        block[2] = UInt8(m & 0xff); block[3] = UInt8(m >> 8)
        for j in 0..<16 { block[4 + j] = UInt8(j) | UInt8(15 - j) << 4 }
        var out = [Float](repeating: 0, count: 32)
        block.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { dequantizeRow(.q4_1, b.baseAddress!, $0.baseAddress!, count: 32) } }
        for j in 0..<16 {
            XCTAssertEqual(out[j], Float(j) * 0.5 - 1)
            XCTAssertEqual(out[j + 16], Float(15 - j) * 0.5 - 1)
        }
    }

    func testQ4_0AndQ8_0() {
        var q40 = [UInt8](repeating: 0, count: 18)
        let d = floatToHalf(0.25)
        q40[0] = UInt8(d & 0xff); q40[1] = UInt8(d >> 8)
        for j in 0..<16 { q40[2 + j] = UInt8(j) | 3 << 4 }
        var out = [Float](repeating: 0, count: 32)
        q40.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { dequantizeRow(.q4_0, b.baseAddress!, $0.baseAddress!, count: 32) } }
        XCTAssertEqual(out[0], -2); XCTAssertEqual(out[15], 1.75); XCTAssertEqual(out[16], -1.25)
        var q8 = [UInt8](repeating: 0, count: 34)
        q8[0] = UInt8(d & 0xff); q8[1] = UInt8(d >> 8)
        for j in 0..<32 { q8[2 + j] = UInt8(bitPattern: Int8(j - 16)) }
        q8.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { dequantizeRow(.q8_0, b.baseAddress!, $0.baseAddress!, count: 32) } }
        for j in 0..<32 { XCTAssertEqual(out[j], Float(j - 16) * 0.25) }
    }

    func testHalfAndBF16() {
        XCTAssertEqual(halfToFloat(0x3c00), 1)
        XCTAssertEqual(halfToFloat(0xc000), -2)
        XCTAssertEqual(bf16ToFloat(0x3f80), 1)
        XCTAssertEqual(floatToBF16(1.0), 0x3f80)
    }

    /// The direct-on-blocks kernel equals dequantize-then-dot for 1…9 vectors.
    func testQuantMatVecMatchesDequantizedDot() {
        var rng = SystemRandomNumberGenerator()
        for type in [QuantType.q4_0, .q4_1, .q8_0] {
            let rows = 300, cols = 96   // > one row tile of the batched kernel
            let rb = type.rowBytes(cols)!
            var w = [UInt8](repeating: 0, count: rb * rows)
            for i in 0..<w.count { w[i] = UInt8.random(in: 0...255, using: &rng) }
            for r in 0..<rows * (cols / 32) {   // sane scales and mins
                let off = r * type.blockBytes
                let h = floatToHalf(Float.random(in: 0.01...0.1))
                w[off] = UInt8(h & 0xff); w[off + 1] = UInt8(h >> 8)
                if type == .q4_1 { let m = floatToHalf(-0.3); w[off + 2] = UInt8(m & 0xff); w[off + 3] = UInt8(m >> 8) }
            }
            for nVec in [1, 2, 3, 4, 5, 8, 9, 12, 17] {
                let x = (0..<(nVec * cols)).map { _ in Float.random(in: -1...1) }
                var y = [Float](repeating: 0, count: nVec * rows)
                w.withUnsafeBytes { wb in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
                    quantMatVecRows(type, w: wb.baseAddress!, rowBytes: rb, cols: cols, rowStart: 0, rowEnd: rows,
                                    x: xb.baseAddress!, ldx: cols, nVec: nVec, y: yb.baseAddress!, ldy: rows, accumulate: false)
                } } }
                for r in 0..<rows {
                    var deq = [Float](repeating: 0, count: cols)
                    w.withUnsafeBytes { wb in deq.withUnsafeMutableBufferPointer { dequantizeRow(type, wb.baseAddress! + r * rb, $0.baseAddress!, count: cols) } }
                    for v in 0..<nVec {
                        var ref = 0.0
                        for i in 0..<cols { ref += Double(deq[i]) * Double(x[v * cols + i]) }
                        XCTAssertEqual(Double(y[v * rows + r]), ref, accuracy: 1e-4, "\(type) nVec \(nVec)")
                    }
                }
            }
        }
    }

    func testParallelSgemmMatchesNaive() {
        let m = 7, n = 300, k = 33
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1) }
        let b = (0..<(n * k)).map { _ in Float.random(in: -1...1) }
        var c = [Float](repeating: 0, count: m * n)
        BLAS.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, transB: true, beta: 0, c: &c, ldc: n)
        for i in 0..<m { for j in 0..<n {
            var r: Float = 0
            for t in 0..<k { r += a[i * k + t] * b[j * k + t] }
            XCTAssertEqual(c[i * n + j], r, accuracy: 1e-4)
        } }
    }
}

final class VectorOpsTests: XCTestCase {
    func testSimdExpIsAccurate() {
        var worst: Float = 0
        var x: Float = -90
        while x < 88 {
            var v = SIMD16<Float>()
            for i in 0..<16 { v[i] = x + Float(i) * 0.0137 }
            let e = simdExp(v)
            for i in 0..<16 {
                let ref = Float(exp(Double(v[i])))
                if ref > 1e-30 { worst = max(worst, abs(e[i] - ref) / ref) }
                else { XCTAssertLessThan(e[i], 1e-30) }
            }
            x += 0.219
        }
        XCTAssertLessThan(worst, 3e-7)
    }

    func testSoftmaxAndSwiGLU() {
        var row: [Float] = (0..<37).map { Float($0 % 7) - 3 }
        let ref = row.map { exp(Double($0)) }
        let z = ref.reduce(0, +)
        row.withUnsafeMutableBufferPointer { VectorOps.softmax($0.baseAddress!, 37) }
        for i in 0..<37 { XCTAssertEqual(Double(row[i]), ref[i] / z, accuracy: 1e-6) }
        var g: [Float] = (0..<40).map { Float($0) / 4 - 5 }
        let u: [Float] = (0..<40).map { Float($0) / 10 }
        let want = zip(g, u).map { Double($0) / (1 + exp(-Double($0))) * Double($1) }
        g.withUnsafeMutableBufferPointer { VectorOps.swiglu($0.baseAddress!, u, count: 40) }
        for i in 0..<40 { XCTAssertEqual(Double(g[i]), want[i], accuracy: 1e-5) }
    }
}

final class KQuantTests: XCTestCase {
    /// Q4_K: 8 sub-blocks of 32 with 6-bit scales/mins packed in 12 bytes; w = d·sc·q − dmin·m.
    func testQ4KBlock() {
        var b = [UInt8](repeating: 0, count: 144)
        let d = floatToHalf(0.5), dmin = floatToHalf(0.25)
        b[0] = UInt8(d & 0xff); b[1] = UInt8(d >> 8); b[2] = UInt8(dmin & 0xff); b[3] = UInt8(dmin >> 8)
        // Sub-block j < 4: scale = scales[j] & 63, min = scales[j+4] & 63; j ≥ 4 use the high bits.
        let sc: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8], mn: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]
        for j in 0..<4 { b[4 + j] = sc[j]; b[8 + j] = mn[j] }
        for j in 4..<8 { b[4 + j + 4] = (sc[j] & 0xF) | ((mn[j] & 0xF) << 4) }
        for i in 0..<128 { b[16 + i] = UInt8(i % 16) | UInt8((15 - i % 16) << 4) }
        var out = [Float](repeating: 0, count: 256)
        b.withUnsafeBytes { p in out.withUnsafeMutableBufferPointer { dequantizeRow(.q4_K, p.baseAddress!, $0.baseAddress!, count: 256) } }
        for j in 0..<8 {
            for l in 0..<32 {
                let byte = b[16 + (j / 2) * 32 + l]
                let q = j % 2 == 0 ? Float(byte & 0xF) : Float(byte >> 4)
                XCTAssertEqual(out[j * 32 + l], 0.5 * Float(sc[j]) * q - 0.25 * Float(mn[j]), "sub-block \(j) element \(l)")
            }
        }
    }

    /// Q6_K: 6-bit quants (4 low bits in ql, 2 high in qh) minus 32, 16 int8 scales, one f16 d.
    func testQ6KBlock() {
        var b = [UInt8](repeating: 0, count: 210)
        for i in 0..<128 { b[i] = UInt8(i & 0xFF) }
        for i in 0..<64 { b[128 + i] = UInt8((i * 7) & 0xFF) }
        for i in 0..<16 { b[192 + i] = UInt8(bitPattern: Int8(i - 8)) }
        let d = floatToHalf(0.125)
        b[208] = UInt8(d & 0xff); b[209] = UInt8(d >> 8)
        var out = [Float](repeating: 0, count: 256)
        b.withUnsafeBytes { p in out.withUnsafeMutableBufferPointer { dequantizeRow(.q6_K, p.baseAddress!, $0.baseAddress!, count: 256) } }
        // Reference: ggml's dequantize_row_q6_K written out independently.
        var ref = [Float](repeating: 0, count: 256)
        for half in 0..<2 {
            let ql = half * 64, qh = 128 + half * 32, scb = 192 + half * 8, y = half * 128
            for l in 0..<32 {
                let s = l / 16
                let q1 = Int((b[ql + l] & 0xF) | ((b[qh + l] >> 0) & 3) << 4) - 32
                let q2 = Int((b[ql + l + 32] & 0xF) | ((b[qh + l] >> 2) & 3) << 4) - 32
                let q3 = Int((b[ql + l] >> 4) | ((b[qh + l] >> 4) & 3) << 4) - 32
                let q4 = Int((b[ql + l + 32] >> 4) | ((b[qh + l] >> 6) & 3) << 4) - 32
                let scale = { (k: Int) in Float(Int8(bitPattern: b[scb + k])) }
                ref[y + l] = 0.125 * scale(s) * Float(q1)
                ref[y + l + 32] = 0.125 * scale(s + 2) * Float(q2)
                ref[y + l + 64] = 0.125 * scale(s + 4) * Float(q3)
                ref[y + l + 96] = 0.125 * scale(s + 6) * Float(q4)
            }
        }
        XCTAssertEqual(out, ref)
    }
}
