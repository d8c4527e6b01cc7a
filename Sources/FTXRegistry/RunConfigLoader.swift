import FTXCore
import FTXEval
import FTXTrain
import Foundation
import Yams

/// Reads a run config (YAML, the keys of docs/training.md), applies `--set key=value` overrides
/// (dotted keys for nested values, values parsed as YAML scalars), lets the engine fill defaults,
/// and extracts what the registry needs: base model, splits, seed, suite and gates. Relative paths
/// are relative to the config file's directory, as `ftx train` and `ftx eval --config` read them
/// (the current directory when there is no config file).
public struct RunConfigLoader {
    public let workingDirectory: String
    public let resolver: RunConfigResolver
    private var baseDirectory: String

    public init(workingDirectory: String, resolver: RunConfigResolver) {
        self.workingDirectory = workingDirectory; self.resolver = resolver; baseDirectory = workingDirectory
    }

    public mutating func load(path: String?, overrides: [String], message: String?) throws -> RunPlan {
        if let path { baseDirectory = (absolute(path) as NSString).deletingLastPathComponent }
        var raw: [String: Any] = [:]
        var originalText: String?
        let source: String
        if let path {
            source = path
            let abs = path.hasPrefix("/") ? path : workingDirectory + "/" + path
            guard let data = FileManager.default.contents(atPath: abs) else {
                throw RegistryError.config("run config not found", location: path, hint: "pass -c configs/lora.yaml")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw RegistryError.config("run config is not UTF-8 text", location: path, hint: nil)
            }
            let loaded: Any?
            do { loaded = try YAMLDocument.load(text, file: path) } catch let e as YAMLError {
                throw RegistryError.config("run config: \(e.problem)", location: e.location ?? path, hint: nil)
            }
            if loaded != nil {
                guard let map = loaded as? [String: Any] else {
                    throw RegistryError.config("run config must be a mapping of keys to values", location: "\(path):1", hint: nil)
                }
                raw = map
            }
            originalText = text
        } else {
            source = "--set"
        }
        for o in overrides { try Self.apply(override: o, to: &raw) }
        let cap = TrainConfig.stepCap()
        if let cap { raw["max_steps"] = min((raw["max_steps"] as? Int) ?? cap, cap) }
        let resolved = try resolver.resolve(raw, originalText: overrides.isEmpty && cap == nil ? originalText : nil, source: source)
        return try plan(from: resolved, source: source, message: message, evalText: overrides.isEmpty ? originalText : nil)
    }

    /// `load`, then the eval suite and its cases: everything in the config that can be wrong is
    /// found before the first training step. `ftx run` and `ftx train` both start here.
    public mutating func loadValidated(path: String?, overrides: [String], message: String?,
                                       evaluator: RunEvaluator) throws -> RunPlan {
        let plan = try load(path: path, overrides: overrides, message: message)
        if let suite = plan.suitePath { try evaluator.validate(suitePath: suite) }
        return plan
    }

    func plan(from config: [String: Any], source: String, message: String?, evalText: String? = nil) throws -> RunPlan {
        guard let base = config["base_model"] as? String, !base.isEmpty else {
            throw RegistryError.config("the run config names no base_model", location: source,
                                       hint: "add `base_model: NAME` (a registered base) or a .gguf path")
        }
        var splits: [String: String] = [:]
        switch config["data"] {
        case let s as String: splits["all"] = absolute(s)
        case let m as [String: Any]:
            for (k, v) in m where !(v is NSNull) {
                guard let p = v as? String else {
                    throw RegistryError.config("data.\(k) must be a JSONL path", location: source, hint: nil)
                }
                splits[k] = absolute(p)
            }
        default:
            throw RegistryError.config("the run config names no data", location: source,
                                       hint: "add `data: {train: data/train.jsonl, valid: …, test: …}` or `data: data/all.jsonl`")
        }
        for (name, p) in splits.sorted(by: { $0.key < $1.key }) where !FileManager.default.fileExists(atPath: p) {
            throw RegistryError.data("data file for split '\(name)' not found", location: p)
        }
        let seed = (config["seed"] as? Int) ?? 0
        // The whole eval section (unknown keys, every gate), read from the config's own text when
        // no --set changed it, so errors name its lines.
        var suite: String?
        var gates: [GateSpec] = []
        if let ev = config["eval"], !(ev is NSNull) {
            let text = try evalText ?? Yams.dump(object: ["eval": ev])
            let file = evalText == nil ? "\(source) (with --set)" : source
            do { (suite, gates) = try GateSpec.fromRunConfig(text: text, file: file) } catch let e as FTXError {
                throw RegistryError.config("bad eval section: \(e.message)", location: e.location ?? source, hint: e.hint)
            }
            suite = suite.map(absolute)
        }
        if let suite, !FileManager.default.fileExists(atPath: suite) {
            throw RegistryError.config("eval suite not found", location: suite, hint: "eval.suite is relative to the config file")
        }
        let yaml = ConfigYAML.emit(config)
        var params: [String: ParamValue] = [:]
        Self.flatten(config, prefix: "", into: &params)
        let msg = message ?? "run \(URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent)"
        var plan = RunPlan(config: config, configYAML: yaml, configSource: source, params: params, baseModel: base,
                           splits: splits, seed: seed, suitePath: suite, gates: gates, message: msg)
        plan.baseDirectory = baseDirectory
        return plan
    }

    func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: baseDirectory + "/")).standardizedFileURL.path
    }

    /// `a.b=value`: sets a nested key; the value is parsed as YAML (numbers, booleans, lists).
    static func apply(override: String, to map: inout [String: Any]) throws {
        guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
            throw RegistryError.config("--set takes key=value", location: "--set \(override)", hint: "e.g. --set lora_r=16")
        }
        let key = String(override[..<eq]), text = String(override[override.index(after: eq)...])
        let value: Any = (try? YAMLDocument.load(text, file: "--set \(override)")).flatMap { $0 } ?? text
        let parts = key.split(separator: ".").map(String.init)
        func set(_ m: inout [String: Any], _ i: Int) {
            if i == parts.count - 1 { m[parts[i]] = value; return }
            var sub = m[parts[i]] as? [String: Any] ?? [:]
            set(&sub, i + 1)
            m[parts[i]] = sub
        }
        set(&map, 0)
    }

    static func flatten(_ value: Any, prefix: String, into out: inout [String: ParamValue]) {
        switch value {
        case let m as [String: Any]:
            for (k, v) in m { flatten(v, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
        case let b as Bool: out[prefix] = .number(b ? 1 : 0)
        case let i as Int: out[prefix] = .number(Double(i))
        case let d as Double: out[prefix] = .number(d)
        case let s as String: out[prefix] = .text(s)
        case let a as [Any]:
            out[prefix] = .text(a.map(listElementText).joined(separator: ","))
        default: break
        }
    }

    /// A list element as deterministic text: scalars as written, mappings (e.g. a regression gate)
    /// as JSON with sorted keys.
    static func listElementText(_ value: Any) -> String {
        func jsonable(_ v: Any) -> Any {
            switch v {
            case let m as [AnyHashable: Any]:
                return Dictionary(m.map { ("\($0.key)", jsonable($0.value)) }, uniquingKeysWith: { a, _ in a })
            case let a as [Any]: return a.map(jsonable)
            case let s as String: return s
            case let b as Bool: return b
            case let i as Int: return i
            case let d as Double: return d
            default: return "\(v)"
            }
        }
        if let s = value as? String { return s }
        let j = jsonable(value)
        guard JSONSerialization.isValidJSONObject(j),
              let data = try? JSONSerialization.data(withJSONObject: j, options: [.sortedKeys]) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

}

/// Resolution used until FTXTrain's config is wired: accepts the mapping as written, filling only
/// the registry's own defaults (seed 0). FTXTrain's resolver replaces it to add every training default.
public struct PassThroughConfigResolver: RunConfigResolver {
    public init() {}
    public func resolve(_ config: [String: Any], originalText: String?, source: String) throws -> [String: Any] {
        var c = config
        if c["seed"] == nil { c["seed"] = 0 }
        return c
    }
}
