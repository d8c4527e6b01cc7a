import Foundation
import FTXCore
import FTXModel

/// PEFT adapter files: adapter_model.safetensors (keys
/// base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight, f32) + adapter_config.json.
/// q/k lora_B rows are un-permuted from the engine's GGUF order into HF order on export and
/// permuted back on import.
public enum PEFTAdapter {
    public static let weightsFile = "adapter_model.safetensors"
    public static let configFile = "adapter_config.json"

    static func key(_ layer: Int, _ t: Projection, _ ab: String) -> String {
        "base_model.model.model.layers.\(layer).\(t.peftParent).\(t.peftName).lora_\(ab).weight"
    }

    static func heads(_ t: Projection, _ d: ModelDims) -> Int? { t == .q ? d.numHeads : t == .k ? d.numKVHeads : nil }

    /// Writes both files into `dir` (atomically, each).
    public static func write(_ lora: LoRAParameters, to dir: String, baseModelName: String) throws {
        var st = SafetensorsFile()
        let r = lora.spec.rank
        for e in lora.entries {
            st.tensors[key(e.layer, e.target, "A")] = .init(shape: [r, e.inFeatures], values: lora.a(e))
            var b = lora.b(e)
            if let h = heads(e.target, lora.dims) { b = QKPermutation.ggufToHF(b, rows: e.outFeatures, cols: r, heads: h) }
            st.tensors[key(e.layer, e.target, "B")] = .init(shape: [e.outFeatures, r], values: b)
        }
        st.metadata = ["format": "pt"]
        try st.write(to: dir + "/" + weightsFile)
        let layers = Set(lora.entries.map { $0.layer })
        var cfg: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModelName,
            "r": r, "lora_alpha": Double(lora.spec.alpha), "lora_dropout": Double(lora.spec.dropout),
            "use_rslora": lora.spec.useRSLoRA, "bias": "none", "fan_in_fan_out": false, "inference_mode": true,
            "target_modules": lora.spec.targets.map { $0.peftName }, "init_lora_weights": true,
        ]
        if layers.count != lora.dims.numLayers { cfg["layers_to_transform"] = layers.sorted() }
        let json = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json + Data("\n".utf8), to: dir + "/" + configFile)
    }

    /// Reads a PEFT adapter for a model of shape `dims` (f32/f16/bf16 tensors; validated).
    public static func read(from dir: String, dims: ModelDims) throws -> LoRAParameters {
        let cfgPath = dir + "/" + configFile
        guard let data = FileManager.default.contents(atPath: cfgPath),
              let cfg = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TrainError.adapter("missing or unreadable adapter_config.json", at: cfgPath)
        }
        guard let r = cfg["r"] as? Int, r > 0, let alpha = (cfg["lora_alpha"] as? NSNumber)?.floatValue else {
            throw TrainError.adapter("adapter_config.json needs integer `r` and numeric `lora_alpha`", at: cfgPath)
        }
        let st = try SafetensorsFile.read(path: dir + "/" + weightsFile)
        var targets = Set<Projection>(), layers = Set<Int>()
        for name in st.tensors.keys {
            let parts = name.split(separator: ".")
            guard let li = parts.firstIndex(of: "layers"), li + 1 < parts.count, let l = Int(parts[li + 1]),
                  let tn = parts.first(where: { $0.hasSuffix("_proj") }), let t = Projection(name: String(tn)),
                  name.contains(".lora_A.") || name.contains(".lora_B.") else {
                throw TrainError.adapter("unexpected tensor \(name)", at: dir + "/" + weightsFile)
            }
            guard l < dims.numLayers else { throw TrainError.adapter("tensor \(name): block \(l) but the model has \(dims.numLayers)", at: dir) }
            targets.insert(t); layers.insert(l)
        }
        let spec = LoRASpec(rank: r, alpha: alpha, useRSLoRA: cfg["use_rslora"] as? Bool ?? false,
                            dropout: (cfg["lora_dropout"] as? NSNumber)?.floatValue ?? 0, targets: Array(targets),
                            layers: layers.count == dims.numLayers ? nil : layers.sorted())
        let lora = LoRAParameters(dims: dims, spec: spec)
        for e in lora.entries {
            guard let a = st.tensors[key(e.layer, e.target, "A")], let b = st.tensors[key(e.layer, e.target, "B")] else {
                throw TrainError.adapter("block \(e.layer) \(e.target.peftName): lora_A or lora_B missing", at: dir + "/" + weightsFile)
            }
            guard a.shape == [r, e.inFeatures], b.shape == [e.outFeatures, r] else {
                throw TrainError.adapter("block \(e.layer) \(e.target.peftName): shapes \(a.shape), \(b.shape); expected [\(r), \(e.inFeatures)], [\(e.outFeatures), \(r)]",
                                         at: dir + "/" + weightsFile)
            }
            lora.setA(e, a.values)
            var bv = b.values
            if let h = heads(e.target, dims) { bv = QKPermutation.hfToGGUF(bv, rows: e.outFeatures, cols: r, heads: h) }
            lora.setB(e, bv)
        }
        return lora
    }
}

extension LoRAParameters {
    /// The adapter as FTXModel applies it at inference (unmerged; q/k B rows in GGUF order).
    public func loraWeights() -> LoRAWeights {
        var layers = [[Projection: LoRAPair]](repeating: [:], count: dims.numLayers)
        for e in entries {
            layers[e.layer][e.target] = LoRAPair(a: a(e), b: b(e), rank: spec.rank, inFeatures: e.inFeatures,
                                          outFeatures: e.outFeatures, scale: spec.scale)
        }
        return LoRAWeights(layers: layers)
    }

    /// W + s·B·A for one entry, given the base weight (out×in, GGUF order) — for merged export.
    public func merged(_ e: Entry, base: [Float]) -> [Float] {
        var w = base
        let r = spec.rank, s = spec.scale, av = a(e), bv = b(e)
        for o in 0..<e.outFeatures {
            for k in 0..<r {
                let coef = s * bv[o * r + k]
                if coef == 0 { continue }
                for i in 0..<e.inFeatures { w[o * e.inFeatures + i] += coef * av[k * e.inFeatures + i] }
            }
        }
        return w
    }
}

extension PEFTAdapter {
    /// A PEFT adapter directory as FTXModel's unmerged inference adapter (`model.adapter = …`).
    public static func loadLoRAWeights(from dir: String, config: LlamaConfig) throws -> LoRAWeights {
        try read(from: dir, dims: ModelDims(config)).loraWeights()
    }
}
