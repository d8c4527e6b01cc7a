import Foundation
import FTXTensor

extension Tokenizer {
    /// Tokens that end a generation: EOS and the usual end-of-turn control tokens of the vocabulary.
    public var endOfGenerationIDs: Set<Int> {
        var s = Set<Int>()
        if let e = eosID { s.insert(e) }
        for t in ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<|end_of_text|>"] {
            if let id = id(of: t), isControl(id) { s.insert(id) }
        }
        return s
    }
}

extension LlamaModel {
    /// Generates a continuation for every prompt, decoding all of them together (one batched
    /// forward per step, on a `DecodeBatch`). Each sequence has its own sampler seeded with
    /// `params.seed`, so a prompt gives the same text whatever else is in the batch. `onText(i, piece)`
    /// streams the text of sequence i as it becomes final (stop strings are held back until they
    /// cannot match). `constraints[i]`, when given, restricts sequence i's tokens (structured output).
    public func generate(prompts: [[Int]], params: GenerationParams, constraints: [TokenConstraint?] = [],
                         onText: ((Int, String) -> Void)? = nil) throws -> [GenerationResult] {
        let batch = DecodeBatch(model: self, matmuls: params.matmuls)
        for (i, p) in prompts.enumerated() {
            try batch.add(id: i, prompt: p, params: params, constraint: i < constraints.count ? constraints[i] : nil)
        }
        var results = [GenerationResult?](repeating: nil, count: prompts.count)
        while !batch.isEmpty {
            for event in try batch.step() {
                switch event {
                case .text(let i, let piece): onText?(i, piece)
                case .finished(let i, let r): results[i] = r
                }
            }
        }
        return results.map { $0! }
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
