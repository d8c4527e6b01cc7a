import Foundation
import FTXModel

/// Opens an adapter given on the command line in either format: a PEFT directory
/// (adapter_model.safetensors + adapter_config.json, or either file inside it), a GGUF LoRA file,
/// or a directory holding only adapter.gguf (an `ftx train` output with export_gguf).
public enum AdapterFile {
    public enum Format: String, Sendable { case peft, gguf }

    /// Which format `path` holds and the file that carries its weights (for hashing).
    public static func detect(_ path: String) throws -> (format: Format, root: String, weights: String) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TrainError.adapter("adapter not found", at: path,
                                     hint: "give a PEFT directory (adapter_model.safetensors + adapter_config.json) or a GGUF LoRA file")
        }
        if isDir.boolValue {
            let peft = (path as NSString).appendingPathComponent(PEFTAdapter.weightsFile)
            if fm.fileExists(atPath: peft) || fm.fileExists(atPath: (path as NSString).appendingPathComponent(PEFTAdapter.configFile)) {
                return (.peft, path, peft)
            }
            let gguf = (path as NSString).appendingPathComponent("adapter.gguf")
            if fm.fileExists(atPath: gguf) { return (.gguf, gguf, gguf) }
            throw TrainError.adapter("directory holds no adapter (no \(PEFTAdapter.weightsFile), \(PEFTAdapter.configFile) or adapter.gguf)", at: path)
        }
        let name = (path as NSString).lastPathComponent
        if name == PEFTAdapter.weightsFile || name == PEFTAdapter.configFile {
            let dir = (path as NSString).deletingLastPathComponent
            return (.peft, dir.isEmpty ? "." : dir, (dir.isEmpty ? "." : dir) + "/" + PEFTAdapter.weightsFile)
        }
        let magic = FileHandle(forReadingAtPath: path).map { h -> Data in defer { try? h.close() }; return h.readData(ofLength: 4) }
        guard magic == Data("GGUF".utf8) else {
            throw TrainError.adapter("not an adapter: neither a PEFT directory nor a GGUF file", at: path,
                                     hint: "give a PEFT directory (adapter_model.safetensors + adapter_config.json) or a GGUF LoRA file")
        }
        return (.gguf, path, path)
    }

    /// The adapter at `path` (either format) for a model of shape `dims`.
    public static func read(_ path: String, dims: ModelDims) throws -> LoRAParameters {
        let d = try detect(path)
        switch d.format {
        case .peft: return try PEFTAdapter.read(from: d.root, dims: dims)
        case .gguf: return try GGUFLoRA.read(path: d.root, dims: dims)
        }
    }

    /// The adapter at `path` as FTXModel's unmerged inference adapter (`model.adapter = …`).
    public static func loadLoRAWeights(_ path: String, config: LlamaConfig) throws -> LoRAWeights {
        try read(path, dims: ModelDims(config)).loraWeights()
    }

    /// Applies the adapter at `path` (either format) unmerged to `model`, which was loaded from
    /// `modelPath`. An adapter made for another base is refused with a hint giving this model's shape.
    public static func attach(_ path: String, to model: LlamaModel, modelPath: String) throws {
        do {
            model.adapter = try loadLoRAWeights(path, config: model.config)
        } catch TrainError.adapter(let message, let location, nil) {
            // Shape and block errors come from checking the adapter against this model: say what it is.
            let c = model.config
            throw TrainError.adapter(message, at: location ?? path,
                                     hint: "an adapter fits only the base it was trained on; \((modelPath as NSString).lastPathComponent) has "
                                         + "\(c.numLayers) blocks, hidden size \(c.hiddenSize), \(c.numHeads)/\(c.numKVHeads) heads, FFN \(c.intermediateSize)")
        }
    }
}
