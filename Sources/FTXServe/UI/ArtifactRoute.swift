import Foundation
import FTXStore

/// `artifact/<64-hex object id>/<name>`: the bytes of a stored file (a blob, or a chunked file
/// joined from its chunks), read through the object store by id, never by a path from the URL.
/// Anything else — a bad id, an unknown object, a tree, commit or tag, a file over the size cap, a
/// name with a slash or control characters — is a 404.
extension UISite {
    /// Largest file served (the body is built in memory).
    static let maxArtifactBytes = 512 << 20

    func artifact(_ r: UIRequest, _ rest: [String]) throws -> UIResponse {
        let missing = UIError.notFound("no such artifact: \(r.path)")
        guard rest.count == 2, rest[0].count == 64, rest[0].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
              let id = ObjectID(hex: rest[0]) else { throw missing }
        let name = rest[1]
        guard !name.isEmpty, name.count <= 255, name != "..", name != ".",
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "/" || $0 == "\\" }) else { throw missing }
        // Only objects already here: an unknown id must not make a lazy clone fetch anything.
        let store = registry.repo.objects
        guard store.contains(id) else { throw missing }
        let object = try? store.read(id)
        var body = Data()
        switch object?.type {
        case .blob?:
            body = object!.content
        case .chunked?:
            guard let list = try? store.readChunkList(id), list.totalSize <= Self.maxArtifactBytes else { throw missing }
            body.reserveCapacity(list.totalSize)
            do { try store.streamFile(kind: .chunked, id: id) { body.append($0) } } catch { throw missing }
        default:
            throw missing
        }
        guard body.count <= Self.maxArtifactBytes else { throw missing }
        return UIResponse(status: 200, contentType: "application/octet-stream", body: body, headers: [
            ("content-disposition", Self.contentDisposition(name)), ("x-content-type-options", "nosniff"),
        ])
    }

    /// RFC 3986's unreserved characters (ASCII only; `CharacterSet.alphanumerics` has every script's letters).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `attachment; filename="…"` with an ASCII fallback, and the UTF-8 name (RFC 6266).
    static func contentDisposition(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let utf8 = name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(utf8)"
    }
}
