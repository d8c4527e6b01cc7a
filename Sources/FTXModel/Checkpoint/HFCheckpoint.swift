import Foundation
import FTXTensor

/// A Hugging Face checkpoint folder run directly, in its own dtype (F32, F16 or BF16, memory-mapped):
/// `config.json`, `model.safetensors` or shards listed by `model.safetensors.index.json`,
/// `tokenizer.json`, `tokenizer_config.json`, `generation_config.json`. Every file is untrusted:
/// JSON files have size limits, shard names must be plain names inside the folder, and each
/// tensor's dtype and shape are checked against the config.
public enum HFCheckpoint {
    /// Whether `path` is a folder with a `config.json` (what `--model` treats as a checkpoint).
    public static func isCheckpoint(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
            && FileManager.default.fileExists(atPath: path + "/config.json")
    }

    public static func load(directory: String) throws -> LlamaModel {
        let dir = trimmed(directory), json = { try readJSON(dir, $0, limit: $1) }
        let config = try self.config(directory: dir)
        let tensors = try TensorSet(directory: dir, index: try json("model.safetensors.index.json", 64 << 20))
        let weights = try HFWeights.load(config: config, tensors: tensors)
        let parts = try HFTokenizer.load(directory: dir, vocabSize: config.vocabSize, read: json)
        let tok = parts.tokenizer
        let template = parts.chatTemplate.map {
            ChatTemplate(source: $0, bosToken: tok.bosID.map(tok.piece), eosToken: tok.eosID.map(tok.piece),
                         origin: "\(dir)/tokenizer_config.json: chat_template")
        }
        return LlamaModel(config: config, weights: weights, tokenizer: tok, chatTemplate: template)
    }

    /// The checkpoint's tokenizer alone (no weights are mapped).
    public static func tokenizer(directory: String) throws -> Tokenizer {
        let dir = trimmed(directory)
        return try HFTokenizer.load(directory: dir, vocabSize: try config(directory: dir).vocabSize,
                                    read: { try readJSON(dir, $0, limit: $1) }).tokenizer
    }

    static func config(directory dir: String) throws -> LlamaConfig {
        guard let json = try readJSON(dir, "config.json", limit: 1 << 20) else { throw ModelError.io(path: dir + "/config.json", "missing") }
        return try HFConfig.parse(json, path: dir + "/config.json")
    }

    static func trimmed(_ dir: String) -> String { dir.count > 1 && dir.hasSuffix("/") ? String(dir.dropLast()) : dir }

    /// A JSON object file of the folder, nil when it is absent.
    static func readJSON(_ dir: String, _ name: String, limit: Int) throws -> [String: Any]? {
        let path = dir + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let obj = try? JSONSerialization.jsonObject(with: readBounded(path, limit: limit)) as? [String: Any] else {
            throw ModelError.io(path: path, "not a JSON object")
        }
        return obj
    }

    /// The whole file, refused past `limit` bytes.
    static func readBounded(_ path: String, limit: Int) throws -> Data {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attrs?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= limit else { throw ModelError.io(path: path, "\(size) bytes is over the \(limit >> 20) MiB limit for this file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.io(path: path, "cannot read") }
        guard data.count <= limit else { throw ModelError.io(path: path, "over the \(limit >> 20) MiB limit for this file") }
        return data
    }

    /// Every tensor of the checkpoint by name: its mapped shard and its place in it.
    struct TensorSet {
        struct Located { let file: MappedFile; let path: String; let entry: SafetensorsHeader.Entry }
        var byName: [String: Located] = [:]

        init(directory dir: String, index: [String: Any]?) throws {
            var shards = ["model.safetensors"]
            if let index {
                guard let map = index["weight_map"] as? [String: String] else {
                    throw ModelError.badMetadata(path: dir + "/model.safetensors.index.json", key: "weight_map", "missing or not names to files")
                }
                shards = Array(Set(map.values)).sorted()
                for s in shards where s.isEmpty || s.contains("/") || s.hasPrefix(".") {
                    throw ModelError.badMetadata(path: dir + "/model.safetensors.index.json", key: "weight_map",
                                                 "shard \(s.debugDescription) is not a file name inside the folder")
                }
            }
            for s in shards {
                let path = dir + "/" + s
                let file = try MappedFile(path: path)
                let header = try SafetensorsHeader(UnsafeRawBufferPointer(start: file.base, count: file.size), path: path)
                for (name, e) in header.entries {
                    guard byName[name] == nil else { throw ModelError.badTensor(path: path, tensor: name, "also in another shard") }
                    byName[name] = Located(file: file, path: path, entry: e)
                }
            }
        }
    }
}
