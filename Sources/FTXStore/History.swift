import Foundation

extension Repository {
    /// Commits reachable from `start`, newest first (by committer time, then id), like `git log`.
    public func history(from start: ObjectID, limit: Int? = nil) throws -> [(id: ObjectID, commit: Commit)] {
        var out: [(id: ObjectID, commit: Commit)] = []
        var seen: Set<ObjectID> = [start]
        var frontier: [(id: ObjectID, commit: Commit)] = [(start, try objects.readCommit(start))]
        while !frontier.isEmpty {
            if let limit, out.count >= limit { break }
            // Pick the newest; frontiers stay small (one per open branch of history).
            var best = 0
            for i in frontier.indices.dropFirst() {
                let a = frontier[i].commit.committer.time, b = frontier[best].commit.committer.time
                if a > b || (a == b && frontier[i].id > frontier[best].id) { best = i }
            }
            let next = frontier.remove(at: best)
            out.append(next)
            for p in next.commit.parents where !seen.contains(p) {
                seen.insert(p)
                frontier.append((p, try objects.readCommit(p)))
            }
        }
        return out
    }

    /// Names pointing at each commit, for decorations like `(HEAD -> main, tag: v1)`.
    public func decorations() throws -> [ObjectID: [String]] {
        var out: [ObjectID: [String]] = [:]
        let branch = try refs.currentBranch()
        if branch == nil, let h = try headCommit() { out[h, default: []].append("HEAD") }
        for (name, id) in try refs.list(prefix: "refs/heads/", skipInvalid: true) {
            let short = String(name.dropFirst("refs/heads/".count))
            out[id, default: []].append(name == branch ? "HEAD -> \(short)" : short)
        }
        for (name, id) in try refs.list(prefix: "refs/tags/", skipInvalid: true) {
            var target = id
            if let tag = try? objects.readTag(id) { target = tag.object }
            out[target, default: []].append("tag: \(name.dropFirst("refs/tags/".count))")
        }
        for (name, id) in try refs.list(prefix: "refs/deploy/", skipInvalid: true) {
            out[id, default: []].append("deploy: \(name.dropFirst("refs/deploy/".count))")
        }
        for (name, id) in try refs.list(prefix: "refs/remotes/", skipInvalid: true) {
            out[id, default: []].append(String(name.dropFirst("refs/remotes/".count)))
        }
        return out
    }

    /// Path-level changes from tree `a` (nil = empty) to tree `b`.
    public func diffTrees(_ a: ObjectID?, _ b: ObjectID) throws -> [(path: String, change: FileChange)] {
        let fa = try a.map { try flatten(tree: $0) } ?? [:]
        let fb = try flatten(tree: b)
        var out: [(path: String, change: FileChange)] = []
        for p in Set(fa.keys).union(fb.keys).sorted() {
            switch (fa[p], fb[p]) {
            case (nil, _?): out.append((p, .added))
            case (_?, nil): out.append((p, .deleted))
            case (let x?, let y?) where x.id != y.id: out.append((p, .modified))
            default: break
            }
        }
        return out
    }
}
