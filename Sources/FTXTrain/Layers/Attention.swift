import Foundation
import FTXCore
import FTXTensor

/// Causal grouped-query attention over B sequences of T rows. Probabilities are not stored: forward
/// saves each row's log-sum-exp and backward recomputes P = exp(S − lse) (one extra gemm per head,
/// B·H·T² floats of memory saved). `keyStart[row]` is the first key a row may see (0 without packing;
/// the segment start when several examples are packed into one sequence).
public struct AttentionShape {
    public let batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int
    /// Multiplies q·k before the softmax.
    public let scale: Float
    /// `scale` nil is 1/√headDim.
    public init(batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float? = nil) {
        self.batch = batch; self.seqLen = seqLen; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }
    var qWidth: Int { heads * headDim }
    var kvWidth: Int { kvHeads * headDim }
    var groupSize: Int { heads / kvHeads }
}

public enum Attention {
    /// Query rows per causal block: a block's scores, probabilities and products cover only the keys
    /// up to its last row, so the masked upper triangle is neither computed nor packed by BLAS.
    /// (A var only so tests can force several ragged blocks on tiny sequences.)
    nonisolated(unsafe) static var causalBlock = 64

    /// out[B·T × H·hd], lse[B × H × T] ← q[B·T × H·hd], k, v[B·T × KV·hd] (q, k already rotated)
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ lse: UnsafeMutablePointer<Float>,
                               _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                               keyStart: UnsafePointer<Int32>, shape s: AttentionShape) {
        let t = s.seqLen, hd = s.headDim, qw = s.qWidth, kvw = s.kvWidth
        // One causal block of scores at a time: min(64, T) rows of T columns, not T × T (an unpadded
        // row holds several examples, so T can be a few times max_seq_length).
        forEachGroup(s, scratchPerWorker: min(t, causalBlock) * t) { b, g, scratch in
            let kb = k + b * t * kvw + g * hd, vb = v + b * t * kvw + g * hd
            for h in g * s.groupSize..<(g + 1) * s.groupSize {
                let qb = q + b * t * qw + h * hd
                let lseRow = lse + (b * s.heads + h) * t
                var r0 = 0
                while r0 < t {   // causal: query rows r0..<r1 see keys k0..<r1 only
                    let r1 = min(t, r0 + causalBlock), m = r1 - r0, k0 = firstKey(keyStart + b * t, r0, r1), nk = r1 - k0
                    let sc = scratch + k0   // columns k0..<r1 of each row
                    BLAS.sgemm(m: m, n: nk, k: hd, alpha: s.scale, a: qb + r0 * qw, lda: qw, b: kb + k0 * kvw, ldb: kvw, transB: true, beta: 0, c: sc, ldc: t, parallel: false)
                    for i in r0..<r1 {
                        let row = scratch + (i - r0) * t
                        let lo = Int(keyStart[b * t + i])
                        let mx = SoftmaxSIMD.max(row, lo, i + 1)
                        let sum = SoftmaxSIMD.expShift(row, lo, i + 1, shift: mx)
                        for j in k0..<lo { row[j] = 0 }
                        SoftmaxSIMD.scale(row, lo, i + 1, by: 1 / sum)
                        for j in (i + 1)..<r1 { row[j] = 0 }
                        lseRow[i] = mx + logf(sum)
                    }
                    BLAS.sgemm(m: m, n: hd, k: nk, a: sc, lda: t, b: vb + k0 * kvw, ldb: kvw, transB: false, beta: 0, c: out + (b * t + r0) * qw + h * hd, ldc: qw, parallel: false)
                    r0 = r1
                }
            }
        }
    }

    /// dq, dk, dv (+)= gradients given dout; q, k, v and lse as saved by forward.
    public static func backward(_ dq: UnsafeMutablePointer<Float>, _ dk: UnsafeMutablePointer<Float>,
                                _ dv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                _ lse: UnsafePointer<Float>, keyStart: UnsafePointer<Int32>, shape s: AttentionShape) {
        let t = s.seqLen, hd = s.headDim, qw = s.qWidth, kvw = s.kvWidth
        forEachGroup(s, scratchPerWorker: 2 * min(t, causalBlock) * t) { b, g, scratch in
            let p = scratch, dp = scratch + min(t, causalBlock) * t
            let kb = k + b * t * kvw + g * hd, vb = v + b * t * kvw + g * hd
            let dkb = dk + b * t * kvw + g * hd, dvb = dv + b * t * kvw + g * hd
            for h in g * s.groupSize..<(g + 1) * s.groupSize {
                let lseRow = lse + (b * s.heads + h) * t
                var r0 = 0
                while r0 < t {   // causal: query rows r0..<r1 touch keys k0..<r1 only
                    let r1 = min(t, r0 + causalBlock), m = r1 - r0, k0 = firstKey(keyStart + b * t, r0, r1), nk = r1 - k0
                    let off = (b * t + r0) * qw + h * hd
                    let qb = q + off, dob = dout + off, dqb = dq + off
                    let pk = p + k0, dpk = dp + k0, kbk = kb + k0 * kvw   // from key k0 on
                    BLAS.sgemm(m: m, n: nk, k: hd, alpha: s.scale, a: qb, lda: qw, b: kbk, ldb: kvw, transB: true, beta: 0, c: pk, ldc: t, parallel: false)
                    for i in r0..<r1 {
                        let row = p + (i - r0) * t, lo = Int(keyStart[b * t + i]), l = lseRow[i]
                        for j in k0..<lo { row[j] = 0 }
                        SoftmaxSIMD.expShift(row, lo, i + 1, shift: l)
                        for j in (i + 1)..<r1 { row[j] = 0 }
                    }
                    BLAS.sgemm(m: m, n: nk, k: hd, a: dob, lda: qw, b: vb + k0 * kvw, ldb: kvw, transB: true, beta: 0, c: dpk, ldc: t, parallel: false)       // dP = dO·Vᵀ
                    BLAS.sgemm(transA: true, m: nk, n: hd, k: m, a: pk, lda: t, b: dob, ldb: qw, transB: false, beta: 1, c: dvb + k0 * kvw, ldc: kvw, parallel: false)        // dV += Pᵀ·dO
                    for i in r0..<r1 {
                        let pr = p + (i - r0) * t, dr = dp + (i - r0) * t, lo = Int(keyStart[b * t + i])
                        var dot: Float = 0
                        for j in lo...i { dot += pr[j] * dr[j] }
                        for j in k0..<r1 { dr[j] = pr[j] * (dr[j] - dot) }           // dS (0 where P is 0)
                    }
                    BLAS.sgemm(m: m, n: hd, k: nk, alpha: s.scale, a: dpk, lda: t, b: kbk, ldb: kvw, transB: false, beta: 1, c: dqb, ldc: qw, parallel: false) // dQ += s·dS·K
                    BLAS.sgemm(transA: true, m: nk, n: hd, k: m, alpha: s.scale, a: dpk, lda: t, b: qb, ldb: qw, transB: false, beta: 1, c: dkb + k0 * kvw, ldc: kvw, parallel: false)  // dK += s·dSᵀ·Q
                    r0 = r1
                }
            }
        }
    }

    /// The first key any of rows r0..<r1 may see, so that keys before it (earlier packed examples)
    /// are neither multiplied nor packed by BLAS: the minimum over the rows, whatever the layout.
    static func firstKey(_ keyStart: UnsafePointer<Int32>, _ r0: Int, _ r1: Int) -> Int {
        var k = Int(keyStart[r0])
        for i in (r0 + 1)..<r1 { k = min(k, Int(keyStart[i])) }
        return k
    }

    /// One worker per (sequence, kv head) group (BLAS is single-threaded inside): the heads of a group
    /// run in a fixed order, so dK/dV accumulation is deterministic.
    static func forEachGroup(_ s: AttentionShape, scratchPerWorker: Int,
                             _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let groups = s.batch * s.kvHeads
        let workers = max(1, min(Threads.usable, groups))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * scratchPerWorker)
        defer { scratch.deallocate() }
        if workers == 1 {
            for gi in 0..<groups { body(gi / s.kvHeads, gi % s.kvHeads, scratch) }
            return
        }
        Threads.workers(workers) { w in
            var gi = w
            while gi < groups {
                body(gi / s.kvHeads, gi % s.kvHeads, scratch + w * scratchPerWorker)
                gi += workers
            }
        }
    }
}
