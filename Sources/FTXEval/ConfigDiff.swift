/// Config changes key by key (nested keys flattened as a.b.c, lists as a[0]) and dataset changes
/// (rows added/removed per split, by row id).
public enum ConfigDiff {
    public static func flatten(_ v: EvalJSON, prefix: String = "", into out: inout [String: String]) {
        switch v {
        case .object(let pairs):
            if pairs.isEmpty && !prefix.isEmpty { out[prefix] = "{}" }
            for (k, x) in pairs { flatten(x, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
        case .array(let items):
            if items.allSatisfy({ if case .object = $0 { return false }; if case .array = $0 { return false }; return true }) {
                out[prefix] = v.jsonText  // short scalar lists read best whole
            } else {
                for (i, x) in items.enumerated() { flatten(x, prefix: "\(prefix)[\(i)]", into: &out) }
            }
        default: out[prefix] = v.plainText
        }
    }

    public static func changes(_ a: EvalJSON?, _ b: EvalJSON?) -> [ReportDiff.ConfigChange] {
        guard a != nil || b != nil else { return [] }
        var fa: [String: String] = [:], fb: [String: String] = [:]
        if let a { flatten(a, into: &fa) }
        if let b { flatten(b, into: &fb) }
        return Set(fa.keys).union(fb.keys).sorted().compactMap { k in
            fa[k] == fb[k] ? nil : ReportDiff.ConfigChange(key: k, a: fa[k], b: fb[k])
        }
    }

    /// Rows added and removed per split, counted as multisets of row ids (a duplicated row counts
    /// twice), so rows B − rows A = added − removed. Only between two sides that both have
    /// datasets: the base model has none, and "0 → N rows" would say nothing.
    public static func datasetChanges(_ a: [String: [String]]?, _ b: [String: [String]]?) -> [ReportDiff.DatasetChange] {
        guard let sa = a, let sb = b else { return [] }
        return Set(sa.keys).union(sb.keys).sorted().compactMap { split in
            let rows = rowChanges(sa[split] ?? [], sb[split] ?? [])
            return ReportDiff.DatasetChange(split: split, added: rows.added.count, removed: rows.removed.count,
                                            rowsA: sa[split]?.count ?? 0, rowsB: sb[split]?.count ?? 0)
        }
    }

    /// The row ids B adds to A and removes from A, as multisets (an id B has twice more than A is
    /// added twice), each in first-appearance order.
    public static func rowChanges(_ a: [String], _ b: [String]) -> (added: [String], removed: [String]) {
        var count: [String: Int] = [:]
        for id in b { count[id, default: 0] += 1 }
        for id in a { count[id, default: 0] -= 1 }
        var added: [String] = [], removed: [String] = []
        var left = count
        for id in b where left[id, default: 0] > 0 { added.append(id); left[id]! -= 1 }
        left = count
        for id in a where left[id, default: 0] < 0 { removed.append(id); left[id]! += 1 }
        return (added, removed)
    }
}

import FTXCore

extension ReportDiff.Context {
    /// A run config (YAML text, as stored in a commit) as the JSON tree `ConfigDiff` flattens.
    public static func config(yaml text: String, file: String = "config.yaml") throws -> EvalJSON {
        do {
            guard let node = try YAMLDocument.compose(text, file: file) else { return .object([]) }
            return LocatedNode(yaml: node).json
        } catch let e as YAMLError {
            throw EvalError.other(e.problem, location: e.location ?? file)
        }
    }
}
