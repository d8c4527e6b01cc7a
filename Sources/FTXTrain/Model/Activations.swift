import Foundation
import FTXModel

/// Saved activations of one transformer block for a micro-batch of N rows (B sequences × T).
/// The normed inputs and the SwiGLU output are not kept: backward recomputes them (cheap,
/// elementwise) into buffers shared by all blocks.
final class BlockActivations {
    let rstd1, q, k, v, lse, ao, x2, rstd2, g, up: FloatBuffer
    /// u = A·dropout(x) per LoRA target of this block [N × rank].
    var loraU: [Projection: FloatBuffer] = [:]
    /// With per-head q/k norms: q and k before the norm, and the norm's 1/rms per (row, head).
    let qkNorm: (qPre: FloatBuffer, kPre: FloatBuffer, rstdQ: FloatBuffer, rstdK: FloatBuffer)?
    /// With post-norms: the attention and MLP outputs before their norms, and the norms' 1/rms per row.
    let post: (attn: FloatBuffer, rstdAttn: FloatBuffer, mlp: FloatBuffer, rstdMLP: FloatBuffer)?

    init(dims d: ModelDims, rows n: Int, batch: Int, seqLen: Int, rank: Int, targets: [Projection]) {
        rstd1 = FloatBuffer(n)
        q = FloatBuffer(n * d.qWidth); k = FloatBuffer(n * d.kvWidth); v = FloatBuffer(n * d.kvWidth)
        lse = FloatBuffer(batch * d.numHeads * seqLen)
        ao = FloatBuffer(n * d.qWidth)
        x2 = FloatBuffer(n * d.hiddenSize); rstd2 = FloatBuffer(n)
        g = FloatBuffer(n * d.intermediateSize); up = FloatBuffer(n * d.intermediateSize)
        for t in targets { loraU[t] = FloatBuffer(n * rank) }
        qkNorm = d.architecture.qkNorm
            ? (FloatBuffer(n * d.qWidth), FloatBuffer(n * d.kvWidth), FloatBuffer(n * d.numHeads), FloatBuffer(n * d.numKVHeads))
            : nil
        post = d.architecture.postNorms
            ? (FloatBuffer(n * d.hiddenSize), FloatBuffer(n), FloatBuffer(n * d.hiddenSize), FloatBuffer(n))
            : nil
    }
}

/// Gradient scratch shared by all blocks during backward.
final class BackwardScratch {
    let dres, dxn, dao, dq, dk, dv, dg, dup, dh, du: FloatBuffer
    /// Recomputed normed input [N×C] and SwiGLU output [N×I] of the block being processed.
    let xn, h: FloatBuffer
    /// ∂L/∂(normed q, k) while backward goes through per-head q/k norms (empty without them).
    let dqNormed, dkNormed: FloatBuffer
    /// ∂L/∂(attention or MLP output before its post-norm) (empty without post-norms).
    let dpost: FloatBuffer
    let tmp: FloatBuffer?   // dropout scratch [N × tmpWidth], only with dropout
    let tmpWidth: Int
    init(dims d: ModelDims, rows n: Int, rank: Int, dropout: Bool) {
        dres = FloatBuffer(n * d.hiddenSize); dxn = FloatBuffer(n * d.hiddenSize)
        dao = FloatBuffer(n * d.qWidth); dq = FloatBuffer(n * d.qWidth)
        dk = FloatBuffer(n * d.kvWidth); dv = FloatBuffer(n * d.kvWidth)
        dg = FloatBuffer(n * d.intermediateSize); dup = FloatBuffer(n * d.intermediateSize); dh = FloatBuffer(n * d.intermediateSize)
        du = FloatBuffer(n * max(rank, 1))
        xn = FloatBuffer(n * d.hiddenSize); h = FloatBuffer(n * d.intermediateSize)
        dqNormed = FloatBuffer(d.architecture.qkNorm ? n * d.qWidth : 0)
        dkNormed = FloatBuffer(d.architecture.qkNorm ? n * d.kvWidth : 0)
        dpost = FloatBuffer(d.architecture.postNorms ? n * d.hiddenSize : 0)
        tmpWidth = max(d.hiddenSize, d.intermediateSize, d.qWidth)
        tmp = dropout ? FloatBuffer(n * tmpWidth) : nil
    }
}
