import Foundation

/// bitsandbytes' signed 8-bit dynamic quantization map (`create_dynamic_map(signed=True,
/// max_exponent_bits=7, total_bits=8)`), used by QLoRA's double quantization of the NF4 block
/// absmax values. For each decade i = 0…6 it holds the 2^i midpoints of linspace(0.1, 1, 2^i+1)
/// scaled by 10^(i−6), with both signs, plus 0 and 1: 256 sorted f32 values in [−1, 1], dense near
/// 0 and coarse near ±1 (a sign, an exponent in unary, and a fraction). Computed in f32 as torch does.
enum DynamicMap {
    static let values: [Float] = {
        var data: [Float] = []
        for i in 0..<7 {
            let n = (1 << i) + 1
            let bounds = linspace(0.1, 1, n)
            let scale = Float(pow(10.0, Double(i - 6)))
            for j in 0..<(n - 1) {
                let mean = (bounds[j] + bounds[j + 1]) / 2
                data.append(scale * mean)
                data.append(-scale * mean)
            }
        }
        data.append(0); data.append(1)
        return data.sorted()
    }()

    /// The code of 0 (blocks of an all-equal group dequantize to the mean).
    static let zeroCode = UInt8(values.firstIndex(of: 0) ?? 0)

    /// torch.linspace in f32 (its CPU kernel): an f32 step, start + k·step for the first half and
    /// end − (n−1−k)·step for the rest, each with one rounding (fused multiply-add).
    static func linspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
        guard n > 1 else { return [start] }
        let step = (end - start) / Float(n - 1)
        let half = n / 2
        return (0..<n).map { k in k < half ? start.addingProduct(step, Float(k)) : end.addingProduct(-step, Float(n - 1 - k)) }
    }

    /// Midpoints between adjacent values in f32, the bounds bitsandbytes bucketizes by.
    static let midpoints: [Float] = zip(values, values.dropFirst()).map { ($0 + $1) / 2 }

    /// The code of the value nearest to x (x in [−1, 1]), as bitsandbytes' quantize_blockwise picks
    /// it: the number of midpoints below x, so a value on a midpoint takes the smaller value.
    static func nearest(_ x: Float) -> UInt8 {
        var lo = 0, hi = midpoints.count   // the answer lies in lo...hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if midpoints[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo)
    }
}
