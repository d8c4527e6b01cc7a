import Foundation
import FTXEval
import FTXRegistry
import FTXStore
import XCTest
@testable import FTXServe

/// The compare, deployments and data pages of `ftx ui`, on hand-made run commits.
final class UIPagesTests: XCTestCase {
    func get(_ site: UISite, _ target: String) -> (status: Int, body: String) {
        let r = site.respond(UIRequest(target: target))
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

    /// The chart figure whose caption is `title`.
    func figure(_ title: String, in html: String) -> String? {
        html.components(separatedBy: "<figure").first { $0.contains("<figcaption>\(title)</figcaption>") }
    }

    func testCompareOverlaysOneCurvePerRunWithDeltasAndConfigDifferences() throws {
        var f = try UIPagesFixture()
        let a = try f.run("baseline", lr: 0.0002, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        let b = try f.run("higher lr", lr: 0.001, passing: 9, loss0: 1.5, train: UIPagesFixture.rows(0..<20))
        let c = try f.run("same lr", lr: 0.0002, passing: 3, loss0: 1.8, train: UIPagesFixture.rows(0..<20))
        let site = UISite(registry: f.registry)
        let page = get(site, "/compare/\(a.short),\(b.short),\(c.short).html")
        XCTAssertEqual(page.status, 200, page.body)
        let train = try XCTUnwrap(figure("train loss", in: page.body))
        XCTAssertEqual(count("<polyline class=\"series\"", in: train), 3)
        let valid = try XCTUnwrap(figure("valid loss", in: page.body))
        XCTAssertEqual(count("<polyline class=\"series\"", in: valid), 3)
        // pass_rate 0.3 → 0.9 for b, unchanged for c; each with its bootstrap CI.
        let d = try f.registry.diff(a.hex, b.hex)
        let ci = try XCTUnwrap(d.metrics.first { $0.name == "pass_rate" }?.ci)
        XCTAssertTrue(page.body.contains("+0.6000"), page.body)
        XCTAssertTrue(page.body.contains("[\(DiffText.num(ci.low, signed: true)), \(DiffText.num(ci.high, signed: true))]"), page.body)
        // learning_rate differs for b only; keys no run changes are not listed.
        let config = try XCTUnwrap(page.body.components(separatedBy: "<h2>Config differences</h2>").last)
        XCTAssertTrue(config.contains("<code>learning_rate</code></th><td>0.0002</td><td><strong>0.001</strong></td><td>0.0002</td>"), config)
        XCTAssertFalse(config.contains("lora_r"), config)
        // Three runs: no case-level diff.
        XCTAssertFalse(page.body.contains("Case-level diff"))
        // Links to each run's page, relative to compare/.
        XCTAssertTrue(page.body.contains("href=\"../run/\(b.short).html\""))
    }

    func testCompareJSONHasEveryRunsCurvesAndItsDiffAgainstTheBaseline() throws {
        var f = try UIPagesFixture()
        let a = try f.run("baseline", lr: 0.0002, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        let b = try f.run("better", lr: 0.001, passing: 9, loss0: 1.5, train: UIPagesFixture.rows(0..<20))
        let r = UISite(registry: f.registry).respond(UIRequest(target: "/compare/\(a.short),\(b.short).json"))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.contentType, "application/json")
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: r.body) as? [String: Any])
        XCTAssertEqual(obj["baseline"] as? String, a.hex)
        let runs = try XCTUnwrap(obj["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(((runs[0]["curves"] as? [String: Any])?["loss"] as? [Any])?.count, 5)
        XCTAssertNil(runs[0]["diff"])
        let diff = try XCTUnwrap(runs[1]["diff"] as? [String: Any])
        let pass = (diff["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "pass_rate" }
        XCTAssertEqual(pass?["delta"] as? Double ?? 0, 0.6, accuracy: 1e-12)
        let config = try XCTUnwrap(obj["config_differences"] as? [[String: Any]])
        XCTAssertEqual(config.map { $0["key"] as? String }, ["learning_rate"])
    }

    func testTwoRunCompareEmbedsTheDiffHTMLFragment() throws {
        var f = try UIPagesFixture()
        let a = try f.run("baseline", lr: 0.0002, passing: 8, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        let b = try f.run("worse", lr: 0.001, passing: 5, loss0: 1.5, train: UIPagesFixture.rows(0..<20))
        let page = get(UISite(registry: f.registry), "/compare/\(a.short),\(b.short).html")
        XCTAssertEqual(page.status, 200, page.body)
        let fragment = DiffHTML.body(try f.registry.diff(a.hex, b.hex))
        XCTAssertTrue(fragment.contains("Regressed (pass → fail): 3"), fragment)
        XCTAssertTrue(page.body.contains(fragment))
        // `ftx diff --html` is the same fragment in its own shell.
        XCTAssertTrue(DiffHTML.render(try f.registry.diff(a.hex, b.hex)).contains("<h1>ftx diff</h1>\n" + fragment + "</body></html>\n"))
    }

    func testCompareRefusesTooFewTooManyAndUnknownRuns() throws {
        var f = try UIPagesFixture()
        let a = try f.run("one", lr: 0.0002, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        let site = UISite(registry: f.registry)
        XCTAssertEqual(get(site, "/compare/\(a.short).html").status, 400)
        XCTAssertEqual(get(site, "/compare/" + Array(repeating: a.short, count: 9).joined(separator: ",") + ".html").status, 400)
        let unknown = get(site, "/compare/\(a.short),deadbeefdead.html")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(unknown.body.contains("deadbeefdead"), unknown.body)
        XCTAssertEqual(get(site, "/compare/\(a.short),\(a.short).txt").status, 404)
        // Any revision the registry resolves: HEAD and HEAD are two (identical) runs.
        XCTAssertEqual(get(site, "/compare/HEAD,\(a.short).html").status, 200)
    }

    func testDeploymentsTimelineMarksRollbacksForcedDeploysAndMonitoring() throws {
        var f = try UIPagesFixture()
        let a = try f.run("first", lr: 0.0002, passing: 8, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        let b = try f.run("second", lr: 0.001, passing: 5, loss0: 1.5, train: UIPagesFixture.rows(0..<20), gates: .failed)
        let who = Signature(ident: "Bob <bob@example.com>", time: 1_765_100_000)
        _ = try f.registry.deploy(revision: a.hex, env: "prod", who: who)
        _ = try f.registry.deploy(revision: b.hex, env: "prod", force: true, reason: "hotfix for invoices", who: who)
        _ = try f.registry.rollback(env: "prod", who: who)
        let site = UISite(registry: f.registry)
        var page = get(site, "/deployments.html")
        XCTAssertEqual(page.status, 200, page.body)
        let rows = page.body.components(separatedBy: "<tr").filter { $0.contains("prod@{") }
        XCTAssertEqual(rows.count, 3, page.body)
        XCTAssertTrue(rows[0].hasPrefix(" class=\"rollback\"") && rows[0].contains(">rollback</strong>") && rows[0].contains("current") && rows[0].contains("run/\(a.short).html"), rows[0])
        XCTAssertTrue(rows[1].contains(">forced<") && rows[1].contains("hotfix for invoices") && rows[1].contains("run/\(b.short).html"), rows[1])
        XCTAssertFalse(rows[1].contains(">rollback<") || rows[2].contains(">rollback<") || rows[2].contains(">forced<"), rows[2])
        XCTAssertTrue(rows[2].contains("Bob &lt;bob@example.com&gt;"), rows[2])
        XCTAssertFalse(page.body.contains("Monitoring"))

        // With a request log, `ftx monitor`'s report per adapter version follows the timeline.
        let log = (1...4).map { MonitorTests.encoded(MonitorTests.line($0, adapter: a.hex, latency: Double($0) * 10)) }
        try f.write(".ftx/serve/prod/2026-12-06.jsonl", log.joined(separator: "\n") + "\n")
        page = get(site, "/deployments.html")
        let report = try Monitor.report(f.registry, env: "prod", since: nil, until: nil)
        XCTAssertEqual(report.requests, 4)
        XCTAssertTrue(page.body.contains(MonitorText.htmlBody(report, failOn: [])), page.body)
        XCTAssertTrue(page.body.contains("requests 4, errors 0"), page.body)
    }

    func testDataPagesListVersionsWithRowCountsAndDiffRows() throws {
        var f = try UIPagesFixture()
        try f.run("v1", lr: 0.0002, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        try f.run("v1 again", lr: 0.001, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<20))
        // Rows 15…19 removed, 20…29 added, and one exact duplicate for the checker.
        try f.run("v2", lr: 0.0002, passing: 3, loss0: 2.0, train: UIPagesFixture.rows(0..<15) + UIPagesFixture.rows(20..<30) + UIPagesFixture.rows(0..<1))
        let site = UISite(registry: f.registry)
        let overview = get(site, "/data.html")
        XCTAssertEqual(overview.status, 200, overview.body)
        let train = try XCTUnwrap(overview.body.components(separatedBy: "<h2 id=\"split-train\">").last?.components(separatedBy: "</table>").first)
        let versions = train.components(separatedBy: "<tr><td>").dropFirst()
        XCTAssertEqual(versions.count, 2, train)
        XCTAssertTrue(versions.first!.contains("<td class=\"num\">20</td>") && versions.first!.contains("<td class=\"num\">2</td>"), train)
        XCTAssertTrue(versions.last!.contains("<td class=\"num\">26</td>"), train)
        let link = try XCTUnwrap(versions.last!.components(separatedBy: "href=\"").last?.components(separatedBy: "\"").first)
        XCTAssertTrue(link.hasPrefix("data/train/") && link.contains(","), link)
        let testSplit = try XCTUnwrap(overview.body.components(separatedBy: "<h2 id=\"split-test\">").last?.components(separatedBy: "</table>").first)
        XCTAssertEqual(testSplit.components(separatedBy: "<tr><td>").count - 1, 1)

        let diff = get(site, "/" + link)
        XCTAssertEqual(diff.status, 200, diff.body)
        XCTAssertTrue(diff.body.contains("20 → 26 rows: <span class=\"added\">11 added</span>, <span class=\"removed\">5 removed</span>"), diff.body)
        XCTAssertTrue(diff.body.contains("<pre>q25</pre>") && diff.body.contains("<pre>q17</pre>"), diff.body)
        XCTAssertFalse(diff.body.contains("<pre>q3</pre>"))

        let version = link.dropFirst("data/train/".count).split(separator: ",").last!.replacingOccurrences(of: ".html", with: "")
        let check = get(site, "/data/train/\(version).html")
        XCTAssertEqual(check.status, 200, check.body)
        XCTAssertTrue(check.body.contains("<td>exact-duplicates</td>"), check.body)
        XCTAssertTrue(check.body.contains("train.jsonl:1") && check.body.contains("train.jsonl:26"), check.body)
        XCTAssertFalse(check.body.contains(NSTemporaryDirectory()))

        XCTAssertEqual(get(site, "/data/train/0000000000.html").status, 404)
        XCTAssertEqual(get(site, "/data/nosplit/\(version).html").status, 404)
        XCTAssertEqual(get(site, "/data/train/\(version),\(version),\(version).html").status, 400)
    }

    func testTrainCurvesSkipBadLinesAndThinLongLogs() {
        // A non-object line, a line without a step and a torn last line are skipped, not fatal.
        let log = "{\"step\":1,\"loss\":2.0}\n[1,2]\n{\"loss\":9}\n{\"step\":2,\"loss\":1.0,\"kept\":\"best\"}\n{\"step\":3,\"lo"
        let curves = TrainCurves(log: Data(log.utf8))
        XCTAssertEqual(curves.loss.map(\.x), [1, 2])
        XCTAssertTrue(curves.validLoss.isEmpty && curves.learningRate.isEmpty)
        let long = (1...5_000).map { "{\"step\":\($0),\"loss\":\(1.0 / Double($0))}\n" }.joined()
        let thinned = TrainCurves(log: Data(long.utf8)).loss
        XCTAssertLessThanOrEqual(thinned.count, TrainCurves.maxPoints + 1)
        XCTAssertEqual(thinned.first?.x, 1)
        XCTAssertEqual(thinned.last?.x, 5_000)
    }
}
