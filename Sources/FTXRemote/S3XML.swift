import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The two XML documents S3 sends that ftx reads: ListObjectsV2 results and error bodies.
/// Parsed with Foundation's XMLParser (libxml2; external entities are not resolved), on bodies
/// whose size the HTTP layer has already bounded.
enum S3XML {
    struct Listing {
        struct Object { var key: String; var size: Int; var etag: String?; var modified: Date? }
        var objects: [Object] = []
        var isTruncated = false
        var continuationToken: String?
    }

    struct ErrorBody { var code: String?; var message: String?; var region: String? }

    static func listing(_ data: Data) -> Listing? {
        let d = Collector(wanted: ["Contents"])
        guard d.parse(data), d.root == "ListBucketResult" else { return nil }
        var out = Listing()
        out.isTruncated = d.top["IsTruncated"] == "true"
        out.continuationToken = d.top["NextContinuationToken"]
        for c in d.groups {
            guard let key = c["Key"], let size = c["Size"].flatMap(Int.init), size >= 0 else { return nil }
            out.objects.append(Listing.Object(key: key, size: size, etag: c["ETag"], modified: c["LastModified"].flatMap(parseDate)))
        }
        return out
    }

    static func error(_ data: Data) -> ErrorBody? {
        guard !data.isEmpty else { return nil }
        let d = Collector(wanted: [])
        guard d.parse(data), d.root == "Error" else { return nil }
        return ErrorBody(code: d.top["Code"], message: d.top["Message"], region: d.top["Region"])
    }

    static func errorCode(_ data: Data) -> String? { error(data)?.code }

    static func parseDate(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    /// Collects the text of the root's child elements (`top`) and, for each child element named in
    /// `wanted`, the text of its own children (`groups`).
    private final class Collector: NSObject, XMLParserDelegate {
        let wanted: Set<String>
        var root: String?
        var top: [String: String] = [:]
        var groups: [[String: String]] = []
        private var path: [String] = []
        private var text = ""

        init(wanted: Set<String>) { self.wanted = wanted }

        func parse(_ data: Data) -> Bool {
            let p = XMLParser(data: data)
            p.shouldResolveExternalEntities = false
            p.delegate = self
            return p.parse()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if path.isEmpty { root = name }
            path.append(name)
            if path.count == 2, wanted.contains(name) { groups.append([:]) }
            text = ""
            if path.count > 16 { parser.abortParsing() }  // no S3 document nests this deep
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if text.utf8.count < 4096 { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if path.count == 2, !wanted.contains(name) { top[name] = text }
            if path.count == 3, wanted.contains(path[1]) { groups[groups.count - 1][name] = text }
            path.removeLast()
            text = ""
        }
    }
}
