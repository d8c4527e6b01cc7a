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

    private mutating func draw(_ logits: UnsafeMutablePointer<Float>, _ vocab: Int) -> Int {
        let invT = 1 / params.temperature
        // Candidates sorted by logit (descending; ties by id for determinism).
        var idx = Array(0..<vocab)
        let k = params.topK > 0 ? min(params.topK, vocab) : vocab
        if k < vocab {
            idx.sort { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
            idx.removeLast(vocab - k)
        } else {
            idx.sort { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        }
        let m = logits[idx[0]]
        var probs = idx.map { exp(Double((logits[$0] - m) * invT)) }
        let total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        var n = probs.count
        if params.topP < 1 {
            var cum = 0.0
            for i in 0..<probs.count {
                cum += probs[i]
                if cum >= Double(params.topP) { n = i + 1; break }
            }
        }
        let mass = probs[0..<n].reduce(0, +)
        var u = rng.nextDouble() * mass
        for i in 0..<n {
            u -= probs[i]
            if u < 0 { return idx[i] }
        }
        return idx[n - 1]
    }
}
