import Foundation
import FTXTensor

/// What `ftx model info` reports of a loaded model, GGUF or Hugging Face folder alike: the family
/// and its block features, the parameter count, the tensor types by their share of the parameters,
/// the tokenizer's special tokens and the chat template.
public struct ModelSummary {
    public let architecture: String
    /// The block features on: "q/k/v biases", "q/k norms", "neox rope" or "adjacent-pair rope", "llama3 rope scaling".
    public let features: [String]
    public let parameters: Int
    /// Parameters per tensor type, largest share first.
    public let typeShares: [(type: String, parameters: Int)]
    /// bos, eos, and the tokens that end a generation, as (id, text).
    public let bos: (id: Int, piece: String)?
    public let eos: (id: Int, piece: String)?
    public let endOfGeneration: [(id: Int, piece: String)]

    public init(_ model: LlamaModel) {
        let c = model.config, w = model.weights, a = c.architecture
        architecture = a.name
        var f = [a.ropeStyle == .neox ? "neox rope" : "adjacent-pair rope"]
        if a.attentionBias { f.append("q/k/v biases") }
        if a.qkNorm { f.append("q/k norms") }
        if a.postNorms { f.append("post-norms") }
        if a.activation == .geluTanh { f.append("geglu") }
        if a.scalesEmbedding { f.append("scaled embeddings") }
        if let s = c.slidingWindow { f.append("sliding window \(s.size) on \(s.layers.filter { $0 }.count) of \(s.layers.count) layers") }
        if let factor = c.linearRoPEFactor { f.append("linear rope scaling ×\(factor)") } else if c.ropeFreqFactors != nil { f.append("llama3 rope scaling") }
        features = f
        var byType: [String: Int] = [:]
        func add(_ l: LinearWeight) { byType[l.type.description, default: 0] += l.outFeatures * l.inFeatures }
        func add(_ v: [Float]?) { if let v { byType["F32", default: 0] += v.count } }
        add(w.tokenEmbedding)
        if w.output !== w.tokenEmbedding { add(w.output) }
        add(w.outputNorm)
        for l in w.layers {
            for p in Projection.allCases { add(l.weight(p)) }
            for v in [l.attnNorm, l.ffnNorm] { add(v) }
            for v in [l.qBias, l.kBias, l.vBias, l.qNorm, l.kNorm, l.postAttnNorm, l.postFFNNorm] { add(v) }
        }
        typeShares = byType.map { ($0.key, $0.value) }.sorted { ($0.parameters, $1.type) > ($1.parameters, $0.type) }
        parameters = byType.values.reduce(0, +)
        let t = model.tokenizer
        bos = t.bosID.map { ($0, t.piece($0)) }
        eos = t.eosID.map { ($0, t.piece($0)) }
        endOfGeneration = t.endOfGenerationIDs.sorted().map { ($0, t.piece($0)) }
    }

    /// "Q4_1 82.4%  F32 …": each type's share of the parameters.
    public var sharesText: String {
        typeShares.map { t in
            let pct = 100 * Double(t.parameters) / Double(max(parameters, 1))
            return t.type + (pct < 0.1 ? " <0.1%" : String(format: " %.1f%%", pct))
        }
            .joined(separator: "  ")
    }
}
