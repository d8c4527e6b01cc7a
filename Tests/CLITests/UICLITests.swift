import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import FTXTestSupport
import XCTest

/// `ftx ui` as users run it: the built binary serving a repository of run commits over HTTP, the
/// static export (the same bytes as the server), and the loopback rule.
final class UICLITests: RegistryCLITestCase {
    func get(_ url: String) throws -> (status: Int, body: Data, headers: [AnyHashable: Any]) {
        // Written by the session's queue before `done` is signalled, read after.
        final class Reply: @unchecked Sendable { var value: (Int, Data, [AnyHashable: Any])? }
        let reply = Reply()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
            let h = response as? HTTPURLResponse
            reply.value = (h?.statusCode ?? 0, data ?? Data(), h?.allHeaderFields ?? [:])
            done.signal()
        }.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, url)
        return try XCTUnwrap(reply.value)
    }

    func testServesPagesAndExportHasTheSameBytes() throws {
        let a = try runCommit("first run", status: "failed", passRate: 0.5, r: 4)
        let b = try runCommit("second run", status: "passed", passRate: 0.9, r: 8)
        let server = try TestSupport.startFTX(["ui", "--port", "0"], cwd: dir, env: [:])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let prefix = "ftx ui: listening on http://127.0.0.1:"
        let line = try XCTUnwrap(server.line(startingWith: prefix), server.stderr)
        XCTAssertTrue(line.hasSuffix("/"), line)
        let port = try XCTUnwrap(Int(line.dropFirst(prefix.count).prefix { $0.isNumber }))
        let base = "http://127.0.0.1:\(port)/"

        let index = try get(base)
        XCTAssertEqual(index.status, 200)
        let html = String(decoding: index.body, as: UTF8.self)
        XCTAssertTrue(html.contains("run/\(a.prefix(12)).html") && html.contains("run/\(b.prefix(12)).html"), html)
        XCTAssertEqual(try get(base + "run/\(b.prefix(12)).html").status, 200)
        XCTAssertEqual(try get(base + "run/0000000000ab.html").status, 404)
        XCTAssertEqual(try get(base + "index.html?where=lora_r%20%3E").status, 400)
        XCTAssertEqual(try get(base + "artifact/%2e%2e%2f%2e%2e%2fconfig/x").status, 404)

        let out = dir.appendingPathComponent("site").path
        let r = try ftx(["ui", "--export", out, "--json"])
        XCTAssertTrue(r.stdout.contains("\"path\" : \"index.html\""), r.stdout)
        for path in ["index.html", "runs.json", "run/\(a.prefix(12)).html", "run/\(b.prefix(12)).json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + path), path)
        }
        // The run page is the same in both modes: the exported file has the served bytes.
        for path in ["run/\(b.prefix(12)).html", "run/\(a.prefix(12)).json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + path), try get(base + path).body, path)
        }
        // Artifacts linked from run pages are exported too, so links resolve from file://.
        let adapterLinks = try String(contentsOfFile: out + "/run/\(b.prefix(12)).html", encoding: .utf8)
            .components(separatedBy: "href=\"../artifact/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        XCTAssertFalse(adapterLinks.isEmpty)
        for link in adapterLinks {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/artifact/" + link), try get(base + "artifact/" + link).body, link)
        }
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0, server.stderr)
    }

    func testNonLoopbackNeedsAnAPIKey() throws {
        let open = try ftx(["ui", "--host", "0.0.0.0"], status: 2)
        XCTAssertTrue(open.stderr.contains("--host 0.0.0.0 is reachable from other machines: set an API key with --api-key-env VAR"), open.stderr)
        let unset = try ftx(["ui", "--api-key-env", "FTX_SURELY_UNSET_VAR"], status: 2)
        XCTAssertTrue(unset.stderr.contains("FTX_SURELY_UNSET_VAR"), unset.stderr)
    }
}
