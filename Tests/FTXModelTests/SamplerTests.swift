import XCTest
@testable import FTXModel

/// The sampler's draws against the distribution it promises, computed here in Float64 from the
/// definition: softmax(logits / T), cut to the top k and to the nucleus of mass p, renormalised.
final class SamplerTests: XCTestCase {
    let logits: [Float] = [2.0, 1.0, 0.5, 0.0, -1.0, -3.0, 1.5, 0.2, 1.0, -60.0]

    /// Frequencies over `draws` samples.
    func frequencies(_ params: GenerationParams, draws: Int) -> [Double] {
        var sampler = Sampler(params: params, prompt: [])
        var counts = [Int](repeating: 0, count: logits.count)
        var row = logits
        for _ in 0..<draws {
            let t = row.withUnsafeMutableBufferPointer { sampler.next($0.baseAddress!, vocab: logits.count)! }
            counts[t] += 1
        }
        return counts.map { Double($0) / Double(draws) }
    }

    /// softmax(l/T) over `keep` (ids), zero elsewhere.
    func expected(_ t: Double, keep: [Int]) -> [Double] {
        let m = keep.map { Double(logits[$0]) }.max()!
        var p = [Double](repeating: 0, count: logits.count)
        for i in keep { p[i] = Foundation.exp((Double(logits[i]) - m) / t) }
        let z = p.reduce(0, +)
        return p.map { $0 / z }
    }

    func assertClose(_ freq: [Double], _ p: [Double], draws: Int, file: StaticString = #filePath, line: UInt = #line) {
        for i in p.indices {
            let sigma = (p[i] * (1 - p[i]) / Double(draws)).squareRoot()
            XCTAssertLessThanOrEqual(abs(freq[i] - p[i]), 5 * sigma + 1e-9, "token \(i): \(freq[i]) vs \(p[i])", file: file, line: line)
        }
    }

    func testDrawsFollowTheTemperatureSoftmax() {
        let n = 40_000
        let all = Array(logits.indices)
        assertClose(frequencies(GenerationParams(temperature: 0.8, seed: 3), draws: n), expected(0.8, keep: all), draws: n)
        assertClose(frequencies(GenerationParams(temperature: 1.7, seed: 4), draws: n), expected(1.7, keep: all), draws: n)
    }

    func testTopKKeepsTheKBestWithTiesByID() {
        let n = 30_000
        // 2.0 (id 0), 1.5 (id 6), then the tie at 1.0: id 1 before id 8.
        assertClose(frequencies(GenerationParams(temperature: 1, topK: 3, seed: 5), draws: n), expected(1, keep: [0, 6, 1]), draws: n)
    }

    func testTopPKeepsTheSmallestNucleus() {
        let n = 30_000
        let full = expected(1, keep: Array(logits.indices))
        // The nucleus: best-first (ties by id) until the mass reaches p.
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        var keep: [Int] = [], cum = 0.0
        for i in order where cum < 0.7 { keep.append(i); cum += full[i] }
        XCTAssertEqual(keep, [0, 6, 1, 8])
        assertClose(frequencies(GenerationParams(temperature: 1, topP: 0.7, seed: 6), draws: n), expected(1, keep: keep), draws: n)
    }

    func testSameSeedSameDraws() {
        let a = frequencies(GenerationParams(temperature: 1, seed: 9), draws: 500)
        let b = frequencies(GenerationParams(temperature: 1, seed: 9), draws: 500)
        XCTAssertEqual(a, b)
    }
}
