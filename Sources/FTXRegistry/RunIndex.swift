import FTXCore
import FTXStore
import Foundation

/// The run index inside `index.sqlite`: one row per indexed commit (run commits and plain ones, so
/// `log --metrics` can walk first parents without reading objects), their params, metrics and gate
/// verdicts. Derived data only: `ftx reindex` rebuilds it from commit headers.
public final class RunIndex {
    public let db: SQLiteDB

    /// The run tables, added to index.sqlite through the store's migrations list (applied once
    /// each, recorded in `ftx_migrations`). Param values carry numeric affinity: a number given as
    /// text is stored as a number.
    public static let migrations: [SQLiteIndex.Migration] = [
        SQLiteIndex.Migration("registry-v1-runs", """
            CREATE TABLE runs(
                commit_id TEXT PRIMARY KEY, parent TEXT, time INTEGER NOT NULL, author TEXT NOT NULL,
                summary TEXT NOT NULL, is_run INTEGER NOT NULL, status TEXT NOT NULL, base TEXT, base_name TEXT,
                seed INTEGER, engine TEXT, code_commit TEXT, code_dirty INTEGER, wall_seconds REAL);
            CREATE TABLE run_params(commit_id TEXT NOT NULL, name TEXT NOT NULL, value NUMERIC,
                PRIMARY KEY(commit_id, name)) WITHOUT ROWID;
            CREATE TABLE run_metrics(commit_id TEXT NOT NULL, name TEXT NOT NULL, value REAL,
                PRIMARY KEY(commit_id, name)) WITHOUT ROWID;
            CREATE TABLE run_gates(commit_id TEXT NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL,
                passed INTEGER NOT NULL, detail TEXT NOT NULL, PRIMARY KEY(commit_id, ord)) WITHOUT ROWID;
            CREATE INDEX runs_time ON runs(is_run, time);
            """),
    ]

    public init(path: String) throws {
        db = try SQLiteIndex(path: path, migrations: Self.migrations).db  // store schema + ours, applied once
        // Read-mostly: map the file and keep pages cached instead of a pread per page.
        try db.exec("PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;")
    }

    /// A commit's indexable facts.
    public struct Entry: Equatable, Sendable {
        public var commit: String
        public var parent: String?
        public var time: Int64
        public var author: String
        public var summary: String
        public var run: RunHeader?
        public init(commit: String, parent: String?, time: Int64, author: String, summary: String, run: RunHeader?) {
            self.commit = commit; self.parent = parent; self.time = time; self.author = author
            self.summary = summary; self.run = run
        }
    }

    /// Inserts (or replaces) entries in one transaction.
    public func record(_ entries: [Entry]) throws {
        try db.transaction { try insert(entries) }
    }

    private func insert(_ entries: [Entry]) throws {
        var cache: [String: SQLiteStatement] = [:]
        for e in entries {
            try Self.write(e) { sql, values in
                let st: SQLiteStatement
                if let c = cache[sql] { st = c } else { st = try db.prepare(sql); cache[sql] = st }
                try st.execute(values)
            }
        }
    }

    /// The statements that index one commit, handed to `run` (prepared once per statement by
    /// `record`, or run directly inside the store's `reindex` transaction).
    static func write(_ e: Entry, run: (String, [SQLValue]) throws -> Void) throws {
        let c = SQLValue.text(e.commit)
        let r = e.run
        try run("""
            INSERT OR REPLACE INTO runs(commit_id, parent, time, author, summary, is_run, status, base, base_name,
              seed, engine, code_commit, code_dirty, wall_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """,
            [c, e.parent.map(SQLValue.text) ?? .null, .integer(e.time), .text(e.author),
             .text(e.summary), .integer(r == nil ? 0 : 1), .text((r?.gateStatus ?? .none).rawValue),
             r?.baseID.map(SQLValue.text) ?? .null, r?.baseName.map(SQLValue.text) ?? .null,
             r?.seed.map { .integer(Int64($0)) } ?? .null, r?.engine.map(SQLValue.text) ?? .null,
             r?.code.map { .text($0.commit) } ?? .null, r?.code.map { .integer($0.dirty ? 1 : 0) } ?? .null,
             r?.wallSeconds.map(SQLValue.real) ?? .null])
        try run("DELETE FROM run_params WHERE commit_id = ?", [c])
        try run("DELETE FROM run_metrics WHERE commit_id = ?", [c])
        try run("DELETE FROM run_gates WHERE commit_id = ?", [c])
        guard let r else { return }
        for (k, v) in r.params.sorted(by: { $0.key < $1.key }) {
            try run("INSERT INTO run_params(commit_id, name, value) VALUES (?,?,?)", [c, .text(k), v.sql])
        }
        for (k, v) in r.metrics.sorted(by: { $0.key < $1.key }) {
            try run("INSERT INTO run_metrics(commit_id, name, value) VALUES (?,?,?)", [c, .text(k), .real(v)])
        }
        for (i, g) in r.gates.enumerated() {
            try run("INSERT INTO run_gates(commit_id, ord, name, passed, detail) VALUES (?,?,?,?,?)",
                    [c, .integer(Int64(i)), .text(g.name), .integer(g.passed ? 1 : 0), .text(g.detail)])
        }
    }

    public static let clearSQL = "DELETE FROM runs; DELETE FROM run_params; DELETE FROM run_metrics; DELETE FROM run_gates;"

    public func clear() throws { try db.exec(Self.clearSQL) }

    public func contains(_ commit: String) throws -> Bool {
        try !db.query("SELECT 1 FROM runs WHERE commit_id = ?", [.text(commit)]).isEmpty
    }

    /// A row of `ftx runs` / `ftx log --metrics`.
    public struct Row: Equatable, Sendable {
        public var commit: String
        public var parent: String?
        public var time: Int64
        public var author: String
        public var summary: String
        public var isRun: Bool
        public var status: GateStatus
        public var baseName: String?
        public var metrics: [String: Double]
        public var params: [String: ParamValue]
        public var failedGates: [String]
    }

    /// Fixed columns of `runs` that --where and --sort may name (a whitelist: names map to SQL we wrote).
    public static let columnFields: [String: String] = [
        "commit": "r.commit_id", "time": "r.time", "author": "r.author", "message": "r.summary",
        "status": "r.status", "base": "r.base", "base_name": "r.base_name", "seed": "r.seed",
        "engine": "r.engine", "code_commit": "r.code_commit", "code_dirty": "r.code_dirty",
        "wall_seconds": "r.wall_seconds",
    ]

    /// Run commits whose header records base id `id`.
    public func runs(usingBase id: String) throws -> [String] {
        try db.query("SELECT commit_id FROM runs WHERE is_run = 1 AND base = ? ORDER BY time, commit_id", [.text(id)])
            .compactMap { $0.first?.string }
    }

    public func metricNames() throws -> [String] {
        try db.query("SELECT DISTINCT name FROM run_metrics ORDER BY name").compactMap { $0.first?.string }
    }

    public func paramNames() throws -> [String] {
        try db.query("SELECT DISTINCT name FROM run_params ORDER BY name").compactMap { $0.first?.string }
    }

    /// SQL for a field name: a fixed column, `metrics.X`, `params.X`, or a bare metric/param name.
    func fieldSQL(_ name: String, metrics: Set<String>, params: Set<String>) throws -> (sql: String, bindings: [RunQuery.Binding]) {
        if let col = Self.columnFields[name] { return (col, []) }
        let metricSQL = "(SELECT value FROM run_metrics m WHERE m.commit_id = r.commit_id AND m.name = ?)"
        let paramSQL = "(SELECT value FROM run_params p WHERE p.commit_id = r.commit_id AND p.name = ?)"
        if name.hasPrefix("metrics.") { return (metricSQL, [.text(String(name.dropFirst(8)))]) }
        if name.hasPrefix("params.") { return (paramSQL, [.text(String(name.dropFirst(7)))]) }
        if metrics.contains(name) { return (metricSQL, [.text(name)]) }
        if params.contains(name) { return (paramSQL, [.text(name)]) }
        let all = Array(Self.columnFields.keys) + Array(metrics) + Array(params)
        throw RegistryError.unknownField(name, suggestion: DidYouMean.suggest(name, all))
    }

    public struct Sort: Equatable, Sendable {
        public var field: String
        public var descending: Bool
        /// `pass_rate` (highest first), `pass_rate:asc`, `loss:asc`, `-loss` (lowest first), `+x`/`x:desc`.
        public init(parsing text: String) {
            var f = text, desc = true
            if f.hasSuffix(":asc") { f.removeLast(4); desc = false } else if f.hasSuffix(":desc") { f.removeLast(5) }
            if f.hasPrefix("-") { f.removeFirst(); desc = false } else if f.hasPrefix("+") { f.removeFirst() }
            field = f; descending = desc
        }
    }

    /// Run commits matching `filter`, sorted by `sort` (runs without the field last), newest first otherwise.
    public func runs(where filter: RunQuery?, sort: Sort?, limit: Int?) throws -> [Row] {
        let q = try runsSQL(where: filter, sort: sort, limit: limit, columns: "r.commit_id")
        let ids = try db.query(q.sql, q.bindings).compactMap { $0.first?.string }
        return try rows(for: ids)
    }

    /// One page of `runs(where:sort:limit:)` (`limit` rows from `offset`) and how many runs match in
    /// all: the runs table of `ftx ui`, which shows 100 of 10,000 runs without reading the rest.
    public func runsPage(where filter: RunQuery?, sort: Sort?, offset: Int, limit: Int) throws -> (total: Int, rows: [Row]) {
        let count = try runsSQL(where: filter, sort: nil, limit: nil, columns: "COUNT(*)")
        let total = Int(try db.query(count.sql, count.bindings).first?.first?.double ?? 0)
        let q = try runsSQL(where: filter, sort: sort, limit: limit, offset: offset, columns: "r.commit_id")
        return (total, try rows(for: db.query(q.sql, q.bindings).compactMap { $0.first?.string }))
    }

    /// The query behind `runs(where:sort:limit:)`, selecting `columns` of `runs r`.
    func runsSQL(where filter: RunQuery?, sort: Sort?, limit: Int?, offset: Int = 0, columns: String) throws -> (sql: String, bindings: [SQLValue]) {
        var sql = "SELECT \(columns) FROM runs r WHERE r.is_run = 1"
        var bindings: [SQLValue] = []
        func bind(_ b: [RunQuery.Binding]) {
            bindings += b.map { switch $0 { case .number(let d): return .real(d); case .text(let s): return .text(s) } }
        }
        // The metric and param names resolve bare field names (read only when a field is named).
        var names: (metrics: Set<String>, params: Set<String>)?
        func field(_ name: String) throws -> (sql: String, bindings: [RunQuery.Binding]) {
            if names == nil { names = (Set(try metricNames()), Set(try paramNames())) }
            return try fieldSQL(name, metrics: names!.metrics, params: names!.params)
        }
        if let filter {
            let c = try filter.sql { try field($0) }
            sql += " AND \(c.sql)"
            bind(c.bindings)
        }
        if let sort {
            let f = try field(sort.field)
            sql += " ORDER BY (\(f.sql)) IS NULL, \(f.sql) \(sort.descending ? "DESC" : "ASC"), r.time DESC, r.commit_id"
            bind(f.bindings + f.bindings)
        } else {
            sql += " ORDER BY r.time DESC, r.commit_id"
        }
        if let limit { sql += " LIMIT ? OFFSET ?"; bindings += [.integer(Int64(limit)), .integer(Int64(max(0, offset)))] }
        return (sql, bindings)
    }

    /// Full rows for commits, in the given order (missing ones are skipped). Large requests read
    /// the tables whole (cheaper than joining thousands of ids); small ones join a temp table.
    public func rows(for ids: [String]) throws -> [Row] {
        guard !ids.isEmpty else { return [] }
        var position: [String: Int] = [:]
        position.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() where position[id] == nil { position[id] = i }
        var rows = [Row?](repeating: nil, count: ids.count)
        let whole = ids.count > 500
        let join: (String) -> String = { whole ? "" : " JOIN wanted w ON w.commit_id = \($0).commit_id" }
        if !whole {
            try db.exec("CREATE TEMP TABLE IF NOT EXISTS wanted(commit_id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM wanted;")
            let ins = try db.prepare("INSERT OR IGNORE INTO wanted(commit_id) VALUES (?)")
            for id in ids { try ins.execute([.text(id)]) }
        }
        try db.forEachRow("SELECT r.commit_id, r.parent, r.time, r.author, r.summary, r.is_run, r.status, r.base_name FROM runs r" + join("r")) { st in
            guard let id = st.text(0), let i = position[id] else { return }
            rows[i] = Row(commit: id, parent: st.text(1), time: st.int(2), author: st.text(3) ?? "", summary: st.text(4) ?? "",
                          isRun: st.int(5) == 1, status: GateStatus(rawValue: st.text(6) ?? "") ?? .none, baseName: st.text(7),
                          metrics: [:], params: [:], failedGates: [])
        }
        try db.forEachRow("SELECT m.commit_id, m.name, m.value FROM run_metrics m" + join("m")) { st in
            guard let id = st.text(0), let i = position[id], rows[i] != nil, let n = st.text(1), !st.isNull(2) else { return }
            rows[i]!.metrics[n] = st.double(2)
        }
        try db.forEachRow("SELECT p.commit_id, p.name, p.value FROM run_params p" + join("p")) { st in
            guard let id = st.text(0), let i = position[id], rows[i] != nil, let n = st.text(1) else { return }
            switch st.value(2) {
            case .real(let d): rows[i]!.params[n] = .number(d)
            case .integer(let v): rows[i]!.params[n] = .number(Double(v))
            case .text(let t): rows[i]!.params[n] = .text(t)
            case .null: break
            }
        }
        try db.forEachRow("SELECT g.commit_id, g.name FROM run_gates g" + join("g") + " WHERE g.passed = 0 ORDER BY g.commit_id, g.ord") { st in
            guard let id = st.text(0), let i = position[id], rows[i] != nil, let n = st.text(1) else { return }
            rows[i]!.failedGates.append(n)
        }
        return rows.compactMap { $0 }
    }

    /// First-parent history from `start` as far as the index knows it, newest first, at most `limit`
    /// (one recursive query; `log --metrics` needs no object reads when the index is current).
    public func firstParentChain(from start: String, limit: Int?) throws -> [String] {
        let rows = try db.query("""
            WITH RECURSIVE chain(id, n) AS (
              SELECT ?, 0
              UNION ALL
              SELECT r.parent, chain.n + 1 FROM chain JOIN runs r ON r.commit_id = chain.id
              WHERE r.parent IS NOT NULL AND (? < 0 OR chain.n + 1 < ?))
            SELECT id FROM chain ORDER BY n
            """, [.text(start), .integer(Int64(limit ?? -1)), .integer(Int64(limit ?? -1))])
        return rows.compactMap { $0.first?.string }
    }
}
