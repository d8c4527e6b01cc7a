import CSQLite
import Foundation

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

    public let path: String
    let db: OpaquePointer

    public init(path: String, migrations extra: [Migration] = []) throws {
        self.path = path
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK,
              let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let handle { sqlite3_close(handle) }
            throw StoreError.sqlite(path: path, reason: msg)
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
        try exec("PRAGMA journal_mode=WAL")
        try migrate(Self.storeMigrations + extra)
    }

    deinit { sqlite3_close(db) }

    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw StoreError.sqlite(path: path, reason: msg)
        }
    }

    func migrate(_ migrations: [Migration]) throws {
        try exec("CREATE TABLE IF NOT EXISTS ftx_migrations (identifier TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try query("SELECT identifier FROM ftx_migrations").map { $0[0] ?? "" })
        for m in migrations where !applied.contains(m.identifier) {
            try exec("BEGIN IMMEDIATE")
            do {
                // Another process may have applied it between our read and the write lock.
                if try query("SELECT 1 FROM ftx_migrations WHERE identifier = ?", [m.identifier]).isEmpty {
                    try exec(m.sql)
                    try run("INSERT INTO ftx_migrations VALUES (?, ?)", [m.identifier, String(Int(Date().timeIntervalSince1970))])
                }
                try exec("COMMIT")
            } catch {
                try? exec("ROLLBACK")
                throw error
            }
        }
    }

    public var appliedMigrations: [String] {
        (try? query("SELECT identifier FROM ftx_migrations ORDER BY rowid").map { $0[0] ?? "" }) ?? []
    }

    /// Runs a statement with text parameters.
    public func run(_ sql: String, _ params: [String?] = []) throws {
        _ = try query(sql, params)
    }

    /// Runs a query with text parameters; every column comes back as text (or nil for NULL).
    public func query(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw StoreError.sqlite(path: path, reason: String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(stmt) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in params.enumerated() {
            if let p { sqlite3_bind_text(stmt, Int32(i + 1), p, -1, transient) } else { sqlite3_bind_null(stmt, Int32(i + 1)) }
        }
        var rows: [[String?]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StoreError.sqlite(path: path, reason: String(cString: sqlite3_errmsg(db))) }
            let n = sqlite3_column_count(stmt)
            rows.append((0..<n).map { c in sqlite3_column_text(stmt, c).map { String(cString: $0) } })
        }
        return rows
    }

    static func json(_ value: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public func insert(commit: Commit, id: ObjectID) throws {
        try run("INSERT OR REPLACE INTO commits (id, tree, parents, time, author, message, headers) VALUES (?, ?, ?, ?, ?, ?, ?)", [
            id.hex, commit.tree.hex, Self.json(commit.parents.map(\.hex)), String(commit.committer.time),
            commit.author.ident, commit.message, Self.json(commit.extraHeaders.map { [$0.0, $0.1] }),
        ])
    }

    public var commitCount: Int { Int((try? query("SELECT COUNT(*) FROM commits"))?.first?[0] ?? "0") ?? 0 }
}

extension Repository {
    /// Recreates index.sqlite's commit table from every commit reachable from refs, reflogs and HEAD.
    /// `extra` lets a later layer rebuild its own tables in the same pass.
    @discardableResult
    public func reindex(migrations: [SQLiteIndex.Migration] = [],
                        extra: ((SQLiteIndex, ObjectID, Commit) throws -> Void)? = nil) throws -> Int {
        let db = try SQLiteIndex(path: sqlitePath, migrations: migrations)
        var commits: [ObjectID: Commit] = [:]
        var stack = try rootCommits()
        while let id = stack.popLast() {
            if commits[id] != nil { continue }
            let c = try objects.readCommit(id)
            commits[id] = c
            stack.append(contentsOf: c.parents)
        }
        try db.exec("BEGIN IMMEDIATE")
        do {
            try db.exec("DELETE FROM commits")
            for (id, c) in commits.sorted(by: { $0.key < $1.key }) {
                try db.insert(commit: c, id: id)
                try extra?(db, id, c)
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
        return commits.count
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
