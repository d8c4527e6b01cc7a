import FTXData
import FTXEval
import FTXStore
import FTXCore
import Foundation

/// `ftx diff A B` on revisions: each side's eval report, resolved config and dataset row ids, for
/// FTXEval's ReportDiff. `base` (or any registered base's name or id) means that base model's
/// stored report on the other side's suite (same suite and cases), so `ftx diff base HEAD`
/// compares tuned with untuned.
extension Registry {
    public struct DiffSide {
        public let label: String
        public let report: EvalReport
        public let config: EvalJSON?
        public let datasets: [String: [String]]?
    }

    /// Both sides, resolved together (a `base` side needs the other side's suite).
    public func diffSides(_ a: String, _ b: String) throws -> (DiffSide, DiffSide) {
        let ta = try repo.resolveRevision(a), tb = try repo.resolveRevision(b)
        if case .external = ta, case .external = tb {
            throw RegistryError.badRevision("\(a) \(b)", "at least one side must be a run commit (its suite picks the base report)")
        }
        let sa = try runSide(a, ta), sb = try runSide(b, tb)
        return (try sa ?? baseSide(a, ta, suiteOf: sb!.report), try sb ?? baseSide(b, tb, suiteOf: sa!.report))
    }

    /// ReportDiff of two revisions, with config and dataset changes.
    public func diff(_ a: String, _ b: String, gates: [GateSpec] = [], bootstrap: PairedBootstrap = PairedBootstrap()) throws -> ReportDiff {
        let (sa, sb) = try diffSides(a, b)
        let ctx = ReportDiff.Context(configA: sa.config, configB: sb.config, datasetsA: sa.datasets, datasetsB: sb.datasets)
        return ReportDiff(sa.report, sb.report, gates: gates, context: ctx, bootstrap: bootstrap)
    }

    private func runSide(_ rev: String, _ target: RevisionTarget) throws -> DiffSide? {
        guard case .object = target else { return nil }
        let c = try commit(rev)
        guard let data = try file("eval/report.json", in: c.commit) else {
            throw RegistryError.missing("\(rev) (\(c.id.short)) has no eval/report.json", hint: "only run commits with an eval suite can be compared")
        }
        let report = try EvalReport.decode(data, file: "\(rev):eval/report.json")
        var config: EvalJSON?
        if let y = try file("config.yaml", in: c.commit), let obj = try YAMLDocument.load(String(decoding: y, as: UTF8.self), file: "\(rev):config.yaml"),
           let json = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) {
            config = EvalJSON.parse(String(decoding: json, as: UTF8.self))
        }
        var datasets: [String: [String]] = [:]
        if let d = try entry("data", in: c.commit), d.kind == .tree {
            let tmp = NSTemporaryDirectory() + "ftx-diff-\(getpid())-\(c.id.short)"
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            try? FileManager.default.removeItem(atPath: tmp)
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            try writeTree(d.id, into: tmp)
            for name in try FileManager.default.contentsOfDirectory(atPath: tmp).sorted() where name.hasSuffix(".jsonl") {
                var ids: [String] = []
                try ExampleReader.forEach(path: tmp + "/" + name) { ids.append($0.id) }
                datasets[String(name.dropLast(6))] = ids
            }
        }
        return DiffSide(label: rev, report: report, config: config, datasets: datasets.isEmpty ? nil : datasets)
    }

    private func baseSide(_ rev: String, _ target: RevisionTarget, suiteOf other: EvalReport) throws -> DiffSide {
        let bases = BaseRegistry(registry: self)
        guard case .external(_, let id) = target, let b = try bases.base(withID: id) else { throw RegistryError.badRevision(rev, "not a base model") }
        let key = BaseRegistry.suiteKey(suiteSHA256: other.suite.sha256, casesSHA256: other.suite.casesSHA256)
        guard let report = try bases.storedReport(b, suiteKey: key) else {
            throw RegistryError.missing("base '\(b.name)' has no stored report for suite '\(other.suite.name)'",
                                        hint: "`ftx run` stores it on first use, or run `ftx eval \(rev) --suite SUITE.yaml`")
        }
        return DiffSide(label: rev, report: report, config: nil, datasets: nil)
    }
}
