import Foundation

/// Record commits: a commit whose header has a `run` key (what `ftx run` writes) records a run's
/// outputs (config, data, adapter, report, log) and is not a state of the work tree. The work tree
/// stands for the nearest first-parent ancestor that is not a record, so `status`, `checkout` and
/// `commit` compare against that commit's tree, and a run leaves the work tree clean.
extension Commit {
    public static let recordHeaderKey = "run"

    public var isRecord: Bool { header(Commit.recordHeaderKey) != nil }
}

extension Repository {
    /// The commit whose tree the work tree stands for when `id` is checked out: `id` itself, or
    /// its nearest first-parent ancestor that is not a record commit (nil when there is none).
    public func workTreeCommit(of id: ObjectID) throws -> ObjectID? {
        var cur: ObjectID? = id
        var steps = 0
        while let c = cur {
            let commit = try objects.readCommit(c)
            if !commit.isRecord { return c }
            cur = commit.parents.first
            steps += 1
            // A long line of runs (a sweep): let index.sqlite walk it in one query instead of an
            // object read per run, then check where it stopped the usual way.
            if steps == 8, let next = cur, let jump = try? indexedRecordChainEnd(from: next) { cur = jump }
        }
        return nil
    }

    /// Following first parents from `id` through record commits in index.sqlite's commit table:
    /// the first commit that is not a record, or the last indexed one when the chain leaves the
    /// index. Rows are keyed by content id, so a row present is always right; a missing one only
    /// ends the shortcut early.
    func indexedRecordChainEnd(from id: ObjectID) throws -> ObjectID? {
        let db = try SQLiteIndex(path: sqlitePath)
        let rows = try db.db.query("""
            WITH RECURSIVE chain(id, parents, headers, n) AS (
              SELECT id, parents, headers, 0 FROM commits WHERE id = ?
              UNION ALL
              SELECT c.id, c.parents, c.headers, chain.n + 1 FROM chain JOIN commits c ON c.id = json_extract(chain.parents, '$[0]')
              WHERE EXISTS (SELECT 1 FROM json_each(chain.headers) WHERE json_extract(value, '$[0]') = ?))
            SELECT id FROM chain ORDER BY n DESC LIMIT 1
            """, [.text(id.hex), .text(Commit.recordHeaderKey)])
        return rows.first?.first?.string.flatMap { ObjectID(hex: $0) }
    }

    /// Files of `workTreeCommit(of: id)` (empty when every commit down to the root is a record).
    public func workTreeFiles(of id: ObjectID) throws -> [String: (kind: EntryKind, id: ObjectID)] {
        guard let c = try workTreeCommit(of: id) else { return [:] }
        return try flatten(tree: objects.readCommit(c).tree)
    }
}
