import Foundation

/// Q4_K quantization as llama.cpp's `quantize_row_q4_K_ref`: a 256-value block is eight sub-blocks
/// of 32, each fitted with a 4-bit scale and min by a weighted least-squares search over 21 trial
/// scales (`make_qkx2_quants`: weights av(x) + |x|); the eight scales and mins are then quantized to
/// 6 bits against the block's largest (f16 `d` and `dmin`) and the values re-rounded against them.
/// Block: d, dmin (f16), 12 bytes of packed 6-bit scales/mins, 128 bytes of nibbles (values j and
/// j + 32 of each 64 share a byte). The float operations keep the reference's order.
extension Quantize {
    static func q4_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        // Scratch on the stack (no allocation per block): 8 scales, 8 mins, 32 weights; 256 levels,
        // 32 trial levels, 12 packed scale bytes.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { f in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 300) { b in
                q4_K(x, out, scales: f.baseAddress!, mins: f.baseAddress! + 8, weights: f.baseAddress! + 16,
                     levels: b.baseAddress!, aux: b.baseAddress! + 256, packed: b.baseAddress! + 288)
            }
        }
    }

    private static func q4_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer,
                             scales: UnsafeMutablePointer<Float>, mins: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>,
                             levels: UnsafeMutablePointer<UInt8>, aux: UnsafeMutablePointer<UInt8>, packed: UnsafeMutablePointer<UInt8>) {
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            let sub = x + 32 * j
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += sub[l] * sub[l] }
            let av = (sumX2 / 32).squareRoot()
            (scales[j], mins[j]) = fitScaleMin(sub, weightBase: av, levels: levels + 32 * j, weights: weights, aux: aux)
            // Strict comparisons, as the reference: a −0 min must not replace the +0 start.
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0, invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        packed.initialize(repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = UInt8(min(63, nearestInt(invScale * scales[j]))), lm = UInt8(min(63, nearestInt(invMin * mins[j])))
            if j < 4 {
                packed[j] = ls; packed[j + 4] = lm
            } else {
                packed[j + 4] = (ls & 0xF) | (lm & 0xF) << 4
                packed[j - 4] |= (ls >> 4) << 6
                packed[j] |= (lm >> 4) << 6
            }
        }
        let dHalf = floatToHalf(maxScale / 63), dminHalf = floatToHalf(maxMin / 63)
        let d = halfToFloat(dHalf), dmin = halfToFloat(dminHalf)
        for j in 0..<8 {
            let (sc, m) = scaleMinK4(j, packed)
            let ds = d * Float(sc)
            if ds == 0 { continue }
            let dm = dmin * Float(m)
            for i in 0..<32 { levels[32 * j + i] = UInt8(max(0, min(15, nearestInt((x[32 * j + i] + dm) / ds)))) }
        }
        out.storeBytes(of: dHalf.littleEndian, as: UInt16.self)
        out.storeBytes(of: dminHalf.littleEndian, toByteOffset: 2, as: UInt16.self)
        for k in 0..<12 { out.storeBytes(of: packed[k], toByteOffset: 4 + k, as: UInt8.self) }
        for chunk in 0..<4 {
            for l in 0..<32 {
                let byte = levels[64 * chunk + l] | levels[64 * chunk + 32 + l] << 4
                out.storeBytes(of: byte, toByteOffset: 16 + 32 * chunk + l, as: UInt8.self)
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` from the packed 12 bytes (`get_scale_min_k4`).
    static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0xF) | (q[j - 4] >> 6) << 4, (q[j + 4] >> 4) | (q[j] >> 6) << 4)
    }

    /// Round half to even, as ggml's `nearest_int` (the 1.5·2²³ trick) does for |v| < 2²².
    static func nearestInt(_ v: Float) -> Int { Int(v.rounded(.toNearestOrEven)) }

    /// `make_qkx2_quants(32, 15, x, weights, L, &min, Laux, -1, 0.1, 20, false)`: the scale and the
    /// (positive) min of one sub-block, its 4-bit levels written to `levels`.
    /// `weights` and `aux` are 32-value scratch.
    static func fitScaleMin(_ x: UnsafePointer<Float>, weightBase av: Float, levels L: UnsafeMutablePointer<UInt8>,
                            weights w: UnsafeMutablePointer<Float>, aux: UnsafeMutablePointer<UInt8>) -> (scale: Float, min: Float) {
        let n = 32, nmax: Float = 15
        for i in 0..<n { w[i] = av + abs(x[i]) }
        var lo = x[0], hi = x[0], sumW = w[0], sumX = w[0] * x[0]
        for i in 1..<n {
            if x[i] < lo { lo = x[i] }
            if x[i] > hi { hi = x[i] }
            sumW += w[i]; sumX += w[i] * x[i]
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0..<n { L[i] = 0 }
            return (0, -lo)
        }
        var iscale = nmax / (hi - lo), scale = 1 / iscale, bestError: Float = 0
        for i in 0..<n {
            let l = max(0, min(15, nearestInt(iscale * (x[i] - lo))))
            L[i] = UInt8(l)
            let diff = scale * Float(l) + lo - x[i]
            bestError += w[i] * (diff * diff)
        }
        for step in 0...20 {
            iscale = (-1 + 0.1 * Float(step) + nmax) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = max(0, min(15, nearestInt(iscale * (x[i] - lo))))
                aux[i] = UInt8(l)
                let fl = Float(l)
                sumL += w[i] * fl; sumL2 += w[i] * fl * fl; sumXL += w[i] * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            guard D > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / D, thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 { thisMin = 0; thisScale = sumXL / sumL2 }
            var err: Float = 0
            for i in 0..<n {
                let diff = thisScale * Float(aux[i]) + thisMin - x[i]
                err += w[i] * (diff * diff)
            }
            if err < bestError {
                for i in 0..<n { L[i] = aux[i] }
                bestError = err; scale = thisScale; lo = thisMin
            }
        }
        return (scale, -lo)
    }
}
