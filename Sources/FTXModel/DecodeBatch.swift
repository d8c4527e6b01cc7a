import Foundation

/// What a step of a DecodeBatch produced for one sequence.
public enum DecodeEvent: Sendable {
    /// Final text of sequence `id` (stop strings held back until they cannot match), in order.
    case text(id: Int, String)
    /// The sequence ended; `result` as `generate` returns it (finishReason "stop" or "length").
    case finished(id: Int, GenerationResult)
}

/// A decode loop that sequences join and leave between steps (continuous batching): each `step()`
/// is one batched forward over every live sequence's next token plus pending prompt chunks.
/// Driven by one thread; not thread-safe. `LlamaModel.generate` runs on it (one decode loop).
///
/// A prompt is computed in chunks of at most `maxRowsPerStep` tokens, and a step takes whole chunks
/// while the rows fit, so a long prompt delays the decoding sequences by one bounded pass at a
/// time. Rows do not depend on which other rows share a pass (int8 matmuls are row by row), so a
/// sequence's tokens are those it gets alone.
public final class DecodeBatch {
    public let model: LlamaModel
    let matmuls: MatmulMode
    let maxRowsPerStep: Int
    /// Live and pending sequences, in the order they were added.
    var sequences: [DecodeSequence] = []
    /// Caches of recently finished sequences, most recently used first: prefixes to copy.
    var finished: [(key: AdapterKey, tokens: [Int], cache: KVCache)] = []
    static let finishedKept = 8
    /// Shorter shared prefixes are recomputed (the copy would save next to nothing).
    static let minReuse = 4
    /// Off only to compare outputs with and without reuse.
    var reusesPrefixes = true
    /// Prompt tokens whose keys/values were copied from another sequence instead of computed.
    public internal(set) var reusedPrefixTokens = 0
    /// Number of sequences that produced a token in the last step (the batch size metric).
    public private(set) var lastStepRows = 0
    private let scratch = ForwardScratch()
    private let endOfGeneration: Set<Int>

    public init(model: LlamaModel, matmuls: MatmulMode = .int8, maxRowsPerStep: Int = 1024) {
        self.model = model; self.matmuls = matmuls; self.maxRowsPerStep = max(1, maxRowsPerStep)
        endOfGeneration = model.tokenizer.endOfGenerationIDs
    }

    /// Live + pending sequences.
    public var count: Int { sequences.count }
    public var isEmpty: Bool { sequences.isEmpty }

    /// Queues a sequence; its prompt is prefilled in the next step(s). A prompt prefix already in
    /// a live or recently finished sequence's cache with the same adapter is copied, not recomputed.
    /// Throws ModelError for an empty prompt or one that does not fit the context length.
    public func add(id: Int, prompt: [Int], params: GenerationParams, adapter: RowAdapter = .model,
                    constraint: TokenConstraint? = nil) throws {
        let c = model.config
        guard !prompt.isEmpty else { throw ModelError.generation("empty prompt (no tokens)") }
        guard prompt.count < c.contextLength else {
            throw ModelError.generation("prompt of \(prompt.count) tokens does not fit the context length \(c.contextLength)")
        }
        guard params.maxTokens >= 0 else { throw ModelError.generation("maxTokens \(params.maxTokens) is negative") }
        if let t = prompt.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
            throw ModelError.generation("token id \(t) is outside the vocabulary (\(c.vocabSize))")
        }
        guard !sequences.contains(where: { $0.id == id }) else {
            throw ModelError.generation("sequence id \(id) is already in the batch")
        }
        // Room for the answer, up to the context length; memory for a usual one only (it grows).
        let maxLength = prompt.count + min(params.maxTokens, c.contextLength - prompt.count)
        let cache = KVCache(config: c, maxLength: maxLength, reserve: prompt.count + min(params.maxTokens, 256))
        sequences.append(DecodeSequence(id: id, prompt: prompt, params: params, adapter: adapter, constraint: constraint,
                                        cache: cache, tokenizer: model.tokenizer))
    }

    /// Removes a sequence at once (client gone, timeout); no event follows for it.
    public func cancel(id: Int) {
        sequences.removeAll { $0.id == id }
    }

    /// One forward pass. Events for sequences that produced text or ended.
    public func step() throws -> [DecodeEvent] {
        lastStepRows = 0
        // The decoding sequences' last tokens, then prompt chunks while they fit.
        var segments: [ForwardSegment] = [], owners: [(seq: DecodeSequence, samples: Bool)] = []
        for s in sequences where !s.prefilling {
            segments.append(ForwardSegment(cache: s.cache, tokens: [s.tokens[s.tokens.count - 1]], adapter: s.adapter))
            owners.append((s, true))
        }
        var rows = segments.count, chunks = 0
        for s in sequences where s.prefilling {
            if !s.started && !startPrompt(s) { continue }
            let off = s.cache.length, n = min(maxRowsPerStep, s.prompt.count - off)
            if chunks > 0 && rows + n > maxRowsPerStep { break }
            s.started = true
            segments.append(ForwardSegment(cache: s.cache, tokens: Array(s.prompt[off..<(off + n)]), adapter: s.adapter))
            owners.append((s, off + n == s.prompt.count))
            rows += n; chunks += 1
        }
        guard !segments.isEmpty else { return [] }
        groupByAdapter(&segments, &owners)

        let V = model.config.vocabSize
        let logits = try model.forward(segments, logits: .last, matmuls: matmuls, scratch: scratch)
        var events: [DecodeEvent] = [], ended: [DecodeSequence] = []
        for (j, o) in owners.enumerated() where o.samples {
            let s = o.seq
            s.advance(logits.baseAddress! + j * V, vocab: V, endOfGeneration: s.params.stopAtEOS ? endOfGeneration : [])
            lastStepRows += 1
            if s.done { ended.append(s) } else if let t = s.newText() { events.append(.text(id: s.id, t)) }
        }
        for s in ended {
            if let t = s.newText() { events.append(.text(id: s.id, t)) }
            events.append(.finished(id: s.id, s.result()))
            remember(s)
        }
        if !ended.isEmpty { sequences.removeAll { $0.done } }
        return events
    }

    /// Orders the segments so each adapter's rows are adjacent (one low-rank matmul per adapter and
    /// projection), keeping the order within an adapter.
    private func groupByAdapter(_ segments: inout [ForwardSegment], _ owners: inout [(seq: DecodeSequence, samples: Bool)]) {
        var rank: [AdapterKey: Int] = [:]
        for o in owners where rank[o.seq.key] == nil { rank[o.seq.key] = rank.count }
        guard rank.count > 1 else { return }
        let order = owners.indices.sorted { (rank[owners[$0].seq.key]!, $0) < (rank[owners[$1].seq.key]!, $1) }
        segments = order.map { segments[$0] }
        owners = order.map { owners[$0] }
    }
}
