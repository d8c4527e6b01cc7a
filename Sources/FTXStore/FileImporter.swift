import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns work-tree files into objects. Small files become loose blobs; files ≥ 1 MiB are memory-
/// mapped, cut by FastCDC, and their chunks hashed and compressed in parallel, then appended in
/// file order to one pack per import (one fsync for thousands of chunks instead of one each).
public final class FileImporter {
    public let store: ObjectStore
    private var pack: PackWriter?
    /// Bytes of new objects written (compressed), for reporting.
    public private(set) var bytesWritten: Int = 0
    /// Chunks stored as deltas / whole, and chunks already present (for `add -v` and benchmarks).
    public private(set) var deltaChunks = 0
    public private(set) var wholeChunks = 0
    public private(set) var reusedChunks = 0
    /// Called while a large file is chunked: (path, bytes done, file size).
    public var onProgress: ((String, Int, Int) -> Void)?

    public init(store: ObjectStore) { self.store = store }

    deinit { pack?.abort() }

    public struct Result: Sendable { public let kind: EntryKind; public let id: ObjectID; public let size: Int }

    /// Stores (or, with `write: false`, only hashes) the file at `path`. `previous`, the chunk
    /// list of the file's last stored version, lets changed chunks be stored as zstd deltas
    /// against the chunk they replace (a 1% row edit touches most 64 KiB chunks of a dataset,
    /// but each delta is only a few hundred bytes).
    public func importFile(at path: String, write: Bool = true, previous: ObjectID? = nil) throws -> Result {
        if write { store.writerGuard.holdShared() }  // gc must not prune what this import reuses
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path: path, reason: "cannot stat") }
        let size = Int(st.st_size)
        if size < FastCDC.chunkingThreshold {
            var data = Data(count: size)
            var got = 0
            try data.withUnsafeMutableBytes { buf in
                while got < size {
                    let n = read(fd, buf.baseAddress! + got, size - got)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { throw StoreError.io(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
                    if n == 0 { break }
                    got += n
                }
            }
            if got != size { throw StoreError.io(path: path, reason: "file changed while reading") }
            if write {
                let id = ObjectID.hash(type: .blob, content: data)
                if !store.contains(id) {
                    try store.write(type: .blob, content: data)
                    bytesWritten += size
                }
                return Result(kind: .blob, id: id, size: size)
            }
            return Result(kind: .blob, id: ObjectID.hash(type: .blob, content: data), size: size)
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw StoreError.io(path: path, reason: "cannot map file: \(String(cString: strerror(errno)))")
        }
        defer { munmap(map, size) }
        madvise(map, size, MADV_SEQUENTIAL)
        let old = write ? previous.flatMap { try? store.readChunkList($0) } : nil
        let report = onProgress.map { cb in { (done: Int) in cb(path, done, size) } }
        let list = try chunk(UnsafeRawBufferPointer(start: map, count: size), write: write, old: old, progress: report)
        let content = list.serialized()
        let id = ObjectID.hash(type: .chunked, content: content)
        if write, !store.contains(id) {
            let writer = try packWriter()
            if !writer.ids.contains(id) {
                let frame = content.withUnsafeBytes { store.frame(type: .chunked, content: $0) }
                try writer.add(id: id, frame: frame)
                bytesWritten += frame.count
            }
        }
        return Result(kind: .chunked, id: id, size: size)
    }

    private func packWriter() throws -> PackWriter {
        if let pack { return pack }
        let p = try PackWriter(directory: store.packsDirectory)
        pack = p
        return p
    }

    /// Makes the objects of this import durable (finishes the pack, if one was started).
    public func finish() throws {
        guard let p = pack else { return }
        pack = nil
        if p.isEmpty { p.abort(); return }
        try p.finish()
        store.reloadPacks()
    }

    public func abort() { pack?.abort(); pack = nil }

    /// Shared state of the parallel chunk pipeline: results are drained in file order.
    private final class Pipeline: @unchecked Sendable {
        let lock = NSLock()
        var pending: [Int: [(ObjectID, Int, Data?, ObjectID?)]] = [:]
        var next = 0
        var chunks: [ChunkList.Chunk] = []
        var error: Error?
        var written = 0
        var deltas = 0, wholes = 0, reused = 0
    }

    /// Pairs each new chunk with the old chunk holding the same content. CDC boundaries survive
    /// edits, so the sequence of chunk sizes of the new version is the old one with small
    /// changes: a chunk is anchored to the old chunk whose size and next size both match (near
    /// the estimated position); otherwise the old chunk under its estimated midpoint is used.
    struct BaseAligner {
        let chunks: [ChunkList.Chunk]
        var starts: [Int] = []
        var j = 0
        var drift = 0      // new offset − old offset, from the last anchor
        var misses = 0
        init(_ list: ChunkList?) {
            chunks = list?.chunks ?? []
            var o = 0
            for c in chunks { starts.append(o); o += c.size }
        }

        mutating func base(start s: Int, length l: Int, next: Int?) -> ObjectID? {
            guard !chunks.isEmpty else { return nil }
            let t = s + l / 2 - drift
            while j < chunks.count - 1 && starts[j] + chunks[j].size <= t { j += 1 }
            while j > 0 && starts[j] > t { j -= 1 }
            let window = misses > 3 ? 1024 : 32
            var best: Int? = nil
            var bestScore = Int.max
            for c in max(0, j - window)...min(chunks.count - 1, j + window) {
                let d1 = abs(chunks[c].size - l)
                guard d1 <= max(2048, l / 32) else { continue }
                var score = d1 + abs(starts[c] + drift - s) / 1024
                if let next {
                    guard c + 1 < chunks.count else { continue }
                    let d2 = abs(chunks[c + 1].size - next)
                    guard d2 <= max(2048, next / 32) else { continue }
                    score += d2
                }
                if score < bestScore { bestScore = score; best = c }
            }
            if let c = best {
                j = c
                drift = s + l - (starts[c] + chunks[c].size)
                misses = 0
                return chunks[c].id
            }
            misses += 1
            return chunks[j].id
        }
    }

    private func chunk(_ data: UnsafeRawBufferPointer, write: Bool, old: ChunkList?,
                       progress: ((Int) -> Void)? = nil) throws -> ChunkList {
        let writer: PackWriter? = write ? try packWriter() : nil
        let store = self.store
        let state = Pipeline()
        let group = DispatchGroup()
        let inflight = DispatchSemaphore(value: 2 * ProcessInfo.processInfo.activeProcessorCount + 2)
        let queue = DispatchQueue.global(qos: .userInitiated)
        nonisolated(unsafe) let base = data.baseAddress!
        var jobIndex = 0
        var job: [(Int, Int, ObjectID?)] = []
        var aligner = BaseAligner(old)
        var jobBytes = 0

        func submit(_ ranges: [(Int, Int, ObjectID?)], _ index: Int) {
            inflight.wait()
            group.enter()
            queue.async {
                var results: [(ObjectID, Int, Data?, ObjectID?)] = []
                results.reserveCapacity(ranges.count)
                for (off, len, deltaBase) in ranges {
                    let raw = UnsafeRawBufferPointer(start: base + off, count: len)
                    let id = ObjectID.hash(type: .blob, content: raw)
                    var frame: Data? = nil
                    var usedBase: ObjectID? = nil
                    if write && !store.contains(id) {
                        if let deltaBase, store.deltaDepth(deltaBase) < ObjectStore.deltaChainLimit,
                           let prefix = try? store.read(deltaBase, expecting: .blob) {
                            frame = prefix.withUnsafeBytes { store.frame(type: .blob, content: raw, chunk: true, prefix: $0) }
                            usedBase = deltaBase
                        } else {
                            frame = store.frame(type: .blob, content: raw, chunk: true)
                        }
                    }
                    results.append((id, len, frame, usedBase))
                }
                state.lock.lock()
                state.pending[index] = results
                while let ready = state.pending.removeValue(forKey: state.next) {
                    for (id, len, frame, deltaBase) in ready {
                        state.chunks.append(ChunkList.Chunk(id: id, size: len))
                        if let frame, let writer, state.error == nil, !writer.ids.contains(id) {
                            do { try writer.add(id: id, frame: frame, base: deltaBase); state.written += frame.count } catch { state.error = error }
                            if deltaBase != nil { state.deltas += 1 } else { state.wholes += 1 }
                        } else {
                            state.reused += 1
                        }
                    }
                    state.next += 1
                }
                state.lock.unlock()
                inflight.signal()
                group.leave()
            }
        }

        // Each chunk's base is chosen when the next chunk is known (the aligner looks one ahead).
        var held: (Int, Int)? = nil
        func enqueue(_ off: Int, _ len: Int, next: Int?) {
            job.append((off, len, old == nil ? nil : aligner.base(start: off, length: len, next: next)))
            jobBytes += len
            if jobBytes >= 1 << 20 {
                progress?(off + len)
                submit(job, jobIndex)
                jobIndex += 1
                job = []
                jobBytes = 0
            }
        }
        FastCDC.forEachChunk(data) { off, len in
            if let (o, l) = held { enqueue(o, l, next: len) }
            held = (off, len)
        }
        if let (o, l) = held { enqueue(o, l, next: nil) }
        if !job.isEmpty { submit(job, jobIndex) }
        group.wait()
        progress?(data.count)
        if let e = state.error { throw e }
        bytesWritten += state.written
        deltaChunks += state.deltas
        wholeChunks += state.wholes
        reusedChunks += state.reused
        return ChunkList(chunks: state.chunks)
    }
}
