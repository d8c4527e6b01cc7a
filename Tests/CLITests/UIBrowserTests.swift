import Foundation
import FTXTestSupport
import XCTest

/// `ftx ui` in a real browser: Debian's headless chromium, driven by selenium through
/// Tests/UISupport/browser.py (`make selenium`; chromium and chromium-driver from `make deps`).
///
/// One fixture repository (three runs of the tiny test model over two versions of the data, two
/// deploys and a rollback) and one browser session serve every test here: the session crawls the
/// server from its runs page, sorts and filters the runs table, and crawls the `--export` site from
/// file://. Each test asserts on its part of that one result. FTX_UPDATE_SCREENSHOTS=1 copies the
/// screenshots to docs/images/ui-*.png (docs/ui.md shows them).
final class UIBrowserTests: XCTestCase {
    /// What the one browser session saw: each step's result by its name (see `runSession`).
    struct Session {
        var ids: [String]              // full run ids, oldest first
        var steps: [String: [String: Any]]
        var shots: URL
        var export: URL
        subscript(_ name: String) -> [String: Any] { steps[name] ?? [:] }
    }

    private static var session: Result<Session, Error>?

    override func setUpWithError() throws {
        try super.setUpWithError()
        _ = try Self.browserPython()
    }

    /// The session's scratch folder (export, screenshots) goes once every test has read it.
    override class func tearDown() {
        if case .success(let s)? = session { try? FileManager.default.removeItem(at: s.export.deletingLastPathComponent()) }
        session = nil
        super.tearDown()
    }

    func seen() throws -> Session {
        if Self.session == nil { Self.session = Result { try Self.runSession() } }
        return try Self.session!.get()
    }

    // MARK: the checks

    /// The harness itself sees what the checks below look for: a script error, a link to a missing
    /// file, a blank page (one colour), curves. Without this, a check could pass by seeing nothing.
    func testHarnessDetectsErrorsBrokenLinksAndBlankPages() throws {
        let dir = TestSupport.makeTempDir("ftx-ui-harness")
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = try Self.writeHarnessSite(dir)
        let crawl = try XCTUnwrap(try Self.browse([["op": "crawl", "start": start.absoluteString, "max_pages": 10]], in: dir).first)
        let byName = Dictionary(Self.pages(crawl).map { ((($0["url"] as? String ?? "") as NSString).lastPathComponent, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(Set(byName.keys), ["good.html", "broken.html", "blank.html"], "a link to a missing page is not followed")
        XCTAssertEqual(byName["good.html"]?["console_errors"] as? [String], [])
        XCTAssertEqual(byName["good.html"]?["polylines"] as? Int, 2)
        XCTAssertTrue((byName["broken.html"]?["console_errors"] as? [String])?.first?.contains("notDefinedAnywhere") == true, "\(byName["broken.html"] ?? [:])")
        XCTAssertEqual(Self.colours(byName["blank.html"] ?? [:]), 1)
        XCTAssertGreaterThan(Self.colours(byName["good.html"] ?? [:]), 1)
        XCTAssertEqual((crawl["bad_links"] as? [[String: Any]])?.compactMap { $0["href"] as? String }, ["missing.html"])
    }

    /// Every page the runs page leads to (each run, compare, deployments, data) loads in chromium
    /// with no console error, and shows what it is for.
    func testEveryPageLoadsWithoutConsoleErrors() throws {
        let s = try seen()
        let pages = Self.pages(s["server"])
        let paths = Set(pages.compactMap { URL(string: $0["url"] as? String ?? "")?.path })
        for id in s.ids {
            XCTAssertTrue(paths.contains("/run/\(id.prefix(12)).html"), "the crawl never reached run \(id.prefix(12)): \(paths.sorted())")
        }
        for p in ["/deployments.html", "/data.html"] {
            XCTAssertTrue(paths.contains(p), "the crawl never reached \(p): \(paths.sorted())")
        }
        for page in pages {
            XCTAssertEqual(page["console_errors"] as? [String], [], "\(page["url"] ?? "")")
            XCTAssertFalse((page["title"] as? String ?? "").hasPrefix("Not found"), "\(page["url"] ?? "") is a 404 page")
        }
        let text = Dictionary(pages.map { (URL(string: $0["url"] as? String ?? "")?.path ?? "", $0["text"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        let index = text["/index.html"] ?? ""
        for m in Self.messages { XCTAssertTrue(index.contains(m), "the runs page lacks \(m)") }
        XCTAssertTrue(index.contains("prod") && index.contains("staging"), "the runs page shows no deployed-to badges:\n\(index)")
        XCTAssertTrue((text["/deployments.html"] ?? "").lowercased().contains("rollback"), "the deployments page marks no rollback:\n\(text["/deployments.html"] ?? "")")
        XCTAssertTrue((text["/run/\(s.ids[0].prefix(12)).html"] ?? "").contains(Self.messages[0]), "the run page lacks its message")
    }

    /// Clicking a header sorts the runs table by it; a second click reverses it; numbers sort as
    /// numbers (16 after 4). On the server (links) and in the export (a script) alike.
    func testRunsTableSorts() throws {
        let s = try seen()
        for site in ["server", "export"] {
            let byMessage = s["\(site) sort message"]
            XCTAssertNil(byMessage["error"], "\(site): \(byMessage)")
            let before = try Self.column(byMessage["before"], named: "message")
            XCTAssertEqual(before.sorted(), Self.messages.sorted(), "\(site): the runs table lists each run once")
            let after = try XCTUnwrap(byMessage["after"] as? [[String: Any]])
            XCTAssertEqual(after.count, 2)
            guard after.count == 2 else { continue }
            let first = try Self.column(after[0]["table"], named: "message"), second = try Self.column(after[1]["table"], named: "message")
            XCTAssertTrue(first == Self.messages.sorted() || first == Self.messages.sorted().reversed(), "\(site), one click: \(first)")
            // Runs made in the same second may already list in message order: the reversal proves the clicks sort.
            XCTAssertEqual(second, first.reversed(), "\(site): a second click reverses the order")
            for a in after { XCTAssertEqual(a["console_errors"] as? [String], [], "\(site): \(a["url"] ?? "")") }

            let byRank = s["\(site) sort r"]
            XCTAssertNil(byRank["error"], "\(site): \(byRank)")
            let ranks = try Self.column((byRank["after"] as? [[String: Any]])?.first?["table"], named: "r").compactMap { Int($0) }
            XCTAssertTrue(ranks == [2, 4, 16] || ranks == [16, 4, 2], "\(site): numeric order: \(ranks)")
        }
    }

    /// The server's filter box takes the `ftx runs --where` language, and the filtered view has its
    /// own URL; a malformed filter shows the parser's error. The export filters rows by text.
    func testRunsTableFilters() throws {
        let s = try seen()
        let filter = s["server filter"]
        XCTAssertNil(filter["error"], "\(filter)")
        XCTAssertEqual(Set(try Self.column(filter["table"], named: "message")), [Self.messages[0], Self.messages[2]], "lora_r > 2 keeps the r=4 and r=16 runs")
        XCTAssertEqual(filter["console_errors"] as? [String], [])
        XCTAssertTrue((filter["url"] as? String ?? "").contains("where="), "the filtered view has its own URL: \(filter["url"] ?? "")")

        let bad = s["server bad filter"]
        XCTAssertNil(bad["error"], "\(bad)")
        let alerts = (bad["alerts"] as? [String] ?? []).joined(separator: "\n")
        XCTAssertTrue(alerts.contains("lora_r"), "a malformed filter shows no parser error: \(bad)")
        XCTAssertEqual((bad["console_errors"] as? [String] ?? []).filter { !$0.contains("status of 400") }, [], "only the page's own 400 status")

        let text = s["export filter"]
        XCTAssertNil(text["error"], "\(text)")
        XCTAssertEqual(try Self.column(text["table"], named: "message"), [Self.messages[1]], "the export's text filter 'alpha'")
        XCTAssertEqual(text["console_errors"] as? [String], [])
    }

    /// Compare overlays one loss curve per run: three runs, three curves; two runs, two. Ticking
    /// runs on the runs page and pressing Compare leads there.
    func testCompareShowsOneCurvePerRun() throws {
        let s = try seen()
        let short = s.ids.map { String($0.prefix(12)) }
        let pages = Self.pages(s["server"]) + Self.pages(s["export"])
        for n in [2, 3] {
            let name = "compare/" + short.prefix(n).joined(separator: ",") + ".html"
            let page = try XCTUnwrap(pages.first { ($0["url"] as? String ?? "").removingPercentEncoding?.hasSuffix("/" + name) == true }, "\(name) not loaded")
            let charts = try XCTUnwrap(page["charts"] as? [Int])
            XCTAssertEqual(charts.first { $0 > 0 }, n, "\(name): the first chart's curves \(charts)")
            XCTAssertTrue(charts.allSatisfy { $0 <= n }, "\(name): more curves than runs in a chart: \(charts)")
        }
        let exported = Self.pages(s["export"]).filter { ($0["url"] as? String ?? "").removingPercentEncoding?.hasSuffix("/compare/\(short.joined(separator: ",")).html") == true }
        XCTAssertEqual(exported.count, 1, "--compare A,B,C is in the export")

        let pick = s["server pick"]
        XCTAssertNil(pick["error"], "\(pick)")
        let picked = try XCTUnwrap(pick["picked"] as? [String])
        XCTAssertTrue((pick["url"] as? String ?? "").removingPercentEncoding?.hasSuffix("/compare/\(picked.joined(separator: ",")).html") == true, "\(pick["url"] ?? "")")
        XCTAssertEqual(pick["polylines"] as? Int ?? 0 > 0, true, "the compare page it led to draws curves")
        XCTAssertEqual(pick["console_errors"] as? [String], [])
    }

    /// The keyboard reaches the navigation and the table's links (Tab moves through real links).
    func testKeyboardReachesLinks() throws {
        let keys = try seen()["server keys"]
        XCTAssertNil(keys["error"], "\(keys)")
        let focused = try XCTUnwrap(keys["focused"] as? [String])
        XCTAssertEqual(focused.count, 4)
        XCTAssertTrue(focused.allSatisfy { !$0.isEmpty && !$0.hasPrefix("body") }, "Tab reached nothing: \(focused)")
        XCTAssertTrue(focused.contains { $0.hasPrefix("a:") }, "no link takes the focus: \(focused)")
    }

    /// Every link, image, stylesheet and script on every page resolves (http status < 400; `#id`
    /// targets exist), artifacts included.
    func testLinksResolve() throws {
        let crawl = try seen()["server"]
        XCTAssertEqual((crawl["bad_links"] as? [[String: Any]])?.count, 0, "\(crawl["bad_links"] ?? [])")
        XCTAssertGreaterThan(crawl["links_checked"] as? Int ?? 0, 20)
        XCTAssertEqual(crawl["unvisited"] as? Int, 0, "more pages than the crawl's limit")
    }

    /// Each page's screenshot has more than one colour (a page that rendered nothing is one colour).
    func testScreenshotsAreNonBlank() throws {
        let s = try seen()
        for page in Self.pages(s["server"]) + Self.pages(s["export"]) {
            XCTAssertGreaterThan(Self.colours(page), 1, "\(page["url"] ?? "") rendered blank")
        }
        guard ProcessInfo.processInfo.environment["FTX_UPDATE_SCREENSHOTS"] == "1" else { return }
        let short = s.ids.map { String($0.prefix(12)) }
        let images = TestSupport.repoRoot.appendingPathComponent("docs/images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for (shot, doc) in [("server-index", "runs"), ("server-run-" + short[2], "run"), ("server-compare-" + short.joined(separator: "-"), "compare"),
                            ("server-deployments", "deployments"), ("server-data", "data")] {
            let to = images.appendingPathComponent("ui-\(doc).png")
            try? FileManager.default.removeItem(at: to)
            try FileManager.default.copyItem(at: s.shots.appendingPathComponent(shot + ".png"), to: to)
        }
    }

    /// `ftx ui --export` opens from file:// in the same browser: every page without console errors,
    /// every link to a file that exists, every run, the deployments and the data.
    func testExportOpensFromFileURL() throws {
        let s = try seen()
        let crawl = s["export"]
        let pages = Self.pages(crawl)
        XCTAssertEqual((crawl["bad_links"] as? [[String: Any]])?.count, 0, "\(crawl["bad_links"] ?? [])")
        for page in pages {
            XCTAssertTrue((page["url"] as? String ?? "").hasPrefix("file://"), "\(page["url"] ?? "")")
            XCTAssertEqual(page["console_errors"] as? [String], [], "\(page["url"] ?? "")")
        }
        let paths = Set(pages.compactMap { ($0["url"] as? String).flatMap(URL.init(string:))?.path })
        for rel in s.ids.map({ "run/\($0.prefix(12)).html" }) + ["index.html", "deployments.html", "data.html"] {
            XCTAssertTrue(paths.contains(s.export.appendingPathComponent(rel).path), "the export lacks \(rel): \(paths.sorted())")
        }
        XCTAssertEqual(crawl["unvisited"] as? Int, 0, "more pages than the crawl's limit")
    }

    // MARK: the one session

    /// The Python with selenium, once chromium and its driver are there; skips (or, under
    /// FTX_REQUIRE_BROWSER=1 as `make test` sets, fails) with what is missing.
    static func browserPython() throws -> String {
        let env = ProcessInfo.processInfo.environment
        let python = env["FTX_SELENIUM_PYTHON"] ?? TestSupport.repoRoot.appendingPathComponent(".cache/venv-selenium/bin/python").path
        var missing: [String] = []
        for (what, path) in [("chromium (make deps)", env["FTX_CHROMIUM"] ?? "/usr/bin/chromium"),
                             ("chromium-driver (make deps)", env["FTX_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"),
                             ("selenium's Python, FTX_SELENIUM_PYTHON (make selenium)", python)]
        where !FileManager.default.isExecutableFile(atPath: path) {
            missing.append("\(what) at \(path)")
        }
        if missing.isEmpty { return python }
        let message = "browser tests need " + missing.joined(separator: ", ")
        if env["FTX_REQUIRE_BROWSER"] == "1" { XCTFail(message) }
        throw XCTSkip(message + " (make test installs them)")
    }

    static func runSession() throws -> Session {
        let fixture = RegistryCLITestCase(name: "UIBrowserTests fixture", testClosure: { _ in })
        let ids = try makeRuns(fixture)
        let scratch = TestSupport.makeTempDir("ftx-ui-browser")
        let shots = scratch.appendingPathComponent("shots"), export = scratch.appendingPathComponent("site")
        let short = ids.map { String($0.prefix(12)) }
        try fixture.ftx(["ui", "--export", export.path, "--compare", short.joined(separator: ",")])

        let server = try TestSupport.startFTX(["ui", "--port", "0"], cwd: fixture.dir)
        defer { server.kill9() }
        guard let line = server.line(startingWith: "ftx ui", timeout: 60),
              let r = line.range(of: #"http://[0-9.:]+"#, options: .regularExpression) else {
            server.kill9()
            throw BrowserError(message: "ftx ui printed no URL: \(server.wait().stderr)")
        }
        let base = String(line[r]), index = "\(base)/index.html", exported = export.appendingPathComponent("index.html").absoluteString
        let compares = [2, 3].map { "\(base)/compare/\(short.prefix($0).joined(separator: ",")).html" }
        let steps: [(String, [String: Any])] = [
            ("server", ["op": "crawl", "start": index, "also": compares, "max_pages": 40, "prefix": "server-"]),
            ("server sort message", ["op": "sort", "url": index, "header": "message", "clicks": 2]),
            ("server sort r", ["op": "sort", "url": index, "header": "r"]),
            ("server filter", ["op": "filter", "url": index, "text": "lora_r > 2"]),
            ("server bad filter", ["op": "filter", "url": index, "text": "lora_r >"]),
            ("server pick", ["op": "pick", "url": index, "count": 2]),
            ("server keys", ["op": "keys", "url": index, "tabs": 4]),
            // The --compare page is a file of the export that no page links to.
            ("export", ["op": "crawl", "start": exported, "also": [export.appendingPathComponent("compare/\(short.joined(separator: ",")).html").absoluteString],
                        "max_pages": 40, "prefix": "export-"]),
            ("export sort message", ["op": "sort", "url": exported, "header": "message", "clicks": 2]),
            ("export sort r", ["op": "sort", "url": exported, "header": "r"]),
            ("export filter", ["op": "filter", "url": exported, "text": "alpha"]),
        ]
        let results = try browse(steps.map(\.1), in: scratch, screenshots: shots)
        server.kill9()
        try? FileManager.default.removeItem(at: fixture.dir)
        return Session(ids: ids, steps: Dictionary(uniqueKeysWithValues: zip(steps.map(\.0), results)), shots: shots, export: export)
    }

    /// Runs `steps` in one chromium session (Tests/UISupport/browser.py): one result per step.
    static func browse(_ steps: [[String: Any]], in dir: URL, screenshots: URL? = nil) throws -> [[String: Any]] {
        let plan = dir.appendingPathComponent("plan.json")
        try JSONSerialization.data(withJSONObject: ["screenshots": screenshots.map { $0.path as Any } ?? NSNull(), "steps": steps] as [String: Any]).write(to: plan)
        let script = TestSupport.repoRoot.appendingPathComponent("Tests/UISupport/browser.py").path
        let out = try TestSupport.run(try browserPython(), [script, plan.path], cwd: dir)
        guard out.status == 0, let results = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]],
              results.count == steps.count else {
            throw BrowserError(message: "browser.py failed (\(out.status)): \(out.stderr.suffix(3000))\n\(out.stdout.prefix(2000))")
        }
        return results
    }

    struct BrowserError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// Three pages of known faults, for the harness's own test.
    static func writeHarnessSite(_ dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let pages = [
            "good.html": #"<!doctype html><title>good</title><h1>Good</h1><a href="broken.html">b</a> <a href="blank.html">c</a> <a href="missing.html">m</a><svg width="90" height="40"><polyline class="series" points="0,0 50,30" stroke="red"/><polyline class="series" points="0,30 50,0" stroke="blue"/></svg>"#,
            "broken.html": #"<!doctype html><title>broken</title><p>text</p><script>notDefinedAnywhere()</script>"#,
            "blank.html": #"<!doctype html><title>blank</title><body style="background:#fff"></body>"#,
        ]
        for (name, html) in pages { try Data(html.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir.appendingPathComponent("good.html")
    }

    static let messages = ["beta: rank 4", "alpha: rank 2", "gamma: rank 16, more data"]

    /// The fixture repository: the tiny-model project of RegistryCLITestCase, three runs (r = 4, 2,
    /// 16; the third over a second version of the data), prod deployed twice and rolled back,
    /// staging deployed once. Full run ids, oldest first.
    static func makeRuns(_ f: RegistryCLITestCase) throws -> [String] {
        try f.setUpWithError()
        try f.makeTinyProject()
        func run(_ sets: [String], _ message: String) throws -> String {
            let r = try f.ftx(["run", "-c", "configs/lora.yaml", "-m", message, "--json"] + sets.flatMap { ["--set", $0] })
            let o = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            guard let id = o?["commit"] as? String else { throw BrowserError(message: "ftx run: \(r.stdout) \(r.stderr)") }
            return id
        }
        let a = try run(["lora_r=4"], messages[0])
        let b = try run(["lora_r=2"], messages[1])
        // A second version of the data: one row fewer, two more.
        var rows = try String(contentsOf: f.dir.appendingPathComponent("data/all.jsonl"), encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
        rows += ["coral", "amber"].map { #"{"id": "\#($0)", "prompt": "color \#($0) ->", "completion": " [\#($0.uppercased())]"}"# }
        try f.write("data/all.jsonl", rows.joined(separator: "\n") + "\n")
        let c = try run(["lora_r=16", "lora_alpha=32"], messages[2])
        try f.ftx(["deploy", a, "--env", "prod"])
        try f.ftx(["deploy", c, "--env", "prod", "--reason", "more data"])
        try f.ftx(["deploy", "--rollback", "prod"])
        try f.ftx(["deploy", b, "--env", "staging"])
        return [a, b, c]
    }

    // MARK: reading the results

    static func pages(_ crawl: [String: Any]) -> [[String: Any]] { crawl["pages"] as? [[String: Any]] ?? [] }

    static func colours(_ page: [String: Any]) -> Int { (page["screenshot"] as? [String: Any])?["colours"] as? Int ?? 0 }

    /// The cells of the column whose header is `name` (or one of `or`), case-insensitive.
    static func column(_ table: Any?, named name: String, or others: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let t = try XCTUnwrap(table as? [String: Any], "no table on the page", file: file, line: line)
        let headers = (t["headers"] as? [String] ?? []).map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: " ▲▼↑↓")) }
        let k = try XCTUnwrap(([name] + others).lazy.compactMap { headers.firstIndex(of: $0.lowercased()) }.first,
                              "no column \(name) in \(headers)", file: file, line: line)
        return (t["rows"] as? [[String]] ?? []).map { k < $0.count ? $0[k] : "" }
    }
}
