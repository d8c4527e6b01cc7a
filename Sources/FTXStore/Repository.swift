import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A work tree and its `.ftx/` store: the entry point for every porcelain operation.
public final class Repository {
    /// The directory that contains `.ftx` (absolute, no trailing slash).
    public let workTree: String
    public let ftxDirectory: String
    public let objects: ObjectStore
    public let refs: RefStore
    /// Lets a higher layer define extra revision names (the registry's `base`); see Revision.swift.
    public var revisionHook: RevisionHook?

    public var indexPath: String { ftxDirectory + "/index" }
    public var sqlitePath: String { ftxDirectory + "/index.sqlite" }

    public init(workTree: String) {
        self.workTree = workTree
        ftxDirectory = workTree == "/" ? "/.ftx" : workTree + "/.ftx"
        objects = ObjectStore(ftxDirectory: ftxDirectory)
        refs = RefStore(ftxDirectory: ftxDirectory)
    }

    /// Finds `.ftx` in `directory` or the nearest parent, as git does.
    public static func discover(from directory: String = FileManager.default.currentDirectoryPath) throws -> Repository {
        var dir = SlashPath.normalizedAbsolute(absolute(directory))
        while true {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: SlashPath.join(dir, ".ftx"), isDirectory: &isDir), isDir.boolValue {
                return Repository(workTree: dir)
            }
            if dir == "/" { break }
            dir = SlashPath.parent(dir)
        }
        throw StoreError.notARepository(directory)
    }

    /// Creates `.ftx/` with HEAD on an unborn `main` branch.
    @discardableResult
    public static func initialize(at directory: String) throws -> Repository {
        let wt = SlashPath.normalizedAbsolute(absolute(directory))
        let repo = Repository(workTree: wt)
        let fm = FileManager.default
        if fm.fileExists(atPath: repo.ftxDirectory + "/HEAD") { throw StoreError.alreadyInitialized(repo.ftxDirectory) }
        for sub in ["objects", "packs", "refs/heads", "refs/tags", "refs/deploy", "logs"] {
            try fm.createDirectory(atPath: "\(repo.ftxDirectory)/\(sub)", withIntermediateDirectories: true)
        }
        try AtomicFile.write(Data("ref: refs/heads/main\n".utf8), to: repo.ftxDirectory + "/HEAD")
        try AtomicFile.write(Data("[core]\n\tformat = 1\n".utf8), to: repo.ftxDirectory + "/config")
        _ = try? SQLiteIndex(path: repo.sqlitePath)
        return repo
    }

    // MARK: Paths

    /// `path` made absolute against `cwd` (not normalised).
    static func absolute(_ path: String, cwd: String = FileManager.default.currentDirectoryPath) -> String {
        path.utf8.first == UInt8(ascii: "/") ? path : SlashPath.join(cwd, path)
    }

    /// Turns a user path (relative to `cwd` or absolute) into a work-tree-relative path ("" = root).
    public func relativePath(_ userPath: String, cwd: String = FileManager.default.currentDirectoryPath) throws -> String {
        let std = SlashPath.normalizedAbsolute(Repository.absolute(userPath, cwd: cwd))
        guard let rel = SlashPath.relative(std, to: workTree) else {
            throw StoreError.invalidPath(userPath, reason: "outside the work tree \(workTree)")
        }
        if SlashPath.isWithin(rel, ".ftx") && !rel.isEmpty { throw StoreError.invalidPath(userPath, reason: "inside the store") }
        return rel
    }

    public func absolutePath(_ rel: String) -> String { SlashPath.join(workTree, rel) }

    // MARK: Index

    public func loadIndex() throws -> StagingIndex { try StagingIndex.load(path: indexPath) }

    /// Runs `body` with the index locked, then writes the index it returns through the lock.
    func withLockedIndex<T>(_ body: (inout StagingIndex) throws -> T) throws -> T {
        let lock = try LockFile.acquire(indexPath + ".lock")
        defer { lock.release() }
        var idx = try loadIndex()
        let result = try body(&idx)
        try lock.commit(idx.serialized(), to: indexPath)
        return result
    }

    // MARK: Trees

    /// The most entries `flatten` visits by default: a crafted tree that names the same subtree
    /// twice at every level stands for 2^depth files from a few objects, so the walk is bounded.
    public static let maxFlattenedEntries = 4_000_000

    /// Every file in a tree, by repository-relative path (at most `limit` entries visited).
    public func flatten(tree: ObjectID, limit: Int = Repository.maxFlattenedEntries) throws -> [String: (kind: EntryKind, id: ObjectID)] {
        var out: [String: (kind: EntryKind, id: ObjectID)] = [:]
        var visited = 0
        var parsed: [ObjectID: [TreeEntry]] = [:]  // a subtree named twice is read once
        func walk(_ id: ObjectID, _ prefix: String, depth: Int) throws {
            guard depth < 256 else { throw StoreError.badObject(id: id.hex, reason: "trees nested too deep") }
            let entries = try parsed[id] ?? objects.readTree(id).entries
            parsed[id] = entries
            visited += entries.count
            guard visited <= limit else {
                throw StoreError.badObject(id: tree.hex, reason: "tree holds more than \(limit) entries")
            }
            for e in entries {
                let p = SlashPath.join(prefix, e.name)
                if e.kind == .tree { try walk(e.id, p, depth: depth + 1) } else { out[p] = (e.kind, e.id) }
            }
        }
        try walk(tree, "", depth: 0)
        return out
    }

    /// The commit HEAD points at (nil on an unborn branch).
    public func headCommit() throws -> ObjectID? { try refs.resolve("HEAD").id }

    /// Files the work tree stands for at HEAD: HEAD's tree, or when HEAD is a record commit (a
    /// run), its nearest non-record ancestor's (empty on an unborn branch). See RecordCommits.swift.
    public func headFiles() throws -> [String: (kind: EntryKind, id: ObjectID)] {
        guard let head = try headCommit() else { return [:] }
        return try workTreeFiles(of: head)
    }

    // MARK: Work tree

    /// Patterns from `.ftxignore` (one glob per line, `#` comments); `.ftx` and `.git` (in every
    /// spelling a tree may not hold, see ReservedName) are always ignored.
    func ignorePatterns() -> [String] {
        guard let text = try? String(contentsOfFile: workTree + "/.ftxignore", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    func isIgnored(_ rel: String, patterns: [String]) -> Bool {
        let name = SlashPath.lastComponent(rel)
        if ReservedName.aliased(by: name) != nil { return true }
        for p in patterns {
            if fnmatch(p, rel, 0) == 0 || (!p.contains("/") && fnmatch(p, name, 0) == 0) { return true }
        }
        return false
    }

    /// Regular files under `rel` (a file or directory), not ignored, with their stat data.
    /// Symbolic links are not followed or stored.
    public func scanFiles(under rel: String) -> [String: stat] {
        var out: [String: stat] = [:]
        let patterns = ignorePatterns()
        func visit(_ r: String) {
            var st = stat()
            guard lstat(absolutePath(r), &st) == 0 else { return }
            if !r.isEmpty && isIgnored(r, patterns: patterns) { return }
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                if !r.isEmpty, (try? StagingIndex.validate(path: r)) != nil { out[r] = st }
            case S_IFDIR:
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolutePath(r)) else { return }
                // Skip AtomicFile's in-flight temporaries (".tmp-<pid>-<random>-<name>").
                for n in names.sorted() where !Repository.isAtomicTemporary(n) { visit(SlashPath.join(r, n)) }
            default: break
            }
        }
        visit(rel)
        return out
    }

    static func entry(_ r: FileImporter.Result, _ st: stat) -> StagingIndex.Entry {
        StagingIndex.Entry(kind: r.kind, id: r.id, size: r.size,
                           mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                           ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                           inode: UInt64(st.st_ino))
    }

    /// True when the stat data says the file is the one recorded in the index.
    static func statMatches(_ e: StagingIndex.Entry, _ st: stat) -> Bool {
        let m = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let c = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        return e.size == Int(st.st_size) && e.mtimeNs == m && e.ctimeNs == c && e.inode == UInt64(st.st_ino)
    }
}
