import Foundation
import FTXTensor

/// QLoRA's 4-bit NormalFloat storage for a frozen (out × in) weight: blocks of 64 weights share an
/// absmax; the absmax values are themselves quantized (double quantization) as bitsandbytes does
/// (checked against it: NF4ReferenceTests, scripts/nf4_reference.py):
/// the global mean is subtracted, then each group of 256 block absmaxes is quantized blockwise to
/// 8-bit codes of bitsandbytes' signed dynamic map (`create_dynamic_map`), with one f32 absmax per
/// group. Memory: 0.5 byte per weight + 1 byte per 64 + 4 bytes per 16384. The matmuls dequantize
/// tiles of rows into scratch f32 and run sgemm on them, so no f32 copy of the weight exists.
public final class NF4Linear: FrozenLinear, @unchecked Sendable {
    public static let blockSize = 64
    public static let groupSize = 256
    /// The 16 NF4 levels (quantiles of N(0,1) scaled to [−1, 1]) from the QLoRA paper.
    public static let levels: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    ]

    /// Midpoints between adjacent levels in f32, the bounds bitsandbytes bucketizes by.
    static let midpoints: [Float] = zip(levels, levels.dropFirst()).map { ($0 + $1) / 2 }

    public let outFeatures: Int, inFeatures: Int
    let blocksPerRow: Int
    let codes: [UInt8]          // 2 codes per byte, rows padded to whole blocks
    let qAbsmax: [UInt8]        // one dynamic-map code per block
    let groupScale: [Float]     // absmax of (block absmax − mean), one per 256 blocks
    let absmaxMean: Float

    public init(quantizing w: [Float], out: Int, in inF: Int) {
        outFeatures = out; inFeatures = inF
        let bs = Self.blockSize
        blocksPerRow = (inF + bs - 1) / bs
        let nBlocks = out * blocksPerRow
        var absmax = [Float](repeating: 0, count: nBlocks)
        var codes = [UInt8](repeating: 0, count: nBlocks * bs / 2)
        for r in 0..<out {
            for b in 0..<blocksPerRow {
                let lo = b * bs, hi = min(inF, lo + bs)
                var m: Float = 0
                for j in lo..<hi { m = max(m, abs(w[r * inF + j])) }
                absmax[r * blocksPerRow + b] = m
            }
        }
        // Double quantization of the absmax values (the mean summed in Double: the offset every
        // block's scale carries, as close to the exact mean as f32 can hold).
        let mean = absmax.isEmpty ? 0 : Float(absmax.reduce(0.0) { $0 + Double($1) } / Double(absmax.count))
        let groups = (nBlocks + Self.groupSize - 1) / Self.groupSize
        var scales = [Float](repeating: 0, count: groups)
        var q = [UInt8](repeating: DynamicMap.zeroCode, count: nBlocks)
        for g in 0..<groups {
            let lo = g * Self.groupSize, hi = min(nBlocks, lo + Self.groupSize)
            var m: Float = 0
            for i in lo..<hi { m = max(m, abs(absmax[i] - mean)) }
            scales[g] = m
            if m > 0 { let inv = 1 / m; for i in lo..<hi { q[i] = DynamicMap.nearest((absmax[i] - mean) * inv) } }
        }
        absmaxMean = mean
        groupScale = scales
        qAbsmax = q
        // Codes against each block's own absmax, before double quantization, as bitsandbytes'
        // quantize_4bit does: x·(1/absmax) clamped to [−1, 1], then the level whose midpoint
        // interval holds it (a value on a midpoint takes the lower level).
        for r in 0..<out {
            for b in 0..<blocksPerRow {
                let bi = r * blocksPerRow + b
                let inv: Float = absmax[bi] > 0 ? 1 / absmax[bi] : 0
                for k in 0..<bs {
                    let j = b * bs + k
                    let x: Float = j < inF ? min(1, max(-1, w[r * inF + j] * inv)) : 0
                    var best = 0
                    while best < Self.midpoints.count && Self.midpoints[best] < x { best += 1 }
                    let idx = bi * bs + k
                    if idx % 2 == 0 { codes[idx / 2] |= UInt8(best) } else { codes[idx / 2] |= UInt8(best) << 4 }
                }
            }
        }
        self.codes = codes
    }

    /// Bytes held for the weight (codes + block constants).
    public var storageBytes: Int { codes.count + qAbsmax.count + 4 * groupScale.count + 4 }

    /// Columns [c0, c1) of row r as f32 (c0 a multiple of the block size).
    @inline(__always)
    func dequantizeRow(_ r: Int, from c0: Int, to c1: Int, into out: UnsafeMutablePointer<Float>,
                       codes: UnsafePointer<UInt8>, qa: UnsafePointer<UInt8>, gs: UnsafePointer<Float>, lv: UnsafePointer<Float>) {
        let bs = Self.blockSize
        var j = c0
        while j < c1 {
            let b = j / bs, bi = r * blocksPerRow + b
            let am = lv[16 + Int(qa[bi])] * gs[bi / Self.groupSize] + absmaxMean
            let end = min(c1, (b + 1) * bs)
            for c in j..<end {
                let idx = bi * bs + (c - b * bs)
                let byte = codes[idx >> 1]
                let code = idx & 1 == 0 ? byte & 0x0F : byte >> 4
                out[c - c0] = lv[Int(code)] * am
            }
            j = end
        }
    }

    /// The 16 NF4 levels followed by the 256 dynamic-map values (one lookup table for both).
    static let tables: [Float] = levels + DynamicMap.values

    func withTables<R>(_ body: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        codes.withUnsafeBufferPointer { c in qAbsmax.withUnsafeBufferPointer { q in groupScale.withUnsafeBufferPointer { g in
            Self.tables.withUnsafeBufferPointer { l in body(c.baseAddress!, q.baseAddress!, g.baseAddress!, l.baseAddress!) } } } }
    }

    /// Y[n×out] (+)= X·Wᵀ, tiles of rows dequantized into sgemm (`DequantTiles`).
    public func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let cols = inFeatures
        withTables { c, q, g, l in
            DequantTiles.forward(out: outFeatures, cols: cols, minimumTile: 64, x, rows: n, into: y, accumulate: accumulate) { r, row in
                dequantizeRow(r, from: 0, to: cols, into: row, codes: c, qa: q, gs: g, lv: l)
            }
        }
    }

    /// dX[n×in] (+)= dY·W: threads split input columns (whole blocks), each in a fixed order.
    public func backwardInput(_ dy: UnsafePointer<Float>, rows n: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        withTables { c, q, g, l in
            DequantTiles.backwardInput(out: outFeatures, cols: inFeatures, columnGranularity: Self.blockSize, dy, rows: n,
                                       into: dx, accumulate: accumulate) { r, c0, c1, row in
                dequantizeRow(r, from: c0, to: c1, into: row, codes: c, qa: q, gs: g, lv: l)
            }
        }
    }

    public func backwardInput(_ dy: UnsafePointer<Float>, ldy: Int, rows n: Int, outputs lo: Int, _ hi: Int,
                              into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let cols = inFeatures
        withTables { c, q, g, l in
            DequantTiles.backwardInput(outputs: lo, hi, cols: cols, dy, ldy: ldy, rows: n, into: dx, accumulate: accumulate) { r, row in
                dequantizeRow(r, from: 0, to: cols, into: row, codes: c, qa: q, gs: g, lv: l)
            }
        }
    }

    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: outFeatures * inFeatures)
        withTables { c, q, g, l in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<outFeatures { dequantizeRow(r, from: 0, to: inFeatures, into: o.baseAddress! + r * inFeatures, codes: c, qa: q, gs: g, lv: l) }
            }
        }
        return out
    }
}
