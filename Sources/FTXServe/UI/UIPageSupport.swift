import Foundation
import FTXRegistry

/// Small pieces the compare, deployments and data pages share.
extension UISite {
    /// A page name as `stem.html` or `stem.json`; anything else is no page.
    enum PageFormat { case html, json }

    static func splitPageName(_ name: String) throws -> (stem: String, format: PageFormat) {
        if name.hasSuffix(".html") { return (String(name.dropLast(5)), .html) }
        if name.hasSuffix(".json") { return (String(name.dropLast(5)), .json) }
        throw UIError.notFound("no such page: \(name)")
    }

    /// A run commit by short id or any revision the registry resolves; a revision that names
    /// nothing, or a commit that is not a run, is a 404.
    func runCommit(_ id: String) throws -> Registry.ResolvedCommit {
        let c: Registry.ResolvedCommit
        do { c = try registry.commit(id) } catch { throw UIError.notFound("unknown run: \(id)") }
        guard c.run != nil else { throw UIError.notFound("\(id) (\(c.id.short)) is not a run commit") }
        return c
    }

    /// A link to a run's page from a page `depth` folders below the root.
    static func runLink(_ short: String, depth: Int, text: String? = nil) -> String {
        "<a href=\"\(UIPage.root(depth))run/\(UIPage.esc(short)).html\"><code>\(UIPage.esc(text ?? short))</code></a>"
    }

    /// A Codable value as the JSON object `UIResponse.json` takes.
    static func jsonObject<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }
}
