import CSQLite
import Foundation

/// The one SQLite connection of the project (index.sqlite is opened only through it, by the store
/// and by the registry's run index): prepared statements with bound parameters only (no user text
/// is ever spliced into SQL), transactions, rows read as `SQLValue`s. One open mode (serialized)
/// and one busy timeout (the lock timeout, FTX_LOCK_TIMEOUT) for every user. A file SQLite finds
/// damaged is reported as `derivedIndexDamaged`, whose hint is `ftx reindex`.
public final class SQLiteDB {
    let handle: OpaquePointer
    public let path: String

    public init(path: String) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw StoreError.sqlite(path: path, reason: "cannot open: \(msg)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, Int32(min(max(LockFile.timeout, 0) * 1000, Double(Int32.max))))
    }

    /// The error for the last failed call: `derivedIndexDamaged` when SQLite says the file is
    /// corrupt or not a database.
    func failure(_ message: String? = nil) -> StoreError {
        let reason = message ?? lastError
        switch sqlite3_errcode(handle) & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .derivedIndexDamaged(path: path, reason: reason)
        default: return .sqlite(path: path, reason: reason)
        }
    }

    deinit { sqlite3_close(handle) }

    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw failure(msg)
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let v = try body()
            try exec("COMMIT")
            return v
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw failure()
        }
        return SQLiteStatement(stmt: stmt, db: self)
    }

    /// Runs a statement with bindings and returns every row.
    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [[SQLValue]] {
        let st = try prepare(sql)
        try st.bind(bindings)
        var rows: [[SQLValue]] = []
        while let row = try st.next() { rows.append(row) }
        return rows
    }

    /// Steps through rows calling `body` with the statement positioned on each (no per-row arrays).
    public func forEachRow(_ sql: String, _ bindings: [SQLValue] = [], _ body: (SQLiteStatement) throws -> Void) throws {
        let st = try prepare(sql)
        try st.bind(bindings)
        while true {
            let rc = sqlite3_step(st.stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure() }
            try body(st)
        }
    }

    public func run(_ sql: String, _ bindings: [SQLValue] = []) throws {
        let st = try prepare(sql)
        try st.bind(bindings)
        while try st.next() != nil {}
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

public enum SQLValue: Equatable, Sendable, CustomStringConvertible {
    case null, integer(Int64), real(Double), text(String)

    public var double: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .real(let d): return d
        case .text(let s): return Double(s)
        case .null: return nil
        }
    }

    /// The value as text; a real in its exact (round-tripping) form.
    public var string: String? {
        switch self {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d): return "\(d)"
        case .null: return nil
        }
    }

    public var description: String { string ?? "" }
}

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

public final class SQLiteStatement {
    /// The raw statement, for hot loops that read columns without building values.
    public let stmt: OpaquePointer
    let db: SQLiteDB

    init(stmt: OpaquePointer, db: SQLiteDB) { self.stmt = stmt; self.db = db }
    deinit { sqlite3_finalize(stmt) }

    public func reset() { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }

    /// Column accessors for the current row (inside `forEachRow`).
    public func text(_ c: Int32) -> String? { sqlite3_column_text(stmt, c).map { String(cString: $0) } }
    public func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    public func int(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    public func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    public func value(_ c: Int32) -> SQLValue {
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(stmt, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(stmt, c))
        case SQLITE_NULL: return .null
        default: return .text(sqlite3_column_text(stmt, c).map { String(cString: $0) } ?? "")
        }
    }

    public func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .integer(let x): rc = sqlite3_bind_int64(stmt, idx, x)
            case .real(let x): rc = sqlite3_bind_double(stmt, idx, x)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, sqliteTransient)
            }
            guard rc == SQLITE_OK else { throw db.failure("bind error: \(db.lastError)") }
        }
    }

    /// Steps once; returns the row, or nil when done.
    public func next() throws -> [SQLValue]? {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw db.failure() }
        let n = sqlite3_column_count(stmt)
        var row: [SQLValue] = []
        row.reserveCapacity(Int(n))
        for c in 0..<n {
            switch sqlite3_column_type(stmt, c) {
            case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(stmt, c)))
            case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(stmt, c)))
            case SQLITE_NULL: row.append(.null)
            default: row.append(.text(sqlite3_column_text(stmt, c).map { String(cString: $0) } ?? ""))
            }
        }
        return row
    }

    /// Binds, steps to completion and resets (for repeated inserts).
    public func execute(_ values: [SQLValue]) throws {
        try bind(values)
        while try next() != nil {}
        reset()
    }
}
