/// Valid/test examples whose input appears in train: exactly (same normalized input) or nearly
/// (input Jaccard ≥ threshold, system prompts left out since they are shared by design).
extension CheckContext {
    func leakage() -> (String, [Finding]) {
        let n = records.count
        var trainByInput: [UInt64: [Int]] = [:]
        for i in 0..<n where analysis.role(i) == .train && records[i].normInputHash != 0 {
            trainByInput[records[i].normInputHash, default: []].append(i)
        }
        func isEval(_ i: Int) -> Bool { let r = analysis.role(i); return r == .valid || r == .test }
        var findings: [Finding] = []
        var exactEval = Set<Int>()
        for i in 0..<n where isEval(i) {
            guard let t = trainByInput[records[i].normInputHash] else { continue }
            exactEval.insert(i)
            findings.append(Finding(message: "\(analysis.role(i).rawValue) input appears in train", locations: [loc(i)] + locs(t),
                                    details: ["kind": "exact"]))
        }
        var nearCount = 0
        if !analysis.inputBands.isEmpty {
            let members = (0..<n).filter { i in
                hasBands(i) && (analysis.role(i) == .train || (isEval(i) && !exactEval.contains(i)))
            }
            let cands = NearDuplicateSearch.candidates(bands: analysis.inputBands, members: members, side: isEval)
            let pairs = NearDuplicateSearch.verify(cands, threshold: config.nearDuplicateThreshold) { i in
                guard let e = self.analysis.example(i) else { return [] }
                return TextNormalizer.shingles(ExampleWords(e, wantInputNoSystem: true).inputNoSystem)
            }
            var byEval: [Int: [(Int, Double)]] = [:]
            for p in pairs {
                let (e, t) = isEval(p.a) ? (p.a, p.b) : (p.b, p.a)
                byEval[e, default: []].append((t, p.jaccard))
            }
            for (e, ts) in byEval.sorted(by: { $0.key < $1.key }) {
                let sorted = ts.sorted { $0.0 < $1.0 }
                let best = ts.map(\.1).max() ?? 0
                nearCount += 1
                findings.append(Finding(message: "\(analysis.role(e).rawValue) input nearly appears in train (Jaccard \(String(format: "%.2f", best)))",
                                        locations: [loc(e)] + sorted.map { loc($0.0) }, details: ["kind": "near"]))
            }
        }
        if findings.isEmpty { return ("no valid/test input found in train", []) }
        return ("\(exactEval.count) exact and \(nearCount) near leaks into valid/test", findings)
    }

    private func hasBands(_ i: Int) -> Bool { analysis.inputBands.contains { $0[i] != 0 } }
}
