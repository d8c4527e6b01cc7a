import Foundation
import FTXCore
import FTXModel
import FTXTensor

/// Minimal safetensors I/O for adapters: f32 tensors written with sorted keys and an 8-byte-aligned
/// header; reading accepts F32/F16/BF16 through FTXModel's `SafetensorsHeader`, which validates
/// every offset, shape and byte count.
public struct SafetensorsFile {
    public struct Tensor: Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }
    public var tensors: [String: Tensor] = [:]
    public var metadata: [String: String] = [:]
    public init() {}

    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            guard t.shape.reduce(1, *) == t.values.count else {
                throw TrainError.adapter("tensor \(name): shape \(t.shape) does not match \(t.values.count) values", at: nil)
            }
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]] as [String: Any]
            offset += 4 * t.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { out.append(Data(buffer: $0)) }
        }
        return out
    }

    public func write(to path: String) throws { try AtomicFile.write(serialized(), to: path) }

    public static func read(path: String) throws -> SafetensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainError.adapter("cannot read safetensors file", at: path)
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> SafetensorsFile {
        try data.withUnsafeBytes { raw in
            let header: SafetensorsHeader
            do { header = try SafetensorsHeader(raw, path: path) } catch let e as ModelError {
                throw TrainError.adapter(e.message, at: e.location ?? path)
            }
            var file = SafetensorsFile()
            file.metadata = header.metadata
            for (name, e) in header.entries {
                var values = [Float](repeating: 0, count: e.elementCount)
                values.withUnsafeMutableBufferPointer { dequantizeRow(e.type, raw.baseAddress! + e.offset, $0.baseAddress!, count: e.elementCount) }
                file.tensors[name] = Tensor(shape: e.shape, values: values)
            }
            return file
        }
    }
}
