import Foundation
import FTXCore
import FTXTensor

/// Views of one LoRA pair inside the flat parameter / gradient buffers.
/// A is (rank × in), B is (out × rank), row-major, as PEFT.
public struct LoRAView {
    public let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>
    public let da: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>
    public let rank: Int, inFeatures: Int, outFeatures: Int
    public let scale: Float
}

/// Inverted dropout whose mask is a pure function of (seed, element index): recomputation
/// (gradient checkpointing) and resume regenerate exactly the same mask without storing it.
public struct DropoutMask {
    public let p: Float, seed: UInt64
    /// Index of this mask's element 0 in the whole micro-batch's [N × in] input, when a data-parallel
    /// worker applies it to its own rows only: every worker draws the elements the full pass would.
    public var offset: Int
    public init(p: Float, seed: UInt64, offset: Int = 0) { self.p = p; self.seed = seed; self.offset = offset }
    @inline(__always) public func keep(_ i: Int) -> Bool {
        var z = seed &+ UInt64(i + offset) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / 16_777_216.0) >= p
    }
}

/// y = W·x + s·B·A·dropout(x). The rank-r products are thin (one side is r ≤ 64 wide) and memory
/// bound: x·Aᵀ, dy·B and the parameter gradients run in ThinProducts' loops (no operand packing), and
/// they are split across the engine's threads too: products over tokens by row blocks,
/// the parameter gradients (reductions over tokens) by output columns — each element is owned by
/// one thread, so results do not depend on scheduling.
public enum LoRALinear {
    /// Rows (tokens) per chunk below which a thin product runs on one thread.
    static let minRows = 128

    /// y[n×out] ← x[n×in]; saves u = A·dropout(x) [n×rank]. With dropout, `tmp` [n×in] is scratch
    /// (the dropped input is regenerated in backward rather than stored).
    public static func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows n: Int,
                               base: FrozenLinear, lora: LoRAView?, u: UnsafeMutablePointer<Float>?,
                               dropout: DropoutMask?, tmp: UnsafeMutablePointer<Float>?) {
        base.forward(x, rows: n, into: y, accumulate: false)
        guard let l = lora, let u else { return }
        let src = applyDropout(x, count: n * l.inFeatures, dropout, tmp)
        Threads.parallelFor(n, minChunk: minRows) { lo, hi in
            let m = hi - lo
            ThinProducts.rowDots(rows: lo, hi, k: l.inFeatures, r: l.rank, alpha: 1, x: src, ldx: l.inFeatures, w: l.a, y: u, ldy: l.rank)
            BLAS.sgemm(m: m, n: l.outFeatures, k: l.rank, alpha: l.scale, a: u + lo * l.rank, lda: l.rank, b: l.b, ldb: l.rank, transB: true, beta: 1, c: y + lo * l.outFeatures, ldc: l.outFeatures, parallel: false)
        }
    }

    /// dA, dB += parameter gradients; dx[n×in] += input gradient (when dx is non-nil).
    /// `du` is scratch [n×rank]; `tmp` is scratch [n×in] needed only with dropout.
    public static func backward(_ dx: UnsafeMutablePointer<Float>?, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                rows n: Int, base: FrozenLinear, lora: LoRAView?, u: UnsafePointer<Float>?,
                                dropout: DropoutMask?, du: UnsafeMutablePointer<Float>, tmp: UnsafeMutablePointer<Float>?) {
        if let dx { base.backwardInput(dy, rows: n, into: dx, accumulate: true) }
        guard let l = lora, let u else { return }
        let wide = n >= 2 * minRows
        // dB += s·dyᵀ·u, split by rows of dB (output features).
        Threads.parallelFor(l.outFeatures, minChunk: wide ? 16 : l.outFeatures) { lo, hi in
            ThinProducts.outerAccumulate(cols: lo, hi, n: n, r: l.rank, alpha: l.scale, u: u, x: dy, ldx: l.outFeatures,
                                         g: l.db, ldg: l.rank, transposed: true)
        }
        // du = s·dy·B, by token rows.
        Threads.parallelFor(n, minChunk: minRows) { lo, hi in
            ThinProducts.rowTimes(rows: lo, hi, k: l.outFeatures, r: l.rank, alpha: l.scale, x: dy, ldx: l.outFeatures, b: l.b, y: du)
        }
        let src = applyDropout(x, count: n * l.inFeatures, dropout, tmp)
        // dA += duᵀ·x̃, split by columns of dA (input features).
        Threads.parallelFor(l.inFeatures, minChunk: wide ? 16 : l.inFeatures) { lo, hi in
            ThinProducts.outerAccumulate(cols: lo, hi, n: n, r: l.rank, alpha: 1, u: du, x: src, ldx: l.inFeatures,
                                         g: l.da, ldg: l.inFeatures, transposed: false)
        }
        guard let dx else { return }
        if let d = dropout, d.p > 0, let tmp {
            Threads.parallelFor(n, minChunk: minRows) { lo, hi in
                BLAS.sgemm(m: hi - lo, n: l.inFeatures, k: l.rank, a: du + lo * l.rank, lda: l.rank, b: l.a, ldb: l.inFeatures, transB: false, beta: 0, c: tmp + lo * l.inFeatures, ldc: l.inFeatures, parallel: false)
            }
            let inv = 1 / (1 - d.p), count = n * l.inFeatures
            Threads.parallelFor(count, minChunk: 4096) { lo, hi in
                for i in lo..<hi where d.keep(i) { dx[i] += tmp[i] * inv }
            }
        } else {
            Threads.parallelFor(n, minChunk: minRows) { lo, hi in   // dx += du·A
                BLAS.sgemm(m: hi - lo, n: l.inFeatures, k: l.rank, a: du + lo * l.rank, lda: l.rank, b: l.a, ldb: l.inFeatures, transB: false, beta: 1, c: dx + lo * l.inFeatures, ldc: l.inFeatures, parallel: false)
            }
        }
    }

    /// x̃ = dropout(x) written into tmp, or x itself without dropout.
    static func applyDropout(_ x: UnsafePointer<Float>, count: Int, _ dropout: DropoutMask?,
                             _ tmp: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
        guard let d = dropout, d.p > 0, let tmp else { return x }
        let inv = 1 / (1 - d.p)
        Threads.parallelFor(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi { tmp[i] = d.keep(i) ? x[i] * inv : 0 }
        }
        return UnsafePointer(tmp)
    }
}
