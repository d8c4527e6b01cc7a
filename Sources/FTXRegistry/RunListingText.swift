import Foundation

/// Renders a `RunListing` as the text of `ftx log --metrics` and `ftx runs` into one buffer (no
/// String per cell); the tests' plain renderings of the same rows (`RunTable.log`/`runs`) must match.
extension RunListing {
    /// Per shown row: is it shown (rows read but not listed are skipped everywhere).
    private var shownMask: [Bool] {
        var m = [Bool](repeating: false, count: commit.count)
        for r in order { m[Int(r)] = true }
        return m
    }

    /// The metric columns: headline metrics first, then the rest by name, at most `max`.
    private func metricColumns(shown: [Bool], max: Int) -> [Int32] {
        var present = [Bool](repeating: false, count: metricNames.count)
        for m in metrics where shown[Int(m.row)] { present[Int(m.name)] = true }
        let names = Set(metricNames.indices.filter { present[$0] }.map { metricNames[$0] })
        let first = RunTable.headline.filter(names.contains)
        let cols = first + names.subtracting(first).sorted()
        return cols.prefix(max).map { n in Int32(metricNames.firstIndex(of: n)!) }
    }

    /// Dense row × column values of the chosen metrics (nil where a row lacks one).
    private func metricMatrix(_ cols: [Int32]) -> [Double?] {
        var col = [Int](repeating: -1, count: metricNames.count)
        for (j, c) in cols.enumerated() { col[Int(c)] = j }
        var out = [Double?](repeating: nil, count: commit.count * cols.count)
        for m in metrics where col[Int(m.name)] >= 0 { out[Int(m.row) * cols.count + col[Int(m.name)]] = m.value }
        return out
    }

    /// `ftx log --metrics`: one line per commit: id, date, gate status, headline metrics, summary.
    public func logText() -> [UInt8] {
        let shown = shownMask
        let cols = metricColumns(shown: shown, max: 4)
        let values = metricMatrix(cols)
        let colNames = cols.map { Array(metricNames[Int($0)].utf8) }
        var out = ByteText(capacity: order.count * 120)
        for r32 in order {
            let r = Int(r32)
            out.prefix(bytes(commit[r]), 12)
            out.append("  ")
            out.day(time[r])
            if isRun[r] {
                out.append("  [")
                gateText(r, into: &out)
                out.append("]")
                var first = true
                for j in cols.indices {
                    guard let v = values[r * cols.count + j] else { continue }
                    out.append(first ? "  " : " ")
                    first = false
                    out.append(colNames[j])
                    out.append("=")
                    out.number(v)
                }
            }
            out.append("  ")
            out.append(bytes(summary[r]))
            out.append("\n")
        }
        return out.bytes
    }

    private func gateText(_ r: Int, into out: inout ByteText) {
        switch status[r] {
        case .passed: out.append("passed")
        case .failed:
            out.append("FAILED")
            if let gates = failedGates[Int32(r)], !gates.isEmpty {
                out.append(" (")
                for (i, g) in gates.enumerated() {
                    if i > 0 { out.append("; ") }
                    out.append(bytes(g))
                }
                out.append(")")
            }
        case .none: if isRun[r] { out.append("-") }
        }
    }

    /// `ftx runs`: a table of these rows (params that differ between the
    /// rows, headline metrics, left-aligned columns).
    public func runsText() -> [UInt8] {
        let shown = shownMask
        let mcols = metricColumns(shown: shown, max: 5)
        let values = metricMatrix(mcols)
        // Params by name, shown rows only; a param varies when its text differs between rows
        // (a row without it counts as empty text).
        var byName = [[(row: Int32, value: ParamValue)]](repeating: [], count: paramNames.count)
        for p in params where shown[Int(p.row)] { byName[Int(p.name)].append((p.row, p.value)) }
        let pnames = paramNames.indices.filter { !byName[$0].isEmpty }.sorted { paramNames[$0] < paramNames[$1] }
        var pcols: [Int] = []
        for n in pnames where pcols.count < 5 && varies(byName[n], rows: order.count) { pcols.append(n) }

        // Cells: per column a byte range of `cells` for each shown row (its position in `order`).
        var cells = ByteText(capacity: order.count * 64)
        let ncol = 3 + pcols.count + mcols.count + 1
        var spans = [Span](repeating: Span(start: 0, count: 0), count: order.count * ncol)
        var position = [Int32](repeating: -1, count: commit.count)
        for (i, r) in order.enumerated() { position[Int(r)] = Int32(i) }
        func cell(_ i: Int, _ c: Int, _ write: (inout ByteText) -> Void) {
            let start = cells.bytes.count
            write(&cells)
            spans[i * ncol + c] = Span(start: Int32(start), count: Int32(cells.bytes.count - start))
        }
        for (i, r32) in order.enumerated() {
            let r = Int(r32)
            cell(i, 0) { $0.prefix(bytes(commit[r]), 12) }
            cell(i, 1) { $0.day(time[r]) }
            cell(i, 2) { $0.append(status[r] == .failed ? "FAILED" : status[r].rawValue) }
            for j in mcols.indices {
                cell(i, 3 + pcols.count + j) { o in values[r * mcols.count + j].map { o.number($0) } }
            }
            cell(i, ncol - 1) { $0.append(bytes(summary[r])) }
        }
        for (j, n) in pcols.enumerated() {
            for p in byName[n] {
                let i = Int(position[Int(p.row)])
                cell(i, 3 + j) { o in
                    switch p.value {
                    case .number(let d): o.number(d)
                    case .text(let s): o.append(Array(s.utf8))
                    }
                }
            }
        }
        let header = ["COMMIT", "DATE", "GATES"] + pcols.map { paramNames[$0] } + mcols.map { metricNames[Int($0)] } + ["MESSAGE"]
        var widths = header.map(\.count)
        cells.bytes.withUnsafeBufferPointer { cb in
            for i in order.indices {
                for c in 0..<(ncol - 1) {
                    let s = spans[i * ncol + c]
                    widths[c] = max(widths[c], ByteText.characters(UnsafeBufferPointer(rebasing: cb[Int(s.start)..<Int(s.start + s.count)])))
                }
            }
        }
        var out = ByteText(capacity: cells.bytes.count + order.count * ncol * 4)
        for (c, h) in header.enumerated() {
            if c > 0 { out.append("  ") }
            out.append(Array(h.utf8))
            if c < ncol - 1 { out.spaces(widths[c] - h.count) }
        }
        out.append("\n")
        cells.bytes.withUnsafeBufferPointer { cb in
            for i in order.indices {
                for c in 0..<ncol {
                    let s = spans[i * ncol + c]
                    let b = UnsafeBufferPointer(rebasing: cb[Int(s.start)..<Int(s.start + s.count)])
                    if c > 0 { out.append("  ") }
                    out.append(b)
                    if c < ncol - 1 { out.spaces(widths[c] - ByteText.characters(b)) }
                }
                out.append("\n")
            }
        }
        return out.bytes
    }

    private func varies(_ entries: [(row: Int32, value: ParamValue)], rows: Int) -> Bool {
        var seen: [String] = []
        func add(_ text: String) -> Bool {
            if !seen.contains(text) { seen.append(text) }
            return seen.count > 1
        }
        if entries.count < rows && add("") { return true }
        var last: ParamValue?
        for e in entries where e.value != last {
            last = e.value
            if add(e.value.description) { return true }
        }
        return false
    }
}

/// A growing byte buffer with the few writers the listings need.
struct ByteText {
    var bytes: [UInt8] = []
    /// Formatted numbers by bit pattern (metric values repeat a lot across runs).
    private var numbers: [UInt64: [UInt8]] = [:]

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    mutating func append(_ b: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: b) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// The first `n` characters of ASCII text (ids are hex).
    mutating func prefix(_ b: UnsafeBufferPointer<UInt8>, _ n: Int) {
        if b.allSatisfy({ $0 < 0x80 }) { bytes.append(contentsOf: b.prefix(n)); return }
        bytes.append(contentsOf: String(decoding: b, as: UTF8.self).prefix(n).utf8)
    }

    mutating func spaces(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n)) }
    }

    mutating func number(_ d: Double) {
        if let b = numbers[d.bitPattern] { bytes.append(contentsOf: b); return }
        let b = Array(formatNumber(d).utf8)
        numbers[d.bitPattern] = b
        bytes.append(contentsOf: b)
    }

    /// `RunTable.day`: UTC "yyyy-MM-dd HH:mm".
    mutating func day(_ t: Int64) {
        let c = RunTable.civil(t)
        guard (0...9999).contains(c.year) else { append(RunTable.day(t)); return }
        digits(c.year, 4); bytes.append(UInt8(ascii: "-")); digits(c.month, 2); bytes.append(UInt8(ascii: "-")); digits(c.day, 2)
        bytes.append(UInt8(ascii: " ")); digits(c.hour, 2); bytes.append(UInt8(ascii: ":")); digits(c.minute, 2)
    }

    private mutating func digits(_ v: Int64, _ width: Int) {
        var p: Int64 = 1
        for _ in 1..<width { p *= 10 }
        var v = v
        while p > 0 { bytes.append(UInt8(ascii: "0") + UInt8(v / p)); v %= p; p /= 10 }
    }

    /// Width of a cell as Swift counts characters (ASCII without CR LF: one per byte).
    static func characters(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        if b.allSatisfy({ $0 < 0x80 && $0 != 13 }) { return b.count }
        return String(decoding: b, as: UTF8.self).count
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
