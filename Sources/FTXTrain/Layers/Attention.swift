import CBLAS
import Foundation

/// Causal grouped-query attention over B sequences of T rows. Probabilities are not stored: forward
/// saves each row's log-sum-exp and backward recomputes P = exp(S − lse) (one extra gemm per head,
/// B·H·T² floats of memory saved). `keyStart[row]` is the first key a row may see (0 without packing;
/// the segment start when several examples are packed into one sequence).
public struct AttentionShape {
    public let batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int
    public init(batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int) {
        self.batch = batch; self.seqLen = seqLen; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
    var qWidth: Int { heads * headDim }
    var kvWidth: Int { kvHeads * headDim }
    var groupSize: Int { heads / kvHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
}

public enum Attention {
    /// out[B·T × H·hd], lse[B × H × T] ← q[B·T × H·hd], k, v[B·T × KV·hd] (q, k already rotated)
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ lse: UnsafeMutablePointer<Float>,
                               _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                               keyStart: UnsafePointer<Int32>, shape s: AttentionShape) {
        let t = s.seqLen, hd = s.headDim, qw = s.qWidth, kvw = s.kvWidth
        forEachGroup(s, scratchPerWorker: t * t) { b, g, scratch in
            let kb = k + b * t * kvw + g * hd, vb = v + b * t * kvw + g * hd
            for h in g * s.groupSize..<(g + 1) * s.groupSize {
                let qb = q + b * t * qw + h * hd
                sgemm(false, true, t, t, hd, s.scale, qb, qw, kb, kvw, 0, scratch, t)
                let lseRow = lse + (b * s.heads + h) * t
                for i in 0..<t {
                    let row = scratch + i * t
                    let lo = Int(keyStart[b * t + i])
                    let mx = SoftmaxSIMD.max(row, lo, i + 1)
                    let sum = SoftmaxSIMD.expShift(row, lo, i + 1, shift: mx)
                    for j in 0..<lo { row[j] = 0 }
                    SoftmaxSIMD.scale(row, lo, i + 1, by: 1 / sum)
                    for j in (i + 1)..<t { row[j] = 0 }
                    lseRow[i] = mx + logf(sum)
                }
                sgemm(false, false, t, hd, t, 1, scratch, t, vb, kvw, 0, out + b * t * qw + h * hd, qw)
            }
        }
    }

    /// dq, dk, dv (+)= gradients given dout; q, k, v and lse as saved by forward.
    public static func backward(_ dq: UnsafeMutablePointer<Float>, _ dk: UnsafeMutablePointer<Float>,
                                _ dv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                _ lse: UnsafePointer<Float>, keyStart: UnsafePointer<Int32>, shape s: AttentionShape) {
        let t = s.seqLen, hd = s.headDim, qw = s.qWidth, kvw = s.kvWidth
        forEachGroup(s, scratchPerWorker: 2 * t * t) { b, g, scratch in
            let p = scratch, dp = scratch + t * t
            let kb = k + b * t * kvw + g * hd, vb = v + b * t * kvw + g * hd
            let dkb = dk + b * t * kvw + g * hd, dvb = dv + b * t * kvw + g * hd
            for h in g * s.groupSize..<(g + 1) * s.groupSize {
                let qb = q + b * t * qw + h * hd, dob = dout + b * t * qw + h * hd, dqb = dq + b * t * qw + h * hd
                sgemm(false, true, t, t, hd, s.scale, qb, qw, kb, kvw, 0, p, t)
                let lseRow = lse + (b * s.heads + h) * t
                for i in 0..<t {
                    let row = p + i * t, lo = Int(keyStart[b * t + i]), l = lseRow[i]
                    for j in 0..<lo { row[j] = 0 }
                    SoftmaxSIMD.expShift(row, lo, i + 1, shift: l)
                    for j in (i + 1)..<t { row[j] = 0 }
                }
                sgemm(false, true, t, t, hd, 1, dob, qw, vb, kvw, 0, dp, t)       // dP = dO·Vᵀ
                sgemm(true, false, t, hd, t, 1, p, t, dob, qw, 1, dvb, kvw)        // dV += Pᵀ·dO
                for i in 0..<t {
                    let pr = p + i * t, dr = dp + i * t, lo = Int(keyStart[b * t + i])
                    var dot: Float = 0
                    for j in lo...i { dot += pr[j] * dr[j] }
                    for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }            // dS (0 where P is 0)
                }
                sgemm(false, false, t, hd, t, s.scale, dp, t, kb, kvw, 1, dqb, qw) // dQ += s·dS·K
                sgemm(true, false, t, hd, t, s.scale, dp, t, qb, qw, 1, dkb, kvw)  // dK += s·dSᵀ·Q
            }
        }
    }

    /// One worker per (sequence, kv head) group (BLAS is single-threaded inside): the heads of a group
    /// run in a fixed order, so dK/dV accumulation is deterministic.
    static func forEachGroup(_ s: AttentionShape, scratchPerWorker: Int,
                             _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let groups = s.batch * s.kvHeads
        let workers = max(1, min(Parallel.threads, groups))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * scratchPerWorker)
        defer { scratch.deallocate() }
        if workers == 1 {
            for gi in 0..<groups { body(gi / s.kvHeads, gi % s.kvHeads, scratch) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var gi = w
            while gi < groups {
                body(gi / s.kvHeads, gi % s.kvHeads, scratch + w * scratchPerWorker)
                gi += workers
            }
        }
    }
}
