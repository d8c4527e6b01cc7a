import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed objects: loose zstd files under objects/ab/cdef… and packs under packs/.
/// Every read verifies the id; decompression is bounded by `maxObjectSize`.
public final class ObjectStore: @unchecked Sendable {
    public let objectsDirectory: String
    public let packsDirectory: String
    /// The largest object content we agree to decompress (chunks are ≤ 256 KiB, blobs < 1 MiB;
    /// the rest are trees, commits and chunk lists).
    public var maxObjectSize: UInt64
    private var packsCache: [PackReader]?
    private let lock = NSLock()
    let compressors = CompressorPool(ZstdSettings(level: 3))
    /// Chunks of large files (and their deltas): see `chunkSettings`.
    let chunkCompressors = CompressorPool(ObjectStore.chunkSettings)

    /// zstd level for chunks; FTX_CHUNK_ZSTD_LEVEL overrides it (negative = zstd's fast levels).
    public static let defaultChunkLevel: Int32 = -4
    static var chunkSettings: ZstdSettings {
        let level = ProcessInfo.processInfo.environment["FTX_CHUNK_ZSTD_LEVEL"].flatMap { Int32($0) } ?? defaultChunkLevel
        return ZstdSettings(level: level, forceLiterals: true)
    }

    /// Held shared by every process that writes objects, exclusively by a pruning gc.
    let writerGuard: WriterGuard

    /// Called when a read finds an object absent (a lazy clone's promised objects): it may bring
    /// the objects into the store and return true, and the read is retried once. Set once, before
    /// the store is shared between threads.
    public var fetchMissing: (([ObjectID]) throws -> Bool)?

    /// Brings the absent ones of `ids` in through `fetchMissing`, in one batch, when it is set (a
    /// lazy clone fetching what a command is about to read); otherwise does nothing.
    public func fetchAbsent(_ ids: [ObjectID]) throws {
        let absent = ids.filter { !contains($0) }
        guard !absent.isEmpty, let fetchMissing else { return }
        _ = try fetchMissing(absent)
    }

    public init(ftxDirectory: String, maxObjectSize: UInt64 = 256 << 20) {
        objectsDirectory = ftxDirectory + "/objects"
        packsDirectory = ftxDirectory + "/packs"
        writerGuard = WriterGuard.forRepository(ftxDirectory: ftxDirectory)
        self.maxObjectSize = maxObjectSize
    }

    // MARK: Paths and listing

    public func loosePath(_ id: ObjectID) -> String {
        let h = id.hex
        return "\(objectsDirectory)/\(h.prefix(2))/\(h.dropFirst(2))"
    }

    /// The packs with an index, loaded once (call `reloadPacks` after gc or a pack write).
    func packs() throws -> [PackReader] {
        lock.lock(); defer { lock.unlock() }
        if let packsCache { return packsCache }
        var readers: [PackReader] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packsDirectory)) ?? []
        for name in names.sorted() where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
            readers.append(try PackReader(idxPath: "\(packsDirectory)/\(name)"))
        }
        packsCache = readers
        return readers
    }

    public func reloadPacks() { lock.lock(); packsCache = nil; lock.unlock() }

    /// Every loose object id (files whose names are not ids, like temp files, are skipped).
    public func looseIDs() -> [ObjectID] {
        var out: [ObjectID] = []
        let fm = FileManager.default
        for dir in ((try? fm.contentsOfDirectory(atPath: objectsDirectory)) ?? []).sorted() where dir.utf8.count == 2 && isHexString(dir) {
            for name in ((try? fm.contentsOfDirectory(atPath: "\(objectsDirectory)/\(dir)")) ?? []).sorted() {
                if let id = ObjectID(hex: dir + name) { out.append(id) }
            }
        }
        return out
    }

    // MARK: Presence and prefix lookup

    public func contains(_ id: ObjectID) -> Bool {
        if access(loosePath(id), F_OK) == 0 { return true }
        return ((try? packs()) ?? []).contains { $0.contains(id) }
    }

    /// Resolves a unique hex prefix of at least 6 digits (or a full id).
    public func resolvePrefix(_ prefix: String) throws -> ObjectID {
        let p = prefix.lowercased()
        guard p.count >= 6, p.count <= 64, isHexString(p) else {
            throw StoreError.badRevision(prefix, reason: "an object id needs 6 to 64 hex digits")
        }
        if let full = ObjectID(hex: p) {
            guard contains(full) else { throw StoreError.objectNotFound(p) }
            return full
        }
        var found = Set<ObjectID>()
        let dir = "\(objectsDirectory)/\(p.prefix(2))"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where (p.prefix(2) + name).hasPrefix(p) {
            if let id = ObjectID(hex: String(p.prefix(2)) + name) { found.insert(id) }
        }
        for pack in try packs() {
            let b = Int(hexValue(p.utf8.first!)! << 4 | hexValue(Array(p.utf8)[1])!)
            let lo = b == 0 ? 0 : Int(pack.fanout[b - 1]), hi = Int(pack.fanout[b])
            for i in lo..<hi where pack.ids[i].hex.hasPrefix(p) { found.insert(pack.ids[i]) }
        }
        if found.count > 1 { throw StoreError.ambiguousPrefix(prefix, candidates: found.count) }
        guard let id = found.first else { throw StoreError.objectNotFound(prefix) }
        return id
    }

    // MARK: Reading

    /// Longest chain of deltas a read follows (a crafted pack cannot loop forever).
    static let maxDeltaDepth = 64
    /// Deltas are only made against bases with a shorter chain than this.
    static let deltaChainLimit = 16

    /// The stored zstd frame of `id`, a name for it in messages, and (packed deltas) the base id;
    /// nil when absent.
    func withFrame<T>(_ id: ObjectID, retry: Bool = true, _ body: (UnsafeRawBufferPointer, String, ObjectID?) throws -> T) throws -> T? {
        let path = loosePath(id)
        if let frame = try readLooseFile(path) {
            return try frame.withUnsafeBytes { try body($0, path, nil) }
        }
        for pack in try packs() {
            if let i = pack.index(of: id) {
                let (frame, base) = try pack.frame(at: i)
                return try body(frame, "\(pack.packPath) (object \(id.short))", base)
            }
        }
        // A gc may have moved loose objects into a pack this process has not loaded yet.
        if retry, access(packsDirectory, F_OK) == 0 {
            reloadPacks()
            return try withFrame(id, retry: false, body)
        }
        return nil
    }

    /// The bytes of a loose object file; nil when it cannot be opened. Its size is checked before
    /// it is read — against the largest frame any object within `maxObjectSize` compresses to,
    /// then against the size its zstd header claims — so a stray multi-gigabyte file costs a stat
    /// and a few bytes, not its size in memory.
    func readLooseFile(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        let largest = ZstdFrame.maxFrameSize(content: maxObjectSize + 64)
        guard UInt64(size) <= largest else {
            throw StoreError.corruptObject(path: path, reason: "file is \(size) bytes, too large for an object (a frame holds at most \(largest))")
        }
        var head = [UInt8](repeating: 0, count: min(size, ZstdFrame.headerProbeSize))
        guard readFully(fd, &head, at: 0) == head.count else { throw StoreError.io(path: path, reason: "cannot read") }
        if let claimed = ZstdFrame.claimedContentSize(head) {
            guard claimed <= maxObjectSize + 64 else {
                throw StoreError.objectTooLarge(path: path, claimed: claimed, limit: maxObjectSize)
            }
            guard UInt64(size) <= ZstdFrame.maxFrameSize(content: claimed) else {
                throw StoreError.corruptObject(path: path, reason: "file is \(size) bytes, too large for the \(claimed) bytes its frame holds")
            }
        }
        var buf = [UInt8](repeating: 0, count: size)
        let got = readFully(fd, &buf, at: 0)
        if got < size { buf.removeSubrange(got...) }
        return buf
    }

    /// pread until `buf` is full or the file ends; returns the bytes read.
    private func readFully(_ fd: Int32, _ buf: inout [UInt8], at offset: Int) -> Int {
        var got = 0
        while got < buf.count {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(offset + got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return got
    }

    /// Decodes a stored frame, resolving a delta's base first.
    func decode(_ id: ObjectID, frame: UnsafeRawBufferPointer, path: String, base: ObjectID?, depth: Int = 0) throws -> (ObjectType, Data) {
        var prefix: Data? = nil
        if let base {
            guard depth < ObjectStore.maxDeltaDepth, base != id else {
                throw StoreError.corruptPack(path: path, reason: "delta chain too long or cyclic")
            }
            do { prefix = try read(base, depth: depth + 1).content } catch StoreError.objectNotFound {
                throw StoreError.corruptObject(path: path, reason: "delta base \(base.hex) is missing")
            }
        }
        return try ZstdFrame.decodeObject(frame, path: path, limit: maxObjectSize, expected: id, prefix: prefix)
    }

    /// Reads and verifies an object.
    public func read(_ id: ObjectID) throws -> (type: ObjectType, content: Data) { try read(id, depth: 0) }

    func read(_ id: ObjectID, depth: Int) throws -> (type: ObjectType, content: Data) {
        let body = { (frame: UnsafeRawBufferPointer, path: String, base: ObjectID?) in
            try self.decode(id, frame: frame, path: path, base: base, depth: depth)
        }
        if let r = try withFrame(id, body) { return (r.0, r.1) }
        if let fetch = fetchMissing, try fetch([id]), let r = try withFrame(id, body) { return (r.0, r.1) }
        throw StoreError.objectNotFound(id.hex)
    }

    /// How many deltas must be resolved to read `id` (0 for a whole object).
    func deltaDepth(_ id: ObjectID) -> Int {
        var current = id
        for depth in 0..<ObjectStore.maxDeltaDepth {
            guard let base = (try? withFrame(current, { _, _, base in base })) ?? nil else { return depth }
            current = base
        }
        return ObjectStore.maxDeltaDepth
    }

    public func read(_ id: ObjectID, expecting type: ObjectType) throws -> Data {
        let (t, content) = try read(id)
        guard t == type else { throw StoreError.wrongType(id: id.hex, expected: type.rawValue, actual: t.rawValue) }
        return content
    }

    public func type(of id: ObjectID) throws -> ObjectType { try read(id).type }

    public func readTree(_ id: ObjectID) throws -> Tree { try Tree.parse(read(id, expecting: .tree), id: id.hex) }
    public func readCommit(_ id: ObjectID) throws -> Commit { try Commit.parse(read(id, expecting: .commit), id: id.hex) }
    public func readTag(_ id: ObjectID) throws -> Tag { try Tag.parse(read(id, expecting: .tag), id: id.hex) }
    public func readChunkList(_ id: ObjectID) throws -> ChunkList { try ChunkList.parse(read(id, expecting: .chunked), id: id.hex) }

    // MARK: Writing

    /// Writes a loose object (temp → fsync → rename); a no-op when it already exists.
    @discardableResult
    public func write(type: ObjectType, content: Data) throws -> ObjectID {
        writerGuard.holdShared()  // before the presence check: an existing object is being reused
        let id = ObjectID.hash(type: type, content: content)
        if contains(id) { return id }
        let frame = content.withUnsafeBytes { raw in
            compressors.withCompressor { $0.compress(header: ObjectHeader.encode(type: type, size: raw.count), content: raw) }
        }
        try AtomicFile.write(frame, to: loosePath(id))
        return id
    }

    public func write(tree: Tree) throws -> ObjectID { try write(type: .tree, content: tree.serialized()) }
    public func write(commit: Commit) throws -> ObjectID { try write(type: .commit, content: try commit.serialized()) }
    public func write(tag: Tag) throws -> ObjectID { try write(type: .tag, content: tag.serialized()) }

    /// Compressed frame for content (used by pack writers).
    func frame(type: ObjectType, content: UnsafeRawBufferPointer, chunk: Bool = false,
               prefix: UnsafeRawBufferPointer? = nil) -> Data {
        (chunk ? chunkCompressors : compressors).withCompressor {
            $0.compress(header: ObjectHeader.encode(type: type, size: content.count), content: content, prefix: prefix)
        }
    }

    // MARK: File contents

    /// Streams the bytes of a file entry (blob or chunk list) to `sink`.
    public func streamFile(kind: EntryKind, id: ObjectID, _ sink: (Data) throws -> Void) throws {
        switch kind {
        case .blob: try sink(read(id, expecting: .blob))
        case .chunked:
            let list = try readChunkList(id)
            for c in list.chunks {
                let d = try read(c.id, expecting: .blob)
                guard d.count == c.size else {
                    throw StoreError.badObject(id: id.hex, reason: "chunk \(c.id.short) is \(d.count) bytes, list says \(c.size)")
                }
                try sink(d)
            }
        case .tree: throw StoreError.wrongType(id: id.hex, expected: "file", actual: "tree")
        }
    }

    /// Size of the file an entry describes (chunk lists know it without reading chunks).
    public func fileSize(kind: EntryKind, id: ObjectID) throws -> Int {
        switch kind {
        case .blob: return try read(id, expecting: .blob).count
        case .chunked: return try readChunkList(id).totalSize
        case .tree: return 0
        }
    }
}
