import Foundation
import FTXModel
import FTXTensor

/// How the frozen base is held in memory while training.
public enum BaseStorage: String, Codable, Sendable {
    /// QLoRA: 4-bit GGUF blocks stay as loaded; F16/BF16/F32/Q8_0 projections are quantized to NF4.
    case quantized
    /// `--no-quant` / `adapter: lora`: every projection dequantized to f32 once (fastest, 8× the memory of 4-bit).
    case f32
    /// Keep whatever the GGUF holds (tests).
    case asLoaded
}

extension ModelDims {
    public init(_ c: LlamaConfig) {
        self.init(vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize,
                  numLayers: c.numLayers, numHeads: c.numHeads, numKVHeads: c.numKVHeads, headDim: c.headDim,
                  ropeTheta: c.ropeTheta, rmsNormEps: c.rmsNormEps, architecture: c.architecture,
                  ropeFreqFactors: c.ropeFreqFactors, slidingWindow: c.slidingWindow, attentionScale: c.attentionScale)
    }
}

extension TrainBase {
    /// The training view of an FTXModel model. Embedding rows are read from the table as stored.
    public static func from(_ w: LlamaWeights, storage: BaseStorage) -> TrainBase {
        func conv(_ l: LinearWeight) -> FrozenLinear {
            switch storage {
            case .asLoaded: return l
            case .f32: return l.type == .f32 ? l : DenseLinear(l.dequantized(), out: l.outFeatures, in: l.inFeatures)
            case .quantized:
                switch l.type {
                case .q4_0, .q4_1, .q4_K: return l
                default: return NF4Linear(quantizing: l.dequantized(), out: l.outFeatures, in: l.inFeatures)
                }
            }
        }
        let layers = w.layers.map { b in b.map(norm: FloatBuffer.init, weight: { conv($1) }) }
        let emb = LinearWeightEmbedding(w.tokenEmbedding)
        // The tied head keeps the table's own storage (it is also the embedding); f32 mode copies it.
        let head: FrozenLinear = storage == .f32 ? conv(w.output) : w.output
        return TrainBase(dims: ModelDims(w.config), embedding: emb, layers: layers, outputNorm: w.outputNorm, output: head)
    }
}
