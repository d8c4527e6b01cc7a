import Foundation
import FTXModel

/// A tokenizer's vocabulary as a byte trie, so the tokens allowed after a JSON prefix are found by
/// one walk that drops a whole subtree at its first refused byte. Built once per tokenizer tables
/// (`shared(for:)`); control and end-of-generation tokens are left out (they are never JSON text).
final class JSONConstraintVocab: @unchecked Sendable {
    /// Node n's children are edges firstEdge[n] ..< firstEdge[n+1]; its tokens are
    /// tokenIDs[firstToken[n] ..< firstToken[n+1]].
    let firstEdge: [Int32], edgeByte: [UInt8], edgeTarget: [Int32]
    let firstToken: [Int32], tokenIDs: [Int32]
    /// Each token's bytes (control tokens: empty).
    let bytes: [[UInt8]]
    let vocabSize: Int
    let endIDs: [Int]

    init(tokenizer: Tokenizer) {
        vocabSize = tokenizer.vocabSize
        let ends = tokenizer.endOfGenerationIDs
        var bytes = [[UInt8]](repeating: [], count: vocabSize)
        var order: [Int] = []
        for id in 0..<vocabSize where !tokenizer.isControl(id) && !ends.contains(id) {
            bytes[id] = tokenizer.bytes(id)
            if !bytes[id].isEmpty { order.append(id) }
        }
        order.sort { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
        self.bytes = bytes
        endIDs = ends.sorted()

        // Depth-first over the sorted list: a node's tokens end at its depth, its children
        // group the rest by the next byte. Nodes are numbered in the order they are finished.
        var firstEdge: [Int32] = [], edgeByte: [UInt8] = [], edgeTarget: [Int32] = []
        var firstToken: [Int32] = [], tokenIDs: [Int32] = []
        var nodeEdges: [[(UInt8, Int32)]] = [], nodeTokens: [[Int32]] = []
        func build(_ lo: Int, _ hi: Int, _ depth: Int) -> Int32 {
            var i = lo
            var toks: [Int32] = []
            while i < hi, bytes[order[i]].count == depth { toks.append(Int32(order[i])); i += 1 }
            var edges: [(UInt8, Int32)] = []
            while i < hi {
                let b = bytes[order[i]][depth]
                var j = i + 1
                while j < hi, bytes[order[j]][depth] == b { j += 1 }
                edges.append((b, build(i, j, depth + 1)))
                i = j
            }
            nodeEdges.append(edges); nodeTokens.append(toks)
            return Int32(nodeEdges.count - 1)
        }
        let root = build(0, order.count, 0)
        // Renumber so the root is node 0 (the walk starts there).
        let count = nodeEdges.count
        func renumber(_ n: Int32) -> Int32 { n == root ? 0 : (n < root ? n + 1 : n) }
        var newOrder = [Int](repeating: 0, count: count)
        for n in 0..<count { newOrder[Int(renumber(Int32(n)))] = n }
        for old in newOrder {
            firstEdge.append(Int32(edgeByte.count))
            for (b, t) in nodeEdges[old] { edgeByte.append(b); edgeTarget.append(renumber(t)) }
            firstToken.append(Int32(tokenIDs.count))
            tokenIDs += nodeTokens[old]
        }
        firstEdge.append(Int32(edgeByte.count))
        firstToken.append(Int32(tokenIDs.count))
        self.firstEdge = firstEdge; self.edgeByte = edgeByte; self.edgeTarget = edgeTarget
        self.firstToken = firstToken; self.tokenIDs = tokenIDs
    }

    // One trie per tokenizer tables, held while the tokenizer lives (a few recent ones at most).
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [(owner: Weak, vocab: JSONConstraintVocab)] = []
    private final class Weak { weak var object: AnyObject?; init(_ o: AnyObject) { object = o } }

    static func shared(for tokenizer: Tokenizer) -> JSONConstraintVocab {
        let key = tokenizer.tablesIdentity
        lock.lock()
        cache.removeAll { $0.owner.object == nil }
        if let hit = cache.first(where: { $0.owner.object === key }) { lock.unlock(); return hit.vocab }
        lock.unlock()
        let built = JSONConstraintVocab(tokenizer: tokenizer)
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache.first(where: { $0.owner.object === key }) { return hit.vocab }
        if cache.count >= 4 { cache.removeFirst() }
        cache.append((Weak(key), built))
        return built
    }
}
