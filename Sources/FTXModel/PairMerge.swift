/// Merges adjacent symbols best pair first, as HF tokenizers and llama.cpp do: the symbols form a
/// linked list, the candidate pairs a min-heap ordered by (priority, position of the left symbol),
/// so a run of n symbols takes O(n log n) rather than a rescan of every pair after each merge
/// (a 100 kB word without spaces took a minute). `pair(left, right)` gives a candidate's priority
/// (lower merges first; among equals the leftmost) and the merged symbol, or nil when the two do
/// not merge. The result is exactly that of repeatedly merging the best current pair.
func mergePairs<Symbol>(_ symbols: [Symbol], _ pair: (Symbol, Symbol) -> (priority: Double, merged: Symbol)?) -> [Symbol] {
    let n = symbols.count
    guard n > 1 else { return symbols }
    var sym = symbols
    var next = Array(1...n), prev = Array(-1..<(n - 1))
    // A symbol's version changes whenever it is merged into or away, so a queued pair that no
    // longer describes two neighbours as they are is recognised and skipped when it comes up.
    var version = [Int](repeating: 0, count: n)
    var queue = PairQueue<Symbol>()
    func offer(_ l: Int) {
        let r = next[l]
        guard r < n, let p = pair(sym[l], sym[r]) else { return }
        queue.push(.init(priority: p.priority, left: l, right: r, leftVersion: version[l], rightVersion: version[r], merged: p.merged))
    }
    for i in 0..<(n - 1) { offer(i) }
    while let c = queue.pop() {
        let l = c.left, r = c.right
        guard next[l] == r, version[l] == c.leftVersion, version[r] == c.rightVersion else { continue }
        sym[l] = c.merged
        version[l] += 1; version[r] += 1
        next[l] = next[r]
        if next[r] < n { prev[next[r]] = l }
        if prev[l] >= 0 { offer(prev[l]) }
        offer(l)
    }
    var out: [Symbol] = []
    var i = 0   // the first symbol is never merged away: it is never a right-hand side
    while i < n { out.append(sym[i]); i = next[i] }
    return out
}

/// A binary min-heap of merge candidates by (priority, left position).
private struct PairQueue<Symbol> {
    struct Candidate {
        let priority: Double
        let left: Int, right: Int
        let leftVersion: Int, rightVersion: Int
        let merged: Symbol
        func precedes(_ o: Candidate) -> Bool { priority != o.priority ? priority < o.priority : left < o.left }
    }
    private var items: [Candidate] = []

    mutating func push(_ c: Candidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].precedes(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count, items[l].precedes(items[best]) { best = l }
                if r < items.count, items[r].precedes(items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}
