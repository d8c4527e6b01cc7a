import FTXCore
import FTXStore
import Foundation

/// Writing run commits: trees built from files and directories on disk (files ≥ 1 MiB chunked by
/// the store), and a commit on the current branch by compare-and-swap, then the indexes.
extension Registry {
    /// A tree from named children: file paths on disk, directories, or ready blobs.
    public enum TreeSource {
        case file(String)
        case directory(String)
        case bytes(Data)
        case tree([String: TreeSource])
    }

    public func writeTree(_ children: [String: TreeSource], importer: FileImporter) throws -> ObjectID {
        var entries: [TreeEntry] = []
        for (name, src) in children.sorted(by: { $0.key < $1.key }) {
            switch src {
            case .file(let path):
                let r = try importer.importFile(at: path)
                entries.append(try TreeEntry(name: name, kind: r.kind, id: r.id))
            case .bytes(let data):
                entries.append(try TreeEntry(name: name, kind: .blob, id: repo.objects.write(type: .blob, content: data)))
            case .directory(let dir):
                var sub: [String: TreeSource] = [:]
                for n in try FileManager.default.contentsOfDirectory(atPath: dir) where !n.hasPrefix(".") {
                    var isDir: ObjCBool = false
                    FileManager.default.fileExists(atPath: "\(dir)/\(n)", isDirectory: &isDir)
                    sub[n] = isDir.boolValue ? .directory("\(dir)/\(n)") : .file("\(dir)/\(n)")
                }
                entries.append(try TreeEntry(name: name, kind: .tree, id: writeTree(sub, importer: importer)))
            case .tree(let sub):
                entries.append(try TreeEntry(name: name, kind: .tree, id: writeTree(sub, importer: importer)))
            }
        }
        return try repo.objects.write(tree: Tree(entries: entries))
    }

    /// Commits `tree` on the current branch (or detached HEAD) with `headers`. When another writer
    /// moves the branch first, the commit is re-parented onto the new tip and retried. The commit
    /// becomes visible only by the ref update: an interruption before it leaves no commit.
    public func commitRun(tree: ObjectID, message: String, headers: [(String, String)],
                          author: Signature = .current(), beforePublish: () throws -> Void = {}) throws -> ObjectID {
        let branch = try repo.refs.currentBranch()
        let target = branch ?? "HEAD"
        for attempt in 1...50 {
            let parent = try repo.refs.resolve(target).id
            let c = Commit(tree: tree, parents: parent.map { [$0] } ?? [], author: author, extraHeaders: headers,
                           message: message.hasSuffix("\n") ? message : message + "\n")
            let id = try repo.objects.write(commit: c)
            try beforePublish()
            do {
                try repo.refs.update(target, to: id, expect: .value(parent), who: author,
                                     reason: parent == nil ? "run (initial): \(c.summary)" : "run: \(c.summary)",
                                     logAlso: branch == nil ? [] : ["HEAD"])
            } catch StoreError.casFailed {
                usleep(useconds_t.random(in: 500...(2000 * useconds_t(min(attempt, 20)))))
                continue
            }
            // Derived indexes: best effort (both are rebuilt by `ftx reindex`).
            if let db = try? SQLiteIndex(path: repo.sqlitePath, migrations: RunIndex.migrations) { try? db.insert(commit: c, id: id) }
            if let idx = try? openRunIndex() {
                if let parent, (try? idx.contains(parent.hex)) != true { try? syncRunIndex(idx) }
                try? idx.record([Self.entry(id: id, commit: c)])
            }
            return id
        }
        throw StoreError.lostRace(ref: target, attempts: 50)
    }
}
