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
        let base: BaseRegistry.Base
        do { base = try bases.find(name) } catch RegistryError.base(let why, _, let hint) {
            // The registry's message and hint (a did-you-mean, the registered names), placed at the config.
            if ((try? bases.list()) ?? []).isEmpty && FileManager.default.fileExists(atPath: fileFallback) { return }
            throw TrainError.config(why, at: configPath, hint: hint)
        }
        cfg.baseModelPath = try bases.verifiedPath(base)
    }
}
