import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileChange: String, Sendable, Codable { case added, modified, deleted }

public struct StatusReport: Sendable {
    public var branch: String?
    public var head: ObjectID?
    public var staged: [(path: String, change: FileChange)] = []
    public var unstaged: [(path: String, change: FileChange)] = []
    public var untracked: [String] = []
    public var isClean: Bool { staged.isEmpty && unstaged.isEmpty && untracked.isEmpty }
}

public struct AddSummary: Sendable {
    public var staged: [String] = []
    public var removed: [String] = []
    public var bytesStored = 0
    public var deltaChunks = 0, wholeChunks = 0, reusedChunks = 0
}

extension Repository {
    /// Stages files or directories (a directory also stages deletions beneath it). Objects are
    /// durable before the index names them; the index is written through its lock.
    @discardableResult
    public func add(paths userPaths: [String], cwd: String = FileManager.default.currentDirectoryPath,
                    progress: ((_ path: String, _ done: Int, _ total: Int) -> Void)? = nil) throws -> AddSummary {
        let rels = try userPaths.map { try relativePath($0, cwd: cwd) }
        return try withLockedIndex { idx in
            var summary = AddSummary()
            let importer = FileImporter(store: objects)
            importer.onProgress = progress
            defer { importer.abort() }
            var updates: [String: StagingIndex.Entry] = [:]
            var removals: Set<String> = []
            for (rel, user) in zip(rels, userPaths) {
                // A path naming a reserved name (`.git`, `.FTX`, `GIT~1`…) is refused outright; inside
                // a directory such names are skipped, as `.git` is.
                if !rel.isEmpty { try StagingIndex.validate(path: rel) }
                let files = scanFiles(under: rel)
                let underIndex = idx.entries.keys.filter { SlashPath.isWithin($0, rel) }
                if files.isEmpty && underIndex.isEmpty {
                    throw StoreError.invalidPath(user, reason: "did not match any file")
                }
                for p in underIndex where files[p] == nil { removals.insert(p) }
                for (p, st) in files.sorted(by: { $0.key < $1.key }) {
                    if let e = idx.entries[p], Repository.statMatches(e, st) { continue }
                    let previous = idx.entries[p].flatMap { $0.kind == .chunked ? $0.id : nil }
                    let r = try importer.importFile(at: absolutePath(p), previous: previous)
                    updates[p] = Repository.entry(r, st)
                }
            }
            try importer.finish()
            summary.bytesStored = importer.bytesWritten
            summary.deltaChunks = importer.deltaChunks
            summary.wholeChunks = importer.wholeChunks
            summary.reusedChunks = importer.reusedChunks
            for p in removals.sorted() { idx.entries[p] = nil; summary.removed.append(p) }
            for (p, e) in updates.sorted(by: { $0.key < $1.key }) {
                if idx.entries[p]?.id != e.id { summary.staged.append(p) }
                idx.entries[p] = e
            }
            return summary
        }
    }

    /// Unstages paths and (unless `cached`) deletes them from the work tree.
    @discardableResult
    public func remove(paths userPaths: [String], cached: Bool = false,
                       cwd: String = FileManager.default.currentDirectoryPath) throws -> [String] {
        let rels = try userPaths.map { try relativePath($0, cwd: cwd) }
        return try withLockedIndex { idx in
            var removed: [String] = []
            for (rel, user) in zip(rels, userPaths) {
                let matched = idx.entries.keys.filter { SlashPath.isWithin($0, rel) }.sorted()
                if matched.isEmpty { throw StoreError.invalidPath(user, reason: "is not tracked") }
                for p in matched {
                    idx.entries[p] = nil
                    if !cached { unlink(absolutePath(p)); removeEmptyParents(of: p) }
                    removed.append(p)
                }
            }
            return removed
        }
    }

    /// Removes the directories above `rel` that its removal left empty, innermost first.
    func removeEmptyParents(of rel: String) {
        var dir = SlashPath.parent(rel)
        while !dir.isEmpty {
            if rmdir(absolutePath(dir)) != 0 { break }
            dir = SlashPath.parent(dir)
        }
    }

    /// Work-tree files whose content differs from the index entry (rehashing only when stat data differs).
    func unstagedChanges(_ idx: StagingIndex, files: [String: stat]) throws -> [(path: String, change: FileChange)] {
        var out: [(path: String, change: FileChange)] = []
        let hasher = FileImporter(store: objects)
        for (p, e) in idx.entries.sorted(by: { $0.key < $1.key }) {
            guard let st = files[p] else { out.append((p, .deleted)); continue }
            if Repository.statMatches(e, st) { continue }
            if e.size != Int(st.st_size) { out.append((p, .modified)); continue }
            if try hasher.importFile(at: absolutePath(p), write: false).id != e.id { out.append((p, .modified)) }
        }
        return out
    }

    public func status() throws -> StatusReport {
        var report = StatusReport()
        report.branch = try refs.currentBranch()
        report.head = try headCommit()
        let idx = try loadIndex()
        let head = try headFiles()
        for p in Set(head.keys).union(idx.entries.keys).sorted() {
            switch (head[p], idx.entries[p]) {
            case (nil, _?): report.staged.append((p, .added))
            case (_?, nil): report.staged.append((p, .deleted))
            case (let h?, let i?) where h.id != i.id: report.staged.append((p, .modified))
            default: break
            }
        }
        let files = scanFiles(under: "")
        report.unstaged = try unstagedChanges(idx, files: files)
        report.untracked = files.keys.filter { idx.entries[$0] == nil }.sorted()
        return report
    }

    /// Records the staged tree as a commit on the current branch (or detached HEAD). When another
    /// writer moves the branch first, the commit is re-parented onto the new tip and retried; after
    /// `maxAttempts` losses it reports `lostRace` and the branch is left as the winners made it.
    @discardableResult
    public func commit(message: String, extraHeaders: [(String, String)] = [], allowEmpty: Bool = false,
                       author: Signature = .current(), maxAttempts: Int = 50) throws -> ObjectID {
        for (k, _) in extraHeaders { try Commit.validate(key: k) }
        let idx = try loadIndex()
        let tree = try idx.writeTree(to: objects)
        let branch = try refs.currentBranch()
        let target = branch ?? "HEAD"
        var first = true
        for attempt in 1...maxAttempts {
            let parent = try refs.resolve(target).id
            if first && !allowEmpty {
                // Compared with the state the work tree stands for (a run commit's is its source's).
                let baseTree = try parent.flatMap { try workTreeCommit(of: $0) }.map { try objects.readCommit($0).tree }
                if baseTree == tree || (baseTree == nil && idx.entries.isEmpty) { throw StoreError.nothingToCommit }
            }
            first = false
            let commit = Commit(tree: tree, parents: parent.map { [$0] } ?? [], author: author,
                                extraHeaders: extraHeaders, message: message.hasSuffix("\n") ? message : message + "\n")
            let id = try objects.write(commit: commit)
            let summary = commit.summary
            do {
                try refs.update(target, to: id, expect: .value(parent), who: author,
                                reason: parent == nil ? "commit (initial): \(summary)" : "commit: \(summary)",
                                logAlso: branch == nil ? [] : ["HEAD"])
                if let db = try? SQLiteIndex(path: sqlitePath) { try? db.insert(commit: commit, id: id) }
                return id
            } catch StoreError.casFailed {
                // Lost the compare-and-swap: someone else committed; re-read the tip and re-parent.
                usleep(useconds_t.random(in: 500...(2000 * useconds_t(min(attempt, 20)))))
                continue
            }
        }
        throw StoreError.lostRace(ref: target, attempts: maxAttempts)
    }
}
