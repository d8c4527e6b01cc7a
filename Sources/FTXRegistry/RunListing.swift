import CSQLite
import FTXStore
import Foundation

/// Run rows for the large text listings (`ftx log --metrics` and `ftx runs` over thousands of
/// commits), read column by column from index.sqlite into flat arrays: text stays UTF-8 bytes in one
/// arena, commit ids are looked up by their bytes (no String per row), metric and param names are
/// interned, and `RunListingText` renders straight into one byte buffer. `--json` keeps the
/// `[RunIndex.Row]` path; a test renders those rows the plain way and checks the bytes are equal.
public struct RunListing {
    /// A byte range of `arena`.
    struct Span: Equatable { var start: Int32; var count: Int32 }

    var arena: [UInt8] = []
    // One entry per row read (in read order); `order` lists the rows to show, in display order.
    var commit: [Span] = []
    var parent: [Span?] = []
    var time: [Int64] = []
    var isRun: [Bool] = []
    var status: [GateStatus] = []
    var summary: [Span] = []
    /// Failed gate names of each row, in gate order (rows with none have no entry).
    var failedGates: [Int32: [Span]] = [:]
    var metricNames: [String] = []
    var metrics: [(row: Int32, name: Int32, value: Double)] = []
    var paramNames: [String] = []
    var params: [(row: Int32, name: Int32, value: ParamValue)] = []
    public internal(set) var order: [Int32] = []
    var lookup = IDTable()

    public var count: Int { order.count }

    func bytes(_ s: Span) -> UnsafeBufferPointer<UInt8> {
        arena.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[Int(s.start)..<Int(s.start + s.count)]) }
    }

    func string(_ s: Span) -> String { String(decoding: arena[Int(s.start)..<Int(s.start + s.count)], as: UTF8.self) }

    mutating func append(text p: UnsafePointer<UInt8>?, count n: Int32) -> Span {
        let s = Span(start: Int32(arena.count), count: p == nil ? 0 : n)
        if let p, n > 0 { arena.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(n))) }
        return s
    }

    mutating func append(column c: Int32, of st: OpaquePointer) -> Span {
        let p = sqlite3_column_text(st, c)
        return append(text: p, count: sqlite3_column_bytes(st, c))
    }

    /// Reads the base columns of every row `sql` returns (commit_id, parent, time, is_run, status, summary).
    mutating func readBase(_ db: SQLiteDB, _ sql: String, _ bindings: [SQLValue] = []) throws {
        try db.forEachRow(sql, bindings) { row in
            let st = row.stmt
            commit.append(append(column: 0, of: st))
            parent.append(sqlite3_column_type(st, 1) == SQLITE_NULL ? nil : append(column: 1, of: st))
            time.append(sqlite3_column_int64(st, 2))
            isRun.append(sqlite3_column_int64(st, 3) == 1)
            status.append(Self.gateStatus(sqlite3_column_text(st, 4), sqlite3_column_bytes(st, 4)))
            summary.append(append(column: 5, of: st))
        }
        let spans = commit
        lookup = arena.withUnsafeBufferPointer { IDTable(spans: spans, arena: $0) }
    }

    static func gateStatus(_ p: UnsafePointer<UInt8>?, _ n: Int32) -> GateStatus {
        guard let p, n > 0 else { return .none }
        if n == 6 && p[0] == UInt8(ascii: "p") && memcmp(p, "passed", 6) == 0 { return .passed }
        if n == 6 && p[0] == UInt8(ascii: "f") && memcmp(p, "failed", 6) == 0 { return .failed }
        return GateStatus(rawValue: String(cString: p)) ?? .none
    }

    /// The row whose commit id is the text in column `c` of the current statement row.
    func row(column c: Int32, of st: OpaquePointer) -> Int32? {
        guard let p = sqlite3_column_text(st, c) else { return nil }
        let key = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(st, c)))
        return arena.withUnsafeBufferPointer { lookup.find(key, arena: $0, spans: commit) }
    }

    /// Interns a name column. Few distinct values, met in the same order row after row (the
    /// tables are keyed by commit, then name): the name after the last one is tried first, then
    /// a linear scan.
    struct Interner {
        var names: [[UInt8]] = []
        var last = -1

        @inline(__always) func matches(_ i: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
            names[i].count == n && names[i].withUnsafeBufferPointer { n == 0 || memcmp($0.baseAddress!, p, n) == 0 }
        }

        mutating func intern(_ p: UnsafePointer<UInt8>, _ n32: Int32, into strings: inout [String]) -> Int32 {
            let n = Int(n32)
            if !names.isEmpty {
                let guess = last + 1 < names.count ? last + 1 : 0
                if matches(guess, p, n) { last = guess; return Int32(guess) }
                for i in names.indices where i != guess && matches(i, p, n) { last = i; return Int32(i) }
            }
            let key = UnsafeBufferPointer(start: p, count: n)
            names.append(Array(key))
            strings.append(String(decoding: key, as: UTF8.self))
            last = names.count - 1
            return Int32(last)
        }
    }

    /// Attaches metrics, params and failed gates. `join` restricts each scan to the `wanted` temp
    /// table (small listings); large ones scan the tables whole and drop rows they do not know.
    mutating func readDetails(_ db: SQLiteDB, join: (String) -> String) throws {
        var metricNamer = Interner(), paramNamer = Interner()
        try db.forEachRow("SELECT m.commit_id, m.name, m.value FROM run_metrics m" + join("m")) { row in
            let st = row.stmt
            guard let r = self.row(column: 0, of: st), let np = sqlite3_column_text(st, 1),
                  sqlite3_column_type(st, 2) != SQLITE_NULL else { return }
            let n = metricNamer.intern(np, sqlite3_column_bytes(st, 1), into: &metricNames)
            metrics.append((r, n, sqlite3_column_double(st, 2)))
        }
        try db.forEachRow("SELECT p.commit_id, p.name, p.value FROM run_params p" + join("p")) { row in
            let st = row.stmt
            guard let r = self.row(column: 0, of: st), let np = sqlite3_column_text(st, 1) else { return }
            let v: ParamValue
            switch sqlite3_column_type(st, 2) {
            case SQLITE_FLOAT, SQLITE_INTEGER: v = .number(sqlite3_column_double(st, 2))
            case SQLITE_NULL: return
            default: v = .text(row.text(2) ?? "")
            }
            let n = paramNamer.intern(np, sqlite3_column_bytes(st, 1), into: &paramNames)
            params.append((r, n, v))
        }
        try db.forEachRow("SELECT g.commit_id, g.name FROM run_gates g" + join("g") + " WHERE g.passed = 0 ORDER BY g.commit_id, g.ord") { row in
            let st = row.stmt
            guard let r = self.row(column: 0, of: st) else { return }
            let s = append(column: 1, of: st)
            failedGates[r, default: []].append(s)
        }
    }
}

/// Open-addressing table from commit-id bytes to row numbers (FNV-1a over the id's bytes).
struct IDTable {
    private var slots: [Int32] = []

    init() {}

    init(spans: [RunListing.Span], arena: UnsafeBufferPointer<UInt8>) {
        var size = 64
        while size < spans.count * 2 { size *= 2 }
        slots = Array(repeating: -1, count: size)
        let mask = size - 1
        for (r, s) in spans.enumerated() {
            var i = Self.hash(UnsafeBufferPointer(rebasing: arena[Int(s.start)..<Int(s.start + s.count)])) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(r)
        }
    }

    /// Ids are hex digests: their first 16 bytes (loaded as two words) spread well enough; the
    /// length goes in too, and a short key falls back to a byte loop.
    @inline(__always) static func hash(_ k: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(k.count)
        if k.count >= 16 {
            let raw = UnsafeRawPointer(k.baseAddress!)
            let a = raw.loadUnaligned(as: UInt64.self), b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            h = (h ^ a) &* 0x9E37_79B9_7F4A_7C15
            h = (h ^ (h >> 32) ^ b) &* 0xD6E8_FEB8_6659_FD93
        } else {
            for b in k { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    func find(_ key: UnsafeBufferPointer<UInt8>, arena: UnsafeBufferPointer<UInt8>, spans: [RunListing.Span]) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = Self.hash(key) & mask
        while true {
            let r = slots[i]
            if r < 0 { return nil }
            let s = spans[Int(r)]
            if Int(s.count) == key.count
                && (key.count == 0 || memcmp(arena.baseAddress! + Int(s.start), key.baseAddress!, key.count) == 0) {
                return r
            }
            i = (i + 1) & mask
        }
    }
}

extension RunListing {
    func row(id: String) -> Int32? {
        var id = id
        return id.withUTF8 { key in arena.withUnsafeBufferPointer { lookup.find(key, arena: $0, spans: commit) } }
    }

    func row(span: Span) -> Int32? {
        arena.withUnsafeBufferPointer { a in
            lookup.find(UnsafeBufferPointer(rebasing: a[Int(span.start)..<Int(span.start + span.count)]), arena: a, spans: commit)
        }
    }
}

extension RunIndex {
    static let listingColumns = "r.commit_id, r.parent, r.time, r.is_run, r.status, r.summary"
    /// Above this many rows the detail tables are scanned whole instead of joined with `wanted`.
    static let wholeScanRows = 500

    private func fillWanted(_ ids: [String]) throws {
        try db.exec("CREATE TEMP TABLE IF NOT EXISTS wanted(commit_id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM wanted;")
        let ins = try db.prepare("INSERT OR IGNORE INTO wanted(commit_id) VALUES (?)")
        for id in ids { try ins.execute([.text(id)]) }
    }

    private static func wantedJoin(_ alias: String) -> String { " JOIN wanted w ON w.commit_id = \(alias).commit_id" }

    /// `log --metrics` as a listing: the first-parent history from `start` (newest first, at most
    /// `limit`), the same rows as `rows(for: firstParentChain(from:limit:))`.
    public func historyListing(from start: String, limit: Int?) throws -> RunListing {
        var l = RunListing()
        if let limit, limit <= Self.wholeScanRows {
            let ids = try firstParentChain(from: start, limit: limit)
            try fillWanted(ids)
            try l.readBase(db, "SELECT \(Self.listingColumns) FROM runs r" + Self.wantedJoin("r"))
            l.order = ids.compactMap { l.row(id: $0) }
            try l.readDetails(db, join: Self.wantedJoin)
            return l
        }
        // The whole table in one scan, then the parent links followed in memory (no query per step).
        try l.readBase(db, "SELECT \(Self.listingColumns) FROM runs r")
        var cur = l.row(id: start)
        while let r = cur, l.order.count < (limit ?? Int.max), l.order.count <= l.commit.count {
            l.order.append(r)
            cur = l.parent[Int(r)].flatMap { l.row(span: $0) }
        }
        try l.readDetails(db, join: { _ in "" })
        return l
    }

    /// `ftx runs` as a listing: the same rows, in the same order, as `runs(where:sort:limit:)`.
    public func runsListing(where filter: RunQuery?, sort: Sort?, limit: Int?) throws -> RunListing {
        let q = try runsSQL(where: filter, sort: sort, limit: limit, columns: Self.listingColumns)
        var l = RunListing()
        try l.readBase(db, q.sql, q.bindings)
        l.order = Array(0..<Int32(l.commit.count))
        if l.commit.count > Self.wholeScanRows {
            try l.readDetails(db, join: { _ in "" })
        } else {
            try fillWanted(l.commit.map(l.string))
            try l.readDetails(db, join: Self.wantedJoin)
        }
        return l
    }
}
