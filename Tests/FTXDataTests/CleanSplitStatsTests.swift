import XCTest
import FTXTestSupport
@testable import FTXData

final class CleanSplitStatsTests: XCTestCase {
    let s = DataScratch()
    func sentence(_ k: Int, words: Int = 30) -> String { CheckTests.sentence(k, words: words) }

    func base(_ n: Int) -> [String] {
        (0..<n).map { completionLine("Question \(sentence($0))", "Answer " + sentence($0 + 10_000, words: 20), extra: "\"category\":\"c\($0 % 3)\"") }
    }

    // MARK: clean

    func testCleanDropsDuplicatesKeepsFirstAndHandlesContradictions() throws {
        var lines = base(20)
        lines.append(lines[2])                                                            // 21: exact dup of 3
        lines.append(completionLine("QUESTION " + sentence(4) + "!", "answer " + sentence(10_004, words: 20)))  // 22: near dup of 5
        lines.append(completionLine("Question " + sentence(6), "A different answer"))  // 23: contradicts 7
        let input = s.write("all.jsonl", lines: lines)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))

        var o = DataCleaner.Options()
        let r = try DataCleaner.clean(input: input, output: s.path("clean.jsonl"), options: o)
        XCTAssertEqual(r.examples, 23)
        XCTAssertEqual(r.removed.map(\.location), ["\(input):7", "\(input):21", "\(input):22", "\(input):23"])
        XCTAssertEqual(r.removed.map(\.reason), ["contradiction", "exact-duplicate", "near-duplicate", "contradiction"])
        XCTAssertEqual(r.removed[1].of, "\(input):3")
        let kept = s.lines("clean.jsonl")
        XCTAssertEqual(kept.count, 19)
        XCTAssertEqual(kept, lines.enumerated().filter { ![6, 20, 21, 22].contains($0.offset) }.map(\.element))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before, "input must be untouched")

        o.contradictions = .keepFirst
        let r2 = try DataCleaner.clean(input: input, output: s.path("clean2.jsonl"), options: o)
        XCTAssertEqual(r2.removed.map(\.location), ["\(input):21", "\(input):22", "\(input):23"])
        o.contradictions = .flag
        let r3 = try DataCleaner.clean(input: input, output: s.path("clean3.jsonl"), options: o)
        XCTAssertEqual(r3.removed.count, 2)
        XCTAssertEqual(r3.flagged.map(\.locations), [["\(input):7", "\(input):23"]])
        o.dropNearDuplicates = false
        let r4 = try DataCleaner.clean(input: input, output: s.path("clean4.jsonl"), options: o)
        XCTAssertEqual(r4.removed.map(\.location), ["\(input):21"])
        // The cleaned file checks clean.
        let rep = try DataChecker.check([DatasetInput(path: s.path("clean.jsonl"))])
        XCTAssertEqual(rep.check(.exactDuplicates)?.status, .pass)
        XCTAssertEqual(rep.check(.nearDuplicates)?.status, .pass)
        XCTAssertEqual(rep.check(.contradictions)?.status, .pass)
    }

    func testCleanRefusesInPlaceAndWritesNothingOnBadInput() throws {
        let input = s.write("all.jsonl", lines: base(5))
        XCTAssertThrowsError(try DataCleaner.clean(input: input, output: input)) { e in
            XCTAssertTrue((e as? DataError)?.message.contains("in place") == true, "\(e)")
        }
        var lines = base(5)
        lines[3] = "{not json"
        let bad = s.write("bad.jsonl", lines: lines)
        assertDataError({ _ = try DataCleaner.clean(input: bad, output: self.s.path("out.jsonl")) }, at: "\(bad):4", contains: "not valid JSON")
        XCTAssertFalse(s.exists("out.jsonl"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: s.dir.path).filter { $0.hasPrefix(".tmp") }, [])
    }

    // MARK: split

    func split(_ input: String, out: String, _ configure: (inout DataSplitter.Options) -> Void = { _ in }) throws -> SplitReport {
        var o = DataSplitter.Options()
        o.outDir = s.path(out)
        o.includeAssignment = true
        configure(&o)
        return try DataSplitter.split(input: input, options: o)
    }

    func testSplitIsDeterministicAndProportional() throws {
        let input = s.write("all.jsonl", lines: base(1000))
        let a = try split(input, out: "a")
        let b = try split(input, out: "b")
        XCTAssertEqual(a.assignment, b.assignment)
        for f in ["train", "valid", "test"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: s.path("a/\(f).jsonl"))),
                           try Data(contentsOf: URL(fileURLWithPath: s.path("b/\(f).jsonl"))))
        }
        // The split of a given file and seed is stable across versions (rows never move between
        // splits), so the counts are exact, not "about 10%".
        XCTAssertEqual([a.counts.train, a.counts.valid, a.counts.test], [800, 96, 104])
        XCTAssertEqual(s.lines("a/train.jsonl").count, a.counts.train)
        XCTAssertEqual(s.lines("a/test.jsonl").count, a.counts.test)
        let c = try split(input, out: "c") { $0.seed = 7 }
        XCTAssertNotEqual(a.assignment, c.assignment)
        // The written splits have no leakage.
        let inputs = ["train", "valid", "test"].map { DatasetInput(path: s.path("a/\($0).jsonl"), role: SplitRole(rawValue: $0)!) }
        XCTAssertEqual(try DataChecker.check(inputs).check(.leakage)?.status, .pass)
    }

    /// Each row goes to test with probability 0.1 and to valid with 0.1 (a seeded hash of its
    /// input): over 20 seeds × 1000 rows the counts are Binomial(20000, 0.1), mean 2000, sd 42.
    func testSplitFractionsHoldAcrossSeeds() throws {
        let input = s.write("all.jsonl", lines: base(1000))
        var test = 0, valid = 0
        for seed in 0..<20 {
            let r = try split(input, out: "seed\(seed)") { $0.seed = UInt64(seed) }
            test += r.counts.test; valid += r.counts.valid
        }
        XCTAssertEqual(Double(test), 2000, accuracy: 130, "test rows over 20 seeds")    // ±3 sd
        XCTAssertEqual(Double(valid), 2000, accuracy: 130, "valid rows over 20 seeds")
    }

    func testAppendingRowsNeverMovesExistingOnes() throws {
        let lines = base(600)
        let small = s.write("small.jsonl", lines: Array(lines[..<400]))
        let big = s.write("big.jsonl", lines: lines)
        let a = try split(small, out: "s"), b = try split(big, out: "b")
        XCTAssertEqual(Array(b.assignment![..<400]), a.assignment!)
    }

    func testNearDuplicateClustersStayInOneSplit() throws {
        var lines = base(300)
        var clusters: [[Int]] = []
        for k in 0..<40 {  // each base row gets 2 near-identical variants appended
            var w = sentence(k).split(separator: " ").map(String.init)
            w[5] = "variant"
            lines.append(completionLine("question " + w.joined(separator: " "), "Other answer \(k)"))
            lines.append(completionLine("QUESTION: " + sentence(k) + "?", "Third answer \(k)"))
            clusters.append([k, lines.count - 2, lines.count - 1])
        }
        let input = s.write("all.jsonl", lines: lines)
        let r = try split(input, out: "o") { $0.valid = 0.2; $0.test = 0.2 }
        let asg = r.assignment!
        for c in clusters { XCTAssertEqual(Set(c.map { asg[$0] }).count, 1, "cluster \(c) straddles splits: \(c.map { asg[$0] })") }
        XCTAssertGreaterThanOrEqual(r.clusters, 40)
        XCTAssertTrue(Set(clusters.map { asg[$0[0]] }).count > 1, "clusters should land in different splits")
    }

    func testStratifiedSplitKeepsProportionsPerValue() throws {
        let input = s.write("all.jsonl", lines: base(300))
        let r = try split(input, out: "o") { $0.stratify = "category" }
        let per = try XCTUnwrap(r.perStratum)
        XCTAssertEqual(Set(per.keys), ["c0", "c1", "c2"])
        for (_, c) in per { XCTAssertEqual(c.test, 10); XCTAssertEqual(c.valid, 10); XCTAssertEqual(c.train, 80) }
    }

    func testSplitValidatesFractionsAndWritesNothingOnBadInput() throws {
        let input = s.write("all.jsonl", lines: base(5))
        XCTAssertThrowsError(try split(input, out: "x") { $0.valid = 0.6; $0.test = 0.5 })
        var lines = base(50)
        lines[40] = "[1,2]"
        let bad = s.write("bad.jsonl", lines: lines)
        assertDataError({ _ = try self.split(bad, out: "y") }, at: "\(bad):41", contains: "JSON array")
        XCTAssertFalse(s.exists("y/train.jsonl"))
        XCTAssertFalse(s.exists("y/valid.jsonl"))
        XCTAssertFalse(s.exists("y/test.jsonl"))
    }

    // MARK: stats

    func testStats() throws {
        let chat = s.write("chat.jsonl", lines: [
            chatLine("hello there", "Hi!", system: "Be nice."),
            chatLine("bye", "", system: "Be nice.", extra: "\"category\":\"x\""),
            chatLine("ok", "Sure", system: "Other."),
        ])
        let r = try DataStats.compute(path: chat, tokenCounter: { $0.count })
        XCTAssertEqual(r.examples, 3)
        XCTAssertEqual(r.format, .chat)
        XCTAssertEqual(r.roles, ["system": 3, "user": 3, "assistant": 3])
        XCTAssertEqual(r.withSystemPrompt, 3)
        XCTAssertEqual(r.distinctSystemPrompts, 2)
        XCTAssertEqual(r.emptyOutputs, 1)
        XCTAssertEqual(r.fields, ["category": 1])
        XCTAssertEqual(r.outputChars?.max, 4)
        XCTAssertEqual(r.outputChars?.median, 3)
        XCTAssertEqual(r.messagesPerExample?.mean, 3)
        XCTAssertNotNil(r.tokens)
        let text = s.write("text.jsonl", lines: [#"{"text":"héllo"}"#])
        let t = try DataStats.compute(path: text)
        XCTAssertEqual(t.inputChars?.max, 5)
        XCTAssertNil(t.outputChars)
        XCTAssertNil(t.roles)
    }
}
