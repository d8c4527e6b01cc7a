import FTXStore
import Foundation

/// Everything a run commit says about where its adapter came from (docs/architecture.md, "A run
/// commit"): config, data ids and sizes per split, base model, adapter files, metrics, gates,
/// provenance, deployments.
/// `ftx show` prints it for run commits through `text` / `json`.
public struct RunLineage {
    public struct FileFact { public let path: String; public let id: String; public let size: Int; public let rows: Int? }

    public let commit: ObjectID
    public let parents: [ObjectID]
    public let author: String
    public let time: Int64
    public let message: String
    public let header: RunHeader
    public let config: String?
    public let data: [FileFact]
    public let adapter: [FileFact]
    public let report: FileFact?
    public let base: BaseRegistry.Base?
    public let deployedIn: [String]
    /// Every file of the run's own tree (config, data splits, adapter, report, log), by path.
    public let recorded: [FileFact]

    /// What the run recorded, for `ftx show`: a run commit's tree is its record, not a state of the
    /// project, so listing it as changes against the parent would read as the project's files
    /// being deleted.
    public var recordedText: String {
        var s = "recorded by the run (its own tree; the project's files are not part of it):\n"
        for f in recorded { s += "  \(f.path)  \(f.id.prefix(12))  \(f.size) bytes\n" }
        return s
    }

    public var text: String {
        var s = "run \(commit.hex)\n"
        for p in parents { s += "parent  \(p.hex)\n" }
        s += "author  \(author)  \(RunTable.day(time)) UTC\n\n    \(message.trimmingCharacters(in: .newlines))\n\n"
        let h = header
        s += "base    \(h.baseName ?? "?") \(h.baseID ?? "?")"
        if let b = base {
            if b.name != h.baseName { s += "  (now '\(b.name)')" }
            s += b.linked ? "  (linked: \(b.path))" : "  (stored, \(b.size) bytes)"
        } else { s += "  (not registered here)" }
        s += "\nseed    \(h.seed.map(String.init) ?? "?")    engine \(h.engine ?? "?")\n"
        if let c = h.code { s += "code    \(c.commit)\(c.branch.map { " (\($0))" } ?? "")\(c.dirty ? " dirty" : "")\n" } else { s += "code    none (no git repository)\n" }
        s += "host    \(h.hostCPU ?? "?"), \(h.hostThreads.map(String.init) ?? "?") threads"
        if let w = h.wallSeconds { s += ", wall \(String(format: "%.1f", w)) s" }
        s += "\n\ndata\n"
        for d in data { s += "  \(d.path)  \(d.id.prefix(12))  \(d.size) bytes\(d.rows.map { ", \($0) rows" } ?? "")\n" }
        s += "adapter\n"
        for a in adapter { s += "  \(a.path)  \(a.id.prefix(12))  \(a.size) bytes\n" }
        if let r = report { s += "report\n  \(r.path)  \(r.id.prefix(12))  \(r.size) bytes\n" }
        s += "\nmetrics\n"
        for (k, v) in h.metrics.sorted(by: { $0.key < $1.key }) { s += "  \(k) = \(formatNumber(v))\n" }
        s += "gates   \(h.gateStatus.rawValue)\n"
        for g in h.gates { s += "  \(g.passed ? "pass" : "FAIL")  \(g.name)\(g.detail.isEmpty ? "" : "  (\(g.detail))")\n" }
        if !deployedIn.isEmpty { s += "deployed in: \(deployedIn.joined(separator: ", "))\n" }
        if let config { s += "\nconfig.yaml\n" + config.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n" }
        return s
    }

    public var json: [String: Any] {
        func f(_ x: FileFact) -> [String: Any] { ["path": x.path, "id": x.id, "size": x.size, "rows": x.rows as Any] }
        var params: [String: Any] = [:]
        for (k, v) in header.params { switch v { case .number(let d): params[k] = d; case .text(let t): params[k] = t } }
        return [
            "commit": commit.hex, "parents": parents.map(\.hex), "author": author, "time": time, "message": message,
            "base": ["id": header.baseID as Any, "name": header.baseName as Any, "linked": base?.linked as Any, "path": base?.path as Any],
            "seed": header.seed as Any, "engine": header.engine as Any,
            "code": header.code.map { ["commit": $0.commit, "branch": $0.branch as Any, "dirty": $0.dirty] } as Any,
            "host": ["cpu": header.hostCPU as Any, "threads": header.hostThreads as Any], "wall_seconds": header.wallSeconds as Any,
            "data": data.map(f), "adapter": adapter.map(f), "report": report.map(f) as Any,
            "metrics": header.metrics, "gate_status": header.gateStatus.rawValue,
            "gates": header.gates.map { ["name": $0.name, "passed": $0.passed, "detail": $0.detail] },
            "params": params, "config": config as Any, "deployed_in": deployedIn, "recorded": recorded.map(f),
        ]
    }
}

extension Registry {
    /// The rows of a stored JSONL file: its newline count, streamed (no copy of the file).
    public func lineCount(kind: EntryKind, id: ObjectID) throws -> Int {
        var n = 0
        try repo.objects.streamFile(kind: kind, id: id) { d in n += d.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
        return n
    }

    /// The lineage of a run commit (throws `notARunCommit` for other commits).
    public func lineage(_ revision: String) throws -> RunLineage {
        let c = try commit(revision)
        guard let header = c.run else { throw RegistryError.notARunCommit(revision) }
        func facts(_ dir: String, countRows: Bool) throws -> [RunLineage.FileFact] {
            guard let e = try entry(dir, in: c.commit), e.kind == .tree else { return [] }
            return try repo.flatten(tree: e.id).sorted { $0.key < $1.key }.map { path, f in
                var rows: Int?
                if countRows && path.hasSuffix(".jsonl") { rows = try lineCount(kind: f.kind, id: f.id) }
                return RunLineage.FileFact(path: "\(dir)/\(path)", id: f.id.hex, size: try repo.objects.fileSize(kind: f.kind, id: f.id), rows: rows)
            }
        }
        let reportFact = try entry("eval/report.json", in: c.commit).map {
            RunLineage.FileFact(path: "eval/report.json", id: $0.id.hex, size: try repo.objects.fileSize(kind: $0.kind, id: $0.id), rows: nil)
        }
        let base = header.baseID.flatMap { id in try? BaseRegistry(registry: self).base(withID: id) }
        let recorded = try repo.flatten(tree: c.commit.tree).sorted { $0.key < $1.key }.map { path, f in
            RunLineage.FileFact(path: path, id: f.id.hex, size: try repo.objects.fileSize(kind: f.kind, id: f.id), rows: nil)
        }
        let deployed = try repo.refs.list(prefix: "refs/deploy/").filter { $0.1 == c.id }.map { String($0.0.dropFirst("refs/deploy/".count)) }
        return RunLineage(commit: c.id, parents: c.commit.parents, author: c.commit.author.ident, time: c.commit.author.time,
                          message: c.commit.message, header: header,
                          config: try file("config.yaml", in: c.commit).map { String(decoding: $0, as: UTF8.self) },
                          data: try facts("data", countRows: true), adapter: try facts("adapter", countRows: false),
                          report: reportFact, base: base, deployedIn: deployed, recorded: recorded)
    }
}
