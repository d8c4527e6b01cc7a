import Foundation
import FTXCore

/// Output head + masked cross-entropy, fused and chunked so B·T·V logits never exist at once:
/// only rows with a target are projected, `chunk` rows at a time, and each chunk's logit gradient is
/// turned into a hidden-state gradient before the next chunk.
public enum CrossEntropyHead {
    /// Returns Σ −log p(target) over rows with target ≥ 0 (in Double, fixed order).
    /// When dx is non-nil: dx[N×C] (+)= ∂(lossScale·Σ)/∂x. `scratch` must hold chunk·(C + V) floats.
    public static func forwardBackward(x: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows n: Int,
                                       head: FrozenLinear, lossScale: Float, dx: UnsafeMutablePointer<Float>?,
                                       chunk: Int, scratch: UnsafeMutablePointer<Float>) -> Double {
        let c = head.inFeatures, v = head.outFeatures
        let xs = scratch, logits = scratch + chunk * c
        var rowsIdx = [Int](); rowsIdx.reserveCapacity(chunk)
        var total = 0.0
        var start = 0
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunk)
        defer { partial.deallocate() }
        let parts = dx == nil ? 1 : min(Threads.usable, v)
        let partialDX = UnsafeMutablePointer<Float>.allocate(capacity: max(1, (parts - 1) * chunk * c))
        defer { partialDX.deallocate() }
        while start < n {
            rowsIdx.removeAll(keepingCapacity: true)
            var r = start
            while r < n && rowsIdx.count < chunk { if targets[r] >= 0 { rowsIdx.append(r) }; r += 1 }
            start = r
            let m = rowsIdx.count
            if m == 0 { continue }
            for (i, row) in rowsIdx.enumerated() { (xs + i * c).update(from: x + row * c, count: c) }
            head.forward(xs, rows: m, into: logits, accumulate: false)
            rowsIdx.withUnsafeBufferPointer { idx in
                Threads.parallelFor(m, minChunk: 4) { lo, hi in
                    for i in lo..<hi {
                        let l = logits + i * v, tgt = Int(targets[idx[i]])
                        let target = l[tgt]
                        let mx = SoftmaxSIMD.max(l, 0, v)
                        let sum = SoftmaxSIMD.expShift(l, 0, v, shift: mx)   // l ← exp(l − max)
                        partial[i] = Double(mx + logf(sum) - target)
                        if dx != nil {
                            SoftmaxSIMD.scale(l, 0, v, by: lossScale / sum)        // softmax · lossScale
                            l[tgt] -= lossScale
                        }
                    }
                }
            }
            for i in 0..<m { total += partial[i] }
            if let dx {
                backwardInput(head, logits, rows: m, into: xs, parts: parts, partial: partialDX)
                for (i, row) in rowsIdx.enumerated() {
                    let d = dx + row * c, s = xs + i * c
                    for j in 0..<c { d[j] += s[j] }
                }
            }
        }
        return total
    }

    /// xs[m×C] = dLogits · W, the vocabulary (the reduction) split across threads: each packs only its
    /// share of the logit gradient and of the weight (split by input columns, every thread would pack
    /// all m × V of it). Part 0 writes xs, part p its slice of `partial`; they are added in part order.
    static func backwardInput(_ head: FrozenLinear, _ dLogits: UnsafePointer<Float>, rows m: Int,
                              into xs: UnsafeMutablePointer<Float>, parts: Int, partial: UnsafeMutablePointer<Float>) {
        let v = head.outFeatures, c = head.inFeatures
        if parts <= 1 { head.backwardInput(dLogits, rows: m, into: xs, accumulate: false); return }
        Threads.workers(parts) { p in
            let lo = v * p / parts, hi = v * (p + 1) / parts
            head.backwardInput(dLogits, ldy: v, rows: m, outputs: lo, hi, into: p == 0 ? xs : partial + (p - 1) * m * c,
                               accumulate: false)
        }
        Threads.parallelFor(m * c, minChunk: 4096) { lo, hi in
            for p in 1..<parts { let src = partial + (p - 1) * m * c; for i in lo..<hi { xs[i] += src[i] } }
        }
    }
}
