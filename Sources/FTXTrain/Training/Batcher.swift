import Foundation

/// Turns encoded examples (in a given order) into micro-batches: right-padded to the longest sequence
/// of the micro-batch, or packed greedily into rows of max_seq_length with per-segment positions and
/// attention (no example sees another).
///
/// Without packing, `rowsPerBatch` > 0 lays a micro-batch's examples, unpadded, into that many rows
/// (see `unpadded`): the same examples, losses and gradients (up to float summation order) as the
/// padded batch, without computing the padding.
public struct Batcher {
    public let microBatchSize: Int
    public let maxSeqLength: Int
    public let packing: Bool
    public let padToken: Int32
    public let rowsPerBatch: Int

    public init(microBatchSize: Int, maxSeqLength: Int, packing: Bool, padToken: Int32, rowsPerBatch: Int = 0) {
        self.microBatchSize = microBatchSize; self.maxSeqLength = maxSeqLength; self.packing = packing; self.padToken = padToken
        self.rowsPerBatch = rowsPerBatch
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
            out.append(batch(examples, packing ? group : unpadded(examples, group)))
            i += microBatchSize
        }
        return out
    }

    /// The examples of an unpacked micro-batch (one per row) regrouped into `rowsPerBatch` rows,
    /// longest first into the shortest row so far (ties: the earlier example, the lower row), each row
    /// keeping its examples in order; kept as they are when that would not take fewer rows than
    /// padding each to the longest. Rows are the engine's unit of data parallelism, so the trainer
    /// asks for one per thread.
    func unpadded(_ examples: [EncodedExample], _ group: [[Int]]) -> [[Int]] {
        let r = min(rowsPerBatch, group.count)
        guard r > 0, r < group.count, group.allSatisfy({ $0.count == 1 }) else { return group }
        let ids = group.map { $0[0] }
        let lengths = ids.map { examples[$0].tokens.count }
        let longestFirst = ids.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var rows = [[Int]](repeating: [], count: r), sums = [Int](repeating: 0, count: r)
        for i in longestFirst {
            var k = 0
            for j in 1..<r where sums[j] < sums[k] { k = j }
            rows[k].append(i); sums[k] += lengths[i]
        }
        guard r * sums.max()! < group.count * lengths.max()! else { return group }
        return rows.map { $0.sorted().map { ids[$0] } }
    }

    func batch(_ examples: [EncodedExample], _ rows: [[Int]]) -> TokenBatch {
        let t = packing ? maxSeqLength : rows.map { $0.reduce(0) { $0 + examples[$1].tokens.count } }.max() ?? 1
        let n = rows.count * t
        var tokens = [Int32](repeating: padToken, count: n), targets = [Int32](repeating: -1, count: n)
        var positions = [Int32](repeating: 0, count: n), keyStart = [Int32](repeating: 0, count: n)
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
            // The padding after a row's examples is a segment of its own (it sees only itself), so
            // its positions stay within the RoPE table and no attention block reaches back for it.
            for r in (b * t + off)..<(b * t + t) {
                positions[r] = Int32(r - b * t - off)
                keyStart[r] = Int32(off)
            }
        }
        return TokenBatch(batch: rows.count, seqLen: t, tokens: tokens, targets: targets, positions: positions, keyStart: keyStart)
    }
}
