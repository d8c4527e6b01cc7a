import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct CheckoutSummary: Sendable {
    public var commit: ObjectID
    public var branch: String?
    public var written: [String] = []
    public var deleted: [String] = []
}

extension Repository {
    /// Switches the work tree, index and HEAD to `rev`. A branch name attaches HEAD to it; `HEAD`
    /// (or `@`) leaves HEAD as it is; anything else detaches HEAD. Refuses to overwrite
    /// uncommitted changes (staged, unstaged, or an untracked file in the way) unless `force`.
    /// Everything is checked before the first file is touched (see `checkWrites`), so a refused
    /// checkout leaves the work tree, the index and HEAD as they were.
    @discardableResult
    public func checkout(_ rev: String, force: Bool = false) throws -> CheckoutSummary {
        let target = try resolveCommit(rev)
        let targetFiles = try workTreeFiles(of: target)  // a run commit: the project state it was made from
        let branchRef: String?
        if rev == "HEAD" || rev == "@" {
            branchRef = try refs.currentBranch()
        } else {
            // Attach only when the name resolves to a branch (as resolveRevision looks it up).
            branchRef = try refName(for: rev) == "refs/heads/\(rev)" ? "refs/heads/\(rev)" : nil
        }
        var summary = CheckoutSummary(commit: target, branch: branchRef)
        try withLockedIndex { idx in
            let head = try headFiles()
            let files = scanFiles(under: "")
            var dirty = Set(try unstagedChanges(idx, files: files).map(\.path))
            for p in Set(head.keys).union(idx.entries.keys) where head[p]?.id != idx.entries[p]?.id { dirty.insert(p) }
            let untrackedInWay = targetFiles.keys.filter { files[$0] != nil && idx.entries[$0] == nil
                && head[$0] == nil }
            var changing = Set<String>()
            for p in Set(head.keys).union(targetFiles.keys) where head[p]?.id != targetFiles[p]?.id || head[p]?.kind != targetFiles[p]?.kind {
                changing.insert(p)
            }
            let conflicts = (dirty.intersection(changing).union(untrackedInWay.filter { changing.contains($0) })).sorted()
            if !conflicts.isEmpty && !force { throw StoreError.wouldOverwrite(paths: conflicts) }

            // Paths to rewrite: everything that changes, plus (with --force) every dirty path.
            var toUpdate = changing
            if force { toUpdate.formUnion(dirty) }
            let deletions = toUpdate.filter { targetFiles[$0] == nil && (head[$0] != nil || idx.entries[$0] != nil) }.sorted()
            let writes = toUpdate.sorted().compactMap { p in targetFiles[p].map { (path: p, kind: $0.kind, id: $0.id) } }
            try checkWrites(writes, deleting: Set(deletions), force: force)

            var newIndex = StagingIndex()
            // Untouched paths keep their index state (HEAD equals the target there).
            for p in targetFiles.keys where !toUpdate.contains(p) { newIndex.entries[p] = idx.entries[p] }
            // Keep staged-but-uncommitted entries of paths this checkout does not touch.
            for (p, e) in idx.entries where !toUpdate.contains(p) && targetFiles[p] == nil && head[p] == nil {
                newIndex.entries[p] = e
            }
            removeStaleTemporaries()  // left by a checkout killed mid-write
            // Deletions first: a directory that becomes a file (or the reverse) is then free.
            for p in deletions {
                unlink(absolutePath(p))
                removeEmptyParents(of: p)
                summary.deleted.append(p)
            }
            for (p, e) in try materializeAll(writes, force: force) { newIndex.entries[p] = e }
            for w in writes {
                summary.written.append(w.path)
                // With --force a file in the way of this path's directories was discarded.
                var dir = SlashPath.parent(w.path)
                while !dir.isEmpty { newIndex.entries[dir] = nil; dir = SlashPath.parent(dir) }
            }
            idx = newIndex
        }
        let who = Signature.current()
        let from = (try? refs.currentBranch()).flatMap { $0 }.map { String($0.dropFirst("refs/heads/".count)) }
            ?? ((try? headCommit()).flatMap { $0 }?.short ?? "nothing")
        try refs.setHEAD(branchRef.map { .symbolic($0) } ?? .direct(target), who: who,
                         reason: "checkout: moving from \(from) to \(rev)")
        return summary
    }

    /// Restores `paths` (files or directories) from `rev` into the work tree and the index,
    /// leaving HEAD alone. Local modifications of those paths are refused unless `force`.
    @discardableResult
    public func checkoutPaths(_ rev: String, paths userPaths: [String], force: Bool = false,
                              cwd: String = FileManager.default.currentDirectoryPath) throws -> [String] {
        let target = try resolveCommit(rev)
        // A run commit: its project state's files, and the files it records where those have none.
        let targetFiles = try workTreeFiles(of: target).merging(flatten(tree: objects.readCommit(target).tree)) { project, _ in project }
        let rels = try userPaths.map { try relativePath($0, cwd: cwd) }
        return try withLockedIndex { idx in
            var selected: [String] = []
            for (rel, user) in zip(rels, userPaths) {
                let m = targetFiles.keys.filter { SlashPath.isWithin($0, rel) }
                if m.isEmpty { throw StoreError.invalidPath(user, reason: "not in \(rev)") }
                selected.append(contentsOf: m)
            }
            selected = Array(Set(selected)).sorted()
            let files = scanFiles(under: "")
            var sub = StagingIndex()
            for p in selected { if let e = idx.entries[p] { sub.entries[p] = e } }
            var dirty = Set(try unstagedChanges(sub, files: files).map(\.path))
            for p in selected where files[p] != nil && idx.entries[p] == nil { dirty.insert(p) }
            let conflicts = selected.filter { dirty.contains($0) && targetFiles[$0]?.id != idx.entries[$0]?.id }
            if !conflicts.isEmpty && !force { throw StoreError.wouldOverwrite(paths: conflicts) }
            let writes = selected.compactMap { p in targetFiles[p].map { (path: p, kind: $0.kind, id: $0.id) } }
            try checkWrites(writes, deleting: [], force: force)
            removeStaleTemporaries()
            for (p, e) in try materializeAll(writes, force: force) { idx.entries[p] = e }
            return selected
        }
    }

    /// Everything that would make a batch of writes fail partway, checked before the first one:
    /// valid names (no `.git`/`.ftx` aliases), paths within PATH_MAX (temporaries included),
    /// file objects present (a chunked file's list read and each chunk found), and nothing in the
    /// way — a file or symbolic link where a directory must go, or a directory where a file
    /// must go — other than paths the same checkout deletes first. `force` discards what is in
    /// the way (but never follows a link).
    /// A lazy clone first fetches the absent files, in one batch (and their chunks in a second).
    func checkWrites(_ writes: [(path: String, kind: EntryKind, id: ObjectID)], deleting: Set<String>, force: Bool) throws {
        try objects.fetchAbsent(writes.filter { $0.kind != .tree }.map(\.id))
        try objects.fetchAbsent(writes.filter { $0.kind == .chunked && objects.contains($0.id) }
            .flatMap { try objects.readChunkList($0.id).chunks.map(\.id) })
        var seenDirectories = Set<String>()
        for w in writes {
            try StagingIndex.validate(path: w.path)
            guard AtomicFile.pathFits(absolutePath(w.path)) else {
                throw StoreError.invalidPath(w.path, reason: "too long for this filesystem (PATH_MAX \(AtomicFile.maxPathBytes) bytes)")
            }
            switch w.kind {
            case .blob:
                guard objects.contains(w.id) else { throw StoreError.objectNotFound(w.id.hex) }
            case .chunked:
                for c in try objects.readChunkList(w.id).chunks where !objects.contains(c.id) {
                    throw StoreError.objectNotFound(c.id.hex)
                }
            case .tree:
                throw StoreError.wrongType(id: w.id.hex, expected: "file", actual: "tree")
            }
            var dir = SlashPath.parent(w.path)
            while !dir.isEmpty, seenDirectories.insert(dir).inserted {
                var st = stat()
                if lstat(absolutePath(dir), &st) == 0 {
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR: break
                    case S_IFLNK where !force:
                        throw StoreError.invalidPath(w.path, reason: "parent '\(dir)' is a symbolic link; refusing to write through it")
                    default:
                        if !force && !deleting.contains(dir) { throw StoreError.wouldOverwrite(paths: [dir]) }
                    }
                }
                dir = SlashPath.parent(dir)
            }
            var st = stat()
            if lstat(absolutePath(w.path), &st) == 0, st.st_mode & S_IFMT == S_IFDIR, !force,
               !directoryHoldsOnly(w.path, deleting) {
                throw StoreError.wouldOverwrite(paths: [w.path])
            }
        }
    }

    /// True when every entry under the directory `rel` is a regular file in `paths` (so deleting
    /// them empties it, and removeEmptyParents removes it).
    func directoryHoldsOnly(_ rel: String, _ paths: Set<String>) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolutePath(rel)) else { return false }
        for n in names {
            let r = SlashPath.join(rel, n)
            var st = stat()
            guard lstat(absolutePath(r), &st) == 0 else { return false }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: if !directoryHoldsOnly(r, paths) { return false }
            case S_IFREG: if !paths.contains(r) { return false }
            default: return false
            }
        }
        return true
    }

    /// Writes many files (on several threads: each write ends in fsyncs, whose latency the threads
    /// overlap); returns their index entries.
    func materializeAll(_ files: [(path: String, kind: EntryKind, id: ObjectID)], force: Bool) throws -> [String: StagingIndex.Entry] {
        final class Results: @unchecked Sendable { let lock = NSLock(); var entries: [String: StagingIndex.Entry] = [:] }
        let results = Results()
        try Threads.concurrently(files.count, threads: 16) { i in
            let f = files[i]
            let e = try self.materialize(path: f.path, kind: f.kind, id: f.id, force: force)
            results.lock.lock(); results.entries[f.path] = e; results.lock.unlock()
        }
        return results.entries
    }

    /// Writes one file from the store, atomically, never outside the work tree: every component
    /// is a validated name, and no parent directory may be a symbolic link.
    func materialize(path rel: String, kind: EntryKind, id: ObjectID, force: Bool) throws -> StagingIndex.Entry {
        try StagingIndex.validate(path: rel)
        var dir = workTree
        for c in SlashPath.components(rel).dropLast() {
            dir = SlashPath.join(dir, String(c))
            var st = stat()
            if lstat(dir, &st) == 0 {
                let type = st.st_mode & S_IFMT
                if type == S_IFDIR { continue }
                if type == S_IFLNK && !force {
                    throw StoreError.invalidPath(rel, reason: "parent '\(dir)' is a symbolic link; refusing to write through it")
                }
                unlink(dir)  // a file (or, with --force, a link) where the tree has a directory
            }
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw StoreError.io(path: dir, reason: "cannot create directory: \(String(cString: strerror(errno)))")
            }
        }
        let full = absolutePath(rel)
        var st = stat()
        if lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            guard force else { throw StoreError.invalidPath(rel, reason: "a directory is in the way") }
            try FileManager.default.removeItem(atPath: full)
        }
        var size = 0
        try AtomicFile.write(to: full) { fd in
            try objects.streamFile(kind: kind, id: id) { data in
                size += data.count
                try data.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: full) }
            }
        }
        guard lstat(full, &st) == 0 else { throw StoreError.io(path: full, reason: "file vanished after writing") }
        return Repository.entry(FileImporter.Result(kind: kind, id: id, size: size), st)
    }
}
