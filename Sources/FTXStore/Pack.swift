import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Pack files (see docs/store.md, "Pack format"):
///   pack: "FTXPACK1", then per object [u8 kind: 0 whole, 1 delta][delta: 32-byte base id]
///         [u64 LE frame length][zstd frame] (a delta frame was compressed with the base object's
///         content as a zstd prefix),
///         then a trailer [u64 LE object count][SHA-256 of every byte before it].
///   idx:  "FTXIDX01", u64 count, u64 pack size, 256 × u32 fanout, count × 32-byte sorted ids,
///         count × u64 offsets (of each entry's length field), the pack's SHA-256, then the
///         SHA-256 of every idx byte before it.
enum PackFormat {
    static let packMagic = Array("FTXPACK1".utf8)
    static let idxMagic = Array("FTXIDX01".utf8)
    static let trailerSize = 8 + 32
    static func idxSize(count: Int) -> Int { 8 + 8 + 8 + 1024 + count * 40 + 64 }
}

/// Streams objects into a new pack under a temporary name; `finish` writes the idx and renames
/// both into place (pack first: a reader only sees packs whose idx exists).
final class PackWriter {
    let directory: String
    private let tmpPath: String
    private let fd: Int32
    private var hasher = SHA256()
    private var buffer = Data()
    private(set) var offset: UInt64 = 0
    private(set) var entries: [(ObjectID, UInt64)] = []
    private(set) var ids = Set<ObjectID>()
    private var closed = false

    init(directory: String) throws {
        self.directory = directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        tmpPath = "\(directory)/.tmp-pack-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: tmpPath, reason: "cannot create pack: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(1 << 20)
        append(bytes: PackFormat.packMagic)
    }

    deinit { if !closed { abort() } }

    var isEmpty: Bool { entries.isEmpty }
    var temporaryPath: String { tmpPath }

    private func append(bytes: [UInt8]) { bytes.withUnsafeBytes { append(raw: $0) } }

    private func append(raw: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: raw)
        buffer.append(contentsOf: raw)
        offset += UInt64(raw.count)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: tmpPath) }
        buffer.removeAll(keepingCapacity: true)
        if offset - writebackStart >= Writeback.step {
            Writeback.start(fd: fd, offset: writebackStart, length: offset - writebackStart)
            writebackStart = offset
        }
    }
    /// Where the next early writeback starts (see `Writeback`).
    private var writebackStart: UInt64 = 0

    /// Adds one object's zstd frame (skipped when the pack already holds the id).
    func add(id: ObjectID, frame: UnsafeRawBufferPointer, base: ObjectID? = nil) throws {
        guard !ids.contains(id) else { return }
        ids.insert(id)
        entries.append((id, offset))
        if let base {
            append(bytes: [1])
            var b = Data()
            base.appendBytes(to: &b)
            b.withUnsafeBytes { append(raw: $0) }
        } else {
            append(bytes: [0])
        }
        var len = UInt64(frame.count).littleEndian
        withUnsafeBytes(of: &len) { append(raw: $0) }
        append(raw: frame)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func add(id: ObjectID, frame: Data, base: ObjectID? = nil) throws {
        try frame.withUnsafeBytes { try add(id: id, frame: $0, base: base) }
    }

    /// Completes the pack; returns the final pack path (named by its checksum, after `namePrefix`:
    /// a temporary prefix keeps the pack invisible to readers until it is renamed).
    @discardableResult
    func finish(namePrefix: String = "") throws -> String {
        var count = UInt64(entries.count).littleEndian
        withUnsafeBytes(of: &count) { append(raw: $0) }
        let sum = hasher.finalize()
        let sumBytes = Array(sum)
        buffer.append(contentsOf: sumBytes)
        offset += 32
        try flush()
        guard fsync(fd) == 0 else { throw StoreError.io(path: tmpPath, reason: "fsync failed") }
        close(fd)
        closed = true
        let name = namePrefix + "pack-" + ObjectID(digest: sum).hex
        let packPath = "\(directory)/\(name).pack"
        let idxPath = "\(directory)/\(name).idx"

        var idx = Data(PackFormat.idxMagic)
        func u64(_ v: UInt64) { var le = v.littleEndian; withUnsafeBytes(of: &le) { idx.append(contentsOf: $0) } }
        let sorted = entries.sorted { $0.0 < $1.0 }
        u64(UInt64(sorted.count))
        u64(offset)
        var fanout = [UInt32](repeating: 0, count: 256)
        for (id, _) in sorted { fanout[Int(id.firstByte)] += 1 }
        var running: UInt32 = 0
        for i in 0..<256 {
            running += fanout[i]
            var le = running.littleEndian
            withUnsafeBytes(of: &le) { idx.append(contentsOf: $0) }
        }
        for (id, _) in sorted { id.appendBytes(to: &idx) }
        for (_, off) in sorted { u64(off) }
        idx.append(contentsOf: sumBytes)
        idx.append(contentsOf: Array(SHA256.hash(data: idx)))

        if rename(tmpPath, packPath) != 0 {
            unlink(tmpPath)
            throw StoreError.io(path: packPath, reason: "cannot rename pack into place: \(String(cString: strerror(errno)))")
        }
        try AtomicFile.write(idx, to: idxPath)
        return packPath
    }

    func abort() {
        if !closed { close(fd); closed = true }
        unlink(tmpPath)
    }
}

/// Starts writing a written range of a file to disk without waiting (sync_file_range with
/// SYNC_FILE_RANGE_WRITE), so the final fsync of a large pack finds little left to do instead of
/// stalling for the whole pack. Looked up with dlsym: Swift's Glibc module does not export it.
/// Durability still comes from the fsync; this only moves the disk work earlier.
enum Writeback {
    static let step: UInt64 = 16 << 20
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    nonisolated(unsafe) private static let syncFileRange: SyncFileRange? = {
        guard let sym = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()

    static func start(fd: Int32, offset: UInt64, length: UInt64) {
        _ = syncFileRange?(fd, Int64(offset), Int64(length), 2 /* SYNC_FILE_RANGE_WRITE */)
    }
}

/// A pack opened for reading: the idx in memory (validated whole, see PackIndex), the pack
/// memory-mapped and checked against it (size, magic, trailer count and checksum).
final class PackReader: @unchecked Sendable {
    let packPath: String
    let idxPath: String
    let ids: [ObjectID]
    let offsets: [UInt64]
    let fanout: [UInt32]
    let packSize: Int
    let packChecksum: [UInt8]
    let packIndex: PackIndex
    private let map: UnsafeMutableRawPointer
    let modificationDate: Date

    init(idxPath: String) throws {
        self.idxPath = idxPath
        packPath = String(idxPath.dropLast(4)) + ".pack"
        guard let data = FileManager.default.contents(atPath: idxPath) else {
            throw StoreError.corruptPack(path: idxPath, reason: "cannot read index file")
        }
        let index = try PackIndex.parse(data, path: idxPath)
        packIndex = index
        ids = index.ids
        offsets = index.offsets
        fanout = index.fanout
        packSize = index.packSize
        packChecksum = index.packChecksum

        let fd = open(packPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.corruptPack(path: packPath, reason: "pack file missing for its index") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.corruptPack(path: packPath, reason: "cannot stat pack") }
        modificationDate = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
        guard Int(st.st_size) == packSize else {
            throw StoreError.corruptPack(path: packPath, reason: "pack is \(st.st_size) bytes, its index expects \(packSize) (truncated?)")
        }
        guard let m = mmap(nil, packSize, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            throw StoreError.corruptPack(path: packPath, reason: "cannot map pack")
        }
        map = m
        let raw = UnsafeRawBufferPointer(start: m, count: packSize)
        var trailerCount: UInt64 = 0
        withUnsafeMutableBytes(of: &trailerCount) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(packSize - 40)..<(packSize - 32)])) }
        guard Array(raw[0..<8]) == PackFormat.packMagic,
              Array(raw[(packSize - 32)..<packSize]) == packChecksum,
              UInt64(littleEndian: trailerCount) == UInt64(ids.count) else {
            munmap(m, packSize)
            throw StoreError.corruptPack(path: packPath, reason: "pack header or trailer does not match its index")
        }
    }

    deinit { munmap(map, packSize) }

    var count: Int { ids.count }

    /// Position of `id` in the sorted id list.
    func index(of id: ObjectID) -> Int? { packIndex.position(of: id) }

    func contains(_ id: ObjectID) -> Bool { index(of: id) != nil }

    /// The stored frame of the object at sorted position `i` and, for a delta, its base id
    /// (bounds checked against the pack).
    func frame(at i: Int) throws -> (frame: UnsafeRawBufferPointer, base: ObjectID?) {
        var off = Int(offsets[i])
        let limit = packSize - PackFormat.trailerSize
        guard off >= 8, off + 9 <= limit else {
            throw StoreError.corruptPack(path: packPath, reason: "offset \(off) of \(ids[i].short) is outside the pack")
        }
        let kind = map.load(fromByteOffset: off, as: UInt8.self)
        off += 1
        var base: ObjectID? = nil
        if kind == 1 {
            guard off + 32 + 8 <= limit else {
                throw StoreError.corruptPack(path: packPath, reason: "entry of \(ids[i].short) runs past the end of the pack")
            }
            base = ObjectID(bytes: UnsafeRawBufferPointer(start: map + off, count: 32))
            off += 32
        } else if kind != 0 {
            throw StoreError.corruptPack(path: packPath, reason: "entry of \(ids[i].short) at offset \(off - 1) has unknown kind \(kind)")
        }
        guard off + 8 <= limit else {
            throw StoreError.corruptPack(path: packPath, reason: "entry of \(ids[i].short) runs past the end of the pack")
        }
        var len: UInt64 = 0
        withUnsafeMutableBytes(of: &len) { $0.copyMemory(from: UnsafeRawBufferPointer(start: map + off, count: 8)) }
        len = UInt64(littleEndian: len)
        guard len <= UInt64(limit - off - 8) else {
            throw StoreError.corruptPack(path: packPath, reason: "entry of \(ids[i].short) at offset \(off) runs past the end of the pack")
        }
        return (UnsafeRawBufferPointer(start: map + off + 8, count: Int(len)), base)
    }

    /// Recomputes the pack's SHA-256 (fsck).
    func verifyChecksum() -> Bool {
        var h = SHA256()
        h.update(bufferPointer: UnsafeRawBufferPointer(start: map, count: packSize - 32))
        return Array(h.finalize()) == packChecksum
    }
}
