import FTXCore
import FTXStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A remote in a directory (a disk, a network share). Objects are files written atomically
/// (temporary name, fsync, rename); refs are compare-and-swapped under `<ref>.lock` files, the
/// same protocol as the local store's refs.
final class DirectoryStorage: RemoteStorage {
    let root: String
    let display: String

    init(settings: RemoteSettings, path: String) {
        root = path
        display = "\(settings.name) (\(path))"
    }

    private func path(_ key: String) throws -> String {
        guard !key.isEmpty, !key.hasPrefix("/"), !SlashPath.components(key).contains(where: { $0 == ".." || $0 == "." }) else {
            throw RemoteError.damaged(remote: display, location: key, reason: "a key escapes the remote's directory")
        }
        return SlashPath.join(root, key)
    }

    /// Refs are small: their version is their content's hash. Larger objects need none.
    private static func version(_ d: Data) -> String { d.count <= 4096 ? S3Storage.sha256Hex(d) : "" }

    func list() throws -> [RemoteObjectInfo] {
        var out: [RemoteObjectInfo] = []
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        while let rel = e.nextObject() as? String {
            let name = SlashPath.lastComponent(rel)
            if name.hasPrefix(".tmp-") || name.hasSuffix(".lock") { continue }
            var st = stat()
            guard lstat(SlashPath.join(root, rel), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append(RemoteObjectInfo(key: rel, size: Int(st.st_size), modified: Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))))
        }
        return out.sorted { $0.key < $1.key }
    }

    func get(_ requests: [RemoteGet], progress: TransferProgressHandler?) throws -> [RemoteGot?] {
        var received: Int64 = 0
        return try requests.map { g in
            let p = try path(g.key)
            let fd = open(p, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { return nil }
                throw RemoteError.io("cannot read: \(String(cString: strerror(errno)))", location: p)
            }
            defer { close(fd) }
            var st = stat()
            fstat(fd, &st)
            let size = UInt64(st.st_size)
            let range = g.range ?? 0..<size
            guard range.upperBound <= size else {
                throw RemoteError.damaged(remote: display, location: g.key, reason: "file is \(size) bytes, shorter than its index says")
            }
            guard range.count <= g.limit else {
                throw RemoteError.damaged(remote: display, location: g.key, reason: "file is larger than \(g.limit) bytes")
            }
            var data = Data(count: Int(range.count))
            var got = 0
            try data.withUnsafeMutableBytes { buf in
                while got < buf.count {
                    let n = pread(fd, buf.baseAddress! + got, buf.count - got, off_t(range.lowerBound) + off_t(got))
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { throw RemoteError.io("read failed: \(String(cString: strerror(errno)))", location: p) }
                    if n == 0 { break }
                    got += n
                }
            }
            guard got == data.count else { throw RemoteError.damaged(remote: display, location: g.key, reason: "file shrank while reading") }
            received += Int64(got)
            progress?(0, received)
            return RemoteGot(data: data, version: Self.version(data))
        }
    }

    func put(_ requests: [RemotePut], progress: TransferProgressHandler?) throws {
        var sent: Int64 = 0
        for r in requests {
            let dest = try path(r.key)
            switch r.body {
            case .data(let d):
                try AtomicFile.write(d, to: dest)
                sent += Int64(d.count)
            case .file(let source, _):
                guard let h = FileHandle(forReadingAtPath: source) else { throw RemoteError.io("cannot read file to upload", location: source) }
                defer { try? h.close() }
                try AtomicFile.write(to: dest) { fd in
                    while let chunk = try h.read(upToCount: 4 << 20), !chunk.isEmpty {
                        try chunk.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: dest) }
                        sent += Int64(chunk.count)
                        progress?(sent, 0)
                    }
                }
            }
            progress?(sent, 0)
        }
    }

    func putConditional(key: String, data: Data, condition: RemoteCondition) throws -> Bool {
        let dest = try path(key)
        let lock = try LockFile.acquire(dest + ".lock")
        defer { lock.release() }
        let current = FileManager.default.contents(atPath: dest)
        switch condition {
        case .absent: if current != nil { return false }
        case .version(let v): if current.map(Self.version) != v { return false }
        }
        try lock.commit(data, to: dest)
        return true
    }

    func delete(_ keys: [String]) throws {
        for k in keys {
            let p = try path(k)
            if unlink(p) != 0 && errno != ENOENT { throw RemoteError.io("cannot delete: \(String(cString: strerror(errno)))", location: p) }
        }
    }
}
