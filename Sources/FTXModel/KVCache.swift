/// Keys and values of one sequence for every layer, f32, [position × kvDim] per layer.
/// Grows by doubling; `length` is the number of positions filled.
public final class KVCache: @unchecked Sendable {
    public let numLayers: Int, kvDim: Int, maxLength: Int
    public private(set) var capacity: Int = 0
    public internal(set) var length: Int = 0
    var keys: [UnsafeMutablePointer<Float>] = []
    var values: [UnsafeMutablePointer<Float>] = []

    public init(config: LlamaConfig, maxLength: Int? = nil, reserve: Int = 0) {
        numLayers = config.numLayers; kvDim = config.kvDim
        self.maxLength = maxLength ?? config.contextLength
        if reserve > 0 { ensure(min(reserve, self.maxLength)) }
    }

    deinit {
        for p in keys { p.deallocate() }
        for p in values { p.deallocate() }
    }

    /// Makes room for `n` positions (keeping the filled ones).
    func ensure(_ n: Int) {
        guard n > capacity else { return }
        let newCap = max(n, min(maxLength, max(64, capacity * 2)))
        for l in 0..<numLayers {
            let k = UnsafeMutablePointer<Float>.allocate(capacity: newCap * kvDim)
            let v = UnsafeMutablePointer<Float>.allocate(capacity: newCap * kvDim)
            if capacity > 0 {
                k.update(from: keys[l], count: length * kvDim)
                v.update(from: values[l], count: length * kvDim)
                keys[l].deallocate(); values[l].deallocate()
                keys[l] = k; values[l] = v
            } else {
                keys.append(k); values.append(v)
            }
        }
        capacity = newCap
    }

    /// Starts this (empty) cache from the first `count` positions of `other`, e.g. a prompt prefix
    /// that several sequences share and that ran once.
    func copyPrefix(of other: KVCache, count: Int) {
        precondition(length == 0 && count <= other.length && kvDim == other.kvDim && numLayers == other.numLayers)
        ensure(count)
        for l in 0..<numLayers {
            keys[l].update(from: other.keys[l], count: count * kvDim)
            values[l].update(from: other.values[l], count: count * kvDim)
        }
        length = count
    }

    /// Forgets positions from `n` on (e.g. to reuse a prompt prefix).
    public func truncate(to n: Int) { length = max(0, min(n, length)) }
}
