import Foundation
import FTXModel

/// Which projections of which blocks carry an adapter, and its rank/scale.
public struct LoRASpec: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var useRSLoRA: Bool
    public var dropout: Float
    public var targets: [Projection]
    /// Blocks that carry adapters (nil = all).
    public var layers: [Int]?
    public init(rank: Int, alpha: Float, useRSLoRA: Bool = false, dropout: Float = 0,
                targets: [Projection] = Projection.allCases, layers: [Int]? = nil) {
        self.rank = rank; self.alpha = alpha; self.useRSLoRA = useRSLoRA; self.dropout = dropout
        self.targets = targets.sorted(); self.layers = layers
    }
    /// Refuses targets that split one of the family's LoRA modules: on a phi3 base q_proj alone (PEFT
    /// adapts the fused qkv_proj as one), and names the valid targets.
    public func checkTargets(_ arch: Architecture) throws {
        for m in arch.loraModules {
            let group = arch.loraGroup(m), chosen = group.filter { targets.contains($0) }
            guard chosen.isEmpty || chosen.count == group.count else {
                let valid = arch.loraModules.map { arch.peftModuleName($0) }.joined(separator: ", ")
                throw TrainError.config("lora_target_modules: \(chosen.map(\.peftName).joined(separator: ", ")) is not a module of a \(arch.name) base (its modules: \(valid))",
                                        at: nil, hint: "PEFT adapts \(arch.peftModuleName(m)) as one module; name it instead")
            }
        }
    }

    /// s = alpha/r, or alpha/√r with rsLoRA.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }
}

/// All LoRA parameters in one flat f32 buffer (and gradients in another of the same layout), so the
/// optimizer, clipping, checkpoints and determinism checks see a single vector.
/// Order: block 0..L−1, within a block q,k,v,o,gate,up,down, within a pair A then B.
public final class LoRAParameters {
    public struct Entry: Equatable {
        public let layer: Int, target: Projection
        public let offsetA: Int, offsetB: Int, inFeatures: Int, outFeatures: Int
    }
    public let spec: LoRASpec
    public let dims: ModelDims
    public let entries: [Entry]
    public let params: FloatBuffer
    public let grads: FloatBuffer
    private var index: [Int: Int] = [:]   // layer*8+target → entry

    public init(dims: ModelDims, spec: LoRASpec) {
        self.dims = dims; self.spec = spec
        var es: [Entry] = []
        var off = 0
        let layerSet = Set(spec.layers ?? Array(0..<dims.numLayers))
        for l in 0..<dims.numLayers where layerSet.contains(l) {
            // One pair per LoRA module: a fused module (phi3's qkv_proj, gate_up_proj) is one pair led by its first projection.
            for t in dims.architecture.loraModules where spec.targets.contains(t) {
                let (o, i) = dims.loraShape(of: t)
                es.append(Entry(layer: l, target: t, offsetA: off, offsetB: off + spec.rank * i, inFeatures: i, outFeatures: o))
                off += spec.rank * (i + o)
            }
        }
        entries = es
        params = FloatBuffer(off)
        grads = FloatBuffer(off)
        for (n, e) in es.enumerated() { index[e.layer * 8 + e.target.order] = n }
    }

    public var count: Int { params.count }

    /// PEFT's init: A ~ U(±1/√in) (kaiming-uniform with a=√5), B = 0.
    public func initialize(seed: UInt64) {
        var rng = TrainRNG(seed: seed)
        params.zero()
        for e in entries {
            let bound = 1 / Float(e.inFeatures).squareRoot()
            for j in 0..<(spec.rank * e.inFeatures) { params.p[e.offsetA + j] = rng.uniform(-bound, bound) }
        }
    }

    public func entry(layer: Int, target: Projection) -> Entry? {
        index[layer * 8 + target.order].map { entries[$0] }
    }

    /// The pair's parameters, with gradients accumulated into `grads` (default: this object's; a
    /// data-parallel worker passes its own buffer of the same layout). A projection of a fused module
    /// sees the module's A and its own rows of B: the parts' dA contributions add up to the module's.
    func view(layer: Int, target: Projection, grads: UnsafeMutablePointer<Float>? = nil) -> LoRAView? {
        guard let e = entry(layer: layer, target: dims.architecture.loraLeader(target)) else { return nil }
        let g = grads ?? self.grads.p, b = e.offsetB + dims.rowInModule(target) * spec.rank
        return LoRAView(a: params.p + e.offsetA, b: params.p + b, da: g + e.offsetA, db: g + b,
                        rank: spec.rank, inFeatures: e.inFeatures, outFeatures: dims.shape(of: target).out, scale: spec.scale)
    }

    /// Copies of A and B for one entry.
    public func a(_ e: Entry) -> [Float] { Array(UnsafeBufferPointer(start: params.p + e.offsetA, count: spec.rank * e.inFeatures)) }
    public func b(_ e: Entry) -> [Float] { Array(UnsafeBufferPointer(start: params.p + e.offsetB, count: spec.rank * e.outFeatures)) }
    public func gradA(_ e: Entry) -> [Float] { Array(UnsafeBufferPointer(start: grads.p + e.offsetA, count: spec.rank * e.inFeatures)) }
    public func gradB(_ e: Entry) -> [Float] { Array(UnsafeBufferPointer(start: grads.p + e.offsetB, count: spec.rank * e.outFeatures)) }
    public func setA(_ e: Entry, _ v: [Float]) { for (j, x) in v.enumerated() { params.p[e.offsetA + j] = x } }
    public func setB(_ e: Entry, _ v: [Float]) { for (j, x) in v.enumerated() { params.p[e.offsetB + j] = x } }
}
