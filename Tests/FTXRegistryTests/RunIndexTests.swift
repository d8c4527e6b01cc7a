import XCTest
import FTXTestSupport
@testable import FTXRegistry

final class RunIndexTests: XCTestCase {
    func makeIndex() throws -> RunIndex {
        try RunIndex(path: TestSupport.makeTempDir("ftx-index").appendingPathComponent("index.sqlite").path)
    }

    func entry(_ i: Int, parent: Int?, r: Double, pass: Double, status: GateStatus) -> RunIndex.Entry {
        var h = RunHeader()
        h.seed = i
        h.params = ["lora_r": .number(r), "adapter": .text(i % 2 == 0 ? "lora" : "qlora")]
        h.metrics = ["pass_rate": pass, "loss": 2 - pass]
        h.gates = [GateVerdict(name: "pass_rate >= 0.5", passed: status == .passed, detail: "\(pass)")]
        h.gateStatus = status
        return .init(commit: String(format: "%064x", i), parent: parent.map { String(format: "%064x", $0) },
                     time: Int64(1000 + i), author: "t <t@x>", summary: "run \(i)", run: h)
    }

    func testWhereSortAndChain() throws {
        let idx = try makeIndex()
        var es: [RunIndex.Entry] = []
        for i in 0..<20 {
            es.append(entry(i, parent: i == 0 ? nil : i - 1, r: Double([4, 8, 16, 32][i % 4]),
                            pass: Double(i) / 20, status: i % 3 == 0 ? .failed : .passed))
        }
        try idx.record(es)
        let rows = try idx.runs(where: RunQuery.parse("lora_r <= 16 and pass_rate > 0.5"), sort: .init(parsing: "pass_rate"), limit: nil)
        let expect = (0..<20).filter { [4, 8, 16, 32][$0 % 4] <= 16 && Double($0) / 20 > 0.5 }.sorted(by: >)
        XCTAssertEqual(rows.map { $0.seedFromSummary }, expect)
        let failed = try idx.runs(where: RunQuery.parse("status = 'failed' and adapter = 'lora'"), sort: .init(parsing: "loss:asc"), limit: 2)
        XCTAssertEqual(failed.map { $0.seedFromSummary }, [18, 12])
        XCTAssertEqual(failed.first?.failedGates, ["pass_rate >= 0.5"])
        XCTAssertEqual(try idx.firstParentChain(from: String(format: "%064x", 19), limit: 3).count, 3)
        XCTAssertEqual(try idx.firstParentChain(from: String(format: "%064x", 19), limit: nil).count, 20)
        XCTAssertThrowsError(try idx.runs(where: RunQuery.parse("pass_rat > 1"), sort: nil, limit: nil)) { e in
            guard case RegistryError.unknownField(_, let s) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(s, "pass_rate")
        }
        // Injection attempts are bound values, so they match nothing and the table survives.
        XCTAssertEqual(try idx.runs(where: RunQuery.parse("message = \"x'; DELETE FROM runs; --\""), sort: nil, limit: nil).count, 0)
        XCTAssertEqual(try idx.runs(where: nil, sort: nil, limit: nil).count, 20)
    }

    func testHeaderRoundTrip() throws {
        var h = RunHeader()
        h.baseID = String(repeating: "ab", count: 32); h.baseName = "smol"; h.seed = 7; h.engine = "ftx 0.1.0"
        h.code = CodeProvenance(commit: String(repeating: "1", count: 40), branch: "feature/x", dirty: true)
        h.hostCPU = "Some CPU @ 2GHz"; h.hostThreads = 2; h.wallSeconds = 12.5
        h.metrics = ["pass_rate": 0.9, "loss": 1.25]; h.params = ["lora_r": .number(8), "lr_scheduler": .text("cosine")]
        h.gates = [GateVerdict(name: "pass_rate >= 0.85", passed: true, detail: "0.9")]; h.gateStatus = .passed
        XCTAssertEqual(RunHeader(headers: h.headers), h)
        XCTAssertNil(RunHeader(headers: [("seed", "1")]))
        var none = RunHeader(); none.code = nil
        XCTAssertNil(RunHeader(headers: none.headers)?.code)
    }
}

extension RunIndex.Row {
    var seedFromSummary: Int { Int(summary.dropFirst(4)) ?? -1 }
}
