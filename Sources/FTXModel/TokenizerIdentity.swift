extension Tokenizer {
    /// The object holding this tokenizer's tables: it lives exactly as long as they do, so code
    /// outside FTXModel can key a cache of per-vocabulary data (e.g. a byte trie) on it, held weakly
    /// and compared by identity. Copies of a Tokenizer share it.
    public var tablesIdentity: AnyObject { core }
}
