import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Objects copied out of this store into a new pack (what a push uploads). Stored frames are
/// copied as they are; a delta whose base the receiver will not have is stored whole instead.
public final class OutgoingPack {
    let store: ObjectStore
    private let writer: PackWriter
    private var bases = Set<ObjectID>()

    /// Writes the pack into `directory` (a scratch directory: the pack is uploaded, then removed).
    public init(store: ObjectStore, directory: String) throws {
        self.store = store
        writer = try PackWriter(directory: directory)
    }

    deinit { writer.abort() }

    public var objectCount: Int { writer.entries.count }
    public var byteCount: UInt64 { writer.offset }

    /// Copies `id`. `baseAvailable(base)` says whether the receiver has, or is being sent, a delta's base.
    public func add(_ id: ObjectID, baseAvailable: (ObjectID) -> Bool) throws {
        guard !writer.ids.contains(id) else { return }
        let done = try store.withFrame(id) { frame, path, base -> Bool in
            if let base, !writer.ids.contains(base) && !baseAvailable(base) {
                let (type, content) = try store.decode(id, frame: frame, path: path, base: base)
                try writer.add(id: id, frame: content.withUnsafeBytes { store.frame(type: type, content: $0) })
            } else {
                if let base { bases.insert(base) }
                try writer.add(id: id, frame: frame, base: base)
            }
            return true
        }
        guard done == true else { throw StoreError.objectNotFound(id.hex) }
    }

    /// Delta bases the pack's entries name but do not hold (the receiver must have them).
    public var externalBases: [ObjectID] { bases.subtracting(writer.ids).sorted() }

    /// Completes the pack: its path, its index's path and its name (`pack-<sha256>`).
    public func finish() throws -> (packPath: String, idxPath: String, name: String) {
        let packPath = try writer.finish()
        let stem = String(packPath.dropLast(5))
        return (packPath, stem + ".idx", SlashPath.lastComponent(stem))
    }

    public func abort() { writer.abort() }
}

/// Objects received from elsewhere (a fetch). They are written to a pack under a temporary name;
/// `install` decodes and rehashes every one (delta bases from the same pack or the store) and only
/// then renames the pack into packs/. A killed fetch leaves a temporary file that no reader sees and
/// gc removes, never an unverified object.
public final class IncomingPack {
    let store: ObjectStore
    private let writer: PackWriter
    private var deltaBases: [ObjectID: ObjectID] = [:]
    private var sources: [String] = []
    private var sourceOf: [ObjectID: Int] = [:]

    public init(store: ObjectStore) throws {
        self.store = store
        store.writerGuard.holdShared()  // a pruning gc must not drop objects no ref names yet
        writer = try PackWriter(directory: store.packsDirectory)
    }

    deinit { writer.abort() }

    public var count: Int { writer.entries.count }
    public var byteCount: UInt64 { writer.offset }
    public func contains(_ id: ObjectID) -> Bool { writer.ids.contains(id) }

    /// Delta bases named by received entries that are neither received nor stored: they must be
    /// added before `install`.
    public var missingBases: [ObjectID] {
        Set(deltaBases.values).filter { !writer.ids.contains($0) && !store.contains($0) }.sorted()
    }

    /// Adds one entry exactly as a pack stores it (`[kind][base][length][frame]`, see Pack.swift).
    /// `source` names where it came from, for errors.
    public func addEntry(id: ObjectID, entry: UnsafeRawBufferPointer, source: String) throws {
        guard !writer.ids.contains(id) else { return }
        let place = "\(source) (object \(id.hex))"
        guard entry.count >= 9 else { throw StoreError.corruptPack(path: place, reason: "entry of \(entry.count) bytes is too short") }
        var off = 1
        var base: ObjectID? = nil
        switch entry[0] {
        case 0: break
        case 1:
            guard entry.count >= 41 else { throw StoreError.corruptPack(path: place, reason: "delta entry is too short") }
            base = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: entry[1..<33]))
            off = 33
        default: throw StoreError.corruptPack(path: place, reason: "entry has unknown kind \(entry[0])")
        }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(entry[off + i]) << UInt64(8 * i) }
        off += 8
        guard len == UInt64(entry.count - off) else {
            throw StoreError.corruptPack(path: place, reason: "entry says its frame is \(len) bytes, the index leaves \(entry.count - off)")
        }
        if sources.last != source { sources.append(source) }
        sourceOf[id] = sources.count - 1
        if let base { deltaBases[id] = base }
        try writer.add(id: id, frame: UnsafeRawBufferPointer(rebasing: entry[off...]), base: base)
    }

    /// Verifies every received object and makes the pack part of the store. Returns how many
    /// objects it holds. On any mismatch nothing is installed and the error names the object and
    /// where it came from.
    @discardableResult
    public func install() throws -> Int {
        guard !writer.isEmpty else { writer.abort(); return 0 }
        let temporary = ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-"
        let tmpPack = try writer.finish(namePrefix: temporary)
        let tmpIdx = String(tmpPack.dropLast(5)) + ".idx"
        do {
            let reader = try PackReader(idxPath: tmpIdx)
            try verify(reader)
        } catch {
            unlink(tmpIdx)
            unlink(tmpPack)
            throw error
        }
        let dir = store.packsDirectory
        let name = String(SlashPath.lastComponent(tmpPack).dropFirst(temporary.count).dropLast(5))
        guard rename(tmpPack, "\(dir)/\(name).pack") == 0, rename(tmpIdx, "\(dir)/\(name).idx") == 0 else {
            let err = String(cString: strerror(errno))
            unlink(tmpIdx)
            unlink(tmpPack)
            throw StoreError.io(path: "\(dir)/\(name).pack", reason: "cannot rename the fetched pack into place: \(err)")
        }
        AtomicFile.syncDirectory(dir)
        store.reloadPacks()
        return writer.entries.count
    }

    public func abort() { writer.abort() }

    /// Decodes every object (in parallel), checking each against its id.
    private func verify(_ reader: PackReader) throws {
        try Threads.concurrently(reader.count, threads: Threads.usable) { i in
            _ = try self.decode(reader, i, depth: 0)
        }
    }

    private func decode(_ reader: PackReader, _ i: Int, depth: Int) throws -> Data {
        let id = reader.ids[i]
        let place = sourceOf[id].map { "\(sources[$0]) (object \(id.hex))" } ?? "object \(id.hex)"
        let (frame, base) = try reader.frame(at: i)
        var prefix: Data? = nil
        if let base {
            guard depth < ObjectStore.maxDeltaDepth, base != id else {
                throw StoreError.corruptPack(path: place, reason: "delta chain too long or cyclic")
            }
            if let j = reader.index(of: base) {
                prefix = try decode(reader, j, depth: depth + 1)
            } else if store.contains(base) {
                prefix = try store.read(base, depth: depth + 1).content
            } else {
                throw StoreError.corruptObject(path: place, reason: "delta base \(base.hex) is missing")
            }
        }
        return try ZstdFrame.decodeObject(frame, path: place, limit: store.maxObjectSize, expected: id, prefix: prefix).1
    }
}
