import FTXCore

/// A quantized weight W[out×cols] times many activation rows: tiles of weight rows are dequantized
/// into scratch f32 and multiplied with OpenBLAS sgemm, so no f32 copy of the whole weight exists.
/// Every weight kept in blocks (GGUF types in FTXModel's `LinearWeight`, NF4 in FTXTrain) runs its
/// batched matmuls through these loops and supplies only how to dequantize a row.
public enum DequantTiles {
    /// How many weight rows a tile holds. Every tile's sgemm packs the whole activation operand
    /// again, so fewer, larger tiles pack less; on several threads each thread still needs a few
    /// tiles for balance; and one tile's f32 copy stays within 4 MiB.
    public static func rows(out: Int, cols: Int, minimum: Int) -> Int {
        let cap = max(minimum, (1 << 20) / max(cols, 1))
        if Threads.isSerial || Threads.count == 1 { return max(1, min(out, cap)) }
        let balanced = out / (4 * Threads.count) / 16 * 16
        return max(minimum, min(256, cap, balanced))
    }

    /// Y[n×out] (+)= X[n×cols]·Wᵀ. Threads split the output rows; each dequantizes its rows a tile
    /// at a time (`dequantizeRow(r, into)` writes row r's `cols` values) and runs sgemm on the tile.
    public static func forward(out: Int, cols: Int, minimumTile: Int, _ x: UnsafePointer<Float>, rows n: Int,
                               into y: UnsafeMutablePointer<Float>, accumulate: Bool,
                               dequantizeRow: (Int, UnsafeMutablePointer<Float>) -> Void) {
        guard n > 0, out > 0 else { return }
        let tile = rows(out: out, cols: cols, minimum: minimumTile)
        Threads.parallelFor(out, granularity: tile) { s, e in
            eachTile(s, e, tile: tile, width: cols, dequantizeRow) { r, rows, w in
                BLAS.sgemm(m: n, n: rows, k: cols, a: x, lda: cols, b: w, ldb: cols, transB: true,
                           beta: accumulate ? 1 : 0, c: y + r, ldc: out, parallel: false)
            }
        }
    }

    /// dX[n×cols] (+)= dY[n×out]·W. Threads split the input columns (multiples of `columnGranularity`,
    /// the weight's block size); each walks all weight rows in tiles, accumulating into its own
    /// columns of dX in row order — no shared writes, a fixed order. `dequantizeRow(r, c0, c1, into)`
    /// writes columns c0..<c1 of row r.
    public static func backwardInput(out: Int, cols: Int, columnGranularity: Int, _ dy: UnsafePointer<Float>, rows n: Int,
                                     into dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                                     dequantizeRow: (Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        guard n > 0, cols > 0 else { return }
        if out == 0 {
            if !accumulate { dx.update(repeating: 0, count: n * cols) }
            return
        }
        Threads.parallelFor(cols, granularity: columnGranularity) { cs, ce in
            eachTile(0, out, tile: 256, width: ce - cs, { r, row in dequantizeRow(r, cs, ce, row) }) { r, rows, w in
                BLAS.sgemm(m: n, n: ce - cs, k: rows, a: dy + r, lda: out, b: w, ldb: ce - cs, transB: false,
                           beta: (r == 0 && !accumulate) ? 0 : 1, c: dx + cs, ldc: cols, parallel: false)
            }
        }
    }

    /// dX[n×cols] (+)= dY[:, lo..<hi]·W[lo..<hi, :] on the calling thread (dY rows `ldy` apart):
    /// rows lo..<hi dequantized in tiles and multiplied in, in row order. One thread's share when
    /// threads split the output features (the reduction) instead of the inputs.
    public static func backwardInput(outputs lo: Int, _ hi: Int, cols: Int, _ dy: UnsafePointer<Float>, ldy: Int, rows n: Int,
                                     into dx: UnsafeMutablePointer<Float>, accumulate: Bool, tile: Int = 256,
                                     dequantizeRow: (Int, UnsafeMutablePointer<Float>) -> Void) {
        if hi <= lo { if !accumulate { dx.update(repeating: 0, count: n * cols) }; return }
        eachTile(lo, hi, tile: tile, width: cols, dequantizeRow) { r, rows, w in
            BLAS.sgemm(m: n, n: cols, k: rows, a: dy + r, lda: ldy, b: w, ldb: cols, transB: false,
                       beta: (r == lo && !accumulate) ? 0 : 1, c: dx, ldc: cols, parallel: false)
        }
    }

    /// Weight rows lo..<hi, `tile` at a time, dequantized into scratch (`width` values per row);
    /// `multiply(firstRow, rows, tile)` uses each tile in row order.
    @inline(__always)
    static func eachTile(_ lo: Int, _ hi: Int, tile: Int, width: Int, _ dequantizeRow: (Int, UnsafeMutablePointer<Float>) -> Void,
                         _ multiply: (Int, Int, UnsafePointer<Float>) -> Void) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * width)
        defer { scratch.deallocate() }
        var r = lo
        while r < hi {
            let rows = min(tile, hi - r)
            for i in 0..<rows { dequantizeRow(r + i, scratch + i * width) }
            multiply(r, rows, scratch)
            r += rows
        }
    }
}
