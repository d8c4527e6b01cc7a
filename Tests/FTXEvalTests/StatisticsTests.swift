import XCTest
@testable import FTXEval

final class StatisticsTests: XCTestCase {
    func testMcNemarExactKnownValues() {
        // b=10, c=2: 2·Σ_{i≤2} C(12,i)/2^12 = 2·79/4096.
        XCTAssertEqual(Statistics.mcNemarExact(b: 10, c: 2), 158.0 / 4096.0, accuracy: 1e-12)
        XCTAssertEqual(Statistics.mcNemarExact(b: 10, c: 2), 0.0386, accuracy: 5e-5)
        XCTAssertEqual(Statistics.mcNemarExact(b: 2, c: 10), 0.0386, accuracy: 5e-5)  // symmetric
        // b=c: p = 1 (capped). b=0,c=0: no discordant pairs.
        XCTAssertEqual(Statistics.mcNemarExact(b: 5, c: 5), 1)
        XCTAssertEqual(Statistics.mcNemarExact(b: 0, c: 0), 1)
        // b=0, c=6: 2/64 = 0.03125; b=1,c=9: 2·(1+10)/1024 = 0.021484375.
        XCTAssertEqual(Statistics.mcNemarExact(b: 0, c: 6), 0.03125, accuracy: 1e-12)
        XCTAssertEqual(Statistics.mcNemarExact(b: 1, c: 9), 0.021484375, accuracy: 1e-12)
        // Large counts stay finite and match scipy.stats.binomtest(400, 1000).pvalue ≈ 2.2e-10.
        let p = Statistics.mcNemarExact(b: 400, c: 600)
        XCTAssertTrue(p > 1e-11 && p < 1e-9, "\(p)")
    }

    func testWilsonMatchesNewcombe1998() {
        // Newcombe (1998), Stat Med 17:857, Table I, method 3 (score interval without continuity correction).
        let cases: [(Int, Int, Double, Double)] = [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0000, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ]
        for (x, n, lo, hi) in cases {
            let ci = Statistics.wilson(successes: x, n: n)
            XCTAssertEqual(ci.low, lo, accuracy: 5e-5, "\(x)/\(n) low")
            XCTAssertEqual(ci.high, hi, accuracy: 5e-5, "\(x)/\(n) high")
        }
        let all = Statistics.wilson(successes: 20, n: 20)
        XCTAssertEqual(all.high, 1)
        XCTAssertEqual(all.low, 1 - 0.1611, accuracy: 5e-5)
    }

    func testBootstrapIsSeededAndThreadIndependent() {
        let rows = (0..<500).map { SIMD8<Double>(Double($0 % 7), 1, 0, 0, 0, 0, 0, 0) }
        let a = PairedBootstrap(resamples: 300, seed: 42).resampleSums(rows)
        let b = PairedBootstrap(resamples: 300, seed: 42).resampleSums(rows)
        let c = PairedBootstrap(resamples: 300, seed: 43).resampleSums(rows)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        // Every resample draws exactly n rows.
        XCTAssertTrue(a.allSatisfy { $0[1] == 500 })
        // The resample mean of column 0 is centred on the data mean (3 for 0…6 repeating, ~2.994 here).
        let dataMean = rows.reduce(0.0) { $0 + $1[0] } / 500
        let bootMean = a.reduce(0.0) { $0 + $1[0] / 500 } / 300
        XCTAssertEqual(bootMean, dataMean, accuracy: 0.05)
    }

    func testPercentileInterval() {
        var v = (0...100).map(Double.init).shuffled()
        let ci = PairedBootstrap.percentileInterval(&v)
        XCTAssertEqual(ci.low, 2.5, accuracy: 1e-12)
        XCTAssertEqual(ci.high, 97.5, accuracy: 1e-12)
    }

    /// Coverage on synthetic paired data with a known mean difference: the 95% CI must contain
    /// the true effect in about 95% of independent experiments (percentile bootstrap is a bit
    /// liberal at n=100, so accept 88–99%).
    func testBootstrapCICoverageWithKnownEffect() {
        let trueDelta = 0.1, n = 100, experiments = 300
        var gen = Xoshiro256(seed: 7)
        func uniform() -> Double { Double(gen.next() >> 11) / Double(1 << 53) }
        var covered = 0, excludedZero = 0
        for e in 0..<experiments {
            // Pass/fail pairs: A passes with p=0.6, B with p=0.7 (correlated through a shared draw).
            var a = [Double](), b = [Double]()
            for _ in 0..<n {
                let u = uniform()
                a.append(u < 0.6 ? 1 : 0)
                b.append(u < 0.6 + trueDelta ? 1 : 0)
            }
            let ci = PairedBootstrap(resamples: 1000, seed: UInt64(e)).meanDeltaInterval(a: a, b: b)
            if ci.contains(trueDelta) { covered += 1 }
            if !ci.contains(0) { excludedZero += 1 }
        }
        let coverage = Double(covered) / Double(experiments)
        XCTAssertGreaterThan(coverage, 0.88, "coverage \(coverage)")
        XCTAssertLessThan(coverage, 0.99, "coverage \(coverage)")
        // With δ = 0.1 and every B ⊇ A the effect is detected nearly always (power check).
        XCTAssertGreaterThan(excludedZero, experiments * 9 / 10)
    }

    func testSimilarityKnownValues() {
        // ROUGE-L: LCS 5 of 5 hyp tokens and 6 ref tokens → F1 = 2·1·(5/6)/(1+5/6) = 10/11.
        XCTAssertEqual(Similarity.rougeL(hypothesis: "the cat on the mat", reference: "The cat sat on the mat"), 10.0 / 11.0, accuracy: 1e-12)
        XCTAssertEqual(Similarity.rougeL(hypothesis: "a b", reference: "c d"), 0)
        XCTAssertEqual(Similarity.chrF(hypothesis: "refund issued", reference: "refund issued"), 1, accuracy: 1e-12)
        XCTAssertEqual(Similarity.chrF(hypothesis: "xyz", reference: "abc"), 0)
        // "ab" vs "abc": orders 1–2 only; P1=1, R1=2/3, P2=1, R2=1/2 → P=1, R=7/12; F2 = 5PR/(4P+R).
        let p = 1.0, r = 7.0 / 12.0
        XCTAssertEqual(Similarity.chrF(hypothesis: "ab", reference: "abc"), 5 * p * r / (4 * p + r), accuracy: 1e-12)
    }
}
