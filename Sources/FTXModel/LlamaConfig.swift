import FTXTensor

/// Shape and hyper-parameters of a decoder model of any supported family (`architecture`).
public struct LlamaConfig: Sendable, Codable, Equatable {
    /// The family: which block features are on and how RoPE rotates.
    public var architecture: Architecture
    /// Llama 3's RoPE frequency scaling: headDim/2 divisors of the frequencies (the GGUF
    /// `rope_freqs` tensor), nil for none.
    public var ropeFreqFactors: [Float]?
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var ropeTheta: Float
    public var rmsNormEps: Float
    public var contextLength: Int
    public var tiedEmbeddings: Bool

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int,
                numKVHeads: Int, headDim: Int? = nil, ropeTheta: Float = 10000, rmsNormEps: Float = 1e-5,
                contextLength: Int = 2048, tiedEmbeddings: Bool = true, architecture: Architecture = .llama,
                ropeFreqFactors: [Float]? = nil) {
        self.architecture = architecture; self.ropeFreqFactors = ropeFreqFactors
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numLayers = numLayers; self.numHeads = numHeads; self.numKVHeads = numKVHeads
        self.headDim = headDim ?? hiddenSize / numHeads
        self.ropeTheta = ropeTheta; self.rmsNormEps = rmsNormEps
        self.contextLength = contextLength; self.tiedEmbeddings = tiedEmbeddings
    }

    public var qDim: Int { numHeads * headDim }
    public var ropeStyle: RoPEStyle { architecture.ropeStyle }

    /// The rotation table this model's q and k use.
    public func ropeTable(positions: Int) -> RoPETable {
        RoPETable(headDim: headDim, maxPositions: positions, theta: ropeTheta, style: ropeStyle, freqFactors: ropeFreqFactors)
    }
    public var kvDim: Int { numKVHeads * headDim }

    /// Refuses a shape the engine cannot run (from an untrusted file at `path`): non-positive sizes,
    /// heads that do not group, an odd or huge head dimension, more than 1024 layers.
    public func validate(path: String) throws {
        guard hiddenSize > 0, numLayers > 0, numLayers <= 1024, numHeads > 0, numKVHeads > 0, numHeads % numKVHeads == 0,
              intermediateSize > 0, vocabSize > 0, contextLength > 0 else {
            throw ModelError.badMetadata(path: path, key: "\(architecture.name) shape",
                                         "inconsistent shape: hidden \(hiddenSize), heads \(numHeads), kv heads \(numKVHeads), layers \(numLayers), ffn \(intermediateSize), vocab \(vocabSize)")
        }
        guard headDim > 0, headDim % 2 == 0, headDim <= 1024 else {
            throw ModelError.badMetadata(path: path, key: "\(architecture.name) head dimension", "head dimension \(headDim)")
        }
        guard ropeTheta.isFinite, ropeTheta > 0, rmsNormEps.isFinite, rmsNormEps >= 0 else {
            throw ModelError.badMetadata(path: path, key: "\(architecture.name) rope/norm", "rope base \(ropeTheta), rms eps \(rmsNormEps)")
        }
        if let f = ropeFreqFactors, f.count != headDim / 2 || !f.allSatisfy({ $0.isFinite && $0 > 0 }) {
            throw ModelError.badMetadata(path: path, key: "rope_freqs", "\(f.count) frequency factors (need \(headDim / 2), finite and positive)")
        }
    }

    /// A tiny shape for unit tests (vocab of the tiny byte-level tokenizer).
    public static func tiny(vocabSize: Int = Tokenizer.tinyByteLevel().vocabSize) -> LlamaConfig {
        LlamaConfig(vocabSize: vocabSize, hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4,
                    numKVHeads: 2, headDim: 16, ropeTheta: 10000, rmsNormEps: 1e-5, contextLength: 256,
                    tiedEmbeddings: true)
    }

    /// Output features of a projection.
    public func outFeatures(_ p: Projection) -> Int {
        switch p {
        case .q: return qDim
        case .k, .v: return kvDim
        case .o, .down: return hiddenSize
        case .gate, .up: return intermediateSize
        }
    }
    public func inFeatures(_ p: Projection) -> Int {
        switch p {
        case .q, .k, .v, .gate, .up: return hiddenSize
        case .o: return qDim
        case .down: return intermediateSize
        }
    }
}

/// The seven adaptable projections of a Llama block.
public enum Projection: String, CaseIterable, Codable, Sendable {
    case q, k, v, o, gate, up, down
}

extension Projection {
    /// llama.cpp's tensor base name (`attn_q`, …, `ffn_down`): GGUF models and GGUF LoRA adapters.
    public var ggufName: String {
        switch self {
        case .q: return "attn_q"
        case .k: return "attn_k"
        case .v: return "attn_v"
        case .o: return "attn_output"
        case .gate: return "ffn_gate"
        case .up: return "ffn_up"
        case .down: return "ffn_down"
        }
    }
}
