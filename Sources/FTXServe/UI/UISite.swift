import Foundation
import FTXRegistry

/// One request to the `ftx ui` pages: a path (percent-decoded, without the query) and its query.
public struct UIRequest: Sendable {
    public var path: String
    public var query: [String: String]

    public init(path: String, query: [String: String] = [:]) { self.path = path; self.query = query }

    /// From a request target such as `/index.html?where=lora_r%20%3E%208&sort=loss:asc`.
    public init(target: String) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        query = [:]
        guard parts.count == 2 else { return }
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let plus = s.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            query[decode(kv[0])] = kv.count == 2 ? decode(kv[1]) : ""
        }
    }

    /// The path's components, without empty ones (`/run/abc.html` → ["run", "abc.html"]).
    public var components: [String] { path.split(separator: "/").map(String.init) }
}

/// What a route answers.
public struct UIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data
    public var headers: [(String, String)] = []

    public init(status: Int = 200, contentType: String, body: Data, headers: [(String, String)] = []) {
        self.status = status; self.contentType = contentType; self.body = body; self.headers = headers
    }

    public static func html(_ s: String, status: Int = 200) -> UIResponse {
        UIResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(s.utf8))
    }

    public static func json(_ object: Any, status: Int = 200) throws -> UIResponse {
        let d = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return UIResponse(status: status, contentType: "application/json", body: d)
    }
}

/// A request a route cannot answer: shown as an error page with its status.
public enum UIError: Error, Equatable {
    case notFound(String)
    case badRequest(String)

    var status: Int { if case .notFound = self { return 404 }; return 400 }
    var message: String {
        switch self { case .notFound(let m), .badRequest(let m): return m }
    }
}

/// The `ftx ui` site: a read-only view of one repository, as a pure function from request to
/// response, so routes are tested without a socket and `--export` writes the very same bytes.
///
/// URLs are paths only (no query needed to reach a view), so every page is also a static file:
///
///     index.html                        runs (query: where, sort, cols, page)
///     runs.json                         the same rows as JSON
///     run/<short id>.html, .json        one run
///     compare/<id>,<id>[,…].html        2 to 8 runs
///     deployments.html                  deploy timelines per environment
///     data.html, data/…                 dataset versions, checks, row diffs
///     artifact/<object id>/<name>       a stored file's bytes, by object id
///
/// Links are relative (`UIPage.root(depth)`), so an export opens from `file://` anywhere.
public final class UISite {
    public enum Mode: Sendable { case server, export }

    public let registry: Registry
    public let mode: Mode

    public init(registry: Registry, mode: Mode = .server) { self.registry = registry; self.mode = mode }

    typealias Route = (UISite, UIRequest, [String]) throws -> UIResponse

    /// Routes by the path's first component; each page's file defines its handler.
    static let routes: [String: Route] = [
        "": { s, r, _ in try s.runsPage(r) },
        "index.html": { s, r, _ in try s.runsPage(r) },
        "runs.json": { s, r, _ in try s.runsJSON(r) },
        "run": { s, r, rest in try s.runPage(r, rest) },
        "compare": { s, r, rest in try s.comparePage(r, rest) },
        "deployments.html": { s, r, _ in try s.deploymentsPage(r) },
        "data.html": { s, r, rest in try s.dataPage(r, rest) },
        "data": { s, r, rest in try s.dataPage(r, rest) },
        "artifact": { s, r, rest in try s.artifact(r, rest) },
    ]

    public func respond(_ request: UIRequest) -> UIResponse {
        let parts = request.components
        if parts.contains(where: { $0 == ".." || $0 == "." }) { return errorPage(.notFound("no such page: \(request.path)")) }
        guard let route = Self.routes[parts.first ?? ""] else { return errorPage(.notFound("no such page: \(request.path)")) }
        do {
            return try route(self, request, Array(parts.dropFirst()))
        } catch let e as UIError {
            return errorPage(e)
        } catch {
            return errorPage(.badRequest("\(error)"))
        }
    }

    func errorPage(_ e: UIError) -> UIResponse {
        let title = e.status == 404 ? "Not found" : "Bad request"
        let body = "<h1>\(title)</h1><p class=\"error\" role=\"alert\">\(UIPage.esc(e.message))</p><p><a href=\"\(UIPage.root(1))index.html\">All runs</a></p>"
        // Depth 1 is safe from any depth for the server (absolute root below keeps links valid).
        return .html(UIPage.document(title: title, depth: 1, active: nil, body: body, absoluteRoot: true), status: e.status)
    }
}
