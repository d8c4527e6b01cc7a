import Foundation
import FTXCore
import FTXModel
import FTXTensor

/// GGUF LoRA adapter as llama.cpp's convert_lora_to_gguf.py writes it: general.type=adapter,
/// adapter.type=lora, adapter.lora.alpha; tensors blk.N.<attn_q|…|ffn_down>.weight.lora_a
/// (ggml ne = [in, r], i.e. row-major r×in) and .lora_b (ne = [r, out]), f32, q/k B rows in
/// llama.cpp's permuted order (the engine's own order). llama.cpp scales by alpha/r, so an rsLoRA
/// adapter is written with alpha' = s·r (the same s), and reads back as plain LoRA with that alpha.
public enum GGUFLoRA {
    public static func write(_ lora: LoRAParameters, to path: String, architecture: String = "llama") throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string(architecture))
        w.set("general.type", .string("adapter"))
        w.set("adapter.type", .string("lora"))
        w.set("adapter.lora.alpha", .float32(lora.spec.useRSLoRA ? lora.spec.scale * Float(lora.spec.rank) : lora.spec.alpha))
        w.set("general.name", .string("ftx LoRA adapter"))
        let r = lora.spec.rank
        for e in lora.entries {
            let base = tensorBase(e.layer, e.target)
            w.addTensor(base + ".lora_a", dims: [e.inFeatures, r], f32: lora.a(e))
            w.addTensor(base + ".lora_b", dims: [r, e.outFeatures], f32: lora.b(e))
        }
        try AtomicFile.write(Data(w.bytes()), to: path)
    }

    static func tensorBase(_ layer: Int, _ t: Projection) -> String { "blk.\(layer).\(t.ggufName).weight" }

    /// Reads a GGUF LoRA adapter for a model of shape `dims`. Tensors may be F32, F16, BF16 or any
    /// block type FTXTensor dequantizes; every tensor is checked against the model's shapes.
    public static func read(path: String, dims: ModelDims) throws -> LoRAParameters {
        let g: GGUFFile
        do { g = try GGUFFile(path: path) } catch {
            throw TrainError.adapter("not a readable GGUF file: \(error)", at: path)
        }
        guard let type = g.string("general.type") else {
            throw TrainError.adapter("GGUF has no general.type; a LoRA adapter has general.type=adapter", at: path,
                                     hint: "is this a base model? pass it with --model, and the adapter with --adapter")
        }
        guard type == "adapter" else {
            throw TrainError.adapter("GGUF general.type is \"\(type)\", not \"adapter\"", at: path,
                                     hint: type == "model" ? "this is a model file; pass it with --model" : nil)
        }
        if let kind = g.string("adapter.type"), kind != "lora" {
            throw TrainError.adapter("adapter.type is \"\(kind)\"; only \"lora\" adapters are supported", at: path)
        }
        guard let alphaValue = g.double("adapter.lora.alpha") else {
            throw TrainError.adapter("GGUF LoRA adapter has no adapter.lora.alpha", at: path,
                                     hint: "the scale is alpha/r; re-export the adapter with its alpha")
        }
        // Group tensors by (layer, target), validating names.
        var pairs: [String: (a: GGUFTensorInfo?, b: GGUFTensorInfo?)] = [:]
        var targets = Set<Projection>(), layers = Set<Int>()
        for t in g.tensors {
            let parts = t.name.split(separator: ".")
            let isA = t.name.hasSuffix(".weight.lora_a"), isB = t.name.hasSuffix(".weight.lora_b")
            guard parts.count == 5, parts[0] == "blk", let l = Int(parts[1]), let target = Projection(name: String(parts[2])),
                  String(parts[2]) == target.ggufName, isA || isB else {
                throw TrainError.adapter("unexpected tensor \(t.name) (expected blk.N.<attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down>.weight.lora_a/lora_b)", at: path)
            }
            guard l >= 0, l < dims.numLayers else {
                throw TrainError.adapter("tensor \(t.name): block \(l) but the model has \(dims.numLayers)", at: path)
            }
            let key = tensorBase(l, target)
            var p = pairs[key] ?? (nil, nil)
            if isA { p.a = t } else { p.b = t }
            pairs[key] = p
            targets.insert(target); layers.insert(l)
        }
        guard let anyA = pairs.values.compactMap({ $0.a }).first, anyA.dims.count == 2, anyA.dims[1] > 0 else {
            throw TrainError.adapter("GGUF LoRA adapter has no lora_a tensors", at: path)
        }
        let r = anyA.dims[1]
        let spec = LoRASpec(rank: r, alpha: Float(alphaValue), targets: Array(targets),
                            layers: layers.count == dims.numLayers ? nil : layers.sorted())
        let lora = LoRAParameters(dims: dims, spec: spec)
        for e in lora.entries {
            let key = tensorBase(e.layer, e.target)
            guard let pair = pairs[key], let a = pair.a, let b = pair.b else {
                throw TrainError.adapter("\(key): lora_a or lora_b missing (every adapted block needs the same projections)", at: path)
            }
            guard a.dims == [e.inFeatures, r] else {
                throw TrainError.adapter("tensor \(a.name) has shape \(a.dims); expected [\(e.inFeatures), \(r)] (ne order: in, rank)", at: path)
            }
            guard b.dims == [r, e.outFeatures] else {
                throw TrainError.adapter("tensor \(b.name) has shape \(b.dims); expected [\(r), \(e.outFeatures)] (ne order: rank, out)", at: path)
            }
            lora.setA(e, try values(a, g, path))
            lora.setB(e, try values(b, g, path))
        }
        return lora
    }

    static func values(_ t: GGUFTensorInfo, _ g: GGUFFile, _ path: String) throws -> [Float] {
        guard t.elementCount % t.type.blockSize == 0 else {
            throw TrainError.adapter("tensor \(t.name): \(t.elementCount) values is not a whole number of \(t.type) blocks", at: path)
        }
        var out = [Float](repeating: 0, count: t.elementCount)
        out.withUnsafeMutableBufferPointer { dequantizeRow(t.type, g.pointer(t), $0.baseAddress!, count: t.elementCount) }
        return out
    }
}
