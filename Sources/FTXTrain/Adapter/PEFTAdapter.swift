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

    /// The tensor name of the LoRA module led by `t` (phi3's fused `qkv_proj`, `gate_up_proj` by their names).
    static func key(_ layer: Int, _ t: Projection, _ ab: String, _ arch: Architecture) -> String {
        "base_model.model.model.layers.\(layer).\(t.peftParent).\(arch.peftModuleName(t)).lora_\(ab).weight"
    }

    /// (block, module leader, A?) of a tensor named exactly as `key` names it for `arch`; nil for any other name.
    static func parseKey(_ name: String, _ arch: Architecture) -> (layer: Int, target: Projection, isA: Bool)? {
        let p = name.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 9, p[0] == "base_model", p[1] == "model", p[2] == "model", p[3] == "layers",
              let layer = Int(p[4]), String(layer) == p[4], p[7] == "lora_A" || p[7] == "lora_B", p[8] == "weight",
              let t = arch.loraModules.first(where: { $0.peftParent == p[5] && arch.peftModuleName($0) == p[6] }) else { return nil }
        return (layer, t, p[7] == "lora_A")
    }

    /// The heads whose rows PEFT orders differently from the engine: q and k of a family whose GGUF
    /// permutes them for adjacent-pair RoPE; none for NEOX-style families (Qwen), stored as in HF.
    static func heads(_ t: Projection, _ d: ModelDims) -> Int? {
        guard d.architecture.ropeStyle == .normal else { return nil }
        return t == .q ? d.numHeads : t == .k ? d.numKVHeads : nil
    }

    /// Writes both files into `dir` (atomically, each).
    public static func write(_ lora: LoRAParameters, to dir: String, baseModelName: String) throws {
        var st = SafetensorsFile()
        let r = lora.spec.rank
        for e in lora.entries {
            st.tensors[key(e.layer, e.target, "A", lora.dims.architecture)] = .init(shape: [r, e.inFeatures], values: lora.a(e))
            var b = lora.b(e)
            if let h = heads(e.target, lora.dims) { b = QKPermutation.ggufToHF(b, rows: e.outFeatures, cols: r, heads: h) }
            st.tensors[key(e.layer, e.target, "B", lora.dims.architecture)] = .init(shape: [e.outFeatures, r], values: b)
        }
        st.metadata = ["format": "pt"]
        try st.write(to: dir + "/" + weightsFile)
        let layers = Set(lora.entries.map { $0.layer })
        var cfg: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModelName,
            "r": r, "lora_alpha": Double(lora.spec.alpha), "lora_dropout": Double(lora.spec.dropout),
            "use_rslora": lora.spec.useRSLoRA, "bias": "none", "fan_in_fan_out": false, "inference_mode": true,
            "target_modules": lora.dims.architecture.loraModules.filter { lora.spec.targets.contains($0) }
                .map { lora.dims.architecture.peftModuleName($0) }, "init_lora_weights": true,
        ]
        if layers.count != lora.dims.numLayers { cfg["layers_to_transform"] = layers.sorted() }
        let json = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json + Data("\n".utf8), to: dir + "/" + configFile)
    }

    /// Reads a PEFT adapter for a model of shape `dims` (f32/f16/bf16 tensors). Both files are
    /// untrusted: the config's numbers and every tensor's name and shape are checked against the
    /// base (LoRASpec.checked) before the parameters are allocated.
    public static func read(from dir: String, dims: ModelDims) throws -> LoRAParameters {
        let cfgPath = dir + "/" + configFile, weightsPath = dir + "/" + weightsFile
        guard let config = FileManager.default.contents(atPath: cfgPath) else {
            throw TrainError.adapter("missing or unreadable adapter_config.json", at: cfgPath)
        }
        guard let weights = FileManager.default.contents(atPath: weightsPath) else {
            throw TrainError.adapter("cannot read safetensors file", at: weightsPath)
        }
        return try parse(config: config, weights: weights, dims: dims, configPath: cfgPath, weightsPath: weightsPath)
    }

    /// The same from the two files' bytes (the paths name them in errors).
    public static func parse(config: Data, weights: Data, dims: ModelDims, configPath cfgPath: String,
                             weightsPath: String) throws -> LoRAParameters {
        guard let cfg = (try? JSONSerialization.jsonObject(with: config)) as? [String: Any] else {
            throw TrainError.adapter("missing or unreadable adapter_config.json", at: cfgPath)
        }
        guard let r = cfg["r"] as? Int, let alpha = (cfg["lora_alpha"] as? NSNumber)?.doubleValue else {
            throw TrainError.adapter("adapter_config.json needs integer `r` and numeric `lora_alpha`", at: cfgPath)
        }
        let st = try SafetensorsFile.parse(weights, path: weightsPath)
        var found: [AdapterTensor] = []
        for name in st.tensors.keys.sorted() {
            let t = st.tensors[name]!
            let arch = dims.architecture
            guard let k = parseKey(name, arch) else {
                let modules = arch.loraModules.map { arch.peftModuleName($0) }.joined(separator: "|")
                throw TrainError.adapter("unexpected tensor \(name) (expected base_model.model.model.layers.N.<self_attn|mlp>.<\(modules)>.lora_<A|B>.weight for a \(arch.name) base)",
                                         at: weightsPath)
            }
            found.append(AdapterTensor(name: name, layer: k.layer, target: k.target, isA: k.isA, shape: t.shape))
        }
        let spec = try LoRASpec.checked(rank: r, alpha: alpha, useRSLoRA: cfg["use_rslora"] as? Bool ?? false,
                                        dropout: (cfg["lora_dropout"] as? NSNumber)?.doubleValue ?? 0,
                                        tensors: found, dims: dims, at: weightsPath, numbersAt: cfgPath) { key($0, $1, $2 ? "A" : "B", dims.architecture) }
        let lora = LoRAParameters(dims: dims, spec: spec)
        for e in lora.entries {
            guard let a = st.tensors[key(e.layer, e.target, "A", dims.architecture)], let b = st.tensors[key(e.layer, e.target, "B", dims.architecture)] else {
                throw TrainError.adapter("block \(e.layer) \(dims.architecture.peftModuleName(e.target)): lora_A or lora_B missing", at: weightsPath)
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
    /// The adapter as FTXModel applies it at inference (unmerged; q/k B rows in GGUF order). A fused
    /// module becomes one pair per part: its A, and the part's rows of B (exactly the module's product).
    public func loraWeights() -> LoRAWeights {
        var layers = [[Projection: LoRAPair]](repeating: [:], count: dims.numLayers)
        for e in entries {
            let av = a(e), bv = b(e), r = spec.rank
            for t in dims.architecture.loraGroup(e.target) {
                let row = dims.rowInModule(t), out = dims.shape(of: t).out
                layers[e.layer][t] = LoRAPair(a: av, b: Array(bv[(row * r)..<((row + out) * r)]), rank: r, inFeatures: e.inFeatures,
                                              outFeatures: out, scale: spec.scale)
            }
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
