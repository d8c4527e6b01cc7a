import FTXTensor

extension LinearWeight {
    /// A Q8_0 weight of random blocks (block scales uniform in `scales`, codes uniform), for tests of
    /// the quantized paths against f32 math on `dequantized()`. Deterministic in `rng`.
    public static func randomQ8_0(out: Int, in inF: Int, scales: ClosedRange<Float> = 0.01...0.06,
                                  rng: inout SplitMix64) -> LinearWeight {
        precondition(inF % 32 == 0, "Q8_0 rows are whole blocks of 32")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(out * inF / 32 * 34)
        for _ in 0..<(out * inF / 32) {
            let d = floatToHalf(scales.lowerBound + rng.nextFloat() * (scales.upperBound - scales.lowerBound))
            bytes += [UInt8(d & 0xff), UInt8(d >> 8)]
            for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        }
        let owner = MappedFile(bytes: bytes)
        return LinearWeight(type: .q8_0, data: owner.base, out: out, in: inF, owner: owner)
    }
}
