import FTXCore
import FTXStore
import Foundation

public struct PullResult: Sendable {
    public enum Outcome: String, Sendable {
        case upToDate = "up-to-date", ahead, fastForward = "fast-forward", replayed, created
    }
    public var fetch: TransferReport
    public var branch: String
    public var outcome: Outcome
    public var old: ObjectID?
    public var new: ObjectID?
    /// Local commits replayed onto the fetched branch.
    public var replayed = 0
}

extension Remote {
    /// `ftx pull`: fetch, then bring the current branch up to the remote's. A branch behind moves
    /// forward; a branch that diverged has its own commits replayed onto the fetched one: run
    /// commits as they are (they are records), project commits when the paths they change were not
    /// changed upstream. Otherwise nothing is touched and the error names the paths changed on both
    /// sides: file contents are never merged.
    public func pull() throws -> PullResult {
        guard let branch = try repo.refs.currentBranch() else {
            throw RemoteError.pullUnsupported("HEAD is detached: there is no branch to pull into", hint: "check out a branch first: `ftx checkout main`")
        }
        let report = try fetch()
        let short = shortName(branch)
        guard let tracking = trackingRef(for: branch), let upstream = try repo.refs.resolve(tracking).id else {
            throw RemoteError.usage("\(name) has no branch \(short)", location: storage.display, hint: "push it first: `ftx push \(name) \(short)`")
        }
        var result = PullResult(fetch: report, branch: branch, outcome: .upToDate, old: nil, new: upstream)
        guard let local = try repo.refs.resolve(branch).id else {
            try moveBranch(branch, from: nil, to: upstream, reason: "pull \(name): \(short) created from \(name)/\(short)")
            result.outcome = .created
            return result
        }
        result.old = local
        if local == upstream { result.new = local; return result }
        if try isAncestor(upstream, of: local) { result.outcome = .ahead; result.new = local; return result }
        if try isAncestor(local, of: upstream) {
            try moveBranch(branch, from: local, to: upstream, reason: "pull \(name): fast-forward")
            result.outcome = .fastForward
            return result
        }
        let (tip, n) = try replay(local, onto: upstream, branch: short)
        try moveBranch(branch, from: local, to: tip, reason: "pull \(name): replayed \(n) commit(s) onto \(name)/\(short)")
        result.outcome = .replayed
        result.new = tip
        result.replayed = n
        return result
    }

    /// Moves the work tree, index and `branch` from `old` to `new`, then attaches HEAD to `branch`.
    /// Uncommitted changes in the way are refused before anything is written (checkout's rule).
    func moveBranch(_ branch: String, from old: ObjectID?, to new: ObjectID, reason: String) throws {
        try repo.checkout(new.hex)
        let who = Signature.current()
        try repo.refs.update(branch, to: new, expect: .value(old), who: who, reason: reason)
        try repo.refs.setHEAD(.symbolic(branch), who: who, reason: reason)
    }

    /// New commits replaying the first-parent line from the merge base to `local` onto `upstream`;
    /// returns the new tip and how many commits were replayed. Writes only objects.
    func replay(_ local: ObjectID, onto upstream: ObjectID, branch: String) throws -> (ObjectID, Int) {
        var upstreamHistory = Set<ObjectID>()
        var stack = [upstream]
        while let id = stack.popLast() {
            guard upstreamHistory.insert(id).inserted else { continue }
            stack.append(contentsOf: try repo.objects.readCommit(id).parents)
        }
        var chain: [(id: ObjectID, commit: Commit)] = []
        var cur = local
        while !upstreamHistory.contains(cur) {
            let c = try repo.objects.readCommit(cur)
            guard c.parents.count <= 1 else {
                throw RemoteError.pullUnsupported("your \(branch) has a merge commit (\(cur.short)); pull replays straight lines of commits only",
                                                  hint: "share it under another name: `ftx branch NAME && ftx push \(name) NAME`")
            }
            guard let p = c.parents.first else {
                throw RemoteError.pullUnsupported("your \(branch) and \(name)'s share no history", hint: "clone \(name) and move your files over")
            }
            chain.append((cur, c))
            cur = p
        }
        chain.reverse()
        let base = cur
        let baseFiles = try repo.workTreeFiles(of: base)
        var project = try repo.workTreeFiles(of: upstream)
        let upstreamChanged = Set(baseFiles.keys).union(project.keys).filter { baseFiles[$0]?.id != project[$0]?.id || baseFiles[$0]?.kind != project[$0]?.kind }

        // Each project commit's changes against the project state it was made on.
        var changes: [ObjectID: [(path: String, entry: (kind: EntryKind, id: ObjectID)?)]] = [:]
        var conflicts = Set<String>()
        for (id, c) in chain where !c.isRecord {
            let before = try c.parents.first.map { try repo.workTreeFiles(of: $0) } ?? [:]
            let after = try repo.flatten(tree: c.tree)
            var list: [(String, (kind: EntryKind, id: ObjectID)?)] = []
            for p in Set(before.keys).union(after.keys).sorted() where before[p]?.id != after[p]?.id || before[p]?.kind != after[p]?.kind {
                list.append((p, after[p]))
                if upstreamChanged.contains(p) { conflicts.insert(p) }
            }
            changes[id] = list
        }
        if !conflicts.isEmpty { throw RemoteError.pullConflict(branch: branch, remote: "\(name)/\(branch)", paths: conflicts.sorted()) }

        var tip = upstream
        let committer = Signature.current()
        for (id, c) in chain {
            var tree = c.tree
            if !c.isRecord {
                for (p, e) in changes[id] ?? [] { project[p] = e }
                tree = try StagingIndex.writeTree(files: project, to: repo.objects)
            }
            let copy = Commit(tree: tree, parents: [tip], author: c.author, committer: committer,
                              extraHeaders: c.extraHeaders, message: c.message)
            tip = try repo.objects.write(commit: copy)
        }
        return (tip, chain.count)
    }
}
