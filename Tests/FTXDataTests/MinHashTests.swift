import XCTest
@testable import FTXData

final class MinHashTests: XCTestCase {
    func words(_ s: String) -> [UInt64] {
        var w: [UInt64] = []
        TextNormalizer.appendWords(of: s, to: &w)
        return w
    }

    func testNormalizationIgnoresCaseWhitespaceAndPunctuation() {
        XCTAssertEqual(words("Hello,  World!"), words("hello world"))
        XCTAssertEqual(words("  ÉCOLE — d'été "), words("école d été"))
        XCTAssertNotEqual(words("hello world"), words("hello word"))
        XCTAssertEqual(TextNormalizer.normalized("Hello,  WORLD!\n Ça va?"), "hello world ça va")
        // ASCII fast path and Unicode path agree on ASCII words.
        XCTAssertEqual(words("abc déf"), words("abc") + words("déf"))
        XCTAssertEqual(words("?!"), [])
    }

    func testExactJaccardOfShingles() {
        let a = TextNormalizer.shingles(words("a b c d e"))  // abc bcd cde
        let b = TextNormalizer.shingles(words("a b c d f"))  // abc bcd cdf
        XCTAssertEqual(a.count, 3)
        XCTAssertEqual(TextNormalizer.jaccard(a, b), 2.0 / 4.0, accuracy: 1e-12)
        XCTAssertEqual(TextNormalizer.jaccard(a, a), 1)
        XCTAssertEqual(TextNormalizer.shingles(words("two words")).count, 1)
        XCTAssertEqual(TextNormalizer.shingles([]).count, 0)
    }

    /// The signature estimate tracks the exact Jaccard (128 permutations: standard error ≈ 0.04).
    func testSignatureEstimatesJaccard() {
        let vocab = (0..<5000).map { "w\($0)" }
        var g: UInt64 = 12345
        func next() -> Int { g = g &* 6364136223846793005 &+ 1442695040888963407; return Int(g >> 33) % vocab.count }
        var errs: [Double] = []
        for _ in 0..<40 {
            var x = (0..<80).map { _ in vocab[next()] }
            let a = TextNormalizer.shingles(words(x.joined(separator: " ")))
            for _ in 0..<(next() % 8) { x[next() % 80] = vocab[next()] }
            let b = TextNormalizer.shingles(words(x.joined(separator: " ")))
            let exact = TextNormalizer.jaccard(a, b)
            let est = MinHash.estimate(MinHash.signature(a, permutations: 128), MinHash.signature(b, permutations: 128))
            errs.append(abs(est - exact))
        }
        XCTAssertLessThan(errs.reduce(0, +) / Double(errs.count), 0.06)
        XCTAssertLessThan(errs.max() ?? 1, 0.2)
    }

    func testBandingParameters() {
        let p = MinHashParams(threshold: 0.8)
        XCTAssertEqual(p.permutations, 128)
        XCTAssertLessThanOrEqual(p.bands * p.rows, 128)
        XCTAssertGreaterThanOrEqual(p.candidateProbability(0.8), 0.995)
        XCTAssertLessThan(p.candidateProbability(0.3), 0.2)
        let strict = MinHashParams(threshold: 0.95)
        XCTAssertGreaterThan(strict.rows, p.rows)
    }

    func testRadixSortMatchesSort() {
        var g: UInt64 = 99
        var keys = (0..<5000).map { i -> UInt64 in g = g &* 6364136223846793005 &+ 1; return (g >> 40) << 32 | UInt64(i) }
        let expected = keys.sorted()
        RadixSort.sortByHigh32(&keys)
        XCTAssertEqual(keys, expected)
    }

    func testRadixSortPairsIsStable() {
        var g: UInt64 = 7
        var keys = (0..<3000).map { _ -> UInt64 in g = g &* 6364136223846793005 &+ 1442695040888963407; return g % 50 == 0 ? 0 : g >> UInt64(g % 60) }
        var vals = (0..<3000).map { Int32($0) }
        let expected = zip(keys, vals).sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        RadixSort.sortPairs(&keys, &vals)
        XCTAssertEqual(keys, expected.map(\.0))
        XCTAssertEqual(vals, expected.map(\.1))
        var same: [UInt64] = [5, 5, 5], v: [Int32] = [0, 1, 2]
        RadixSort.sortPairs(&same, &v)
        XCTAssertEqual(v, [0, 1, 2])
    }

    func testFastHashIsStable() {
        // Fixed values: splits depend on these staying the same across versions and machines.
        XCTAssertEqual(FastHash.string(""), 10880333651463633490)
        XCTAssertEqual(FastHash.string("ftx data"), 12575616149078070352)
        XCTAssertEqual(TextNormalizer.sequenceHash(words("Hello, world")[...]), 1061240841645473133)
        XCTAssertNotEqual(FastHash.string("a"), FastHash.string("b"))
        XCTAssertNotEqual(FastHash.string("abcdefghijklmnopq"), FastHash.string("abcdefghijklmnopr"))
    }

    func testJSONParserEdgeCases() throws {
        XCTAssertEqual(try JSONParser.parse(#"{"a":[1,-2.5e3,true,false,null,"x\"y"]}"#),
                       .object([JSONMember(key: "a", value: .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x\"y")]))]))
        for bad in ["{", "{\"a\"}", "[1,]", "01", "\"\\x\"", "\"\\ud800\"", "tru", "1.", "{\"a\":1,}", "\"a\u{1}\""] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
    }

    /// Numbers read back exactly: JSONSerialization on Linux returns 6.2465869232460305 one ulp off.
    func testFoundationObjectNumbersAreExact() throws {
        let doubles: [Double] = [6.2465869232460305, 0.1, 1e-300, 2.718281828459045, -1.7976931348623157e308, .leastNonzeroMagnitude, 0.30000000000000004]
        for x in doubles {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: ["v": x]), as: UTF8.self)
            let back = try XCTUnwrap(try JSONParser.parse(text).foundationObject as? [String: Any])
            XCTAssertEqual(back["v"] as? Double, x, text)
        }
        let v = try XCTUnwrap(try JSONParser.parse(Data(#"{"i":12,"b":true,"n":null,"a":[1,2.5],"s":"x","i":3}"#.utf8)).foundationObject as? [String: Any])
        XCTAssertEqual(v["i"] as? Int, 3)
        XCTAssertEqual(v["b"] as? Bool, true)
        XCTAssertTrue(v["n"] is NSNull)
        XCTAssertEqual(v["a"] as? [Double], [1, 2.5])
        XCTAssertEqual(v["s"] as? String, "x")
    }
}
