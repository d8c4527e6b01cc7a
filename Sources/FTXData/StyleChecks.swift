import Foundation

/// Style drift across outputs: a dominant convention and the examples that break it.
extension CheckContext {
    private var outputs: [Int] {
        (0..<records.count).filter { records[$0].style.contains(.hasOutput) }
    }

    /// Splits `population` by `predicate`; reports the minority side when it is at most `maxShare`
    /// of the population (always when `maxShare` is nil and both sides exist).
    private func minority(_ population: [Int], maxShare: Double?, _ predicate: (ExampleRecord) -> Bool)
        -> (minority: [Int], minorityIsTrue: Bool, total: Int)? {
        let yes = population.filter { predicate(records[$0]) }
        let noCount = population.count - yes.count
        guard !yes.isEmpty && noCount > 0 else { return nil }
        let minorityIsTrue = yes.count <= noCount
        let minorityCount = minorityIsTrue ? yes.count : noCount
        if let maxShare, Double(minorityCount) / Double(population.count) > maxShare { return nil }
        let m = minorityIsTrue ? yes : population.filter { !predicate(records[$0]) }
        return (m, minorityIsTrue, population.count)
    }

    func jsonMix() -> (String, [Finding]) {
        let pop = outputs.filter { !records[$0].style.contains(.empty) }
        guard let m = minority(pop, maxShare: nil, { $0.style.contains(.json) }) else {
            return ("outputs are consistently \(pop.first.map { records[$0].style.contains(.json) } == true ? "JSON" : "non-JSON")", [])
        }
        let what = m.minorityIsTrue ? "are JSON while most are not" : "are not JSON while most are"
        return ("\(m.minority.count) of \(m.total) outputs \(what)",
                [Finding(message: "\(m.minority.count) of \(m.total) outputs \(what)", locations: locs(m.minority))])
    }

    func jsonShape() -> (String, [Finding]) {
        let json = outputs.filter { records[$0].jsonShape >= 0 }
        var byShape: [Int32: [Int]] = [:]
        for i in json { byShape[records[i].jsonShape, default: []].append(i) }
        guard byShape.count > 1 else { return (json.isEmpty ? "no JSON outputs" : "all JSON outputs share one shape", []) }
        let ranked = byShape.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        let major = analysis.jsonShapes[Int(ranked[0].key)]
        let findings = ranked.dropFirst().map { (shape, idx) in
            Finding(message: "\(idx.count) JSON outputs have shape \(analysis.jsonShapes[Int(shape)]) instead of \(major)",
                    locations: locs(idx), details: ["shape": analysis.jsonShapes[Int(shape)], "expected": major])
        }
        return ("\(byShape.count) JSON shapes; most common \(major) (\(ranked[0].value.count) of \(json.count))", findings)
    }

    func casing() -> (String, [Finding]) {
        let pop = outputs.filter { records[$0].style.contains(.startsUpper) || records[$0].style.contains(.startsLower) }
        guard let m = minority(pop, maxShare: config.styleMinorityShare, { $0.style.contains(.startsLower) }) else {
            return ("no dominant-casing outliers", [])
        }
        let what = m.minorityIsTrue ? "start lowercase while most start uppercase" : "start uppercase while most start lowercase"
        return ("\(m.minority.count) of \(m.total) outputs \(what)", [Finding(message: "\(m.minority.count) of \(m.total) outputs \(what)", locations: locs(m.minority))])
    }

    func trailingWhitespace() -> (String, [Finding]) {
        let pop = outputs.filter { !records[$0].style.contains(.empty) }
        var findings: [Finding] = []
        if let m = minority(pop, maxShare: config.styleMinorityShare, { $0.style.contains(.endsNewline) }) {
            let what = m.minorityIsTrue ? "end with a newline while most do not" : "lack the trailing newline most have"
            findings.append(Finding(message: "\(m.minority.count) of \(m.total) outputs \(what)", locations: locs(m.minority)))
        }
        if let m = minority(pop, maxShare: config.styleMinorityShare, { $0.style.contains(.endsSpace) }) {
            let what = m.minorityIsTrue ? "end with a space or tab while most do not" : "lack the trailing space most have"
            findings.append(Finding(message: "\(m.minority.count) of \(m.total) outputs \(what)", locations: locs(m.minority)))
        }
        return (findings.isEmpty ? "consistent endings" : findings.map(\.message).joined(separator: "; "), findings)
    }

    /// Robust outliers of log output length: |0.6745·(x − median)| / MAD > z (Iglewicz–Hoaglin),
    /// and at least twice or half the median length.
    func lengthOutliers() -> (String, [Finding]) {
        let pop = outputs.filter { !records[$0].style.contains(.empty) }
        guard pop.count >= 8 else { return ("too few outputs to judge lengths", []) }
        let logs = pop.map { log1p(Double(records[$0].outputChars)) }
        let med = Self.median(logs)
        let medianChars = Int(expm1(med).rounded())
        // Scale: MAD/0.6745; when over half the lengths are equal (MAD = 0), the mean absolute
        // deviation ×1.2533 instead (Iglewicz–Hoaglin).
        var scale = Self.median(logs.map { abs($0 - med) }) / 0.6745
        if scale == 0 { scale = 1.253314 * logs.reduce(0) { $0 + abs($1 - med) } / Double(logs.count) }
        guard scale > 0 else { return ("output lengths do not vary (median \(medianChars) characters)", []) }
        var findings: [Finding] = []
        for (k, i) in pop.enumerated() {
            let z = (logs[k] - med) / scale
            // Also at least 2× (or ½) the median: tight distributions make tiny differences "significant".
            if abs(z) > config.lengthOutlierZ && abs(logs[k] - med) >= log(2.0) {
                let chars = Int(records[i].outputChars)
                findings.append(Finding(message: "output of \(chars) characters is unusually \(z > 0 ? "long" : "short") (median \(medianChars))",
                                        locations: [loc(i)], details: ["chars": "\(chars)", "z": String(format: "%.1f", z)]))
            }
        }
        return (findings.isEmpty ? "no outliers (median \(medianChars) characters)" : "\(Self.count(findings.count, "outlier")) beyond z \(config.lengthOutlierZ) (median \(medianChars) characters)", findings)
    }

    static func median(_ v: [Double]) -> Double {
        if v.isEmpty { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    func emptyOutputs() -> (String, [Finding]) {
        let empty = outputs.filter { records[$0].style.contains(.empty) }
        guard !empty.isEmpty else { return ("no empty outputs", []) }
        return (Self.count(empty.count, "empty output"), [Finding(message: "\(empty.count) of \(outputs.count) outputs are empty or whitespace", locations: locs(empty))])
    }

    /// Chat files: more than one system prompt, or a system prompt on only some examples.
    func systemPrompts() -> (String, [Finding]) {
        let chat = (0..<records.count).filter { analysis.files[Int(records[$0].file)].format == .chat }
        var byPrompt: [UInt64: [Int]] = [:]
        for i in chat { byPrompt[records[i].systemHash, default: []].append(i) }
        guard byPrompt.count > 1 else {
            return (chat.isEmpty ? "no chat examples" : byPrompt.keys.first == 0 ? "no system prompts" : "one system prompt throughout", [])
        }
        let ranked = byPrompt.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.value[0] < $1.value[0] }
        func describe(_ h: UInt64) -> String { h == 0 ? "no system prompt" : "system prompt " + Self.quote(analysis.systemPrompts[h] ?? "") }
        let major = describe(ranked[0].key)
        let findings = ranked.dropFirst().map { (h, idx) in
            Finding(message: "\(Self.count(idx.count, "example")) with \(describe(h)); most (\(ranked[0].value.count)) have \(major)", locations: locs(idx))
        }
        return ("\(byPrompt.count) system-prompt variants", findings)
    }

    func truncation() -> (String, [Finding]) {
        guard let limit = config.maxSeqLength else { return ("no max_seq_length", []) }
        let over = (0..<records.count).filter { Int(records[$0].tokens) > limit }
        guard !over.isEmpty else { return ("all examples fit in \(limit) tokens", []) }
        let share = Double(over.count) / Double(max(1, records.count))
        return (String(format: "%d examples (%.1f%%) exceed %d tokens", over.count, share * 100, limit),
                [Finding(message: "\(over.count) examples longer than \(limit) tokens would be truncated", locations: locs(over))])
    }

    func tokenStatistics() -> TokenStatistics? {
        let counted = records.filter { $0.tokens >= 0 }.map { Double($0.tokens) }
        guard let d = DistributionSummary.of(counted) else { return nil }
        var t = TokenStatistics(tokens: d)
        if let limit = config.maxSeqLength {
            let over = counted.filter { $0 > Double(limit) }.count
            t.maxSeqLength = limit
            t.overMaxSeqLength = over
            t.shareOverMaxSeqLength = Double(over) / Double(counted.count)
        }
        return t
    }
}
