import Foundation

/// Picks the next token from a row of logits: repetition penalty, then greedy (temperature 0) or
/// temperature → top-k → top-p → a draw from the sequence's own seeded RNG. A constraint masks the
/// logits between the penalty and the pick.
struct Sampler {
    let params: GenerationParams
    var rng: SplitMix64
    /// Token ids seen so far (prompt and generated), for the repetition penalty.
    var seen: Set<Int>

    init(params: GenerationParams, prompt: [Int]) {
        self.params = params
        rng = SplitMix64(seed: params.seed)
        seen = params.repetitionPenalty != 1 ? Set(prompt) : []
    }

    /// The next token; nil only when `constraint` allows none.
    mutating func next(_ logits: UnsafeMutablePointer<Float>, vocab: Int, constraint: TokenConstraint? = nil) -> Int? {
        let p = params.repetitionPenalty
        if p != 1 && p > 0 {
            for t in seen where t < vocab {
                logits[t] = logits[t] > 0 ? logits[t] / p : logits[t] * p
            }
        }
        if let constraint {
            constraint.mask(logits, vocab: vocab)
            guard (0..<vocab).contains(where: { logits[$0] > -Float.infinity }) else { return nil }
        }
        let token: Int
        if params.temperature <= 0 {
            var best = 0
            for i in 1..<vocab where logits[i] > logits[best] { best = i }
            token = best
        } else {
            token = draw(logits, vocab)
        }
        if p != 1 { seen.insert(token) }
        return token
    }

    // Per-sequence buffers, reused token after token (no allocation per draw).
    private var candidates: [Int32] = []
    private var probs: [Double] = []
    private var heap: [UInt64] = []
    private var chosen: [Int32] = []

    /// Tokens more than this many nats (after temperature) below the best one are left out: each has
    /// less than e^-40 of the best one's probability, all of them together under 1e-12.
    static let negligibleLogit: Float = 40

    /// Candidates in id order with their unnormalised probabilities; with top-k or top-p, the best
    /// ones are taken off a heap one at a time (best first, ties by id) until k are taken or their
    /// mass reaches p — the nucleus is usually a few dozen tokens, so nothing sorts the vocabulary.
    private mutating func draw(_ logits: UnsafeMutablePointer<Float>, _ vocab: Int) -> Int {
        let invT = 1 / params.temperature
        var m = -Float.infinity
        for i in 0..<vocab where logits[i] > m { m = logits[i] }
        let floor = m - Self.negligibleLogit * params.temperature
        candidates.removeAll(keepingCapacity: true)
        probs.removeAll(keepingCapacity: true)
        var total = 0.0
        for i in 0..<vocab where logits[i] >= floor {
            let p = exp(Double((logits[i] - m) * invT))
            candidates.append(Int32(i))
            probs.append(p)
            total += p
        }
        let k = params.topK > 0 ? min(params.topK, candidates.count) : candidates.count
        chosen.removeAll(keepingCapacity: true)
        if k < candidates.count || params.topP < 1 {
            // Key: the logit's descending order, then the candidate's position (= id order).
            heap.removeAll(keepingCapacity: true)
            for (pos, c) in candidates.enumerated() { heap.append(UInt64(Self.descendingKey(logits[Int(c)])) << 32 | UInt64(pos)) }
            Self.heapify(&heap)
            var end = heap.count, cum = 0.0
            while chosen.count < k, end > 0 {
                let pos = Int(heap[0] & 0xFFFF_FFFF)
                end -= 1
                heap[0] = heap[end]
                Self.siftDown(&heap, 0, end)
                chosen.append(Int32(pos))
                cum += probs[pos] / total
                if params.topP < 1, cum >= Double(params.topP) { break }
            }
        } else {
            for pos in candidates.indices { chosen.append(Int32(pos)) }
        }
        var mass = 0.0
        for pos in chosen { mass += probs[Int(pos)] }
        var u = rng.nextDouble() * mass
        for pos in chosen {
            u -= probs[Int(pos)]
            if u < 0 { return Int(candidates[Int(pos)]) }
        }
        return Int(candidates[Int(chosen[chosen.count - 1])])
    }

    /// A key whose ascending order is the float's descending order (finite values and infinities).
    @inline(__always) static func descendingKey(_ f: Float) -> UInt32 {
        let b = f.bitPattern
        let ascending = b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        return ~ascending
    }

    /// Min-heap order in place (Floyd's construction, linear time).
    static func heapify(_ a: inout [UInt64]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count / 2 - 1, through: 0, by: -1) { siftDown(&a, i, a.count) }
    }

    static func siftDown(_ a: inout [UInt64], _ start: Int, _ end: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            guard l < end else { return }
            let c = l + 1 < end && a[l + 1] < a[l] ? l + 1 : l
            guard a[c] < a[i] else { return }
            a.swapAt(c, i)
            i = c
        }
    }
}
