import XCTest
import FTXTestSupport
@testable import FTXData

final class CheckTests: XCTestCase {
    let s = DataScratch()

    /// Sentences made of distinct pseudo-words, so unrelated lines share no 3-shingles.
    static func sentence(_ seed: Int, words: Int = 30) -> String {
        var g = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        var out: [String] = []
        for _ in 0..<words {
            g ^= g << 13; g ^= g >> 7; g ^= g << 17
            out.append("w" + String(g % 50_000, radix: 36))
        }
        return out.joined(separator: " ")
    }

    func check(_ inputs: [DatasetInput], _ configure: (inout DataCheckConfig) -> Void = { _ in }) throws -> DataCheckReport {
        var o = DataChecker.Options()
        configure(&o.config)
        return try DataChecker.check(inputs, options: o)
    }

    func check(_ path: String, _ configure: (inout DataCheckConfig) -> Void = { _ in }) throws -> DataCheckReport {
        try check([DatasetInput(path: path)], configure)
    }

    func clean(_ n: Int = 60) -> [String] {
        (0..<n).map { completionLine("Question \(Self.sentence($0))", "Answer " + Self.sentence($0 + 10_000, words: 20)) }
    }

    func findings(_ r: DataCheckReport, _ c: CheckName) -> [Finding] { r.check(c)?.findings ?? [] }

    func testCleanDataPassesEveryCheck() throws {
        let p = s.write("clean.jsonl", lines: clean())
        let r = try check(p)
        XCTAssertFalse(r.failed)
        for c in r.checks where c.status != .off { XCTAssertEqual(c.status, .pass, "\(c.name): \(c.summary) \(c.findings)") }
        XCTAssertEqual(r.examples, 60)
    }

    func testExactDuplicatesNameEveryCopy() throws {
        var lines = clean()
        lines.append(lines[3]); lines.append(lines[3]); lines.append(lines[10])
        let p = s.write("dups.jsonl", lines: lines)
        let f = findings(try check(p), .exactDuplicates)
        XCTAssertEqual(f.count, 2)
        XCTAssertEqual(f[0].locations, ["\(p):4", "\(p):61", "\(p):62"])
        XCTAssertEqual(f[1].locations, ["\(p):11", "\(p):63"])
    }

    func testNearDuplicatesByNormalizationAndByMinHash() throws {
        var lines = clean()
        // Same text modulo case, whitespace and punctuation.
        lines.append(completionLine("QUESTION,  " + Self.sentence(5) + "!!", "answer " + Self.sentence(10_005, words: 20) + "."))
        // One word replaced in a 50-word example: Jaccard ≈ 0.89.
        var w = Self.sentence(20).split(separator: " ").map(String.init)
        w[7] = "replaced"
        lines.append(completionLine("Question " + w.joined(separator: " "), "Answer " + Self.sentence(10_020, words: 20)))
        let p = s.write("near.jsonl", lines: lines)
        let r = try check(p)
        let f = findings(r, .nearDuplicates)
        XCTAssertEqual(f.map(\.locations), [["\(p):6", "\(p):61"], ["\(p):21", "\(p):62"]])
        XCTAssertTrue(findings(r, .exactDuplicates).isEmpty)
        // Above the pair's similarity, the MinHash pair is no longer reported.
        let strict = findings(try check(p) { $0.nearDuplicateThreshold = 0.95 }, .nearDuplicates)
        XCTAssertEqual(strict.map(\.locations), [["\(p):6", "\(p):61"]])
    }

    func testContradictions() throws {
        var lines = clean()
        lines.append(completionLine("question " + Self.sentence(2) + "?", "Something else entirely"))
        let p = s.write("contra.jsonl", lines: lines)
        let r = try check(p)
        XCTAssertTrue(r.failed)
        XCTAssertEqual(r.check(.contradictions)?.status, .fail)
        XCTAssertEqual(findings(r, .contradictions).map(\.locations), [["\(p):3", "\(p):61"]])
        // Severity off → not failed.
        let off = try check(p) { $0.severities[.contradictions] = .off }
        XCTAssertFalse(off.failed)
        XCTAssertEqual(off.check(.contradictions)?.status, .off)
    }

    func testJSONMixAndShapes() throws {
        var lines = (0..<20).map { completionLine("q \(Self.sentence($0))", "{\"name\":\"n\($0)\",\"age\":\($0)}") }
        lines.append(completionLine("q other", "Plain text answer"))
        lines.append(completionLine("q other2", "{\"name\":\"x\",\"age\":\"12\"}"))
        lines.append(completionLine("q other3", "{\"name\":\"x\"}"))
        let p = s.write("json.jsonl", lines: lines)
        let r = try check(p)
        XCTAssertEqual(findings(r, .jsonMix).map(\.locations), [["\(p):21"]])
        let shapes = findings(r, .jsonShape)
        XCTAssertEqual(Set(shapes.map(\.locations)), [["\(p):22"], ["\(p):23"]])
        XCTAssertTrue(shapes.contains { $0.message.contains("{age:string,name:string}") && $0.message.contains("{age:number,name:string}") })
    }

    func testCasingTrailingWhitespaceEmptyAndLength() throws {
        var lines = clean(40)
        lines.append(completionLine("q casing", "lowercase start " + Self.sentence(900, words: 20)))
        lines.append(completionLine("q newline", "Ends with newline " + Self.sentence(901, words: 20) + "\n"))
        lines.append(completionLine("q space", "Ends with space " + Self.sentence(902, words: 20) + " "))
        lines.append(completionLine("q empty", "  "))
        lines.append(completionLine("q long", "Long " + Self.sentence(903, words: 2000)))
        lines.append(completionLine("q short", "Ok"))
        let p = s.write("style.jsonl", lines: lines)
        let r = try check(p)
        XCTAssertEqual(findings(r, .casing).map(\.locations), [["\(p):41"]])
        XCTAssertEqual(Set(findings(r, .trailingWhitespace).map(\.locations)), [["\(p):42"], ["\(p):43"]])
        XCTAssertEqual(findings(r, .emptyOutputs).map(\.locations), [["\(p):44"]])
        XCTAssertEqual(Set(findings(r, .lengthOutliers).flatMap(\.locations)), ["\(p):45", "\(p):46"])
    }

    func testSystemPromptVariants() throws {
        var lines = (0..<20).map { chatLine("u \(Self.sentence($0))", "A \(Self.sentence($0 + 500))", system: "You are terse.") }
        lines.append(chatLine("u other", "A reply", system: "You are verbose."))
        lines.append(chatLine("u none", "A reply two"))
        let p = s.write("sys.jsonl", lines: lines)
        let f = findings(try check(p), .systemPrompts)
        XCTAssertEqual(Set(f.map(\.locations)), [["\(p):21"], ["\(p):22"]])
        // Near duplicates ignore the shared system prompt: these 20 differ elsewhere.
        XCTAssertTrue(findings(try check(p), .nearDuplicates).isEmpty)
    }

    func testLeakageExactAndNear() throws {
        let train = s.write("train.jsonl", lines: clean(40))
        var w = Self.sentence(7).split(separator: " ").map(String.init)
        w[3] = "changed"
        let test = s.write("test.jsonl", lines: [
            completionLine("Question " + Self.sentence(3), "Different answer"),         // exact input leak
            completionLine("question " + w.joined(separator: " "), "Another answer"),   // near input leak
            completionLine("Question " + Self.sentence(777), "Fresh"),                  // clean
        ])
        let valid = s.write("valid.jsonl", lines: [completionLine("Question " + Self.sentence(778), "Fresh too")])
        let inputs = [train, valid, test].map { DatasetInput(path: $0, role: SplitRole.guess(from: $0)) }
        XCTAssertEqual(inputs.map(\.role), [.train, .valid, .test])
        let r = try check(inputs)
        XCTAssertTrue(r.failed)
        let f = findings(r, .leakage)
        XCTAssertEqual(f.map(\.locations), [["\(test):1", "\(train):4"], ["\(test):2", "\(train):8"]])
        XCTAssertEqual(f.map { $0.details?["kind"] }, ["exact", "near"])
        // Without a train file there is nothing to leak from.
        XCTAssertEqual(try check([DatasetInput(path: test, role: .test)]).check(.leakage)?.status, .off)
    }

    func testTokenStatisticsAndTruncation() throws {
        let p = s.write("tok.jsonl", lines: clean(10) + [completionLine("q", Self.sentence(5, words: 400))])
        var o = DataChecker.Options()
        o.tokenCounter = { $0.split(separator: " ").count }
        o.config.maxSeqLength = 100
        let r = try DataChecker.check([DatasetInput(path: p)], options: o)
        XCTAssertEqual(r.tokenStatistics?.overMaxSeqLength, 1)
        XCTAssertEqual(r.check(.truncation)?.findings.first?.locations, ["\(p):11"])
        XCTAssertEqual(r.tokenStatistics?.tokens.max, 400)  // "q\n" + 400 words of output, split on spaces
    }

    func testSeverityFlagsAndConfigFile() throws {
        var c = DataCheckConfig()
        try c.apply(severitySpec: "style=off")
        XCTAssertEqual(c.severity(.casing), .off)
        XCTAssertEqual(c.severity(.contradictions), .error)
        try c.apply(severitySpec: "exact-duplicates=error")
        XCTAssertEqual(c.severity(.exactDuplicates), .error)
        XCTAssertThrowsError(try c.apply(severitySpec: "exact-duplicate=error")) { e in
            XCTAssertEqual((e as? DataError)?.hint, "did you mean exact-duplicates?")
        }
        XCTAssertThrowsError(try c.apply(severitySpec: "casing=loud"))
        let yaml = s.write("cfg.yaml", lines: ["near_duplicate_threshold: 0.9", "length_outlier_z: 5", "severity:", "  casing: off", "  near-duplicates: error"])
        var d = DataCheckConfig()
        try d.load(yamlFile: yaml)
        XCTAssertEqual(d.nearDuplicateThreshold, 0.9)
        XCTAssertEqual(d.lengthOutlierZ, 5)
        XCTAssertEqual(d.severity(.casing), .off)
        XCTAssertEqual(d.severity(.nearDuplicates), .error)
        let bad = s.write("bad.yaml", lines: ["near_duplicate_treshold: 0.9"])
        assertDataError({ var e = DataCheckConfig(); try e.load(yamlFile: bad) }, at: bad + ":1", contains: "did you mean near_duplicate_threshold")
        let range = s.write("range.yaml", lines: ["near_duplicate_threshold: 1.5"])
        assertDataError({ var e = DataCheckConfig(); try e.load(yamlFile: range) }, at: range + ":1", contains: "threshold")
    }

    /// A billion-laughs config is refused at the alias that crosses the node limit, not expanded.
    func testAliasBombConfigIsRefused() {
        let bomb = s.write("bomb.yaml", lines: [TestSupport.yamlAliasBomb(under: "severity")])
        assertDataError({ var e = DataCheckConfig(); try e.load(yamlFile: bomb) }, at: "\(bomb):7", contains: "expands to more than 100000 nodes")
    }

    func testBadLineStopsTheCheck() {
        var lines = clean(10)
        lines[6] = "{\"prompt\": 1}"
        let p = s.write("bad.jsonl", lines: lines)
        assertDataError({ _ = try check(p) }, at: "\(p):7", contains: "must be a string")
    }
}
