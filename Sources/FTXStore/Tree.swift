import Foundation

/// What a tree entry points at: a file stored whole, a file stored as chunks, or a directory.
public enum EntryKind: String, Sendable, CaseIterable {
    case blob, chunked, tree
    public var objectType: ObjectType {
        switch self { case .blob: return .blob; case .chunked: return .chunked; case .tree: return .tree }
    }
    public var isFile: Bool { self != .tree }
}

public struct TreeEntry: Hashable, Sendable {
    public let name: String
    public let kind: EntryKind
    public let id: ObjectID

    /// Validates the name: a tree can never name a path outside its directory.
    public init(name: String, kind: EntryKind, id: ObjectID) throws {
        try TreeEntry.validate(name: name)
        self.name = name; self.kind = kind; self.id = id
    }

    /// Rejects empty, `.`, `..`, `/`, NUL and other control characters, and `.ftx` and `.git` in
    /// every spelling a filesystem may take for them (see ReservedName).
    public static func validate(name: String) throws {
        let u = Array(name.utf8)
        if u.isEmpty { throw StoreError.invalidTreeName(name, reason: "empty name") }
        if name == "." || name == ".." { throw StoreError.invalidTreeName(name, reason: "'\(name)' is not a file name") }
        if u.count > 255 { throw StoreError.invalidTreeName(String(name.prefix(40)) + "…", reason: "longer than 255 bytes") }
        if u.contains(UInt8(ascii: "/")) { throw StoreError.invalidTreeName(name, reason: "contains '/' (absolute or nested path)") }
        if u.contains(0) { throw StoreError.invalidTreeName(name.replacingOccurrences(of: "\0", with: "\\0"), reason: "contains NUL") }
        if u.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw StoreError.invalidTreeName(name.debugDescription, reason: "contains a control character")
        }
        if let reserved = ReservedName.aliased(by: name) {
            let what = reserved == ".ftx" ? "the store" : "the git repository"
            throw StoreError.invalidTreeName(name.debugDescription, reason: "reserved: a filesystem may take it for '\(reserved)' (\(what))")
        }
    }
}

/// A directory: entries sorted by name (byte order), one per line: `<kind> <id> <name>`.
public struct Tree: Hashable, Sendable {
    public private(set) var entries: [TreeEntry]

    public init(entries: [TreeEntry]) throws {
        let sorted = entries.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for i in sorted.indices.dropFirst() where sorted[i].name == sorted[i - 1].name {
            throw StoreError.invalidTreeName(sorted[i].name, reason: "duplicate entry")
        }
        self.entries = sorted
    }

    public subscript(name: String) -> TreeEntry? { entries.first { $0.name == name } }

    public func serialized() -> Data {
        var s = ""
        for e in entries { s += "\(e.kind.rawValue) \(e.id.hex) \(e.name)\n" }
        return Data(s.utf8)
    }

    public static func parse(_ data: Data, id: String) throws -> Tree {
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.badObject(id: id, reason: "tree is not UTF-8")
        }
        var entries: [TreeEntry] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() } else if !text.isEmpty {
            throw StoreError.badObject(id: id, reason: "tree does not end with a newline")
        }
        var previous: [UInt8]? = nil
        for (n, line) in lines.enumerated() {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let kind = EntryKind(rawValue: String(parts[0])),
                  let oid = ObjectID(hex: String(parts[1])) else {
                throw StoreError.badObject(id: id, reason: "tree line \(n + 1) is not `<kind> <id> <name>`")
            }
            let entry: TreeEntry
            do { entry = try TreeEntry(name: String(parts[2]), kind: kind, id: oid) } catch let e as StoreError {
                throw StoreError.badObject(id: id, reason: "line \(n + 1): \(e.description)")
            }
            let key = Array(entry.name.utf8)
            if let previous, !previous.lexicographicallyPrecedes(key) {
                throw StoreError.badObject(id: id, reason: "tree entries not sorted or duplicated at line \(n + 1)")
            }
            previous = key
            entries.append(entry)
        }
        return try Tree(entries: entries)
    }
}

/// The ordered chunks of a large file: `size <total>` then `<id> <size>` per chunk.
public struct ChunkList: Hashable, Sendable {
    public struct Chunk: Hashable, Sendable { public let id: ObjectID; public let size: Int }
    public let chunks: [Chunk]
    public var totalSize: Int { chunks.reduce(0) { $0 + $1.size } }

    public init(chunks: [Chunk]) { self.chunks = chunks }

    public func serialized() -> Data {
        var s = "size \(totalSize)\n"
        s.reserveCapacity(chunks.count * 80 + 32)
        for c in chunks { s += "\(c.id.hex) \(c.size)\n" }
        return Data(s.utf8)
    }

    public static func parse(_ data: Data, id: String) throws -> ChunkList {
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.badObject(id: id, reason: "chunk list is not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { throw StoreError.badObject(id: id, reason: "chunk list does not end with a newline") }
        lines.removeLast()
        guard let first = lines.first, first.hasPrefix("size "), let total = Int(first.dropFirst(5)), total >= 0 else {
            throw StoreError.badObject(id: id, reason: "chunk list does not start with `size <n>`")
        }
        var chunks: [Chunk] = []
        chunks.reserveCapacity(lines.count)
        var sum = 0
        for (n, line) in lines.dropFirst().enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let cid = ObjectID(hex: String(parts[0])), let size = Int(parts[1]), size > 0 else {
                throw StoreError.badObject(id: id, reason: "chunk line \(n + 2) is not `<id> <size>`")
            }
            let (next, overflow) = sum.addingReportingOverflow(size)
            guard !overflow, next <= total else {
                throw StoreError.badObject(id: id, reason: "chunk sizes exceed the header's total \(total) at line \(n + 2)")
            }
            sum = next
            chunks.append(Chunk(id: cid, size: size))
        }
        if sum != total {
            throw StoreError.badObject(id: id, reason: "chunk sizes add up to \(sum), header says \(total)")
        }
        return ChunkList(chunks: chunks)
    }
}
