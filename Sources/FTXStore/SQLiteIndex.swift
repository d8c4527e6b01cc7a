import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// index.sqlite: a derived, rebuildable index of commits for fast queries. Never the only copy
/// of anything: `ftx reindex` recreates it from the objects. The schema evolves through named
/// migrations applied once each, in order (recorded in `ftx_migrations`, like GRDB's migrator),
/// so later layers add tables (runs, metrics, gates) by passing their own migrations.
public final class SQLiteIndex {
    public struct Migration: Sendable {
        public let identifier: String
        public let sql: String
        public init(_ identifier: String, _ sql: String) { self.identifier = identifier; self.sql = sql }
    }

    /// The store's own schema. Append new migrations; never edit an applied one.
    public static let storeMigrations: [Migration] = [
        Migration("v1-commits", """
            CREATE TABLE commits (
              id TEXT PRIMARY KEY,
              tree TEXT NOT NULL,
              parents TEXT NOT NULL,      -- JSON array of ids
              time INTEGER NOT NULL,      -- committer time, unix seconds
              author TEXT NOT NULL,
              message TEXT NOT NULL,
              headers TEXT NOT NULL       -- JSON array of [key, value] pairs, in order
            );
            CREATE INDEX commits_time ON commits(time);
            """),
    ]

    /// The connection (the registry's run index shares it).
    public let db: SQLiteDB
    public var path: String { db.path }

    public init(path: String, migrations extra: [Migration] = []) throws {
        db = try SQLiteDB(path: path)
        try db.exec("PRAGMA journal_mode=WAL")
        try migrate(Self.storeMigrations + extra)
    }

    func migrate(_ migrations: [Migration]) throws {
        try db.exec("CREATE TABLE IF NOT EXISTS ftx_migrations (identifier TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try db.query("SELECT identifier FROM ftx_migrations").compactMap { $0.first?.string })
        for m in migrations where !applied.contains(m.identifier) {
            try db.transaction {
                // Another process may have applied it between our read and the write lock.
                if try db.query("SELECT 1 FROM ftx_migrations WHERE identifier = ?", [.text(m.identifier)]).isEmpty {
                    try db.exec(m.sql)
                    try db.run("INSERT INTO ftx_migrations VALUES (?, ?)", [.text(m.identifier), .integer(Int64(Date().timeIntervalSince1970))])
                }
            }
        }
    }

    public var appliedMigrations: [String] {
        (try? db.query("SELECT identifier FROM ftx_migrations ORDER BY rowid").compactMap { $0.first?.string }) ?? []
    }

    static func json(_ value: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public func insert(commit: Commit, id: ObjectID) throws {
        try db.run("INSERT OR REPLACE INTO commits (id, tree, parents, time, author, message, headers) VALUES (?, ?, ?, ?, ?, ?, ?)", [
            .text(id.hex), .text(commit.tree.hex), .text(Self.json(commit.parents.map(\.hex))), .integer(commit.committer.time),
            .text(commit.author.ident), .text(commit.message), .text(Self.json(commit.extraHeaders.map { [$0.0, $0.1] })),
        ])
    }

    public var commitCount: Int { Int((try? db.query("SELECT COUNT(*) FROM commits"))?.first?.first?.string ?? "0") ?? 0 }
}

extension Repository {
    /// Recreates index.sqlite's commit table from every commit reachable from refs, reflogs and HEAD.
    /// `extra` lets a later layer rebuild its own tables in the same pass.
    @discardableResult
    public func reindex(migrations: [SQLiteIndex.Migration] = [],
                        extra: ((SQLiteIndex, ObjectID, Commit) throws -> Void)? = nil) throws -> Int {
        let db: SQLiteIndex
        do { db = try SQLiteIndex(path: sqlitePath, migrations: migrations) } catch StoreError.derivedIndexDamaged(_, let reason) {
            // Derived data: keep the damaged file for inspection and start afresh.
            let aside = try setAsideSQLiteIndex()
            Notice.post("\(sqlitePath) was damaged (\(reason)); moved it to \(aside) and rebuilt it")
            db = try SQLiteIndex(path: sqlitePath, migrations: migrations)
        }
        var commits: [ObjectID: Commit] = [:]
        var stack = try rootCommits()
        while let id = stack.popLast() {
            if commits[id] != nil { continue }
            let c = try objects.readCommit(id)
            commits[id] = c
            stack.append(contentsOf: c.parents)
        }
        try db.db.transaction {
            try db.db.exec("DELETE FROM commits")
            for (id, c) in commits.sorted(by: { $0.key < $1.key }) {
                try db.insert(commit: c, id: id)
                try extra?(db, id, c)
            }
        }
        return commits.count
    }

    /// Renames a damaged index.sqlite (and its WAL and shared-memory files) to
    /// `index.sqlite.corrupt-<unix time>`; returns the new path.
    func setAsideSQLiteIndex() throws -> String {
        var aside = "\(sqlitePath).corrupt-\(Int(Date().timeIntervalSince1970))"
        var n = 1
        while FileManager.default.fileExists(atPath: aside) { n += 1; aside = "\(sqlitePath).corrupt-\(Int(Date().timeIntervalSince1970))-\(n)" }
        guard rename(sqlitePath, aside) == 0 else {
            throw StoreError.io(path: sqlitePath, reason: "cannot move the damaged index aside: \(String(cString: strerror(errno)))")
        }
        for suffix in ["-wal", "-shm"] { _ = rename(sqlitePath + suffix, aside + suffix) }
        return aside
    }

    /// Commits named by HEAD, every ref and every reflog entry (peeling annotated tags).
    func rootCommits() throws -> [ObjectID] {
        var out: [ObjectID] = []
        var ids: [ObjectID] = []
        if let h = try headCommit() { ids.append(h) }
        ids.append(contentsOf: try refs.list().map(\.1))
        for name in refs.reflogNames() { ids.append(contentsOf: try refs.reflog(name).map(\.new).filter { !$0.isZero }) }
        for id in ids {
            if let c = try? peelToCommit(id, rev: id.hex) { out.append(c) }
        }
        return out
    }
}
