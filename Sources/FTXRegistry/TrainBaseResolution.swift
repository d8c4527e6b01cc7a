import Foundation
import FTXCore
import FTXTrain

/// `base_model` for `ftx train` as `ftx run` reads it: a GGUF path (relative to the config file),
/// or a name (or id prefix, or `base`) registered with `ftx base add`, resolved to the verified
/// file of that base. FTXTrain cannot see the repository (it sits below FTXRegistry), so the
/// lookup happens here and the trainer gets the path in `baseModelPath`.
public enum TrainBaseResolution {
    public static func resolve(_ cfg: inout TrainConfig, configPath: String) throws {
        let name = cfg.baseModel
        if BaseRegistry.looksLikePath(name) { return }   // the trainer reports a missing file with its path
        let fileFallback = cfg.resolve(name)
        let registry: Registry
        do { registry = try Registry.discover() } catch {
            if FileManager.default.fileExists(atPath: fileFallback) { return }
            throw TrainError.config("base_model '\(name)' is not a file, and there is no ftx repository here to look up registered base names",
                                    at: configPath,
                                    hint: "give a GGUF path, or run inside a repository where `ftx base add FILE.gguf --name \(name)` registered it")
        }
        let bases = BaseRegistry(registry: registry)
        let known = ((try? bases.list()) ?? []).map(\.name).sorted()
        guard let base = try? bases.find(name) else {
            if known.isEmpty && FileManager.default.fileExists(atPath: fileFallback) { return }
            var hint = known.isEmpty ? "no base model is registered; `ftx base add FILE.gguf --name \(name)`"
                                     : "registered base models: " + known.joined(separator: ", ")
            if let s = DidYouMean.suggest(name, known) { hint = "did you mean '\(s)'? " + hint }
            throw TrainError.config("no registered base model named '\(name)'", at: configPath, hint: hint)
        }
        cfg.baseModelPath = try bases.verifiedPath(base)
    }
}
