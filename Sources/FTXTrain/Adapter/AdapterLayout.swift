import FTXModel

/// One LoRA factor as an adapter reader found it in a file: its name there, which block and
/// projection it adapts, A or B, and its shape as a row-major matrix (A is r×in, B is out×r).
struct AdapterTensor {
    let name: String
    let layer: Int
    let target: Projection
    let isA: Bool
    let shape: [Int]
}

extension LoRASpec {
    /// The spec of an adapter file (either format), checked against the base before anything is
    /// allocated — the sizes come from an untrusted file: alpha is finite, 1 ≤ r ≤ min(in, out) of
    /// every targeted weight, every tensor sits in a block the base has and has the shape r implies,
    /// and every adapted (block, projection) has both factors (`name` gives a factor's tensor name in
    /// the file). Errors name `path` (the weights), or `numbersAt` for r, alpha and dropout (a PEFT
    /// adapter's config file).
    static func checked(rank r: Int, alpha: Double, useRSLoRA: Bool = false, dropout: Double = 0,
                        tensors: [AdapterTensor], dims: ModelDims, at path: String, numbersAt: String? = nil,
                        name: (_ layer: Int, _ target: Projection, _ isA: Bool) -> String) throws -> LoRASpec {
        func fail(_ m: String) -> TrainError { .adapter(m, at: path) }
        func badNumber(_ m: String) -> TrainError { .adapter(m, at: numbersAt ?? path) }
        guard Float(alpha).isFinite else { throw badNumber("lora_alpha \(alpha) is not a finite number") }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else { throw badNumber("lora_dropout \(dropout) is not in [0, 1)") }
        guard !tensors.isEmpty else { throw fail("the adapter holds no LoRA tensors") }
        let targets = Set(tensors.map(\.target)), layers = Set(tensors.map(\.layer))
        for t in targets.sorted() {
            let (o, i) = dims.loraShape(of: t)
            guard r >= 1, r <= min(o, i) else {
                throw badNumber("rank r = \(r) does not fit \(dims.architecture.peftModuleName(t)) (\(o)×\(i)); it must be between 1 and \(min(o, i))")
            }
        }
        var found = Set<Int>()
        for t in tensors.sorted(by: { ($0.layer, $0.target.order, $0.isA ? 0 : 1) < ($1.layer, $1.target.order, $1.isA ? 0 : 1) }) {
            guard t.layer >= 0, t.layer < dims.numLayers else {
                throw fail("tensor \(t.name): block \(t.layer) is not one of the base's \(dims.numLayers) blocks (0…\(dims.numLayers - 1))")
            }
            let (o, i) = dims.loraShape(of: t.target)
            let want = t.isA ? [r, i] : [o, r]
            guard t.shape == want else {
                throw fail("tensor \(t.name) is \(t.shape.map(String.init).joined(separator: "×")); expected "
                           + "\(want[0])×\(want[1]) (\(t.isA ? "r×in" : "out×r") for \(dims.architecture.peftModuleName(t.target)) with r = \(r))")
            }
            found.insert((t.layer * 8 + t.target.order) * 2 + (t.isA ? 0 : 1))
        }
        for l in layers.sorted() {
            for t in targets.sorted() {
                for isA in [true, false] where !found.contains((l * 8 + t.order) * 2 + (isA ? 0 : 1)) {
                    throw fail("tensor \(name(l, t, isA)) is missing (every adapted block needs both factors of the same projections)")
                }
            }
        }
        return LoRASpec(rank: r, alpha: Float(alpha), useRSLoRA: useRSLoRA, dropout: Float(dropout),
                        targets: Array(targets), layers: layers.count == dims.numLayers ? nil : layers.sorted())
    }
}
