import XCTest
import FTXTestSupport
@testable import FTXRegistry

/// The byte-level listings (`RunListing.logText`/`runsText`, what the CLI prints) against the
/// reference renderings `RunTable.log`/`RunTable.runs` over `[RunIndex.Row]`, on a history that has
/// plain commits, failed gates with several names, runs without some metrics or params, text and
/// non-ASCII params, numbers that need rounding, and more rows than the whole-table-scan threshold.
final class RunListingTests: XCTestCase {
    func id(_ i: Int) -> String { String(format: "%064x", i * 7919 + 13) }

    func history(_ n: Int) -> [RunIndex.Entry] {
        var es: [RunIndex.Entry] = []
        for i in 0..<n {
            let parent = i == 0 ? nil : id(i - 1)
            if i % 11 == 5 {  // a plain commit between runs
                es.append(.init(commit: id(i), parent: parent, time: Int64(1_700_000_000 + 3600 * i), author: "a <a@x>",
                                summary: "edit data \(i)", run: nil))
                continue
            }
            var h = RunHeader()
            h.seed = i
            var params: [String: ParamValue] = ["lora_r": .number(Double([4, 8, 16][i % 3])), "learning_rate": .number(1e-4 * Double(1 + i % 4))]
            if i % 4 != 1 { params["adapter"] = .text(i % 2 == 0 ? "lora" : "qlöra") }
            if i % 7 == 0 { params["note"] = .text("ünïcode \(i)") }
            params["threads"] = .number(2)  // never varies: not a column
            h.params = params
            var metrics: [String: Double] = ["pass_rate": Double(i % 17) / 17, "loss": 1.0 / Double(i + 3)]
            if i % 5 != 2 { metrics["exact_match"] = Double(i % 3) / 3 }
            if i % 9 == 0 { metrics["zeta_custom"] = 123456.789 * Double(i) }
            if i % 6 == 0 { metrics["tokens_per_second"] = 1e7 + Double(i) }
            h.metrics = metrics
            let status: GateStatus = i % 13 == 0 ? .none : (i % 3 == 0 ? .failed : .passed)
            h.gateStatus = status
            h.gates = status == .none ? [] : [
                GateVerdict(name: "pass_rate >= 0.5", passed: status == .passed || i % 2 == 0, detail: "x"),
                GateVerdict(name: "regression_vs base", passed: status == .passed, detail: "y"),
            ]
            es.append(.init(commit: id(i), parent: parent, time: Int64(1_700_000_000 + 3600 * i), author: "a <a@x>",
                            summary: "run \(i): ränk \(i % 3)", run: h))
        }
        return es
    }

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testListingsRenderLikeTheReference() throws {
        let idx = try RunIndex(path: TestSupport.makeTempDir("ftx-listing").appendingPathComponent("index.sqlite").path)
        let n = 620  // above RunIndex.wholeScanRows, so both scan paths run
        try idx.record(history(n))
        let tip = id(n - 1)
        for limit in [nil, 1, 20, 499, 501, 700] as [Int?] {
            let rows = try idx.rows(for: idx.firstParentChain(from: tip, limit: limit))
            let listing = try idx.historyListing(from: tip, limit: limit)
            XCTAssertEqual(listing.count, rows.count, "limit \(String(describing: limit))")
            XCTAssertEqual(text(listing.logText()), RunTable.log(rows), "log --metrics, limit \(String(describing: limit))")
        }
        // A start in the middle of the history, and one the index does not know.
        let mid = try idx.rows(for: idx.firstParentChain(from: id(300), limit: nil))
        XCTAssertEqual(text(try idx.historyListing(from: id(300), limit: nil).logText()), RunTable.log(mid))
        XCTAssertEqual(try idx.historyListing(from: String(repeating: "f", count: 64), limit: nil).count, 0)

        let queries: [(String?, String?, Int?)] = [
            (nil, nil, nil), (nil, "pass_rate", 20), ("lora_r <= 8", "loss:asc", nil), ("status = 'failed'", nil, nil),
            ("lora_r = 16 and exact_match > 0.5", "-exact_match", 5), ("adapter = 'qlöra'", "note", nil), ("lora_r > 100", nil, nil),
        ]
        for (filter, sort, limit) in queries {
            let q = try filter.map { try RunQuery.parse($0) }, s = sort.map(RunIndex.Sort.init(parsing:))
            let rows = try idx.runs(where: q, sort: s, limit: limit)
            let listing = try idx.runsListing(where: q, sort: s, limit: limit)
            XCTAssertEqual(listing.count, rows.count)
            if rows.isEmpty { continue }
            XCTAssertEqual(text(listing.runsText()), RunTable.runs(rows), "runs \(filter ?? "") \(sort ?? "")")
        }
    }

    func testDayMatchesTheReference() {
        var b = ByteText(capacity: 0)
        for t: Int64 in [0, 59, 86_399, 86_400, 951_827_696, 1_700_000_000, 4_102_444_799, -1, -86_401, 253_402_300_800] {
            b.bytes = []
            b.day(t)
            XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), RunTable.day(t), "\(t)")
        }
    }
}
