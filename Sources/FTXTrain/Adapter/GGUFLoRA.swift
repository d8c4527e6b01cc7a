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
    /// llama.cpp refuses an adapter whose `general.architecture` is not its model's: it is the base's family.
    public static func write(_ lora: LoRAParameters, to path: String) throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string(lora.dims.architecture.name))
        w.set("general.type", .string("adapter"))
        w.set("adapter.type", .string("lora"))
        w.set("adapter.lora.alpha", .float32(lora.spec.useRSLoRA ? lora.spec.scale * Float(lora.spec.rank) : lora.spec.alpha))
        w.set("general.name", .string("ftx LoRA adapter"))
        let r = lora.spec.rank
        for e in lora.entries {
            let base = tensorBase(e.layer, e.target, lora.dims.architecture)
            w.addTensor(base + ".lora_a", dims: [e.inFeatures, r], f32: lora.a(e))
            w.addTensor(base + ".lora_b", dims: [r, e.outFeatures], f32: lora.b(e))
        }
        try AtomicFile.write(Data(w.bytes()), to: path)
    }

    /// llama.cpp's name of the module led by `t` (phi3: `attn_qkv`, and `ffn_up` for the fused gate-up).
    static func tensorBase(_ layer: Int, _ t: Projection, _ arch: Architecture) -> String {
        "blk.\(layer).\(arch.ggufModuleName(t)).weight"
    }

    /// Reads a GGUF LoRA adapter for a model of shape `dims`. Tensors may be F32, F16, BF16 or any
    /// block type FTXTensor dequantizes; every tensor is checked against the model's shapes.
    public static func read(path: String, dims: ModelDims) throws -> LoRAParameters {
        let g: GGUFFile
        do { g = try GGUFFile(path: path) } catch {
            throw TrainError.adapter("not a readable GGUF file: \(error)", at: path)
        }
        return try read(g, dims: dims)
    }

    /// The same from an opened GGUF file (`GGUFFile(file: MappedFile(bytes:), path:)` for bytes).
    public static func read(_ g: GGUFFile, dims: ModelDims) throws -> LoRAParameters {
        let path = g.path
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
        // Every name, block and shape is checked (LoRASpec.checked) before anything is allocated.
        var found: [AdapterTensor] = []
        let arch = dims.architecture
        for t in g.tensors {
            let parts = t.name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0] == "blk", let l = Int(parts[1]), String(l) == parts[1],
                  let target = arch.loraModules.first(where: { arch.ggufModuleName($0) == parts[2] }), parts[3] == "weight",
                  parts[4] == "lora_a" || parts[4] == "lora_b" else {
                let names = arch.loraModules.map { arch.ggufModuleName($0) }.joined(separator: "|")
                throw TrainError.adapter("unexpected tensor \(t.name) (expected blk.N.<\(names)>.weight.lora_a/lora_b for a \(arch.name) base)", at: path)
            }
            // GGUF dims are ggml's ne (fastest first): lora_a is [in, r], i.e. an r×in matrix.
            found.append(AdapterTensor(name: t.name, layer: l, target: target, isA: parts[4] == "lora_a", shape: t.dims.reversed()))
        }
        guard let anyA = found.first(where: { $0.isA }), anyA.shape.count == 2 else {
            throw TrainError.adapter("GGUF LoRA adapter has no lora_a tensors", at: path)
        }
        let spec = try LoRASpec.checked(rank: anyA.shape[0], alpha: alphaValue, tensors: found, dims: dims, at: path) {
            tensorBase($0, $1, arch) + ($2 ? ".lora_a" : ".lora_b")
        }
        let lora = LoRAParameters(dims: dims, spec: spec)
        for e in lora.entries {
            let base = tensorBase(e.layer, e.target, arch)
            guard let a = g.tensor(base + ".lora_a"), let b = g.tensor(base + ".lora_b") else {
                throw TrainError.adapter("\(base): lora_a or lora_b missing", at: path)
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
