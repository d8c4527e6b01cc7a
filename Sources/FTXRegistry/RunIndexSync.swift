import FTXStore
import Foundation

/// Keeps the run index in `index.sqlite` current with the commits reachable from HEAD, branches,
/// tags and deploy refs. Catch-up is incremental: walking stops at commits already indexed, so a
/// query after one new commit reads one object. `reindex` rebuilds everything from commit headers.
extension Registry {
    public func openRunIndex() throws -> RunIndex { try RunIndex(path: repo.sqlitePath) }

    /// HEAD and every ref tip: the same roots as the store's reindex, minus reflog-only commits
    /// (those were indexed when made, or are picked up by the next `reindex`).
    func indexedTips() throws -> [ObjectID] {
        var tips: [ObjectID] = []
        if let h = try repo.headCommit() { tips.append(h) }
        for (_, id) in try repo.refs.list() {
            if let c = try? peelToCommit(id) { tips.append(c) }
        }
        return tips
    }

    private func peelToCommit(_ id: ObjectID) throws -> ObjectID {
        var cur = id
        for _ in 0..<10 {
            switch try repo.objects.type(of: cur) {
            case .commit: return cur
            case .tag: cur = try repo.objects.readTag(cur).object
            default: throw RegistryError.badRevision(id.hex, "not a commit")
            }
        }
        return cur
    }

    static func entry(id: ObjectID, commit c: Commit) -> RunIndex.Entry {
        RunIndex.Entry(commit: id.hex, parent: c.parents.first?.hex, time: c.author.time, author: c.author.ident,
                       summary: c.summary, run: RunHeader(headers: c.extraHeaders))
    }

    /// Indexes every reachable commit the index lacks (plus the history of `extraTips`); returns how
    /// many were added. One transaction, so "indexed" always implies "ancestors indexed".
    @discardableResult
    public func syncRunIndex(_ index: RunIndex, extraTips: [ObjectID] = []) throws -> Int {
        var pending: [RunIndex.Entry] = []
        var seen = Set<ObjectID>()
        var stack = try indexedTips() + extraTips
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            if try index.contains(id.hex) { continue }
            let c = try repo.objects.readCommit(id)
            pending.append(Self.entry(id: id, commit: c))
            stack.append(contentsOf: c.parents)
        }
        if !pending.isEmpty { try index.record(pending) }
        return pending.count
    }

    /// `ftx reindex` for both layers: the store rebuilds its commit table from every commit
    /// reachable from HEAD, refs and reflogs, and in the same transaction the run tables are
    /// rebuilt from those commits' headers.
    @discardableResult
    public func reindex() throws -> Int {
        var cleared = false
        let n = try repo.reindex(migrations: RunIndex.migrations) { index, id, commit in
            if !cleared { try index.db.exec(RunIndex.clearSQL); cleared = true }
            try RunIndex.write(Self.entry(id: id, commit: commit)) { sql, values in try index.db.run(sql, values) }
        }
        if !cleared { try openRunIndex().clear() }
        return n
    }

    /// `ftx log --metrics`: first-parent history from `revision` with headline metrics and gate status.
    public func logWithMetrics(from revision: String = "HEAD", limit: Int? = nil) throws -> [RunIndex.Row] {
        guard let start = revision == "HEAD" ? try repo.headCommit() : try repo.resolveCommit(revision) else { return [] }
        let index = try openRunIndex()
        if try !index.contains(start.hex) { try syncRunIndex(index, extraTips: [start]) }
        return try index.rows(for: index.firstParentChain(from: start.hex, limit: limit))
    }

    /// `ftx log --metrics` for text output: the same rows as `logWithMetrics`, as a listing.
    public func logListing(from revision: String = "HEAD", limit: Int? = nil) throws -> RunListing {
        guard let start = revision == "HEAD" ? try repo.headCommit() : try repo.resolveCommit(revision) else { return RunListing() }
        let index = try openRunIndex()
        if try !index.contains(start.hex) { try syncRunIndex(index, extraTips: [start]) }
        return try index.historyListing(from: start.hex, limit: limit)
    }

    /// `ftx runs` for text output: the same rows as `queryRuns`, as a listing.
    public func queryRunsListing(where expression: String?, sort: String?, limit: Int?) throws -> RunListing {
        let index = try openRunIndex()
        try syncRunIndex(index)
        let filter = try expression.map { try RunQuery.parse($0) }
        return try index.runsListing(where: filter, sort: sort.map(RunIndex.Sort.init(parsing:)), limit: limit)
    }

    /// `ftx ui`'s runs table: one page of what `queryRuns` returns, and the number of matches.
    public func queryRunsPage(where expression: String?, sort: String?, offset: Int, limit: Int) throws -> (total: Int, rows: [RunIndex.Row]) {
        let index = try openRunIndex()
        try syncRunIndex(index)
        let filter = try expression.map { try RunQuery.parse($0) }
        return try index.runsPage(where: filter, sort: sort.map(RunIndex.Sort.init(parsing:)), offset: offset, limit: limit)
    }

    /// `ftx runs`: run commits matching a --where expression, sorted by a field.
    public func queryRuns(where expression: String?, sort: String?, limit: Int?) throws -> [RunIndex.Row] {
        let index = try openRunIndex()
        try syncRunIndex(index)
        let filter = try expression.map { try RunQuery.parse($0) }
        return try index.runs(where: filter, sort: sort.map(RunIndex.Sort.init(parsing:)), limit: limit)
    }
}
