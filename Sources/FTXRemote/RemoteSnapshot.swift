import FTXCore
import FTXStore
import Foundation

/// How a remote is laid out under its root (a bucket prefix or a directory):
///
///     ftx-remote.json                      {"format": 1, "head": "refs/heads/main"}
///     packs/meta/pack-<sha256>.pack        commits, trees, tags, configs, reports, logs
///     packs/meta/pack-<sha256>.bases       delta bases the pack's entries use but do not hold
///     packs/meta/pack-<sha256>.idx         written last: a pack counts only once its index exists
///     packs/data/pack-<sha256>.{pack,bases,idx}   large files (datasets, adapters, base models)
///     refs/heads/main, refs/tags/…, refs/deploy/…, refs/bases/…   "<64 hex digits>\n"
///
/// Packs and indexes use the local store's format. Data packs are split from meta packs so a lazy
/// clone can take every meta pack and leave the data packs for later.
enum RemoteLayout {
    static let manifest = "ftx-remote.json"
    static let format = 1
    static let maxRefSize = 4096
    static let maxManifestSize = 64 << 10
    static let maxIndexSize = 256 << 20
}

enum PackClass: String, CaseIterable, Sendable {
    case meta, data
}

struct RemotePack {
    let cls: PackClass
    /// `pack-<sha256>`.
    let name: String
    let index: PackIndex
    let modified: Date?
    var stem: String { "packs/\(cls.rawValue)/\(name)" }
    var packKey: String { stem + ".pack" }
    var idxKey: String { stem + ".idx" }
    var basesKey: String { stem + ".bases" }
}

struct RemoteRef {
    let name: String
    let id: ObjectID
    /// What a conditional write of this ref must match.
    let version: String
}

/// What a remote holds at one moment: its refs (with versions for compare-and-swap) and its packs.
struct RemoteSnapshot {
    var exists = false
    var head: String?
    var refs: [String: RemoteRef] = [:]
    var packs: [RemotePack] = []
    var listing: [RemoteObjectInfo] = []

    func locate(_ id: ObjectID) -> (pack: Int, position: Int)? {
        for (i, p) in packs.enumerated() { if let pos = p.index.position(of: id) { return (i, pos) } }
        return nil
    }

    func has(_ id: ObjectID) -> Bool { packs.contains { $0.index.contains(id) } }

    /// Reads the listing, the manifest, every ref and every pack index (from the local cache when
    /// an index was seen before: indexes never change, they are named by their pack's checksum).
    static func load(_ storage: RemoteStorage, cacheDirectory: String, requireManifest: Bool) throws -> RemoteSnapshot {
        var s = RemoteSnapshot()
        s.listing = try storage.list()
        let sizes = Dictionary(s.listing.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        if sizes[RemoteLayout.manifest] != nil {
            guard let got = try storage.get([RemoteGet(key: RemoteLayout.manifest, limit: RemoteLayout.maxManifestSize)], progress: nil)[0] else {
                throw RemoteError.damaged(remote: storage.display, location: RemoteLayout.manifest, reason: "listed but unreadable")
            }
            guard let obj = try? JSONSerialization.jsonObject(with: got.data) as? [String: Any], let format = obj["format"] as? Int else {
                throw RemoteError.damaged(remote: storage.display, location: RemoteLayout.manifest, reason: "not a JSON object with a format")
            }
            guard format == RemoteLayout.format else {
                throw RemoteError.notARemote(remote: storage.display, reason: "format \(format) is newer than this ftx understands (\(RemoteLayout.format))")
            }
            s.exists = true
            s.head = (obj["head"] as? String).flatMap { (try? RefStore.validate(name: $0)) != nil ? $0 : nil }
        } else if requireManifest {
            throw RemoteError.notARemote(remote: storage.display, reason: s.listing.isEmpty ? "it is empty" : "there is no \(RemoteLayout.manifest)")
        }

        let refKeys = s.listing.map(\.key).filter { $0.hasPrefix("refs/") && (try? RefStore.validate(name: $0)) != nil }
        let got = try storage.get(refKeys.map { RemoteGet(key: $0, limit: RemoteLayout.maxRefSize) }, progress: nil)
        for (key, value) in zip(refKeys, got) {
            guard let value else { continue }  // deleted since the listing
            let text = String(decoding: value.data, as: UTF8.self)
            guard let id = ObjectID(hex: text.hasSuffix("\n") ? String(text.dropLast()) : text) else {
                throw RemoteError.damaged(remote: storage.display, location: key, reason: "the ref does not hold a 64-digit object id")
            }
            s.refs[key] = RemoteRef(name: key, id: id, version: value.version)
        }

        var toFetch: [(PackClass, String, Int)] = []
        var cached: [String: PackIndex] = [:]
        for info in s.listing {
            let parts = info.key.split(separator: "/")
            guard parts.count == 3, parts[0] == "packs", let cls = PackClass(rawValue: String(parts[1])),
                  parts[2].hasPrefix("pack-"), parts[2].hasSuffix(".idx") else { continue }
            let name = String(parts[2].dropLast(4))
            guard ObjectID(hex: String(name.dropFirst(5))) != nil, let pack = sizes["packs/\(cls.rawValue)/\(name).pack"] else { continue }
            let cachePath = "\(cacheDirectory)/packs/\(cls.rawValue)/\(name).idx"
            if let data = FileManager.default.contents(atPath: cachePath),
               let idx = try? checkedIndex(data, name: name, packSize: pack.size, place: info.key, storage) {
                cached[info.key] = idx
            } else {
                toFetch.append((cls, name, pack.size))
            }
        }
        let fetched = try storage.get(toFetch.map { RemoteGet(key: "packs/\($0.0.rawValue)/\($0.1).idx", limit: RemoteLayout.maxIndexSize) },
                                      progress: nil)
        for ((cls, name, packSize), got) in zip(toFetch, fetched) {
            let key = "packs/\(cls.rawValue)/\(name).idx"
            guard let got else { continue }  // removed by a remote gc since the listing
            cached[key] = try checkedIndex(got.data, name: name, packSize: packSize, place: key, storage)
            try AtomicFile.write(got.data, to: "\(cacheDirectory)/packs/\(cls.rawValue)/\(name).idx")
        }
        for info in s.listing {
            guard let idx = cached[info.key] else { continue }
            let parts = info.key.split(separator: "/")
            s.packs.append(RemotePack(cls: PackClass(rawValue: String(parts[1]))!, name: String(parts[2].dropLast(4)),
                                      index: idx, modified: info.modified))
        }
        return s
    }

    /// A pack index that parses, belongs to the pack it is named after, and matches its size.
    private static func checkedIndex(_ data: Data, name: String, packSize: Int, place: String, _ storage: RemoteStorage) throws -> PackIndex {
        let idx: PackIndex
        do { idx = try PackIndex.parse(data, path: place) } catch {
            throw RemoteError.damaged(remote: storage.display, location: place, reason: "\(error)")
        }
        let sum = Hex.encode(idx.packChecksum)
        guard "pack-" + sum == name, idx.packSize == packSize else {
            throw RemoteError.damaged(remote: storage.display, location: place,
                                      reason: "the index does not describe \(name).pack (\(packSize) bytes)")
        }
        return idx
    }
}

/// Local files kept per remote under `.ftx/remotes/<name>/`: cached pack indexes. Derived data
/// (deleting it costs a re-download) and nothing secret.
enum RemoteCache {
    static func directory(_ repo: Repository, _ name: String) -> String { repo.ftxDirectory + "/remotes/" + name }
}
