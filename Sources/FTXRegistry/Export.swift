import FTXCore
import FTXModel
import FTXStore
import FTXTensor
import FTXTrain
import Foundation

/// `ftx export REV --format peft|gguf|merged-gguf --out DIR`: the adapter as PEFT files, as a
/// GGUF-LoRA file, or merged into the base model as a standalone GGUF (every base tensor and
/// metadata key copied verbatim, each adapted projection replaced by W + s·B·A in F32).
extension Registry {
    public enum ExportFormat: String, CaseIterable, Sendable { case peft, gguf, mergedGGUF = "merged-gguf" }

    /// Writes the export into `directory`; returns the files written.
    @discardableResult
    public func export(_ revision: String, format: ExportFormat, to directory: String) throws -> [String] {
        let c = try commit(revision)
        guard let adapter = try entry("adapter", in: c.commit), adapter.kind == .tree else { throw RegistryError.noAdapter(c.id.hex) }
        let files = try repo.flatten(tree: adapter.id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func copy(_ name: String) throws -> String {
            guard let e = files[name] else {
                throw RegistryError.missing("\(revision) has no adapter/\(name)", hint: "this run was trained without that format")
            }
            let dest = directory + "/" + name
            try AtomicFile.write(to: dest) { fd in
                try repo.objects.streamFile(kind: e.kind, id: e.id) { d in try d.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: dest) } }
            }
            return dest
        }
        switch format {
        case .peft: return [try copy(PEFTAdapter.weightsFile), try copy(PEFTAdapter.configFile)]
        case .gguf: return [try copy("adapter.gguf")]
        case .mergedGGUF:
            guard let baseID = c.run?.baseID, let base = try BaseRegistry(registry: self).list().first(where: { $0.id == baseID }) else {
                throw RegistryError.base("the run's base model is not registered here", location: revision, hint: "ftx base add FILE.gguf")
            }
            let basePath = try BaseRegistry(registry: self).verifiedPath(base)
            let tmp = directory + "/.peft-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            for n in [PEFTAdapter.weightsFile, PEFTAdapter.configFile] {
                guard let e = files[n] else { throw RegistryError.missing("\(revision) has no adapter/\(n)", hint: nil) }
                try writeFile(e, to: tmp + "/" + n)
            }
            let name = ((base.path as NSString).lastPathComponent as NSString).deletingPathExtension + "-\(c.id.short)-merged.gguf"
            let out = directory + "/" + name
            try MergedGGUF.write(basePath: basePath, peftDirectory: tmp, to: out)
            return [out]
        }
    }

    func writeFile(_ e: (kind: EntryKind, id: ObjectID), to path: String) throws {
        try AtomicFile.write(to: path) { fd in
            try repo.objects.streamFile(kind: e.kind, id: e.id) { d in try d.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) } }
        }
    }
}

/// Writes a GGUF v3 file: the base's metadata (in its order) and tensors, with adapted weights merged.
public enum MergedGGUF {
    public static func write(basePath: String, peftDirectory: String, to out: String) throws {
        let g = try GGUFFile(path: basePath)
        let llama = try LlamaModel.load(gguf: g)
        let lora = try PEFTAdapter.read(from: peftDirectory, dims: ModelDims(llama.config))
        var merged: [String: [Float]] = [:]
        for e in lora.entries {
            let name = "blk.\(e.layer).\(lora.dims.architecture.ggufModuleName(e.target)).weight"
            guard let t = g.tensor(name), t.elementCount == e.inFeatures * e.outFeatures else {
                throw RegistryError.io("the base has no tensor \(name) of the adapter's shape", location: basePath)
            }
            var w = [Float](repeating: 0, count: t.elementCount)
            w.withUnsafeMutableBufferPointer { dequantizeRow(t.type, g.pointer(t), $0.baseAddress!, count: t.elementCount) }
            merged[name] = lora.merged(e, base: w)
        }

        var head = Data()
        func u32(_ v: UInt32) { var x = v.littleEndian; head.append(Data(bytes: &x, count: 4)) }
        func u64(_ v: UInt64) { var x = v.littleEndian; head.append(Data(bytes: &x, count: 8)) }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); head.append(Data(s.utf8)) }
        u32(0x4655_4747); u32(3); u64(UInt64(g.tensors.count)); u64(UInt64(g.metadataKeys.count))
        for key in g.metadataKeys {
            str(key)
            guard let v = g.metadata[key] else { continue }
            u32(v.typeCode); head.append(contentsOf: v.encoded)
        }
        let align = g.alignment
        var offsets: [Int] = []
        var offset = 0
        for t in g.tensors {
            let size = merged[t.name] != nil ? t.elementCount * 4 : t.byteCount
            offsets.append(offset)
            offset += (size + align - 1) / align * align
        }
        for (i, t) in g.tensors.enumerated() {
            str(t.name); u32(UInt32(t.dims.count))
            for d in t.dims { u64(UInt64(d)) }
            u32(UInt32((merged[t.name] != nil ? QuantType.f32 : t.type).rawValue)); u64(UInt64(offsets[i]))
        }
        head.append(Data(count: (align - head.count % align) % align))

        try AtomicFile.write(to: out) { fd in
            try head.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: out) }
            var written = 0
            for (i, t) in g.tensors.enumerated() {
                if offsets[i] > written {
                    try Data(count: offsets[i] - written).withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: out) }
                    written = offsets[i]
                }
                if let w = merged[t.name] {
                    try w.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: out) }
                    written += w.count * 4
                } else {
                    try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(start: g.pointer(t), count: t.byteCount), path: out)
                    written += t.byteCount
                }
            }
        }
    }
}
