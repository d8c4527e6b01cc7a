import FTXTensor

/// The buffers of `LlamaModel.forward`: activations, the 8-bit copy of a matmul input, RoPE angles,
/// the logits. A generation keeps one for all its steps (as training keeps its activations), so
/// decoding allocates no buffers per token; they grow to the largest batch seen. One forward pass at
/// a time may use a scratch.
public final class ForwardScratch: @unchecked Sendable {
    /// A growable f32 buffer; its contents are not kept when it grows.
    final class Floats {
        private(set) var p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        private var capacity = 1
        func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
            if n > capacity {
                p.deallocate()
                capacity = n
                p = .allocate(capacity: n)
            }
            return p
        }
        deinit { p.deallocate() }
    }

    let x = Floats(), xn = Floats(), q = Floats(), k = Floats(), v = Floats(), att = Floats()
    let gate = Floats(), up = Floats(), picked = Floats(), loraTmp = Floats(), logits = Floats(), post = Floats()
    let q8 = Q8Rows()
    var positions: [Int32] = []
    var tokens: [Int] = []
    var segStart: [Int] = [], segPos: [Int] = [], selected: [Int] = []

    public init() {}

    /// The RoPE table of `config`, covering positions 0..<n.
    func rope(_ config: LlamaConfig, positions n: Int) -> RoPETable {
        cached(&global, RoPEKey(headDim: config.headDim, theta: config.ropeTheta, style: config.ropeStyle,
                                factors: config.ropeFreqFactors), positions: n) { config.ropeTable(positions: 0) }
    }

    /// The RoPE table of `config`'s sliding-window layers (nil without them), positions 0..<n.
    func localRope(_ config: LlamaConfig, positions n: Int) -> RoPETable? {
        guard let w = config.slidingWindow else { return nil }
        return cached(&local, RoPEKey(headDim: config.headDim, theta: w.ropeTheta, style: config.ropeStyle, factors: nil),
                      positions: n) { w.ropeTable(headDim: config.headDim, style: config.ropeStyle, positions: 0) }
    }

    /// What a table depends on: it is rebuilt only when that changes (compared per pass, so not the
    /// whole config with its per-layer arrays).
    private struct RoPEKey: Equatable {
        let headDim: Int, theta: Float, style: RoPEStyle, factors: [Float]?
    }
    private var global: (key: RoPEKey, table: RoPETable)?
    private var local: (key: RoPEKey, table: RoPETable)?

    private func cached(_ slot: inout (key: RoPEKey, table: RoPETable)?, _ key: RoPEKey, positions n: Int,
                        make: () -> RoPETable) -> RoPETable {
        if slot?.key != key { slot = (key, make()) }
        slot!.table.reserve(n)
        return slot!.table
    }
}
