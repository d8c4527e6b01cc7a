import Foundation
import FTXCore

/// Minimal safetensors I/O: f32 tensors written with sorted keys and an 8-byte-aligned header;
/// reading accepts F32/F16/BF16 and validates every offset, shape and byte count. The file is
/// untrusted, so every size is computed with explicit overflow checks (an error naming the file,
/// not a trap): the header lies inside the file, each tensor's bytes inside the data section,
/// and a tensor's byte count is exactly its element count times its dtype's width.
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

    /// The largest header the safetensors format allows (its reference reader refuses more).
    static let maxHeaderBytes = 100_000_000

    public static func parse(_ data: Data, path: String) throws -> SafetensorsFile {
        func fail(_ m: String) -> TrainError { .adapter(m, at: path) }
        guard data.count >= 8 else { throw fail("file too short for a safetensors header (\(data.count) bytes)") }
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        guard n <= UInt64(data.count - 8) else { throw fail("header length \(n) exceeds the file size \(data.count)") }
        guard n <= UInt64(maxHeaderBytes) else { throw fail("header length \(n) is over the format's \(maxHeaderBytes)-byte limit") }
        let headerEnd = 8 + Int(n)
        guard let obj = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)),
              let header = obj as? [String: Any] else { throw fail("header is not a JSON object") }
        var file = SafetensorsFile()
        let dataLen = data.count - headerEnd
        for name in header.keys.sorted() {
            let value = header[name]!
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                file.metadata = m
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offs = info["data_offsets"] as? [Int], offs.count == 2 else {
                throw fail("tensor \(name): missing dtype, shape or data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor \(name): negative dimension in \(shape)") }
            var count = 1
            for d in shape {
                let (c, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor \(name): shape \(shape) has more elements than can be counted") }
                count = c
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw fail("tensor \(name): unsupported dtype \(dtype) (F32, F16, BF16)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, offs[0] >= 0, offs[1] >= offs[0], offs[1] <= dataLen, offs[1] - offs[0] == bytes else {
                throw fail("tensor \(name): data_offsets \(offs) do not fit \(count) \(dtype) values in \(dataLen) data bytes")
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let base = raw.baseAddress! + headerEnd + offs[0]
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: (base + 4 * i).loadUnaligned(as: UInt32.self)))
                    case "F16": values[i] = Float(Float16(bitPattern: UInt16(littleEndian: (base + 2 * i).loadUnaligned(as: UInt16.self))))
                    default: values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: (base + 2 * i).loadUnaligned(as: UInt16.self))) << 16)
                    }
                }
            }
            file.tensors[name] = Tensor(shape: shape, values: values)
        }
        return file
    }
}
