import Foundation

/// Turns encoded examples (in a given order) into micro-batches: right-padded to the longest sequence
/// of the micro-batch, or packed greedily into rows of max_seq_length with per-segment positions and
/// attention (no example sees another).
public struct Batcher {
    public let microBatchSize: Int
    public let maxSeqLength: Int
    public let packing: Bool
    public let padToken: Int32

    public init(microBatchSize: Int, maxSeqLength: Int, packing: Bool, padToken: Int32) {
        self.microBatchSize = microBatchSize; self.maxSeqLength = maxSeqLength; self.packing = packing; self.padToken = padToken
    }

    /// Rows (each a list of example indices) in order.
    func rows(_ examples: [EncodedExample], order: [Int]) -> [[Int]] {
        guard packing else { return order.map { [$0] } }
        var rows: [[Int]] = [], cur: [Int] = [], len = 0
        for i in order {
            let n = examples[i].tokens.count
            if len + n > maxSeqLength && !cur.isEmpty { rows.append(cur); cur = []; len = 0 }
            cur.append(i); len += n
        }
        if !cur.isEmpty { rows.append(cur) }
        return rows
    }

    public func microBatches(_ examples: [EncodedExample], order: [Int]) -> [TokenBatch] {
        let all = rows(examples, order: order)
        var out: [TokenBatch] = []
        var i = 0
        while i < all.count {
            let group = Array(all[i..<min(all.count, i + microBatchSize)])
            out.append(batch(examples, group))
            i += microBatchSize
        }
        return out
    }

    func batch(_ examples: [EncodedExample], _ rows: [[Int]]) -> TokenBatch {
        let t = packing ? maxSeqLength : rows.map { $0.reduce(0) { $0 + examples[$1].tokens.count } }.max() ?? 1
        let n = rows.count * t
        var tokens = [Int32](repeating: padToken, count: n), targets = [Int32](repeating: -1, count: n)
        var positions = (0..<n).map { Int32($0 % t) }, keyStart = [Int32](repeating: 0, count: n)
        for (b, row) in rows.enumerated() {
            var off = 0
            for ei in row {
                let e = examples[ei]
                for (j, tok) in e.tokens.enumerated() {
                    let r = b * t + off + j
                    tokens[r] = tok
                    positions[r] = Int32(j)
                    keyStart[r] = Int32(off)
                    if j + 1 < e.tokens.count && e.trained[j + 1] { targets[r] = e.tokens[j + 1] }
                }
                off += e.tokens.count
            }
        }
        return TokenBatch(batch: rows.count, seqLen: t, tokens: tokens, targets: targets, positions: positions, keyStart: keyStart)
    }
}
