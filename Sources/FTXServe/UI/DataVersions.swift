import Foundation
import FTXRegistry
import FTXStore

/// The dataset versions the runs recorded: each run commit stores its splits as `data/<split>.jsonl`
/// (docs/architecture.md, "A run commit"), so a version of a split is a distinct stored file,
/// named by its object id, with the runs that trained or evaluated on it.
struct DataVersions {
    struct Version {
        let split: String
        let kind: EntryKind
        let id: ObjectID
        let rows: Int
        let bytes: Int
        /// Run commits that recorded this version, oldest first.
        var runs: [(short: String, time: Int64, summary: String)]
        var short: String { id.short }
    }

    /// Newest runs read (the page says when there are more): a bound on object reads per request.
    static let maxRuns = 2_000

    /// Per split (sorted by name), its versions in order of first use.
    private(set) var splits: [(split: String, versions: [Version])] = []
    private(set) var truncated = false

    init(_ registry: Registry) throws {
        let index = try registry.openRunIndex()
        try registry.syncRunIndex(index)
        let rows = try index.runs(where: nil, sort: nil, limit: Self.maxRuns + 1)
        truncated = rows.count > Self.maxRuns
        var bySplit: [String: [Version]] = [:]
        var position: [String: [ObjectID: Int]] = [:]
        // Oldest first, so versions come in order of first use.
        for row in rows.prefix(Self.maxRuns).reversed() {
            guard let c = try? registry.commit(row.commit), let data = try registry.entry("data", in: c.commit), data.kind == .tree else { continue }
            for e in try registry.repo.objects.readTree(data.id).entries where e.kind.isFile && e.name.hasSuffix(".jsonl") {
                let split = String(e.name.dropLast(6))
                let use = (short: c.id.short, time: c.commit.author.time, summary: c.commit.summary)
                if let i = position[split]?[e.id] { bySplit[split]![i].runs.append(use); continue }
                let v = Version(split: split, kind: e.kind, id: e.id, rows: try registry.lineCount(kind: e.kind, id: e.id),
                                bytes: try registry.repo.objects.fileSize(kind: e.kind, id: e.id), runs: [use])
                position[split, default: [:]][e.id] = bySplit[split, default: []].count
                bySplit[split, default: []].append(v)
            }
        }
        splits = bySplit.keys.sorted().map { ($0, bySplit[$0]!) }
    }

    /// The version of `split` whose object id starts with `prefix` (at least 7 hex digits, unique).
    func version(_ split: String, _ prefix: String) throws -> Version {
        guard let versions = splits.first(where: { $0.split == split })?.versions else {
            throw UIError.notFound("no run recorded a split named '\(split)'")
        }
        let p = prefix.lowercased()
        let matches = p.count >= 7 && p.allSatisfy(\.isHexDigit) ? versions.filter { $0.id.hex.hasPrefix(p) } : []
        guard matches.count == 1 else {
            throw UIError.notFound(matches.isEmpty ? "no version \(prefix) of split '\(split)'" : "\(prefix) names more than one version of '\(split)'")
        }
        return matches[0]
    }
}
