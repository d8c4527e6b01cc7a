import FTXCore
import Foundation

/// The staging area (.ftx/index): what the next commit's tree will hold, plus each file's stat
/// data so `status` can skip rehashing unchanged files. Text format, written atomically:
///   FTXINDEX 1
///   <kind> <id> <size> <mtime-ns> <ctime-ns> <inode> <path>     (sorted by path)
///   checksum <SHA-256 of the lines above>
public struct StagingIndex: Sendable {
    public struct Entry: Hashable, Sendable {
        public var kind: EntryKind
        public var id: ObjectID
        public var size: Int
        public var mtimeNs: Int64
        public var ctimeNs: Int64
        public var inode: UInt64
    }

    public var entries: [String: Entry] = [:]

    public init() {}

    /// Repository-relative paths with `/` separators; every component must be a valid tree name.
    public static func validate(path: String) throws {
        guard !path.isEmpty, path.utf8.first != UInt8(ascii: "/") else { throw StoreError.invalidPath(path, reason: "empty or absolute") }
        for comp in SlashPath.components(path) {
            do { try TreeEntry.validate(name: String(comp)) } catch let e as StoreError {
                if case .invalidTreeName(_, let reason) = e {
                    throw StoreError.invalidPath(path, reason: "component \(String(comp).debugDescription) is not a valid name: \(reason)")
                }
                throw e
            }
        }
    }

    public static func load(path: String) throws -> StagingIndex {
        guard let data = FileManager.default.contents(atPath: path) else { return StagingIndex() }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.corruptIndex(path: path, reason: "not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "", lines.count >= 3, lines[0] == "FTXINDEX 1" else {
            throw StoreError.corruptIndex(path: path, reason: "missing header or truncated")
        }
        lines.removeLast()
        let sumLine = lines.removeLast()
        let body = lines.joined(separator: "\n") + "\n"
        let sum = SHA256.hash(data: Data(body.utf8)).hex
        guard sumLine == "checksum \(sum)" else {
            throw StoreError.corruptIndex(path: path, reason: "checksum mismatch (file damaged or truncated)")
        }
        var idx = StagingIndex()
        for (n, line) in lines.dropFirst().enumerated() {
            let p = line.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: false)
            guard p.count == 7, let kind = EntryKind(rawValue: String(p[0])), kind.isFile,
                  let id = ObjectID(hex: String(p[1])), let size = Int(p[2]), let m = Int64(p[3]),
                  let c = Int64(p[4]), let ino = UInt64(p[5]) else {
                throw StoreError.corruptIndex(path: "\(path):\(n + 2)", reason: "malformed entry")
            }
            let rel = String(p[6])
            try validate(path: rel)
            idx.entries[rel] = Entry(kind: kind, id: id, size: size, mtimeNs: m, ctimeNs: c, inode: ino)
        }
        return idx
    }

    public func serialized() -> Data {
        var s = "FTXINDEX 1\n"
        for path in entries.keys.sorted() {
            let e = entries[path]!
            s += "\(e.kind.rawValue) \(e.id.hex) \(e.size) \(e.mtimeNs) \(e.ctimeNs) \(e.inode) \(path)\n"
        }
        let sum = SHA256.hash(data: Data(s.utf8)).hex
        s += "checksum \(sum)\n"
        return Data(s.utf8)
    }

    public func write(to path: String) throws { try AtomicFile.write(serialized(), to: path) }

    /// Builds (and writes) the tree objects for the staged paths; returns the root tree id.
    public func writeTree(to store: ObjectStore) throws -> ObjectID {
        try StagingIndex.writeTree(files: entries.mapValues { (kind: $0.kind, id: $0.id) }, to: store)
    }

    /// Writes the nested trees of a flat `path → file` map (as `Repository.flatten` returns) and
    /// returns the root tree's id.
    public static func writeTree(files: [String: (kind: EntryKind, id: ObjectID)], to store: ObjectStore) throws -> ObjectID {
        final class Dir { var files: [String: (EntryKind, ObjectID)] = [:]; var dirs: [String: Dir] = [:] }
        let root = Dir()
        for (path, e) in files {
            var node = root
            let comps = SlashPath.components(path).map(String.init)
            for c in comps.dropLast() {
                if let d = node.dirs[c] { node = d } else { let d = Dir(); node.dirs[c] = d; node = d }
            }
            node.files[comps.last!] = (e.kind, e.id)
        }
        func write(_ d: Dir) throws -> ObjectID {
            var es: [TreeEntry] = []
            for (name, (kind, id)) in d.files { es.append(try TreeEntry(name: name, kind: kind, id: id)) }
            for (name, sub) in d.dirs {
                if d.files[name] != nil { throw StoreError.invalidPath(name, reason: "staged both as a file and a directory") }
                es.append(try TreeEntry(name: name, kind: .tree, id: try write(sub)))
            }
            return try store.write(tree: try Tree(entries: es))
        }
        return try write(root)
    }
}
