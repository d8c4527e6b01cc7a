import FTXTensor

/// Shape and hyper-parameters of a decoder model of any supported family (`architecture`).
public struct LlamaConfig: Sendable, Codable, Equatable {
    /// The family: which block features are on and how RoPE rotates.
    public var architecture: Architecture
    /// RoPE frequency scaling: headDim/2 divisors of the frequencies (Llama 3's, the GGUF `rope_freqs`
    /// tensor; or one linear factor repeated), nil for none.
    public var ropeFreqFactors: [Float]?
    /// The factor when every frequency has the same one: linear scaling (positions divided by it),
    /// as GGUF's `rope.scaling.type linear` says; nil for none or for Llama 3's per-frequency factors.
    public var linearRoPEFactor: Float? { ropeFreqFactors.flatMap { f in f.allSatisfy { $0 == f.first } ? f.first : nil } }
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
    /// Gemma 3's local layers: which layers attend through a sliding window, and their RoPE base.
    public var slidingWindow: SlidingWindow?
    /// Multiplies q·k before the softmax; nil is 1/√headDim (Gemma 3: query_pre_attn_scalar^−½).
    public var attentionScale: Float?

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

    /// The rotation table of the global layers (every layer, without a sliding window).
    public func ropeTable(positions: Int) -> RoPETable {
        RoPETable(headDim: headDim, maxPositions: positions, theta: ropeTheta, style: ropeStyle, freqFactors: ropeFreqFactors)
    }

    /// q·k scale of the attention softmax.
    public var attentionScaleOrDefault: Float { attentionScale ?? 1 / Float(headDim).squareRoot() }
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
        if let w = slidingWindow {
            guard w.size > 0, w.layers.count == numLayers, w.ropeTheta.isFinite, w.ropeTheta > 0 else {
                throw ModelError.badMetadata(path: path, key: "\(architecture.name) sliding window",
                                             "window \(w.size), \(w.layers.count) layer kinds for \(numLayers) layers, local rope base \(w.ropeTheta)")
            }
        }
        if let s = attentionScale, !(s.isFinite && s > 0) {
            throw ModelError.badMetadata(path: path, key: "\(architecture.name) attention scale", "\(s)")
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

/// Sliding-window attention on some layers (Gemma 3's local layers): query position i sees keys
/// j with i − j < size; those layers rotate with their own base `ropeTheta` and no frequency scaling.
public struct SlidingWindow: Sendable, Codable, Equatable {
    public var size: Int
    /// Per layer: true for a sliding-window layer, false for a global one.
    public var layers: [Bool]
    public var ropeTheta: Float

    public init(size: Int, layers: [Bool], ropeTheta: Float) {
        self.size = size; self.layers = layers; self.ropeTheta = ropeTheta
    }

    /// llama.cpp's default layout for `count` layers: of every `pattern` layers, the last is global.
    public static func pattern(_ pattern: Int, count: Int) -> [Bool] {
        (0..<count).map { pattern > 0 && $0 % pattern < pattern - 1 }
    }

    /// Whether layer `l` attends through the window.
    public func isSliding(_ l: Int) -> Bool { l < layers.count && layers[l] }

    /// The rotation table of the sliding layers.
    public func ropeTable(headDim: Int, style: RoPEStyle, positions: Int) -> RoPETable {
        RoPETable(headDim: headDim, maxPositions: positions, theta: ropeTheta, style: style)
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
