extension CheckContext {
    /// Identical content (same format, roles and texts; other fields ignored).
    func exactDuplicateGroups() -> [[Int]] { groups(key: { $0.contentHash }) }

    func exactDuplicates() -> (String, [Finding]) {
        let gs = exactDuplicateGroups()
        let findings = gs.map { g in
            Finding(message: "\(g.count) identical examples", locations: locs(g), details: ["copies": "\(g.count)"])
        }
        let extra = gs.reduce(0) { $0 + $1.count - 1 }
        return (gs.isEmpty ? "no identical examples" : "\(Self.count(gs.count, "group")), \(Self.count(extra, "redundant copy").replacingOccurrences(of: "copys", with: "copies"))", findings)
    }

    /// Near-duplicate clusters that are not just identical copies.
    func nearDuplicateGroups() -> [[Int]] {
        nearClusters().filter { g in Set(g.map { records[$0].contentHash }).count > 1 }
    }

    func nearDuplicates() -> (String, [Finding]) {
        let gs = nearDuplicateGroups()
        let t = config.nearDuplicateThreshold
        let findings = gs.map { g in
            Finding(message: "\(g.count) near-identical examples (normalized text, Jaccard ≥ \(t))",
                    locations: locs(g), details: ["size": "\(g.count)"])
        }
        return (gs.isEmpty ? "none at Jaccard ≥ \(t)" : "\(Self.count(gs.count, "cluster")), \(gs.reduce(0) { $0 + $1.count }) examples", findings)
    }

    /// Same normalized input, outputs that differ after normalization. Each group: the indices in
    /// file order and, per index, which distinct output it has (0 = the first seen).
    func contradictionGroups() -> [[Int]] {
        groups(where: { $0.style.contains(.hasOutput) && $0.normInputHash != 0 }, key: { $0.normInputHash })
            .filter { g in Set(g.map { records[$0].normOutputHash }).count > 1 }
    }

    func contradictions() -> (String, [Finding]) {
        let gs = contradictionGroups()
        let findings = gs.map { g -> Finding in
            let outputs = Set(g.map { records[$0].normOutputHash }).count
            var msg = "same input, \(outputs) different outputs"
            if let e = analysis.example(g[0]) { msg += ": input " + Self.quote(e.format == .chat ? e.messages[..<(e.lastAssistantIndex ?? 0)].last?.content ?? "" : e.input) }
            return Finding(message: msg, locations: locs(g), details: ["outputs": "\(outputs)"])
        }
        return (gs.isEmpty ? "no input has conflicting outputs" : "\(Self.count(gs.count, "input")) with conflicting outputs", findings)
    }
}
