import Foundation
import FTXTestSupport
import XCTest
@testable import FTXServe

/// `ftx ui` over a socket: the shared NIO server answers GET and HEAD with `UISite`'s bytes, refuses
/// other methods, and checks the API key when one is set.
final class UIRouteHTTPTests: XCTestCase {
    func serve(apiKey: String? = nil, _ body: (RawHTTP, UIFixture) throws -> Void) throws {
        let fixture = try UIFixture()
        let server = UIServer(site: UISite(registry: fixture.registry), host: "127.0.0.1", port: 0, apiKey: apiKey)
        let port = try server.start().port
        defer { server.drain(timeout: 5) }
        try body(RawHTTP(port: port), fixture)
    }

    func testGetHeadAndMethodsServeTheSitesBytes() throws {
        try serve { http, f in
            let page = "/run/\(f.runs[0].prefix(12)).html"
            let get = http.request("GET", page)
            XCTAssertEqual(get.status, 200)
            XCTAssertEqual(get.headers["content-type"], "text/html; charset=utf-8")
            let direct = UISite(registry: f.registry).respond(UIRequest(target: page))
            XCTAssertEqual(Data(get.body.utf8), direct.body, "the same bytes as the pure function")
            let head = http.request("HEAD", page)
            XCTAssertEqual(head.status, 200)
            XCTAssertEqual(head.headers["content-length"], String(direct.body.count))
            XCTAssertEqual(head.body, "")
            let post = http.request("POST", "/index.html", body: Array("x=1".utf8))
            XCTAssertEqual(post.status, 405)
            XCTAssertEqual(post.headers["allow"], "GET, HEAD")
            XCTAssertEqual(http.request("DELETE", page).status, 405)
            XCTAssertEqual(http.request("GET", "/run/000000000000.html").status, 404)
            XCTAssertEqual(http.request("GET", "/artifact/%2e%2e%2f%2e%2e%2fconfig/x").status, 404)
            XCTAssertEqual(http.request("GET", "/index.html?where=%28%28").status, 400)
        }
    }

    func testAPIKeyIsRequiredWhenSet() throws {
        try serve(apiKey: "s3cret") { http, _ in
            let none = http.request("GET", "/")
            XCTAssertEqual(none.status, 401)
            XCTAssertEqual(none.headers["www-authenticate"], "Bearer")
            XCTAssertEqual(http.request("GET", "/", headers: ["Authorization": "Bearer nope"]).status, 401)
            XCTAssertEqual(http.request("GET", "/", headers: ["Authorization": "Bearer s3cret"]).status, 200)
        }
    }
}
