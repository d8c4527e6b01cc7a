import FTXCore
import FTXStore
import Foundation

public struct RemoteGCReport: Sendable {
    /// Pack names (`packs/meta/pack-…`) deleted, or with dryRun those that would be.
    public var deleted: [String] = []
    public var bytesFreed: Int64 = 0
    public var kept = 0
    /// Unreachable packs kept because they are younger than the grace period.
    public var young = 0
    public var dryRun = false
}

extension Remote {
    /// `ftx gc --remote NAME`: deletes the packs (and leftovers of killed pushes) that no ref of the
    /// remote reaches and that are older than `gracePeriod`. A pack a concurrent push is writing is
    /// younger than that, so it is never touched; indexes go first, so readers never see an index
    /// without its pack. Fetches first: the walk needs the remote's commits and trees locally.
    public func gc(gracePeriod: TimeInterval, dryRun: Bool = false) throws -> RemoteGCReport {
        _ = try fetch()
        guard let snap = cachedSnapshot else { return RemoteGCReport() }
        var keep = Set<Int>()
        func mark(_ id: ObjectID) { for (i, p) in snap.packs.enumerated() where p.index.contains(id) { keep.insert(i) } }

        // Chunk lists a lazy clone has not fetched are read for the walk (without their chunks).
        let tips = snap.refs.values.sorted { $0.name < $1.name }.map { ($0.name, $0.id) }
        for _ in 0..<3 {
            var absentLists: [ObjectID] = []
            keep = []
            try walkObjects(repo, tips: tips) { r in
                mark(r.id)
                if r.isChunk || r.fileKind == .blob || !snap.has(r.id) { return false }
                if !repo.objects.contains(r.id) { absentLists.append(r.id); return false }
                return true
            }
            if absentLists.isEmpty { break }
            try download(absentLists, from: snap, label: "gc \(name): chunk lists")
        }

        // A kept pack's deltas need the packs holding their bases.
        let bases = try storage.get(snap.packs.map { RemoteGet(key: $0.basesKey, limit: 64 << 20) }, progress: nil)
        var frontier = Array(keep)
        while let i = frontier.popLast() {
            let text = bases[i].map { String(decoding: $0.data, as: UTF8.self) } ?? ""
            for line in text.split(separator: "\n") {
                guard let b = ObjectID(hex: String(line)) else { continue }
                for (j, p) in snap.packs.enumerated() where p.index.contains(b) && keep.insert(j).inserted { frontier.append(j) }
            }
        }

        var report = RemoteGCReport()
        report.dryRun = dryRun
        let now = Date()
        func old(_ d: Date?) -> Bool { now.timeIntervalSince(d ?? now) >= gracePeriod }
        let indexed = Set(snap.packs.map(\.stem))
        var doomed: [String] = []
        for (i, p) in snap.packs.enumerated() {
            if keep.contains(i) { report.kept += 1 } else if old(p.modified) { doomed.append(p.stem) } else { report.young += 1 }
        }
        // Leftovers of killed pushes: pack files or base lists whose index never arrived.
        var orphanStems = Set<String>()
        for o in snap.listing where o.key.hasPrefix("packs/") && (o.key.hasSuffix(".pack") || o.key.hasSuffix(".bases")) {
            let stem = String(o.key[..<o.key.lastIndex(of: ".")!])
            if !indexed.contains(stem) && old(o.modified) { orphanStems.insert(stem) }
        }
        doomed += orphanStems.sorted()
        let sizes = Dictionary(snap.listing.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        for stem in doomed { for ext in [".pack", ".idx", ".bases"] { report.bytesFreed += Int64(sizes[stem + ext] ?? 0) } }
        report.deleted = doomed
        guard !dryRun, !doomed.isEmpty else { return report }
        try storage.delete(doomed.map { $0 + ".idx" }.filter { sizes[$0] != nil })
        try storage.delete(doomed.map { $0 + ".bases" }.filter { sizes[$0] != nil })
        try storage.delete(doomed.map { $0 + ".pack" }.filter { sizes[$0] != nil })
        for stem in doomed { try? FileManager.default.removeItem(atPath: "\(cacheDirectory)/\(stem).idx") }
        return report
    }
}
