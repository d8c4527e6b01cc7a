import Foundation
import FTXTensor

extension Tokenizer {
    /// Tokens that end a generation: EOS and the usual end-of-turn control tokens of the vocabulary.
    public var endOfGenerationIDs: Set<Int> {
        var s = Set<Int>()
        if let e = eosID { s.insert(e) }
        for t in ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>"] {
            if let id = id(of: t), isControl(id) { s.insert(id) }
        }
        return s
    }
}

extension LlamaModel {
    /// Generates a continuation for every prompt, decoding all of them together (one batched
    /// forward per step). Each sequence has its own sampler seeded with `params.seed`, so a prompt
    /// gives the same text whatever else is in the batch. `onText(i, piece)` streams the text of
    /// sequence i as it becomes final (stop strings are held back until they cannot match).
    public func generate(prompts: [[Int]], params: GenerationParams,
                         onText: ((Int, String) -> Void)? = nil) throws -> [GenerationResult] {
        guard !prompts.isEmpty else { return [] }
        let start = Date()
        let V = config.vocabSize
        let eog = params.stopAtEOS ? tokenizer.endOfGenerationIDs : []
        let maxStop = params.stop.map(\.count).max() ?? 0
        final class Seq {
            let cache: KVCache
            var sampler: Sampler
            var decoder: StreamingDecoder
            var ids: [Int] = []
            var text = ""
            var emitted = 0
            var done = false
            var reason = "length"
            var seconds = 0.0
            init(cache: KVCache, sampler: Sampler, decoder: StreamingDecoder) {
                self.cache = cache; self.sampler = sampler; self.decoder = decoder
            }
        }
        var seqs: [Seq] = []
        for p in prompts {
            guard !p.isEmpty else { throw ModelError.generation("empty prompt (no tokens)") }
            let need = p.count + params.maxTokens
            guard p.count < config.contextLength else {
                throw ModelError.generation("prompt of \(p.count) tokens does not fit the context length \(config.contextLength)")
            }
            let cache = KVCache(config: config, maxLength: min(need, config.contextLength), reserve: min(need, config.contextLength))
            seqs.append(Seq(cache: cache, sampler: Sampler(params: params, prompt: p), decoder: StreamingDecoder(tokenizer: tokenizer)))
        }

        // The token prefix every prompt shares (a suite's system prompt and chat template header)
        // runs once; each cache starts as a copy of its keys/values. Rows of a pass do not depend on
        // which other rows share it, so the outputs equal those of unshared prefill.
        // One scratch for every pass: decoding allocates no buffers per token.
        let scratch = ForwardScratch()
        let prefix = sharedPrefix(prompts.map { ($0, $0.count - 1) })
        if prefix > 0 {
            let prefixCache = KVCache(config: config, maxLength: prefix, reserve: prefix)
            _ = try forward([ForwardSegment(cache: prefixCache, tokens: Array(prompts[0][0..<prefix]))],
                            logits: .none, matmuls: params.matmuls, scratch: scratch)
            for s in seqs { s.cache.copyPrefix(of: prefixCache, count: prefix) }
        }

        // Prefill in batches of about `maxRows` tokens; the last chunk of each prompt yields its first logits.
        let maxRows = 1024
        var pendingLogits = [[Float]](repeating: [], count: prompts.count)
        var batch: [ForwardSegment] = [], owners: [(Int, Bool)] = [], rows = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            let logits = try forward(batch, logits: .last, matmuls: params.matmuls, scratch: scratch)
            for (j, (i, isLast)) in owners.enumerated() where isLast {
                pendingLogits[i] = Array(logits[(j * V)..<((j + 1) * V)])
            }
            batch.removeAll(); owners.removeAll(); rows = 0
        }
        for (i, p) in prompts.enumerated() {
            var off = prefix
            while off < p.count {
                let n = min(maxRows, p.count - off)
                if rows + n > maxRows { try flush() }
                batch.append(ForwardSegment(cache: seqs[i].cache, tokens: Array(p[off..<(off + n)])))
                owners.append((i, off + n == p.count))
                rows += n; off += n
            }
        }
        try flush()

        // Decode: one token per live sequence per step; row j of `logits` belongs to live[j].
        let first = UnsafeMutablePointer<Float>.allocate(capacity: prompts.count * V)
        defer { first.deallocate() }
        for (i, row) in pendingLogits.enumerated() { (first + i * V).update(from: row, count: V) }
        var logits = UnsafeMutableBufferPointer(start: first, count: prompts.count * V)
        var live = Array(0..<prompts.count)
        while !live.isEmpty {
            var next: [Int] = []
            for (j, i) in live.enumerated() {
                let s = seqs[i]
                let tok = s.sampler.next(logits.baseAddress! + j * V, vocab: V)
                if eog.contains(tok) { s.done = true; s.reason = "stop"; s.text += s.decoder.flush(); continue }
                s.ids.append(tok)
                s.text += s.decoder.push(tok)
                if maxStop > 0, let r = params.stop.compactMap({ s.text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                    s.text = String(s.text[..<r.lowerBound])
                    s.done = true; s.reason = "stop"
                } else if s.ids.count >= params.maxTokens || s.cache.length + 1 >= s.cache.maxLength {
                    s.done = true
                } else {
                    next.append(i)
                }
                if !s.done, let onText {
                    let safe = s.text.count - max(0, maxStop - 1)
                    if safe > s.emitted {
                        let a = s.text.index(s.text.startIndex, offsetBy: s.emitted), b = s.text.index(s.text.startIndex, offsetBy: safe)
                        onText(i, String(s.text[a..<b])); s.emitted = safe
                    }
                }
            }
            for i in live where seqs[i].done {
                let s = seqs[i]
                if s.reason == "length" { s.text += s.decoder.flush() }
                if let onText, s.text.count > s.emitted {
                    onText(i, String(s.text.dropFirst(s.emitted))); s.emitted = s.text.count
                }
                s.seconds = Date().timeIntervalSince(start)
            }
            live = next
            guard !live.isEmpty else { break }
            let segs = live.map { ForwardSegment(cache: seqs[$0].cache, tokens: [seqs[$0].ids.last!]) }
            logits = try forward(segs, logits: .last, matmuls: params.matmuls, scratch: scratch)
        }
        return zip(prompts, seqs).map { p, s in
            GenerationResult(text: s.text, tokenIDs: s.ids, promptTokens: p.count, finishReason: s.reason, seconds: s.seconds)
        }
    }

    /// Sum of -log p(tokens[t] | tokens[..<t]) over the positions t ≥ 1 where targetMask[t] is true,
    /// and how many there were. Long sequences go through the KV cache in chunks.
    public func score(tokens: [Int], targetMask: [Bool]) throws -> (nll: Double, count: Int) {
        guard targetMask.count == tokens.count else {
            throw ModelError.generation("score: \(targetMask.count) mask entries for \(tokens.count) tokens")
        }
        guard tokens.count <= config.contextLength else {
            throw ModelError.generation("score: \(tokens.count) tokens exceed the context length \(config.contextLength)")
        }
        guard tokens.count > 1 else { return (0, 0) }
        let V = config.vocabSize
        let cache = KVCache(config: config, maxLength: tokens.count, reserve: tokens.count)
        let scratch = ForwardScratch()
        var nll = 0.0, count = 0
        let chunk = 512
        var off = 0
        while off < tokens.count - 1 {
            let n = min(chunk, tokens.count - 1 - off)
            // Row r (position off+r) predicts tokens[off+r+1].
            let wanted = (0..<n).filter { targetMask[off + $0 + 1] }
            let logits = try forward([ForwardSegment(cache: cache, tokens: Array(tokens[off..<(off + n)]))],
                                     logits: wanted.isEmpty ? .none : .rows(wanted), scratch: scratch)
            for (j, r) in wanted.enumerated() {
                let row = logits.baseAddress! + j * V
                nll += VectorOps.logSumExp(row, V) - Double(row[tokens[off + r + 1]])
                count += 1
            }
            off += n
        }
        return (nll, count)
    }
}
