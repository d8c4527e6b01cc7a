import Foundation
import FTXEval
import FTXRegistry
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXServe

/// A repository of three run commits with the headers `ftx run` writes, each with a config, a data
/// split, an adapter, a train log and an eval report with one failing case; prod deployed to the
/// second run. Built in-process (no training, no model).
final class UIFixture {
    let dir: URL
    let registry: Registry
    var runs: [String] = []

    init() throws {
        dir = TestSupport.makeTempDir("ftx-ui")
        registry = Registry(repo: try Repository.initialize(at: dir.path))
        runs = try (0..<3).map { try commitRun(i: $0) }
        try registry.repo.refs.update("refs/deploy/prod", to: ObjectID(hex: runs[1])!, expect: .any,
                                      who: Signature(ident: "T <t@x>", time: 1_700_000_000), reason: "deploy")
    }

    func commitRun(i: Int) throws -> String {
        let cases = [CaseReport(id: "ok", prompt: "p", expected: "e", output: "e", pass: true, score: 1, exactMatch: true),
                     CaseReport(id: "bad<1>", prompt: "q", expected: "yes", output: "no <b>", pass: false, score: 0, exactMatch: false,
                                assertions: [try JSONDecoder().decode(AssertionResult.self, from: Data(
                                    #"{"type":"contains","pass":false,"score":0,"weight":1,"reason":"'yes' not in output"}"#.utf8))])]
        let report = EvalReport(suite: .init(name: "suite\(i)"), model: ModelIdentity(name: "base"), cases: cases, metrics: EvalMetrics(cases: cases))
        let log = (1...4).map { #"{"loss":\#(2.0 / Double($0 + i)),"lr":0.001,"step":\#($0),"tokens_per_s":\#(100 + $0)}"# }.joined(separator: "\n")
            + "\n{\"step\":4,\"valid_loss\":0.9}\n"
        let tree = try registry.writeTree([
            "config.yaml": .bytes(Data("lora_r: \(4 << i)\nlearning_rate: 0.001\n".utf8)),
            "data": .tree(["train.jsonl": .bytes(Data("{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n".utf8))]),
            "adapter": .tree(["adapter_model.safetensors": .bytes(Data("weights \(i)".utf8))]),
            "train": .tree(["log.jsonl": .bytes(Data(log.utf8))]),
            "eval": .tree(["report.json": .bytes(try report.jsonData())]),
        ], importer: FileImporter(store: registry.repo.objects))
        var h = RunHeader()
        h.baseID = String(repeating: "ab", count: 32); h.baseName = "tiny"; h.seed = i
        h.metrics = ["pass_rate": 0.5 + 0.1 * Double(i), "loss": 1.0 - 0.1 * Double(i)]
        h.params = ["lora_r": .number(Double(4 << i)), "learning_rate": .number(0.001), "lora_target_modules": .text("q_proj,v_proj")]
        h.gates = [GateVerdict(name: "pass_rate >= 0.6", passed: i > 0, detail: "")]
        h.gateStatus = i > 0 ? .passed : .failed
        return try registry.commitRun(tree: tree, message: "run \(i)", headers: h.headers,
                                      author: Signature(ident: "T <t@x>", time: 1_700_000_000 + Int64(i) * 60)).hex
    }
}

/// The `ftx ui` routes as a pure function (no socket): runs table, run page, artifacts, errors.
final class UIRouteTests: XCTestCase {
    var fixture: UIFixture!
    var dir: URL { fixture.dir }
    var registry: Registry { fixture.registry }
    var runs: [String] { fixture.runs }

    override func setUpWithError() throws { fixture = try UIFixture() }

    func get(_ target: String, mode: UISite.Mode = .server) -> (status: Int, text: String, response: UIResponse) {
        let r = UISite(registry: registry, mode: mode).respond(UIRequest(target: target))
        return (r.status, String(decoding: r.body, as: UTF8.self), r)
    }

    func testRunsPageListsRunsWithParamsMetricsGatesAndDeployments() throws {
        let r = get("/")
        XCTAssertEqual(r.status, 200, r.text)
        for i in 0..<3 { XCTAssertTrue(r.text.contains("href=\"run/\(runs[i].prefix(12)).html\""), "run \(i) is linked") }
        XCTAssertTrue(r.text.contains("<span class=\"badge\">prod</span>"), "prod badge")
        XCTAssertTrue(r.text.contains(">pass_rate"), "headline metric column")
        XCTAssertTrue(r.text.contains("<td class=\"num\" data-v=\"16.0\">16</td>"), "lora_r of run 2")
        XCTAssertTrue(r.text.contains("id=\"compare\""), "compare button")
        XCTAssertTrue(r.text.contains("<span title=\"q_proj,v_proj\">q,<wbr>v</span>"), "targets, short and wrappable")
        XCTAssertEqual(get("/index.html").text, r.text)
    }

    func testSortAndFilterUseTheRunsQuery() throws {
        let asc = get("/index.html?sort=pass_rate:asc").text
        let pos = runs.map { asc.range(of: "run/\($0.prefix(12)).html")!.lowerBound }
        XCTAssertTrue(pos[0] < pos[1] && pos[1] < pos[2], "ascending pass_rate")
        XCTAssertTrue(asc.contains("aria-sort=\"ascending\""))
        XCTAssertTrue(asc.contains("href=\"index.html?sort=pass_rate\""), "clicking the sorted column again sorts descending")
        // Deployed runs first (prod is on run 1), then newest first; `:asc` puts them last.
        let byDeploy = get("/index.html?sort=deployed").text
        let order = runs.map { byDeploy.range(of: "run/\($0.prefix(12)).html")!.lowerBound }
        XCTAssertTrue(order[1] < order[2] && order[2] < order[0], "prod's run first, then newest first")
        XCTAssertTrue(byDeploy.contains("aria-sort=\"descending\""))
        let lastDeploy = get("/index.html?sort=deployed:asc").text
        XCTAssertTrue(lastDeploy.range(of: "run/\(runs[1].prefix(12)).html")!.lowerBound > lastDeploy.range(of: "run/\(runs[0].prefix(12)).html")!.lowerBound)
        let filtered = get("/index.html?where=lora_r%20%3E%3D%208%20and%20pass_rate%20%3C%200.65")
        XCTAssertEqual(filtered.status, 200)
        XCTAssertTrue(filtered.text.contains(runs[1].prefix(12)) && !filtered.text.contains(runs[0].prefix(12)) && !filtered.text.contains(runs[2].prefix(12)))
        let json = try JSONSerialization.jsonObject(with: get("/runs.json?where=lora_r>4&sort=lora_r:asc").response.body) as! [String: Any]
        XCTAssertEqual(json["total"] as? Int, 2)
        XCTAssertEqual((json["runs"] as! [[String: Any]]).map { $0["commit"] as! String }, [runs[1], runs[2]])
        XCTAssertEqual((json["runs"] as! [[String: Any]])[0]["deployed"] as? [String], ["prod"])
    }

    func testMalformedFilterShowsTheParsersErrorWithTheForm() throws {
        let r = get("/index.html?where=lora_r%20%3C%3D%20and")
        XCTAssertEqual(r.status, 400)
        let expected = try XCTUnwrap({ () -> String? in
            do { _ = try RunQuery.parse("lora_r <= and"); return nil } catch { return (error as? RegistryError)?.message }
        }())
        XCTAssertTrue(r.text.contains(UIPage.esc(expected)), "the parser's message: \(expected)\n\(r.text)")
        XCTAssertTrue(r.text.contains("column 11"), r.text)
        XCTAssertTrue(r.text.contains("<form class=\"filter\""), "the form stays")
        XCTAssertTrue(r.text.contains("value=\"lora_r &lt;= and\""), "with the expression in it")
        XCTAssertEqual(get("/index.html?where=nosuch%20%3E%201").status, 400)
        XCTAssertEqual(get("/runs.json?where=((").status, 400)
    }

    func testColumnsAndPages() throws {
        let r = get("/index.html?cols=message,loss")
        XCTAssertEqual(r.status, 200)
        XCTAssertFalse(r.text.contains(">pass_rate"), "only the chosen columns")
        XCTAssertTrue(r.text.contains(">loss"))
        XCTAssertEqual(get("/index.html?cols=nosuch").status, 400)
        XCTAssertEqual(get("/index.html?page=0").status, 400)
        XCTAssertEqual(get("/index.html?page=x").status, 400)
        let empty = try JSONSerialization.jsonObject(with: get("/runs.json?page=2").response.body) as! [String: Any]
        XCTAssertEqual((empty["runs"] as! [Any]).count, 0)
        XCTAssertEqual(empty["total"] as? Int, 3)
    }

    func testExportedRunsPageSortsInTheBrowser() throws {
        let r = get("/index.html", mode: .export)
        XCTAssertFalse(r.text.contains("name=\"where\""), "no --where form in a static export")
        XCTAssertTrue(r.text.contains("need <code>ftx ui</code>"))
        XCTAssertTrue(r.text.contains("data-col="))
        XCTAssertFalse(r.text.contains("index.html?"), "no query links in an export")
    }

    func testRunPageShowsLineageCurvesEvalAndArtifacts() throws {
        let short = String(runs[1].prefix(12))
        let r = get("/run/\(short).html")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertTrue(r.text.contains("lora_r: 8"), "config as YAML")
        XCTAssertTrue(r.text.contains("data/train.jsonl") && r.text.contains("<td class=\"num\">2</td>"), "data split with rows")
        XCTAssertEqual(r.text.components(separatedBy: "<polyline class=\"series\"").count - 1, 4, "train+valid loss, lr, tokens/s")
        XCTAssertTrue(r.text.contains("Wilson 95%"))
        let wilson = Statistics.wilson(successes: 1, n: 2)
        XCTAssertTrue(r.text.contains("[\(formatNumber(wilson.low)), \(formatNumber(wilson.high))]"), "pass rate interval")
        XCTAssertTrue(r.text.contains("bad&lt;1&gt;") && r.text.contains("no &lt;b&gt;"), "failing case and its output, escaped")
        XCTAssertTrue(r.text.contains("contains: " + UIPage.esc("'yes' not in output")), "the failed assertion")
        XCTAssertFalse(r.text.contains("no <b>"))
        XCTAssertTrue(r.text.contains("<span class=\"badge\">prod</span>"))
        let adapter = try XCTUnwrap(registry.entry("adapter/adapter_model.safetensors", in: registry.commit(runs[1]).commit))
        XCTAssertTrue(r.text.contains("href=\"../artifact/\(adapter.id.hex)/adapter_model.safetensors\""), "download link")
        XCTAssertTrue(r.text.contains("compare/\(runs[0].prefix(12)),\(short).html"), "compared with its parent run")
        let j = try JSONSerialization.jsonObject(with: get("/run/\(short).json").response.body) as! [String: Any]
        XCTAssertEqual(j["commit"] as? String, runs[1])
        XCTAssertEqual(((j["train_log"] as? [String: Any])?["loss"] as? [[Double]])?.count, 4)
        XCTAssertEqual(((j["eval"] as? [String: Any])?["failing"] as? [Any])?.count, 1)
        XCTAssertEqual(get("/run/HEAD.html").status, 200, "any revision")
    }

    func testUnknownRunIs404() {
        for path in ["/run/0123456789ab.html", "/run/zzz.json", "/run/\(runs[0].prefix(12)).txt", "/run/", "/run/a/b.html", "/nosuch.html"] {
            let r = get(path)
            XCTAssertEqual(r.status, 404, path)
            XCTAssertTrue(r.text.contains("Not found"), path)
        }
    }

    func testArtifactServesStoredBytesByObjectID() throws {
        let c = try registry.commit(runs[2]).commit
        let adapter = try XCTUnwrap(registry.entry("adapter/adapter_model.safetensors", in: c))
        let r = get("/artifact/\(adapter.id.hex)/adapter_model.safetensors")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "weights 2")
        XCTAssertTrue(r.response.headers.contains { $0.0 == "content-disposition" && $0.1.contains("filename=\"adapter_model.safetensors\"") })
        // A chunked file (over the store's chunking threshold) is joined from its chunks.
        let big = TestSupport.pseudoRandomBytes(3 << 20, seed: 5)
        try big.write(to: dir.appendingPathComponent("big.bin"))
        let importer = FileImporter(store: registry.repo.objects)
        let imported = try importer.importFile(at: dir.appendingPathComponent("big.bin").path)
        try importer.finish()
        XCTAssertEqual(imported.kind, .chunked)
        XCTAssertEqual(get("/artifact/\(imported.id.hex)/big.bin").response.body, big)
    }

    func testArtifactTraversalAndNonFilesAre404() throws {
        // A secret next to the repository: nothing may read it.
        try Data("TOPSECRET-42".utf8).write(to: dir.appendingPathComponent("secret.txt"))
        let c = try registry.commit(runs[0])
        let blob = try XCTUnwrap(registry.entry("adapter/adapter_model.safetensors", in: c.commit)).id.hex
        let attempts = [
            "/artifact/../secret.txt", "/artifact/%2e%2e%2fsecret.txt", "/artifact/%2e%2e/%2e%2e/secret.txt",
            "/artifact/\(blob)/..%2f..%2fsecret.txt", "/artifact/\(blob)/%2e%2e", "/artifact/\(blob)/a%2fb",
            "/artifact/\(blob)", "/artifact/\(blob.uppercased())/x", "/artifact/\(blob.prefix(12))/x",
            "/artifact/\(String(repeating: "0", count: 64))/x", "/artifact/\(c.id.hex)/commit", "/artifact/\(c.commit.tree.hex)/tree",
            "/artifact/..%2f..%2f..%2fetc%2fpasswd/x", "/artifact/%00/x", "/artifact/\(blob)/a%00b",
        ]
        for a in attempts {
            let r = get(a)
            XCTAssertEqual(r.status, 404, a)
            XCTAssertFalse(r.text.contains("TOPSECRET"), a)
        }
    }
}
