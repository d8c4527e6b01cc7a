import Foundation
import FTXRegistry

/// `ftx ui --export DIR`: the site as static files, the very bytes `UISite(mode: .export)` answers
/// for each path. It starts from the index, runs.json, deployments.html, data.html, every run page
/// (.html and .json), each run compared with its parent run and the `--compare` lists, and follows
/// every relative link the HTML pages hold (other pages, artifacts), so links resolve from
/// `file://`. Written into a temp directory and renamed into place at the end.
public enum UIExport {
    public struct Written {
        public var files: [(path: String, bytes: Int)] = []
        /// Linked paths the site does not answer with 200 (a warning, not an error).
        public var broken: [(path: String, status: Int)] = []
    }

    /// At most this many files (a bound on following links).
    static let maxFiles = 500_000

    public static func write(_ site: UISite, to directory: String, compare: [[String]] = []) throws -> Written {
        var roots = ["index.html", "runs.json", "deployments.html", "data.html"]
        for row in try site.registry.queryRuns(where: nil, sort: nil, limit: nil) {
            let short = String(row.commit.prefix(12))
            roots += ["run/\(short).html", "run/\(short).json"]
            if let p = row.parent, (try? site.registry.commit(p).run) != nil {
                roots.append("compare/\(p.prefix(12)),\(short).html")
            }
        }
        for ids in compare {
            let shorts = try ids.map { String(try site.registry.commit($0).id.hex.prefix(12)) }
            roots += ["compare/\(shorts.joined(separator: ",")).html", "compare/\(shorts.joined(separator: ",")).json"]
        }
        var out = Written()
        try AtomicDirectory.replace(directory) { tmp in
            var queue = roots, seen = Set(roots), next = 0
            while next < queue.count {
                let path = queue[next]; next += 1
                let r = site.respond(UIRequest(path: "/" + path))
                guard r.status == 200 else { out.broken.append((path, r.status)); continue }
                let dest = tmp + "/" + path
                try AtomicDirectory.writeFile(r.body, to: dest)
                out.files.append((path, r.body.count))
                guard r.contentType.hasPrefix("text/html") else { continue }
                for link in links(in: String(decoding: r.body, as: UTF8.self), from: path) where !seen.contains(link) {
                    guard seen.count < maxFiles else { break }
                    seen.insert(link); queue.append(link)
                }
            }
        }
        return out
    }

    /// The site paths the relative `href`/`src` links of a page at `page` point to (decoded;
    /// queries, fragments, absolute URLs and links leaving the site are skipped).
    static func links(in html: String, from page: String) -> [String] {
        var out: [String] = []
        let base = page.split(separator: "/").dropLast().map(String.init)
        for attr in ["href=\"", "src=\""] {
            var rest = html[...]
            while let start = rest.range(of: attr) {
                rest = rest[start.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { break }
                var link = String(rest[..<end])
                rest = rest[end...]
                link = link.replacingOccurrences(of: "&amp;", with: "&")
                if let hash = link.firstIndex(of: "#") { link = String(link[..<hash]) }
                guard !link.isEmpty, !link.contains("?"), !link.contains(":"), !link.hasPrefix("/"),
                      let decoded = link.removingPercentEncoding else { continue }
                var parts = base
                var escapes = false
                for c in decoded.split(separator: "/", omittingEmptySubsequences: true) {
                    if c == "." { continue }
                    if c == ".." { if parts.isEmpty { escapes = true; break }; parts.removeLast() } else { parts.append(String(c)) }
                }
                if !escapes, !parts.isEmpty { out.append(parts.joined(separator: "/")) }
            }
        }
        return out
    }
}
