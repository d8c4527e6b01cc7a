import Foundation
import FTXModel
import FTXTensor

/// The shape of a model as the training engine needs it (any supported family: the block's
/// optional features are the base weights' own, present or not).
public struct ModelDims: Codable, Equatable, Sendable {
    public var vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKVHeads, headDim: Int
    public var ropeTheta: Float, rmsNormEps: Float
    /// The family: its RoPE style, and whether PEFT's q/k rows are permuted from the engine's.
    public var architecture: Architecture
    /// Llama 3's RoPE frequency divisors (headDim/2), nil for none.
    public var ropeFreqFactors: [Float]?
    /// Sliding-window layers and their RoPE base (Gemma 3), nil for none.
    public var slidingWindow: SlidingWindow?
    /// q·k scale, nil for 1/√headDim.
    public var attentionScale: Float?
    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int,
                numKVHeads: Int, headDim: Int, ropeTheta: Float, rmsNormEps: Float,
                architecture: Architecture = .llama, ropeFreqFactors: [Float]? = nil,
                slidingWindow: SlidingWindow? = nil, attentionScale: Float? = nil) {
        self.slidingWindow = slidingWindow; self.attentionScale = attentionScale
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numLayers = numLayers; self.numHeads = numHeads; self.numKVHeads = numKVHeads; self.headDim = headDim
        self.ropeTheta = ropeTheta; self.rmsNormEps = rmsNormEps
        self.architecture = architecture; self.ropeFreqFactors = ropeFreqFactors
    }
    var qWidth: Int { numHeads * headDim }
    var kvWidth: Int { numKVHeads * headDim }

    /// The rotation table of q and k for positions 0..<n (of the global layers, with sliding windows).
    func ropeTable(positions n: Int) -> RoPETable {
        RoPETable(headDim: headDim, maxPositions: n, theta: ropeTheta, style: architecture.ropeStyle, freqFactors: ropeFreqFactors)
    }

    /// (out, in) of a projection.
    public func shape(of t: Projection) -> (out: Int, in: Int) {
        switch t {
        case .q: return (qWidth, hiddenSize)
        case .k, .v: return (kvWidth, hiddenSize)
        case .o: return (hiddenSize, qWidth)
        case .gate, .up: return (intermediateSize, hiddenSize)
        case .down: return (hiddenSize, intermediateSize)
        }
    }

    /// (out, in) of the LoRA module led by `t`: a fused module's outputs are its parts' stacked.
    public func loraShape(of t: Projection) -> (out: Int, in: Int) {
        (architecture.loraGroup(t).reduce(0) { $0 + shape(of: $1).out }, shape(of: t).in)
    }

    /// The first output row of projection `t` within its LoRA module (k after q in a fused qkv).
    func rowInModule(_ t: Projection) -> Int {
        architecture.loraGroup(t).prefix(while: { $0 != t }).reduce(0) { $0 + shape(of: $1).out }
    }
}

/// The seven projections LoRA can target are FTXModel's `Projection` (q, k, v, o, gate, up, down:
/// the engine's fixed order); the adapter file formats' names for them live here.
extension Projection: Comparable {
    /// PEFT / HF module name (`q_proj`, …, `down_proj`).
    public var peftName: String { rawValue + "_proj" }
    /// The HF submodule holding it.
    public var peftParent: String { self == .gate || self == .up || self == .down ? "mlp" : "self_attn" }
    /// Accepts `q`, `q_proj`, `self_attn.q_proj`, `attn_q`.
    public init?(name: String) {
        guard Projection.fused(name) == nil else { return nil }
        let n = name.split(separator: ".").last.map(String.init) ?? name
        for t in Projection.allCases where n == t.rawValue || n == t.peftName || n == t.ggufName { self = t; return }
        return nil
    }
    /// The projections of a fused module's PEFT name (`qkv_proj`: q, k, v; `gate_up_proj`: gate, up), else nil.
    public static func fused(_ name: String) -> [Projection]? {
        switch name.split(separator: ".").last.map(String.init) ?? name {
        case "qkv_proj", "attn_qkv": return [.q, .k, .v]
        case "gate_up_proj": return [.gate, .up]
        default: return nil
        }
    }

    var order: Int {
        switch self {
        case .q: return 0
        case .k: return 1
        case .v: return 2
        case .o: return 3
        case .gate: return 4
        case .up: return 5
        case .down: return 6
        }
    }
    public static func < (a: Projection, b: Projection) -> Bool { a.order < b.order }
}

/// The engine's deterministic PRNG is FTXModel's SplitMix64 (adapter init, shuffling, test models).
public typealias TrainRNG = SplitMix64

extension SplitMix64 {
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * nextFloat() }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Fisher–Yates with this generator (fixed sequence for a seed, unlike the standard library's).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}
