import Foundation

/// Which adapter a sequence's rows use, as an identity: keys/values computed under one adapter are
/// reusable only by sequences with the same key, and segments are grouped by it so each adapter
/// runs one low-rank matmul per projection. `.model` rows match each other (the model's `adapter`
/// must not change while a batch holds sequences).
enum AdapterKey: Hashable {
    case model, base, lora(ObjectIdentifier)
    init(_ a: RowAdapter) {
        switch a {
        case .model: self = .model
        case .base: self = .base
        case .lora(let s): self = .lora(ObjectIdentifier(s))
        }
    }
}

/// One sequence of a `DecodeBatch`: its cache, sampler, and the text it has produced.
final class DecodeSequence {
    let id: Int
    let prompt: [Int]
    let params: GenerationParams
    let adapter: RowAdapter
    let key: AdapterKey
    let constraint: TokenConstraint?
    let cache: KVCache
    var sampler: Sampler
    var decoder: StreamingDecoder
    /// The prompt, then each sampled token; positions 0..<cache.length have keys/values.
    var tokens: [Int]
    /// A chunk of its prompt is in the step being planned (others may wait to copy it).
    var started = false
    var text = ""
    /// UTF-8 bytes of `text` already handed out as events.
    var emitted = 0
    var done = false
    var reason = "length"
    let added = Date()
    /// Longest stop string: text that could still be the start of one is held back.
    let maxStop: Int

    init(id: Int, prompt: [Int], params: GenerationParams, adapter: RowAdapter, constraint: TokenConstraint?,
         cache: KVCache, tokenizer: Tokenizer) {
        self.id = id; self.prompt = prompt; self.params = params; self.adapter = adapter
        key = AdapterKey(adapter); self.constraint = constraint; self.cache = cache
        sampler = Sampler(params: params, prompt: prompt)
        decoder = StreamingDecoder(tokenizer: tokenizer)
        tokens = prompt
        maxStop = params.stop.map(\.count).max() ?? 0
    }

    var generated: Int { tokens.count - prompt.count }
    /// Still computing its prompt (no token sampled yet).
    var prefilling: Bool { tokens.count == prompt.count }

    /// Samples the next token from `logits` and updates text and state: EOS/end-of-turn, a stop
    /// string, a complete constrained value or a constraint with nothing left end with "stop";
    /// maxTokens or the cache's length with "length".
    func advance(_ logits: UnsafeMutablePointer<Float>, vocab: Int, endOfGeneration: Set<Int>) {
        guard let tok = sampler.next(logits, vocab: vocab, constraint: constraint) else { finish("stop"); return }
        if endOfGeneration.contains(tok) { finish("stop"); return }
        tokens.append(tok)
        constraint?.accept(tok)
        // A stop string not in the text before ends in the new piece: search only the tail.
        let from = maxStop == 0 ? 0 : text.utf8.distance(
            from: text.startIndex, to: text.index(text.endIndex, offsetBy: -maxStop, limitedBy: text.startIndex) ?? text.startIndex)
        text += decoder.push(tok)
        if maxStop > 0, case let tail = text.utf8.index(text.startIndex, offsetBy: from),
           let r = params.stop.compactMap({ text.range(of: $0, range: tail..<text.endIndex) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            text = String(text[..<r.lowerBound])
            done = true; reason = "stop"
        } else if constraint?.isComplete == true {
            finish("stop")
        } else if generated >= params.maxTokens || cache.length + 1 >= cache.maxLength {
            finish("length")
        }
    }

    private func finish(_ why: String) {
        text += decoder.flush()
        done = true; reason = why
    }

    /// Text that became final since the last call: all of it once done, otherwise all but the
    /// characters that could still start a stop string.
    func newText() -> String? {
        var end = text.endIndex
        if !done && maxStop > 1 { end = text.index(end, offsetBy: -(maxStop - 1), limitedBy: text.startIndex) ?? text.startIndex }
        let start = text.utf8.index(text.startIndex, offsetBy: emitted)
        guard end > start else { return nil }
        emitted = text.utf8.distance(from: text.startIndex, to: end)
        return String(text[start..<end])
    }

    func result() -> GenerationResult {
        GenerationResult(text: text, tokenIDs: Array(tokens[prompt.count...]), promptTokens: prompt.count,
                         finishReason: reason, seconds: Date().timeIntervalSince(added))
    }
}
