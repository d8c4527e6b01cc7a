/// Prefix reuse of a DecodeBatch: a new sequence starts from the keys/values of the longest token
/// prefix it shares with another sequence under the same adapter (a live one, or one of the last
/// few that finished). The keys/values of a position depend only on the tokens up to it and the
/// adapter, and decoding never rewrites them, so the copy stands for the computation.
extension DecodeBatch {
    /// Called when `s` is about to compute its prompt: copies the best shared prefix into its cache.
    /// False when a sequence still computing its own prompt will soon hold a longer shared prefix
    /// than any available now: `s` then waits a step rather than compute it a second time.
    func startPrompt(_ s: DecodeSequence) -> Bool {
        guard reusesPrefixes else { return true }
        // The last prompt token is computed by `s` itself: its logits give the first token.
        let limit = s.prompt.count - 1
        var best = 0, source: KVCache?, recent: Int?, coming = 0
        for d in sequences where d !== s && d.started && d.key == s.key {
            let common = commonPrefix(s.prompt, d.tokens, limit: limit)
            if min(common, d.cache.length) > best { best = min(common, d.cache.length); source = d.cache; recent = nil }
            if d.prefilling { coming = max(coming, common) }
        }
        for (i, f) in finished.enumerated() where f.key == s.key {
            let common = commonPrefix(s.prompt, f.tokens, limit: limit)
            if common > best { best = common; source = f.cache; recent = i }
        }
        if coming > best && coming >= Self.minReuse { return false }
        guard best >= Self.minReuse, let source else { return true }
        s.cache.copyPrefix(of: source, count: best)
        reusedPrefixTokens += best
        if let recent { finished.insert(finished.remove(at: recent), at: 0) }
        return true
    }

    /// Keeps a finished sequence's cache for later prompts that share its tokens.
    func remember(_ s: DecodeSequence) {
        guard reusesPrefixes, s.cache.length >= Self.minReuse else { return }
        finished.insert((s.key, Array(s.tokens[0..<s.cache.length]), s.cache), at: 0)
        if finished.count > Self.finishedKept { finished.removeLast() }
    }

    private func commonPrefix(_ a: [Int], _ b: [Int], limit: Int) -> Int {
        let n = min(limit, a.count, b.count)
        var k = 0
        while k < n && a[k] == b[k] { k += 1 }
        return k
    }
}
