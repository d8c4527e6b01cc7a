import Foundation
import FTXTensor

/// The header of a safetensors file: each tensor's dtype, shape and bytes within the file. The
/// file is untrusted, so every size is checked with overflow-reporting arithmetic: the header lies
/// inside the file and under the format's limit, each tensor's bytes inside the data section, and
/// a tensor's byte count is exactly its element count times its dtype's width. Adapters (FTXTrain)
/// and Hugging Face checkpoints (`HFCheckpoint`) both read through here.
public struct SafetensorsHeader: Sendable {
    public struct Entry: Sendable, Equatable {
        public let type: QuantType   // f32, f16 or bf16
        public let shape: [Int]
        public let elementCount: Int
        /// Byte offset from the start of the file.
        public let offset: Int
    }
    public let entries: [String: Entry]
    public let metadata: [String: String]

    /// The largest header the format allows (its reference reader refuses more).
    public static let maxHeaderBytes = 100_000_000

    public init(_ file: UnsafeRawBufferPointer, path: String) throws {
        func fail(_ m: String) -> ModelError { .badTensor(path: path, tensor: "header", m) }
        guard file.count >= 8 else { throw fail("file too short for a safetensors header (\(file.count) bytes)") }
        let n = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(file.count - 8) else { throw fail("header length \(n) exceeds the file size \(file.count)") }
        guard n <= UInt64(Self.maxHeaderBytes) else { throw fail("header length \(n) is over the format's \(Self.maxHeaderBytes)-byte limit") }
        let headerEnd = 8 + Int(n)
        guard let obj = try? JSONSerialization.jsonObject(with: Data(file[8..<headerEnd])),
              let header = obj as? [String: Any] else { throw fail("header is not a JSON object") }
        var entries: [String: Entry] = [:], metadata: [String: String] = [:]
        let dataLen = file.count - headerEnd
        for name in header.keys.sorted() {
            func bad(_ m: String) -> ModelError { .badTensor(path: path, tensor: name, m) }
            let value = header[name]!
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offs = info["data_offsets"] as? [Int], offs.count == 2 else {
                throw bad("missing dtype, shape or data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("negative dimension in \(shape)") }
            var count = 1
            for d in shape {
                let (c, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("shape \(shape) has more elements than can be counted") }
                count = c
            }
            let type: QuantType
            switch dtype {
            case "F32": type = .f32
            case "F16": type = .f16
            case "BF16": type = .bf16
            default: throw bad("unsupported dtype \(dtype) (F32, F16, BF16)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: type.blockBytes)
            guard !overflow, offs[0] >= 0, offs[1] >= offs[0], offs[1] <= dataLen, offs[1] - offs[0] == bytes else {
                throw bad("data_offsets \(offs) do not fit \(count) \(dtype) values in \(dataLen) data bytes")
            }
            entries[name] = Entry(type: type, shape: shape, elementCount: count, offset: headerEnd + offs[0])
        }
        self.entries = entries; self.metadata = metadata
    }
}
