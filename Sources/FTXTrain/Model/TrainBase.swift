import Foundation
import FTXModel

/// One frozen block: norms in f32 buffers, projections behind `FrozenLinear` (f32, GGUF blocks or NF4).
public typealias BaseLayer = LayerWeights<FloatBuffer, FrozenLinear>

extension LayerWeights where Norm == FloatBuffer, Weight == FrozenLinear {
    public init(attnNorm: [Float], q: FrozenLinear, k: FrozenLinear, v: FrozenLinear, o: FrozenLinear,
                ffnNorm: [Float], gate: FrozenLinear, up: FrozenLinear, down: FrozenLinear) {
        self.init(attnNorm: FloatBuffer(attnNorm), q: q, k: k, v: v, o: o,
                  ffnNorm: FloatBuffer(ffnNorm), gate: gate, up: up, down: down)
    }
}

public final class TrainBase {
    public let dims: ModelDims
    public let embedding: EmbeddingTable
    public let layers: [BaseLayer]
    public let outputNorm: FloatBuffer
    public let output: FrozenLinear

    public init(dims: ModelDims, embedding: EmbeddingTable, layers: [BaseLayer], outputNorm: [Float], output: FrozenLinear) {
        self.dims = dims; self.embedding = embedding; self.layers = layers
        self.outputNorm = FloatBuffer(outputNorm); self.output = output
    }

    /// A random f32 model (tests): weights ~ U(±scale/√in), norms around 1, and the biases, q/k
    /// norms or post-norms its architecture has.
    public static func random(dims d: ModelDims, seed: UInt64, scale: Float = 1) -> TrainBase {
        var rng = TrainRNG(seed: seed)
        func mat(_ out: Int, _ inF: Int) -> DenseLinear {
            let b = scale / Float(inF).squareRoot()
            return DenseLinear((0..<(out * inF)).map { _ in rng.uniform(-b, b) }, out: out, in: inF)
        }
        func norm(_ n: Int) -> [Float] { (0..<n).map { _ in rng.uniform(0.8, 1.2) } }
        let emb = (0..<(d.vocabSize * d.hiddenSize)).map { _ in rng.uniform(-1, 1) }
        var layers: [BaseLayer] = []
        for _ in 0..<d.numLayers {
            var layer = BaseLayer(attnNorm: norm(d.hiddenSize), q: mat(d.qWidth, d.hiddenSize),
                                  k: mat(d.kvWidth, d.hiddenSize), v: mat(d.kvWidth, d.hiddenSize),
                                  o: mat(d.hiddenSize, d.qWidth), ffnNorm: norm(d.hiddenSize),
                                  gate: mat(d.intermediateSize, d.hiddenSize), up: mat(d.intermediateSize, d.hiddenSize),
                                  down: mat(d.hiddenSize, d.intermediateSize))
            // The family's block features, drawn after the rest so a Llama's draws stay as they were.
            if d.architecture.attentionBias {
                layer.qBias = FloatBuffer((0..<d.qWidth).map { _ in rng.uniform(-0.5, 0.5) })
                layer.kBias = FloatBuffer((0..<d.kvWidth).map { _ in rng.uniform(-0.5, 0.5) })
                layer.vBias = FloatBuffer((0..<d.kvWidth).map { _ in rng.uniform(-0.5, 0.5) })
            }
            if d.architecture.qkNorm {
                layer.qNorm = FloatBuffer(norm(d.headDim)); layer.kNorm = FloatBuffer(norm(d.headDim))
            }
            if d.architecture.postNorms {
                layer.postAttnNorm = FloatBuffer(norm(d.hiddenSize)); layer.postFFNNorm = FloatBuffer(norm(d.hiddenSize))
            }
            layers.append(layer)
        }
        return TrainBase(dims: d, embedding: DenseEmbedding(emb, vocab: d.vocabSize, width: d.hiddenSize),
                         layers: layers, outputNorm: norm(d.hiddenSize), output: mat(d.vocabSize, d.hiddenSize))
    }
}
