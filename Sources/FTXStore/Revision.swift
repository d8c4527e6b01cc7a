import FTXCore
import Foundation

/// What a revision names: a stored object, or something a higher layer defines (the registry's
/// `base`: the registered base model with no adapter), which has no commit history.
public enum RevisionTarget: Equatable, Sendable {
    case object(ObjectID)
    case external(name: String, value: String)
}

/// A resolver for names the store does not know. Return nil to let the store continue
/// (refs, then hex ids). Consulted first, so a registry name wins over a branch of the same name.
public typealias RevisionHook = (_ name: String, _ repository: Repository) throws -> RevisionTarget?

extension Repository {
    /// Git's revision syntax: `<id or ≥6-digit prefix>`, `HEAD`, `<branch>`, `<tag>`, `refs/…`,
    /// `<deploy env>`, each optionally followed by `@{N}` (the ref's value N updates ago), then any
    /// number of `~N` (N-th first-parent ancestor) and `^N` (N-th parent; `^0` the commit itself).
    /// `<rev>:<path>` names the file or directory at `path` in that revision's tree (`<rev>:`
    /// is the root tree) and `:<path>` the staged file, as in git.
    public func resolveRevision(_ rev: String) throws -> RevisionTarget {
        guard !rev.isEmpty else { throw StoreError.badRevision(rev, reason: "empty revision") }
        if let colon = rev.firstIndex(of: ":") {
            return .object(try resolvePath(String(rev[rev.index(after: colon)...]), in: String(rev[..<colon]), whole: rev))
        }
        let chars = Array(rev)
        var end = 0
        while end < chars.count && chars[end] != "~" && chars[end] != "^"
                && !(chars[end] == "@" && end + 1 < chars.count && chars[end + 1] == "{") { end += 1 }
        var baseName = String(chars[0..<end])
        if baseName.isEmpty || baseName == "@" { baseName = "HEAD" }
        var i = end
        var current: ObjectID

        if i < chars.count && chars[i] == "@" {
            guard let close = chars[i...].firstIndex(of: "}"), let n = Int(String(chars[(i + 2)..<close])), n >= 0 else {
                throw StoreError.badRevision(rev, reason: "expected @{N} with a number N")
            }
            guard let ref = try refName(for: baseName) else {
                throw StoreError.badRevision(rev, reason: "'\(baseName)' is not a ref, so it has no reflog")
            }
            let log = try refs.reflog(ref)
            if n == 0, log.isEmpty, let id = try refs.resolve(ref).id {
                current = id
            } else {
                guard n < log.count else {
                    throw StoreError.badRevision(rev, reason: "'\(ref)' has only \(log.count) reflog entries")
                }
                current = log[log.count - 1 - n].new
            }
            i = close + 1
        } else {
            switch try resolveBase(baseName, rev: rev) {
            case .external(let name, let value):
                if i < chars.count { throw StoreError.badRevision(rev, reason: "'\(name)' has no history to walk") }
                return .external(name: name, value: value)
            case .object(let id): current = id
            }
        }

        while i < chars.count {
            let op = chars[i]
            i += 1
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            guard op == "~" || op == "^" else {
                throw StoreError.badRevision(rev, reason: "unexpected '\(op)' at position \(i)")
            }
            guard let n = digits.isEmpty ? 1 : Int(digits), n <= 100_000 else {
                throw StoreError.badRevision(rev, reason: "bad number after '\(op)'")
            }
            current = try peelToCommit(current, rev: rev)
            if op == "~" {
                for step in 0..<n {
                    guard let p = try objects.readCommit(current).parents.first else {
                        throw StoreError.badRevision(rev, reason: "history has only \(step) ancestor(s) before the root commit")
                    }
                    current = p
                }
            } else if n > 0 {
                let parents = try objects.readCommit(current).parents
                guard n <= parents.count else {
                    throw StoreError.badRevision(rev, reason: "commit \(current.short) has \(parents.count) parent(s), not \(n)")
                }
                current = parents[n - 1]
            }
        }
        return .object(current)
    }

    /// The object at `path` (relative to the work tree root) in revision `treeish`'s tree, or in
    /// the staging index when `treeish` is empty.
    func resolvePath(_ path: String, in treeish: String, whole: String) throws -> ObjectID {
        var parts: [String] = []
        for c in SlashPath.components(path) where !c.isEmpty && !c.utf8.elementsEqual(".".utf8) {
            if c.utf8.elementsEqual("..".utf8) { throw StoreError.badRevision(whole, reason: "'..' is not allowed in a path inside a revision") }
            parts.append(String(c))
        }
        let shown = parts.joined(separator: "/")
        if treeish.isEmpty {
            guard !parts.isEmpty else { throw StoreError.badRevision(whole, reason: "':<path>' needs a path (the staged file)") }
            guard let e = try loadIndex().entries[shown] else {
                throw StoreError.badRevision(whole, reason: "path '\(shown)' is not staged (not in the index)")
            }
            return e.id
        }
        var current: ObjectID
        do { current = try resolveObject(treeish) } catch StoreError.badRevision(_, let reason) {
            throw StoreError.badRevision(whole, reason: reason)
        }
        // Peel tags and commits down to a tree.
        for _ in 0..<10 {
            let type = try objects.type(of: current)
            if type == .tree { break }
            switch type {
            case .tag: current = try objects.readTag(current).object
            case .commit: current = try objects.readCommit(current).tree
            default: throw StoreError.badRevision(whole, reason: "'\(treeish)' names a \(type.rawValue), not a commit or tree")
            }
        }
        var walked: [String] = []
        for name in parts {
            let tree = try objects.readTree(current)
            guard let e = tree[name] else {
                throw StoreError.badRevision(whole, reason: walked.isEmpty && parts.count == 1
                    ? "path '\(shown)' does not exist in '\(treeish)'"
                    : "path '\(shown)' does not exist in '\(treeish)' (no '\(name)' in '\(walked.isEmpty ? "/" : walked.joined(separator: "/"))')")
            }
            walked.append(name)
            if e.kind != .tree && walked.count < parts.count {
                throw StoreError.badRevision(whole, reason: "path '\(shown)': '\(walked.joined(separator: "/"))' is a file in '\(treeish)', not a directory")
            }
            current = e.id
        }
        return current
    }

    /// The object a revision names; external names (like `base`) are refused here.
    public func resolveObject(_ rev: String) throws -> ObjectID {
        switch try resolveRevision(rev) {
        case .object(let id): return id
        case .external(let name, _): throw StoreError.badRevision(rev, reason: "'\(name)' does not name a stored object")
        }
    }

    /// The commit a revision names (annotated tags are followed to their commit).
    public func resolveCommit(_ rev: String) throws -> ObjectID {
        try peelToCommit(try resolveObject(rev), rev: rev)
    }

    func peelToCommit(_ id: ObjectID, rev: String) throws -> ObjectID {
        var current = id
        for _ in 0..<10 {
            let type = try objects.type(of: current)
            switch type {
            case .commit: return current
            case .tag: current = try objects.readTag(current).object
            default: throw StoreError.badRevision(rev, reason: "names a \(type.rawValue), not a commit")
            }
        }
        throw StoreError.badRevision(rev, reason: "tag chain too long")
    }

    /// The full ref a short name means: HEAD, refs/…, then refs/heads/, refs/tags/, refs/deploy/,
    /// refs/remotes/ (remote-tracking refs: `origin/main`).
    public func refName(for name: String) throws -> String? {
        if name == "HEAD" { return "HEAD" }
        let candidates = name.hasPrefix("refs/") ? [name]
            : ["refs/heads/\(name)", "refs/tags/\(name)", "refs/deploy/\(name)", "refs/remotes/\(name)"]
        for c in candidates where (try? RefStore.validate(name: c)) != nil {
            if FileManager.default.fileExists(atPath: refs.path(c)) { return c }
        }
        return nil
    }

    private func resolveBase(_ name: String, rev: String) throws -> RevisionTarget {
        if let hook = revisionHook, let t = try hook(name, self) { return t }
        if let ref = try refName(for: name) {
            guard let id = try refs.resolve(ref).id else {
                throw StoreError.badRevision(rev, reason: "'\(ref)' does not point at a commit yet")
            }
            return .object(id)
        }
        if name == "HEAD" {
            throw StoreError.badRevision(rev, reason: "HEAD is missing")
        }
        if name.count >= 6, isHexString(name) {
            do { return .object(try objects.resolvePrefix(name)) } catch StoreError.objectNotFound {
                throw StoreError.badRevision(rev, reason: "no object has an id starting with '\(name)'")
            }
        }
        throw StoreError.badRevision(rev, reason: "unknown revision '\(name)' (not a branch, tag, deploy env or object id)")
    }
}
