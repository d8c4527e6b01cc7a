import Foundation
import FTXTensor

extension LlamaModel {
    /// One sequence to score: `score(tokens:targetMask:)` of each, several per forward pass.
    public struct ScoreItem: Sendable {
        public var tokens: [Int]
        public var targetMask: [Bool]
        public init(tokens: [Int], targetMask: [Bool]) { self.tokens = tokens; self.targetMask = targetMask }
    }

    /// Batched `score(tokens:targetMask:)`: sequences are packed into forward passes of at most
    /// `maxRows` token rows and `maxLogitRows` scored rows (the logits of one row are a vocabulary of
    /// floats, so the second bound caps memory), each sequence with its own KV cache, so the
    /// matmuls see many rows at once instead of one short sequence; the token prefix they all
    /// share runs once. A sequence longer than `maxRows` is scored alone in chunks. Results are in
    /// input order and equal the one-by-one numbers up to float rounding (the matmul blocking
    /// differs with the row count).
    public func score(batch items: [ScoreItem], maxRows: Int = 1024, maxLogitRows: Int = 256) throws -> [(nll: Double, count: Int)] {
        var results = [(nll: Double, count: Int)](repeating: (0, 0), count: items.count)
        for item in items {
            guard item.targetMask.count == item.tokens.count else {
                throw ModelError.generation("score: \(item.targetMask.count) mask entries for \(item.tokens.count) tokens")
            }
            guard item.tokens.count <= config.contextLength else {
                throw ModelError.generation("score: \(item.tokens.count) tokens exceed the context length \(config.contextLength)")
            }
        }
        let V = config.vocabSize
        // The pending pass: its segments (tokens[0..<count-1] of each sequence), the flattened rows to
        // score and, for each, the sequence and the token that row predicts.
        var segments: [ForwardSegment] = [], wanted: [Int] = [], wantedOwner: [(item: Int, target: Int)] = []
        var rows = 0
        let scratch = ForwardScratch()
        func flush() throws {
            guard !segments.isEmpty else { return }
            if !wanted.isEmpty {
                let logits = try forward(segments, logits: .rows(wanted), scratch: scratch)
                // Fixed order: each sequence's rows are summed in position order, as `score` does.
                for (j, o) in wantedOwner.enumerated() {
                    let row = logits.baseAddress! + j * V
                    results[o.item].nll += VectorOps.logSumExp(row, V) - Double(row[o.target])
                    results[o.item].count += 1
                }
            }
            segments.removeAll(); wanted.removeAll(); wantedOwner.removeAll(); rows = 0
        }
        // Sequences scored in shared passes: those that fit a pass, with something to score.
        var batched: [(item: Int, targets: [Int])] = []
        for (i, item) in items.enumerated() {
            let t = item.tokens
            guard t.count > 1 else { continue }
            let n = t.count - 1
            let targets = (0..<n).filter { item.targetMask[$0 + 1] }
            guard !targets.isEmpty else { continue }
            if n > maxRows || targets.count > maxLogitRows {
                results[i] = try score(tokens: t, targetMask: item.targetMask)
            } else {
                batched.append((i, targets))
            }
        }
        // Their common token prefix before the first scored row (a suite's system prompt and chat
        // template header) runs once; each sequence's cache starts as a copy of its keys/values.
        let prefix = sharedPrefix(batched.map { (items[$0.item].tokens, $0.targets[0]) })
        let prefixCache = KVCache(config: config, maxLength: max(prefix, 1), reserve: prefix)
        if prefix > 0 {
            _ = try forward([ForwardSegment(cache: prefixCache, tokens: Array(items[batched[0].item].tokens[0..<prefix]))],
                            logits: .none, scratch: scratch)
        }
        for (i, targets) in batched {
            let t = items[i].tokens
            let n = t.count - 1 - prefix
            if rows + n > maxRows || wanted.count + targets.count > maxLogitRows { try flush() }
            let cache = KVCache(config: config, maxLength: t.count, reserve: t.count)
            if prefix > 0 { cache.copyPrefix(of: prefixCache, count: prefix) }
            for r in targets {
                wanted.append(rows + r - prefix)
                wantedOwner.append((i, t[r + 1]))
            }
            segments.append(ForwardSegment(cache: cache, tokens: Array(t[prefix..<(t.count - 1)])))
            rows += n
        }
        try flush()
        return results
    }

    /// Length of the token prefix all `sequences` share, up to each one's first scored row (its
    /// logits are needed, so that row stays in the sequence's own pass); 0 when under 4 tokens or
    /// fewer than 2 sequences (nothing to share).
    func sharedPrefix(_ sequences: [(tokens: [Int], firstTarget: Int)]) -> Int {
        guard sequences.count > 1, let first = sequences.first else { return 0 }
        var p = first.firstTarget
        for s in sequences {
            p = min(p, s.firstTarget)
            var k = 0
            while k < p && s.tokens[k] == first.tokens[k] { k += 1 }
            p = k
        }
        return p >= 4 ? p : 0
    }
}
