import XCTest
@testable import FTXModel

/// The heap-based pair merging (mergePairs) against the straightforward merge it replaces — rescan
/// every adjacent pair, merge the best (leftmost among equals), repeat — on random words over a
/// small alphabet whose merges overlap and tie. TokenizerFixtureTests checks the real vocabulary
/// against reference ids; this checks the order of merges on inputs built to stress it.
final class TokenizerMergeTests: XCTestCase {
    static let alphabet: [Character] = ["a", "b", "c"]

    static func randomWords(_ count: Int, maxLength: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            String((0..<(1 + Int(rng.next() % UInt64(maxLength)))).map { _ in alphabet[Int(rng.next() % 3)] })
        }
    }

    /// Repeatedly merges the best adjacent pair; `pair` gives (priority, merged) with lower first.
    static func quadratic<S>(_ start: [S], _ pair: (S, S) -> (Double, S)?) -> [S] {
        var syms = start
        while syms.count > 1 {
            var best = -1, bestPriority = Double.infinity
            var merged: S? = nil
            for i in 0..<(syms.count - 1) {
                if let (p, m) = pair(syms[i], syms[i + 1]), p < bestPriority { best = i; bestPriority = p; merged = m }
            }
            guard best >= 0, let merged else { break }
            syms[best] = merged
            syms.remove(at: best + 1)
        }
        return syms
    }

    func testByteLevelBPEMergesAsTheReference() {
        let merges = ["a a", "b c", "aa a", "a b", "c a", "aa aa", "b b", "ab a", "aaa a", "c c", "bc a", "aa b",
                      "a bc", "ca a", "aab aa", "bb bb", "cc c", "aaaa aaaa", "ab ab", "a aa"]
        var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        for m in merges { let p = m.split(separator: " "); if !tokens.contains(String(p[0] + p[1])) { tokens.append(String(p[0] + p[1])) } }
        let tok = Tokenizer.make(kind: .byteLevelBPE, tokens: tokens, types: .init(repeating: .normal, count: tokens.count),
                                 merges: merges, bosID: nil, eosID: nil, addSpacePrefix: false)
        var rank: [String: Int] = [:]
        for (i, m) in merges.enumerated() where rank[m] == nil { rank[m] = i }
        let id = Dictionary(tokens.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for word in Self.randomWords(3000, maxLength: 40, seed: 7) + Self.randomWords(3, maxLength: 2000, seed: 8) {
            let expected = Self.quadratic(word.map { String($0) }) { l, r in rank["\(l) \(r)"].map { (Double($0), l + r) } }
            XCTAssertEqual(tok.encode(word), expected.map { id[$0]! }, word)
        }
    }

    func testSentencePieceMergesAsTheReference() {
        // Equal scores between different pairs exercise the leftmost-first tie-break.
        let pieces: [(String, Float)] = [("▁", 0), ("a", 0), ("b", 0), ("c", 0), ("aa", -1), ("ab", -1), ("bc", -2), ("ca", -1),
                                         ("aaa", -3), ("abc", -2), ("bca", -3), ("aab", -1.5), ("cc", -2), ("ccc", -0.5),
                                         ("aaaa", -2), ("▁a", -4), ("▁ab", -1), ("bb", .nan), ("ba", -.infinity)]
        let tok = Tokenizer.make(kind: .sentencePiece, tokens: pieces.map(\.0), types: .init(repeating: .normal, count: pieces.count),
                                 scores: pieces.map(\.1), bosID: nil, eosID: nil, addSpacePrefix: true)
        let score = Dictionary(pieces.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let id = Dictionary(pieces.enumerated().map { ($1.0, $0) }, uniquingKeysWith: { a, _ in a })
        for word in Self.randomWords(3000, maxLength: 40, seed: 9) + Self.randomWords(3, maxLength: 2000, seed: 10) {
            let expected = Self.quadratic(("▁" + word).map { String($0) }) { l, r in
                guard let s = score[l + r], s > -.infinity else { return nil }
                return (-Double(s), l + r)
            }
            XCTAssertEqual(tok.encode(word), expected.map { id[$0]! }, word)
        }
    }
}
