import Foundation
import FTXCore

/// GGUF LoRA adapter as llama.cpp's convert_lora_to_gguf.py writes it: general.type=adapter,
/// adapter.type=lora, adapter.lora.alpha; tensors blk.N.<attn_q|…|ffn_down>.weight.lora_a
/// (ggml ne = [in, r], i.e. row-major r×in) and .lora_b (ne = [r, out]), f32, q/k B rows in
/// llama.cpp's permuted order (the engine's own order).
public enum GGUFLoRA {
    public static func write(_ lora: LoRAParameters, to path: String, architecture: String = "llama") throws {
        var kv: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string(architecture)),
            ("general.type", .string("adapter")),
            ("adapter.type", .string("lora")),
            ("adapter.lora.alpha", .f32(lora.spec.useRSLoRA ? lora.spec.scale * Float(lora.spec.rank) : lora.spec.alpha)),
        ]
        kv.append(("general.name", .string("ftx LoRA adapter")))
        var tensors: [GGUFWriter.Tensor] = []
        let r = lora.spec.rank
        for e in lora.entries {
            let base = "blk.\(e.layer).\(e.target.ggufName).weight"
            tensors.append(.init(name: base + ".lora_a", ne: [e.inFeatures, r], values: lora.a(e)))
            tensors.append(.init(name: base + ".lora_b", ne: [r, e.outFeatures], values: lora.b(e)))
        }
        try AtomicFile.write(GGUFWriter.serialize(kv: kv, tensors: tensors), to: path)
    }
}

/// A small GGUF v3 writer (f32 tensors, scalar/string metadata), 32-byte aligned.
public enum GGUFWriter {
    public enum Value { case string(String), f32(Float), u32(UInt32), i32(Int32), bool(Bool) }
    public struct Tensor { public let name: String; public let ne: [Int]; public let values: [Float] }
    static let alignment = 32

    public static func serialize(kv: [(String, Value)], tensors: [Tensor]) -> Data {
        var d = Data()
        func u32(_ v: UInt32) { var x = v.littleEndian; withUnsafeBytes(of: &x) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { var x = v.littleEndian; withUnsafeBytes(of: &x) { d.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); d.append(contentsOf: Array(s.utf8)) }
        d.append(contentsOf: Array("GGUF".utf8))
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(kv.count))
        for (k, v) in kv {
            str(k)
            switch v {
            case .string(let s): u32(8); str(s)
            case .f32(let f): u32(6); u32(f.bitPattern)
            case .u32(let x): u32(4); u32(x)
            case .i32(let x): u32(5); u32(UInt32(bitPattern: x))
            case .bool(let b): u32(7); d.append(b ? 1 : 0)
            }
        }
        var offset = 0
        for t in tensors {
            str(t.name)
            u32(UInt32(t.ne.count))
            for n in t.ne { u64(UInt64(n)) }
            u32(0)  // GGML_TYPE_F32
            u64(UInt64(offset))
            offset += (t.values.count * 4 + alignment - 1) / alignment * alignment
        }
        while d.count % alignment != 0 { d.append(0) }
        for t in tensors {
            t.values.withUnsafeBufferPointer { d.append(Data(buffer: $0)) }
            while d.count % alignment != 0 { d.append(0) }
        }
        return d
    }
}
