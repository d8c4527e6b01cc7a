import FTXCore
import Foundation

/// Promised objects: ones this repository knows of but has deliberately not fetched (a lazy
/// clone's large files, a base model pushed without its bytes). `.ftx/promised` holds one line per
/// object, `<id> <why>`; fsck reports such objects as promised instead of missing, and gc does not
/// need them. An object that arrives later is simply present; its line is then dropped.
extension Repository {
    public var promisedPath: String { ftxDirectory + "/promised" }

    /// The largest promised list read (a line per deferred file, not per chunk).
    static let maxPromisedSize = 64 << 20

    /// Promised ids with the reason each is absent (empty when there is no list).
    public func promisedObjects() throws -> [ObjectID: String] {
        guard let data = FileManager.default.contents(atPath: promisedPath) else { return [:] }
        guard data.count <= Repository.maxPromisedSize else {
            throw StoreError.io(path: promisedPath, reason: "promised-object list is larger than \(Repository.maxPromisedSize) bytes")
        }
        var out: [ObjectID: String] = [:]
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let id = parts.first.flatMap({ ObjectID(hex: String($0)) }) else {
                throw StoreError.io(path: "\(promisedPath):\(n + 1)", reason: "malformed promised-object line")
            }
            out[id] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    /// Records promised objects (merged with the list; ids now present are dropped).
    public func addPromised(_ items: [ObjectID: String]) throws {
        let lock = try LockFile.acquire(promisedPath + ".lock")
        defer { lock.release() }
        var all = try promisedObjects()
        for (id, why) in items { all[id] = why.replacingOccurrences(of: "\n", with: " ") }
        var text = ""
        for (id, why) in all.sorted(by: { $0.key < $1.key }) where !objects.contains(id) { text += "\(id.hex) \(why)\n" }
        try lock.commit(Data(text.utf8), to: promisedPath)
    }
}
