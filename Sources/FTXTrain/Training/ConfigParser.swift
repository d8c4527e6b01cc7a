import Foundation
import FTXCore
import FTXModel
import Yams

extension TrainConfig {
    /// Parses a YAML config; unknown keys and wrong types are errors naming file:line.
    public static func load(path: String) throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainError.config("cannot read config file", at: path)
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ yaml: String, file: String) throws -> TrainConfig {
        let root: Node?
        do { root = try YAMLDocument.compose(yaml, file: file) } catch let e as YAMLError {
            throw TrainError.config(e.problem, at: e.location)
        }
        guard let root, let map = root.mapping else {
            throw TrainError.config("config must be a YAML mapping of keys to values", at: file)
        }
        var p = ConfigReader(file: file)
        var c = TrainConfig()
        if let slash = file.lastIndex(of: "/") {
            let dir = String(file[..<slash])
            c.baseDirectory = dir.isEmpty ? "/" : dir == "." ? nil : dir
        }
        var seen = Set<String>()
        for (k, v) in map {
            guard let key = k.string else { throw p.fail("keys must be strings", k) }
            guard seen.insert(key).inserted else { throw p.fail("key `\(key)` appears twice", k) }
            guard TrainConfig.keys.contains(key) else {
                throw TrainError.config("unknown key `\(key)`", at: p.loc(k), hint: didYouMean(key, among: TrainConfig.keys))
            }
            switch key {
            case "base_model": c.baseModel = try p.string(key, v)
            case "data":
                guard let m = v.mapping else {
                    if v.null != nil || v.string != nil { throw p.fail("`data` must be a mapping {train, valid, test}", v) }
                    throw p.fail("`data` must be a mapping {train, valid, test}", v)
                }
                for (dk, dv) in m {
                    let name = dk.string ?? ""
                    switch name {
                    case "train": c.dataTrain = try p.string("data.train", dv)
                    case "valid": c.dataValid = try p.optionalString("data.valid", dv)
                    case "test": c.dataTest = try p.optionalString("data.test", dv)
                    default:
                        throw TrainError.config("unknown key `data.\(name)`", at: p.loc(dk),
                                                hint: didYouMean(name, among: ["train", "valid", "test"]))
                    }
                }
            case "output_dir": c.outputDir = try p.string(key, v)
            case "adapter": c.adapter = try p.enumValue(key, v, TrainConfig.AdapterKind.self)
            case "lora_r": c.loraR = try p.int(key, v, min: 1)
            case "lora_alpha": c.loraAlpha = try p.double(key, v, min: 0)
            case "lora_dropout": c.loraDropout = try p.double(key, v, min: 0, max: 0.99)
            case "lora_target_modules": c.loraTargetModules = try p.targets(key, v)
            case "lora_layers": c.loraLayers = try p.optionalInt(key, v, min: 1)
            case "use_rslora": c.useRslora = try p.bool(key, v)
            case "learning_rate": c.learningRate = try p.double(key, v, min: 0)
            case "num_epochs": c.numEpochs = try p.int(key, v, min: 1)
            case "max_steps": c.maxSteps = try p.optionalInt(key, v, min: 1)
            case "micro_batch_size": c.microBatchSize = try p.int(key, v, min: 1)
            case "gradient_accumulation_steps": c.gradientAccumulationSteps = try p.int(key, v, min: 1)
            case "max_seq_length": c.maxSeqLength = try p.int(key, v, min: 2)
            case "warmup_ratio": c.warmupRatio = try p.double(key, v, min: 0, max: 1)
            case "lr_scheduler": c.lrScheduler = try p.enumValue(key, v, LRSchedulerKind.self)
            case "weight_decay": c.weightDecay = try p.double(key, v, min: 0)
            case "max_grad_norm": c.maxGradNorm = try p.double(key, v, min: 0)
            case "adam_beta1": c.adamBeta1 = try p.double(key, v, min: 0, max: 0.999999)
            case "adam_beta2": c.adamBeta2 = try p.double(key, v, min: 0, max: 0.999999)
            case "adam_epsilon": c.adamEpsilon = try p.double(key, v, min: 0)
            case "train_on_inputs": c.trainOnInputs = try p.bool(key, v)
            case "packing": c.packing = try p.bool(key, v)
            case "shuffle": c.shuffle = try p.bool(key, v)
            case "long_sequences": c.longSequences = try p.enumValue(key, v, LongSequencePolicy.self)
            case "seed": c.seed = try p.int(key, v, min: 0)
            case "eval_steps": c.evalSteps = try p.int(key, v, min: 0)
            case "save_steps": c.saveSteps = try p.int(key, v, min: 0)
            case "logging_steps": c.loggingSteps = try p.int(key, v, min: 1)
            case "early_stopping_patience": c.earlyStoppingPatience = try p.int(key, v, min: 0)
            case "gradient_checkpointing": c.gradientCheckpointing = try p.bool(key, v)
            case "threads": c.threads = try p.optionalInt(key, v, min: 1)
            case "export_gguf": c.exportGGUF = try p.bool(key, v)
            case "eval": c.eval = v.null != nil ? nil : (try? Yams.serialize(node: v))
            default: break
            }
        }
        guard !c.baseModel.isEmpty else {
            throw TrainError.config("missing required key `base_model`", at: file, hint: "a GGUF path, e.g. base_model: models/SmolLM2-135M-Instruct.Q4_1.gguf")
        }
        guard !c.dataTrain.isEmpty else {
            throw TrainError.config("missing required key `data.train`", at: file, hint: "data: {train: data/train.jsonl, valid: data/valid.jsonl}")
        }
        if c.earlyStoppingPatience > 0 && c.dataValid == nil {
            throw TrainError.config("early_stopping_patience needs a validation set (data.valid)", at: file)
        }
        return c
    }

    /// FTX_MAX_STEPS=N caps training at N optimizer steps: the doc tests and smoke runs set it.
    /// `ftx train` and `ftx run` apply it where they resolve a config (RunConfigLoader), so the cap
    /// lands in the resolved config (`max_steps`) and a capped run's record says so; parsing a
    /// recorded config (reproduce, lineage) never reads it.
    public static func stepCap(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        env["FTX_MAX_STEPS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// Typed access to YAML scalars with file:line errors.
struct ConfigReader {
    let file: String
    func loc(_ n: Node) -> String { n.mark.map { "\(file):\($0.line)" } ?? file }
    func fail(_ m: String, _ n: Node) -> TrainError { .config(m, at: loc(n)) }
    func shown(_ n: Node) -> String {
        if let s = n.scalar { return "\"\(s.string)\"" }
        return n.mapping != nil ? "a mapping" : n.sequence != nil ? "a list" : "something else"
    }
    func string(_ key: String, _ n: Node) throws -> String {
        guard let s = n.scalar, n.null == nil, !s.string.isEmpty else { throw fail("`\(key)` must be a string, found \(shown(n))", n) }
        return s.string
    }
    func optionalString(_ key: String, _ n: Node) throws -> String? { n.null != nil ? nil : try string(key, n) }
    func int(_ key: String, _ n: Node, min lo: Int) throws -> Int {
        guard n.scalar != nil, let v = n.int else { throw fail("`\(key)` must be an integer, found \(shown(n))", n) }
        guard v >= lo else { throw fail("`\(key)` must be at least \(lo), found \(v)", n) }
        return v
    }
    func optionalInt(_ key: String, _ n: Node, min lo: Int) throws -> Int? { n.null != nil ? nil : try int(key, n, min: lo) }
    func double(_ key: String, _ n: Node, min lo: Double, max hi: Double = .infinity) throws -> Double {
        guard n.scalar != nil, let v = n.float ?? n.int.map(Double.init) ?? n.scalar.flatMap({ Double($0.string) }) else {
            throw fail("`\(key)` must be a number, found \(shown(n))", n)
        }
        guard v >= lo, v <= hi else { throw fail("`\(key)` must be in [\(lo), \(hi)], found \(v)", n) }
        return v
    }
    func bool(_ key: String, _ n: Node) throws -> Bool {
        guard n.scalar != nil, let v = n.bool else { throw fail("`\(key)` must be true or false, found \(shown(n))", n) }
        return v
    }
    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _ n: Node, _: E.Type) throws -> E where E.RawValue == String {
        let s = try string(key, n)
        guard let v = E(rawValue: s) else {
            let all = E.allCases.map { $0.rawValue }
            throw TrainError.config("`\(key)` must be one of \(all.joined(separator: ", ")), found \"\(s)\"", at: loc(n),
                                    hint: didYouMean(s, among: all))
        }
        return v
    }
    func targets(_ key: String, _ n: Node) throws -> [Projection] {
        if let s = n.scalar?.string, ["all-linear", "all"].contains(s) { return Projection.allCases }
        guard let seq = n.sequence, !seq.isEmpty else {
            throw fail("`\(key)` must be a non-empty list such as [q_proj, v_proj] (or all-linear), found \(shown(n))", n)
        }
        var out: [Projection] = []
        for item in seq {
            // A fused module's name (Phi-3's qkv_proj, gate_up_proj) stands for its parts; the base's
            // family decides which names are valid (LoRASpec.checkTargets).
            guard let s = item.string, let ts = Projection.fused(s) ?? Projection(name: s).map({ [$0] }) else {
                throw TrainError.config("`\(key)`: unknown module \(shown(item))", at: loc(item),
                                        hint: "one of " + Projection.allCases.map { $0.peftName }.joined(separator: ", ")
                                            + " (phi3: qkv_proj, o_proj, gate_up_proj, down_proj)")
            }
            for t in ts where !out.contains(t) { out.append(t) }
        }
        return out.sorted()
    }
}
