import CSQLite
import Foundation

/// A minimal SQLite connection for the run index: prepared statements with bound parameters only
/// (no user text is ever spliced into SQL), transactions, and rows read as `SQLValue`s.
public final class SQLiteDB {
    let handle: OpaquePointer
    public let path: String

    public init(path: String) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw RegistryError.index("cannot open index: \(msg)", location: path)
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(handle) }

    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw RegistryError.index("index error: \(msg)", location: path)
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
            throw RegistryError.index("index error: \(String(cString: sqlite3_errmsg(handle)))", location: path)
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
            guard rc == SQLITE_ROW else { throw RegistryError.index("index error: \(lastError)", location: path) }
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

    public var string: String? {
        switch self {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d): return formatNumber(d)
        case .null: return nil
        }
    }

    /// Exact text form (round-trips through SQLite's numeric affinity).
    public var exactText: String? {
        switch self {
        case .real(let d): return "\(d)"
        default: return string
        }
    }

    public var description: String { string ?? "" }
}

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

public final class SQLiteStatement {
    let stmt: OpaquePointer
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
        default: return .text(String(cString: sqlite3_column_text(stmt, c)))
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
            guard rc == SQLITE_OK else { throw RegistryError.index("index bind error: \(db.lastError)", location: db.path) }
        }
    }

    /// Steps once; returns the row, or nil when done.
    public func next() throws -> [SQLValue]? {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw RegistryError.index("index error: \(db.lastError)", location: db.path) }
        let n = sqlite3_column_count(stmt)
        var row: [SQLValue] = []
        row.reserveCapacity(Int(n))
        for c in 0..<n {
            switch sqlite3_column_type(stmt, c) {
            case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(stmt, c)))
            case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(stmt, c)))
            case SQLITE_NULL: row.append(.null)
            default: row.append(.text(String(cString: sqlite3_column_text(stmt, c))))
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

/// Numbers as people write them: integers without ".0", others with up to 6 significant digits.
public func formatNumber(_ d: Double) -> String {
    if d.isFinite && d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
    guard d.isFinite else { return String(d) }
    // 6 significant digits, printed in Swift's shortest round-trip form (String(format:) is slow).
    let scale = pow(10, 5 - floor(log10(abs(d))))
    let r = (d * scale).rounded() / scale
    return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(r)
}
